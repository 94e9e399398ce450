"""``akrim calibrate``: fit the world parameters to the reported figures, resumably.

Usage::

    akrim calibrate [fit] [key=value ...]     NPE fit (method=npe, default) or ABC-SMC (method=abc), outputs, report
    akrim calibrate screen [key=value ...]    Morris screening of the candidate parameters
    akrim calibrate status [db=PATH]          what a calibration history holds

The fit creates or continues the history in ``db`` (default ``calibration/posterior/abc.db``):
started again with the same settings after a stop, it continues with the next generation. When
the history has its generations it writes, in ``out`` (default ``calibration/posterior/``),
``posterior_sample.csv``, ``predictive.csv``, ``meta.json`` and ``report.html``, and the
calibrated world ``scenarios/world/calibrated.yaml`` (``world_out``). Outputs of any budget but
``full`` are marked as a pipeline check (``final=true`` overrides); a pipeline check refuses to
replace final outputs unless ``overwrite=true``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from calibration.abc import BUDGETS, Budget, CalibrationError, FitSettings, fit, history_summary, history_wall_s
from calibration.params import PriorError, load_priors
from calibration.targets import TargetError, load_targets
from experiments.cliargs import (
    MAX_SEED,
    MAX_WORKERS,
    UsageError,
    arg,
    check_address,
    check_workers,
    fail,
    get_bool,
    get_choice,
    get_float,
    get_int,
    get_text,
    keys_help,
    parse_action,
)
from sim import MODEL_GENERATION

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "calibration" / "posterior"
DEFAULT_WORLD = ROOT / "scenarios" / "world" / "calibrated.yaml"

ADDRESS = "a scheduler address such as tcp://host:8786, or none"


@dataclass
class FitArgs:
    """The keys of ``akrim calibrate [fit]`` (defaults of None: the budget's value, or the default path)."""

    method: str = arg("npe", choices=("npe", "abc"), doc="neural posterior estimation (calibration/npe.py) or ABC-SMC")
    budget: str = arg("small", choices=tuple(BUDGETS), doc="sets the run numbers (NPE and ABC budgets differ)")
    populations: int | None = arg(None, lo=2, hi=100_000, doc="particles per generation")
    generations: int | None = arg(None, lo=1, hi=100, doc="generations the history should hold when done")
    scale: float | None = arg(None, lo=0.0, hi=1.0, lo_open=True, doc="population scale of every run")
    predictive: int | None = arg(None, lo=1, hi=100_000, doc="posterior predictive runs")
    address: str | None = arg(None, doc="Dask scheduler address (default: a local cluster); none runs in this process")
    workers: int | None = arg(None, lo=1, hi=MAX_WORKERS, doc="worker processes of the local cluster (default: one per core)")
    db: str | None = arg(None, doc="SQLite history (default <out>/abc.db)")
    out: str | None = arg(None, doc="output folder (default calibration/posterior)")
    world_out: str | None = arg(None, doc="calibrated world file (default scenarios/world/calibrated.yaml)")
    priors: str | None = arg(None, doc="priors file (default calibration/priors.yaml)")
    targets: str | None = arg(None, doc="targets file (default calibration/targets.yaml)")
    hours: float | None = arg(None, lo=0.0, hi=1e4, lo_open=True, doc="stop before a generation that would end after this many hours")
    final: bool | None = arg(None, doc="mark outputs final (default: true only for budget=full)")
    fresh: bool = arg(False, doc="delete the history in db and start again")
    overwrite: bool = arg(False, doc="let a pipeline check replace final outputs")
    seed: int = arg(20240101, lo=0, hi=MAX_SEED, doc="seed of the posterior predictive draws")
    progress: bool = arg(True, doc="progress bars")
    simulations: int | None = arg(None, lo=20, hi=1_000_000, doc="NPE: training runs drawn from the priors")
    sbc: int | None = arg(None, lo=1, hi=100_000, doc="NPE: held-out runs for simulation-based calibration (200 or more for the coverage table)")
    draws: int | None = arg(None, lo=1000, hi=10_000_000, doc="NPE: independent posterior draws written to posterior_sample.csv")
    runs: str | None = arg(None, doc="NPE: run store of the training and held-out runs (default <out>/runs/npe)")
    ensemble: int | None = arg(None, lo=1, hi=20, doc="NPE: flows trained on the same runs and averaged (budgets: 1, 3, 5)")
    stale: str = arg("rerun", choices=("rerun", "reuse"), doc="NPE: stored runs of another code version are recomputed, or reused with a warning")
    recalibrate: bool = arg(True, doc="NPE: widen the posterior's spread per parameter to the coverage of the held-out runs (cross-fitted)")
    fidelity: float | None = arg(None, lo=0.0, hi=1.0, allowed="a population scale in [0, 1]; 0 for none", doc="NPE: population scale of the runs that measure the calibration scale's bias "
                                 "(multi-fidelity); 0: none (budgets: full 1.0, else 0)")
    fidelity_points: int | None = arg(None, lo=2, hi=1000, doc="NPE: posterior draws at which the scale bias is measured (default 10)")
    fidelity_reps: int | None = arg(None, lo=1, hi=100, doc="NPE: runs at the calibration scale per such draw (default 3)")


ABC_ONLY = ("populations", "generations", "db", "hours", "fresh")
NPE_ONLY = ("simulations", "sbc", "draws", "runs", "stale", "ensemble", "recalibrate", "fidelity", "fidelity_points", "fidelity_reps")


@dataclass
class ScreenArgs:
    """The keys of ``akrim calibrate screen``."""

    r: int = arg(4, lo=2, hi=1000, doc="Morris trajectories")
    levels: int = arg(4, lo=2, hi=100, doc="Morris grid levels")
    scale: float = arg(0.05, lo=0.0, hi=1.0, lo_open=True, doc="population scale")
    seed: int = arg(20140101, lo=0, hi=MAX_SEED, doc="common seed of the design runs")
    noise: int = arg(4, lo=0, hi=1000, doc="extra seeds of the default world, to measure noise")
    out: str | None = arg(None, doc="output folder (default calibration/screening)")
    candidates: str | None = arg(None, doc="candidates file (default calibration/screening.yaml)")
    address: str | None = arg(None, doc="Dask scheduler address; none runs in this process")
    workers: int | None = arg(None, lo=1, hi=MAX_WORKERS, doc="worker processes of the local cluster")
    progress: bool = arg(True, doc="progress bars")
    rerun_stale: bool = arg(False, doc="recompute stored runs recorded by another code version (default: warn, reuse)")


@dataclass
class StatusArgs:
    """The keys of ``akrim calibrate status``."""

    db: str | None = arg(None, doc="SQLite history (default calibration/posterior/abc.db)")
    runs: str | None = arg(None, doc="NPE run store (default calibration/posterior/runs/npe)")


FIT_KEYS, SCREEN_KEYS, STATUS_KEYS = keys_help(FitArgs), keys_help(ScreenArgs), keys_help(StatusArgs)
ACTIONS = {"fit": FIT_KEYS, "screen": SCREEN_KEYS, "status": STATUS_KEYS}
SCHEMAS = {"fit": FitArgs, "screen": ScreenArgs, "status": StatusArgs}


def usage() -> str:
    """Help text: actions and their keys (defaults and ranges)."""
    lines = ["usage: akrim calibrate [fit|screen|status] [key=value ...]", "",
             "Fit the uncertain world parameters to the reported figures (neural posterior estimation by default, or ABC-SMC; resumable), screen candidate parameters "
             "(Morris), or show what a calibration history holds.", ""]
    for action, keys in ACTIONS.items():
        lines.append(f"{action} keys:")
        lines += [f"  {k:<12s}{doc}" for k, doc in keys.items()]
        lines.append("")
    lines += ["examples:",
              "  akrim calibrate budget=small out=/tmp/npe      # NPE, minutes; a pipeline check",
              "  akrim calibrate method=abc budget=small out=/tmp/abc   # ABC-SMC",
              "  akrim calibrate budget=full                    # the real calibration (NPE); re-run the same line to resume",
              "  akrim calibrate method=abc budget=full hours=10   # ABC-SMC; re-run the same line to resume",
              "  akrim calibrate budget=medium address=tcp://scheduler:8786",
              "  akrim calibrate screen r=10",
              "  akrim calibrate status"]
    return "\n".join(lines)


def parse(argv: list[str]) -> tuple[str, dict[str, str]]:
    """``(action, {key: value})``, every key checked (type, range, address); raises UsageError naming the bad argument.

    The values stay text (read by the ``get_*`` getters below, which can no longer fail).
    """
    action, a, given = parse_action(argv, SCHEMAS, "fit", "akrim calibrate")
    if "address" in given:
        check_address(a.address)
        check_workers(a.workers, a.address if a.address != "none" else None)
    return action, given


def _scale(opts: dict[str, str], default: float) -> float:
    return get_float(opts, "scale", default, 0.0, 1.0, lo_open=True)


def _budget(opts: dict[str, str]) -> tuple[str, Budget]:
    name = get_choice(opts, "budget", "small", BUDGETS)
    b = BUDGETS[name]
    b = replace(b, populations=get_int(opts, "populations", b.populations, 2),
                generations=get_int(opts, "generations", b.generations, 1),
                scale=_scale(opts, b.scale),
                predictive=get_int(opts, "predictive", b.predictive, 1))
    custom = any(k in opts for k in ("populations", "generations", "scale", "predictive"))
    return (f"{name} (customised)" if custom else name), b


def _cluster(opts: dict[str, str]) -> tuple[str | None, int | None]:
    """``address`` and ``workers``: None for a local cluster with one worker per core."""
    return get_text(opts, "address", None, ADDRESS), get_int(opts, "workers", None, 1)


def _guard(path: Path, meta_path: Path | None, final: bool, overwrite: bool) -> None:
    """Refuse to replace final outputs with a pipeline check (unless overwrite)."""
    from calibration.posterior import is_pipeline_check

    if final or overwrite:
        return
    if is_pipeline_check(path) is False:
        raise UsageError(f"{path} holds a final calibration; a pipeline check will not replace it "
                         f"(give world_out=OTHER_PATH, final=true, or overwrite=true)")
    if meta_path is not None and meta_path.is_file():
        try:
            stored = json.loads(meta_path.read_text())
        except ValueError:
            raise UsageError(f"{meta_path} is not valid JSON; cannot tell whether {meta_path.parent} holds a final "
                             f"calibration (remove it, or give out=OTHER_DIR)") from None
        if isinstance(stored, dict) and stored.get("pipeline_check") is False:
            raise UsageError(f"{meta_path.parent} holds final calibration outputs; a pipeline check will not "
                             f"replace them (give out=OTHER_DIR, final=true, or overwrite=true)")


def _rel(path: Path) -> str:
    """A path relative to the repository when it lies inside it (for files that are committed)."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _say(msg: str) -> None:
    print(f"akrim calibrate: {msg}", flush=True)


def _quiet_libraries() -> None:
    """Keep pyabc's and Dask's INFO chatter off the terminal (our own progress lines say what matters)."""
    import pyabc  # noqa: F401 - pyabc sets its loggers' levels on import; override them afterwards

    for name in ("ABC", "distributed", "pyabc"):
        logging.getLogger(name).setLevel(logging.WARNING)


def fit_npe(opts: dict[str, str], argv: list[str]) -> int:
    """The ``fit`` action with ``method=npe`` (calibration/npe_run.py; imported here only when used)."""
    from calibration.npe_run import run_npe

    return run_npe(opts, argv)


def run_fit(opts: dict[str, str], argv: list[str]) -> int:
    """The ``fit`` action: ``method=npe`` (default) or ``method=abc``."""
    from sim.runner import code_version

    method = get_choice(opts, "method", "npe", ("npe", "abc"))
    other = ABC_ONLY if method == "npe" else NPE_ONLY
    for k in other:
        if k in opts:
            raise UsageError(f"{k}={opts[k]}: a key of method={'abc' if method == 'npe' else 'npe'} "
                             f"(this is method={method}; allowed here: {', '.join(k2 for k2 in FIT_KEYS if k2 not in other)})")
    if method == "npe":
        return fit_npe(opts, argv)
    t_start = time.perf_counter()
    budget_name, budget = _budget(opts)
    out = Path(opts.get("out", DEFAULT_OUT))
    db = Path(opts.get("db", out / "abc.db"))
    world_out = Path(opts.get("world_out", DEFAULT_WORLD))
    final = get_bool(opts, "final", budget_name == "full")
    fresh = get_bool(opts, "fresh", False)
    overwrite = get_bool(opts, "overwrite", False)
    progress = get_bool(opts, "progress", True)
    hours = get_float(opts, "hours", None, 0.0, 1e4, lo_open=True)
    seed = get_int(opts, "seed", 20240101, 0)
    address, workers = _cluster(opts)
    try:
        targets = load_targets(opts.get("targets"))
        priors = load_priors(opts.get("priors"))
    except (TargetError, PriorError) as exc:
        raise UsageError(str(exc)) from None
    _guard(world_out, out / "meta.json", final, overwrite)
    if fresh and db.exists():
        db.unlink()
        _say(f"deleted the history {db} (fresh=true)")
    if fresh:
        from calibration.partial import partial_path

        partial_path(db).unlink(missing_ok=True)  # runs recorded for the deleted history
    _quiet_libraries()
    _say(f"budget {budget_name}: {budget.populations} particles x {budget.generations} generations at scale "
         f"{budget.scale:g}, {budget.predictive} predictive runs; "
         f"{'local Dask cluster' if address is None else ('in this process' if address == 'none' else address)}; "
         f"outputs {'FINAL' if final else 'marked as a pipeline check'}")
    settings = FitSettings(db=db, priors=priors, targets=targets, budget=budget, address=address, workers=workers,
                           hours=hours, progress=_say)
    res = fit(settings)
    _say(f"history {db}: {res.generations} generation(s), {res.new_generations} new in {res.wall_s:.0f} s; {res.stopped_because}")
    if res.generations < budget.generations:
        _say(f"not finished: run the same command again to continue from generation {res.generations + 1}")
        if res.generations == 0:
            return 1
    return write_outputs(res, settings, budget_name, out, world_out, final, seed, progress, argv, t_start, code_version())


def write_outputs(res, settings: FitSettings, budget_name: str, out: Path, world_out: Path, final: bool, seed: int,
                  progress: bool, argv: list[str], t_start: float, version: str) -> int:
    """Posterior sample, predictive runs, calibrated world, report and metadata."""
    from calibration.posterior import posterior_sample, predictive, summarise, write_sample, write_world
    from calibration.report import build_report, fresh_run_distance, markdown_summary

    h = res.history
    sample = posterior_sample(h)
    write_sample(sample, out / "posterior_sample.csv")
    _say(f"posterior sample: {out / 'posterior_sample.csv'} ({len(sample)} particles)")
    t0 = time.perf_counter()
    pred, columns = predictive(sample, settings.priors, settings.targets, settings.budget.predictive, settings.budget.scale,
                               out / "runs" / "predictive", seed=seed, base=settings.base, address=settings.address,
                               workers=settings.workers, progress=progress)
    wall_pred = time.perf_counter() - t0
    pred.to_csv(out / "predictive.csv", index=False, float_format="%.8g")
    summary = summarise(sample, settings.priors)
    hist = history_summary(h)
    meta: dict[str, Any] = {
        "pipeline_check": not final,
        "model_generation": MODEL_GENERATION,  # experiments.posterior uses a sample only for this generation
        "command": "akrim calibrate " + " ".join(argv),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "code_version": version,
        "budget": budget_name,
        "scale": settings.budget.scale,
        "populations": settings.budget.populations,
        "generations": res.generations,
        "simulations": int(h.total_nr_simulations),
        "predictive": settings.budget.predictive,
        "predictive_seed": seed,
        "db": _rel(res.db),
        "run_id": res.run_id,
        "stopped_because": res.stopped_because,
        "wall_abc_s": round(res.wall_s, 1),
        "wall_abc_history_s": round(history_wall_s(h), 1),
        "wall_predictive_s": round(wall_pred, 1),
        "kpi_columns": columns,
        "parameters": [{k: v for k, v in r.items() if k != "why"} for r in summary],
        "fresh_run_distance": fresh_run_distance(settings.targets, pred,
                                                 float(hist["epsilon"].iloc[-1]) if len(hist) else None),
    }
    write_world(summary, world_out, pipeline_check=not final, provenance=meta)
    _say(f"calibrated world: {world_out}")
    meta["wall_total_s"] = round(time.perf_counter() - t_start, 1)
    verdicts = build_report(out / "report.html", targets=settings.targets, priors=settings.priors, sample=sample, pred=pred,
                            columns=columns, hist=hist, meta=meta, param_summary=summary,
                            floor=meta["fresh_run_distance"])
    meta["verdicts"] = verdicts
    (out / "summary.md").write_text(markdown_summary(settings.targets, pred, meta))
    meta["wall_total_s"] = round(time.perf_counter() - t_start, 1)
    (out / "meta.json").write_text(json.dumps(meta, indent=2, default=str))
    _say(f"report: {out / 'report.html'}")
    for role in ("fit", "validation"):
        ids = [t.id for t in settings.targets if t.role == role]
        _say(f"{role} targets: " + ", ".join(f"{i} {verdicts.get(i, '?')}" for i in ids))
    _say(f"done in {meta['wall_total_s']:.0f} s")
    return 0


def run_screen(opts: dict[str, str]) -> int:
    """The ``screen`` action."""
    from calibration.screening import screen

    out = Path(opts.get("out", ROOT / "calibration" / "screening"))
    address, workers = _cluster(opts)
    settings = dict(scale=_scale(opts, 0.05), r=get_int(opts, "r", 4, 2), levels=get_int(opts, "levels", 4, 2),
                    seed=get_int(opts, "seed", 20140101, 0), noise_reps=get_int(opts, "noise", 4, 0),
                    address=address, workers=workers, candidates=opts.get("candidates"),
                    progress=get_bool(opts, "progress", True), rerun_stale=get_bool(opts, "rerun_stale", False))
    _quiet_libraries()
    res = screen(out, **settings)
    _say(f"screening done in {res.meta['wall_s']:.0f} s: selected {', '.join(res.selected)}")
    _say(f"record: {out / 'morris.md'}")
    return 0


def run_status(opts: dict[str, str]) -> int:
    """The ``status`` action."""
    db = Path(opts.get("db", DEFAULT_OUT / "abc.db"))
    runs = Path(opts.get("runs", DEFAULT_OUT / "runs" / "npe"))
    if runs.is_dir():
        from calibration.npe_run import store_status

        _say(store_status(runs))
    elif "runs" in opts:
        raise UsageError(f"no NPE run store at {runs}")
    if not db.is_file():
        if runs.is_dir() and "db" not in opts:  # an NPE calibration only; a history asked for by name must exist
            return 0
        raise UsageError(f"no calibration history at {db}")
    from pyabc import History

    h = History(f"sqlite:///{db}")
    runs = h.all_runs()
    if not runs:
        _say(f"{db}: no calibration stored")
        return 0
    h.id = runs[-1].id
    _say(f"{db}: run {h.id}, {h.max_t + 1} complete generation(s), {h.total_nr_simulations} simulations")
    hist = history_summary(h)
    if len(hist):
        print(hist.to_string(index=False))
    else:
        _say("no complete generation yet (the first one, after a sample from the prior, is in progress or was interrupted)")
    from calibration.partial import PartialRuns, partial_path

    n_done = int(h.max_t + 1) if h.max_t is not None and h.max_t >= 0 else 0
    for t, (jobs, acc) in sorted(PartialRuns(partial_path(db), int(h.id), n_done).counts().items()):
        what = "the prior sample" if t < 0 else f"generation {t + 1}"
        _say(f"{what} in progress or stopped: {jobs} finished runs recorded ({acc} accepted), "
             f"reused when the calibration continues ({partial_path(db).name})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``akrim calibrate``; returns the exit code (2: bad input, 1: failure)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help", "help") for a in argv):
        print(usage())
        return 0
    try:
        action, opts = parse(argv)
        if action == "screen":
            return run_screen(opts)
        if action == "status":
            return run_status(opts)
        return run_fit(opts, argv)
    except UsageError as exc:
        return fail(exc)
    except (CalibrationError, TargetError, PriorError) as exc:
        return fail(exc, 1)
    except KeyboardInterrupt:
        print("akrim calibrate: interrupted; run the same command again to continue (complete generations are in the "
              "history, the finished runs of the generation in progress are reused)", file=sys.stderr)
        return 130


