"""``akrim calibrate method=npe``: the NPE calibration from its keys to its files.

Writes, in ``out`` (default ``calibration/posterior/``):

* ``posterior_sample.csv`` - ``draws`` (>= 1,000) independent posterior draws at the reported
  figures: one column per fitted parameter (dotted key) and ``weight`` (all equal);
* ``coverage.csv`` - simulation-based calibration on the held-out runs: columns ``parameter``,
  ``level``, ``coverage`` (per parameter, the mean over parameters, the joint region; levels
  0.5, 0.8, 0.9, 0.95);
* ``sbc_ranks.csv`` - per held-out run, the rank of each true parameter among the posterior draws;
* ``npe_runs.csv`` - every training and held-out run: parameters and fit statistics (``npe.runs_table``);
* ``predictive.csv``, ``report.html``, ``summary.md``, ``meta.json`` as the ABC-SMC calibration does;

and the calibrated world (posterior median) in ``world_out``. The runs stay in the run store
``runs`` (default ``<out>/runs/npe``, not committed): running the same command again reuses
every finished run, and after a stop it goes on from where the runs stopped.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from calibration.params import PriorError, load_priors
from calibration.targets import TargetError, load_targets
from experiments.cliargs import UsageError, get_bool, get_choice, get_float, get_int, get_text
from sim import MODEL_GENERATION

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "calibration" / "posterior"
DEFAULT_WORLD = ROOT / "scenarios" / "world" / "calibrated.yaml"
ADDRESS = "a scheduler address such as tcp://host:8786, or none"


def _say(msg: str) -> None:
    print(f"akrim calibrate: {msg}", flush=True)


def budget_from(opts: dict[str, str]):
    """``(name, NPEBudget)`` from ``budget=`` and the explicit sizes."""
    from calibration.npe import BUDGETS

    name = get_choice(opts, "budget", "small", BUDGETS)
    b = BUDGETS[name]
    b = replace(b, simulations=get_int(opts, "simulations", b.simulations, 20), sbc=get_int(opts, "sbc", b.sbc, 1),
                scale=get_float(opts, "scale", b.scale, 0.0, 1.0, lo_open=True),
                predictive=get_int(opts, "predictive", b.predictive, 1), draws=get_int(opts, "draws", b.draws, 1000),
                ensemble=get_int(opts, "ensemble", b.ensemble, 1, 20), fidelity=get_float(opts, "fidelity", b.fidelity, 0.0, 1.0, allowed="a population scale in [0, 1]; 0 for none"),
                fidelity_points=get_int(opts, "fidelity_points", b.fidelity_points, 2, 1000),
                fidelity_reps=get_int(opts, "fidelity_reps", b.fidelity_reps, 1, 100))
    custom = any(k in opts for k in ("simulations", "sbc", "scale", "predictive", "draws", "ensemble", "fidelity", "fidelity_points",
                                     "fidelity_reps"))
    return (f"{name} (customised)" if custom else name), b


def run_npe(opts: dict[str, str], argv: list[str]) -> int:
    """Check the keys, run the NPE calibration, write every output."""
    from calibration import npe
    from calibration.calibrate import _guard, _rel
    from sim.runner import code_version

    t_start = time.perf_counter()
    budget_name, budget = budget_from(opts)
    try:
        import sbi  # noqa: F401
    except ImportError:
        from calibration.abc import CalibrationError

        raise CalibrationError("method=npe needs the sbi library: pip install -e '.[npe]' (or method=abc)") from None
    out = Path(opts.get("out", DEFAULT_OUT))
    runs = Path(opts.get("runs", out / "runs" / "npe"))
    world_out = Path(opts.get("world_out", DEFAULT_WORLD))
    final = get_bool(opts, "final", budget_name == "full")
    overwrite = get_bool(opts, "overwrite", False)
    progress = get_bool(opts, "progress", True)
    rerun_stale = get_choice(opts, "stale", "rerun", ("rerun", "reuse")) == "rerun"
    recalibrate = get_bool(opts, "recalibrate", True)
    seed = get_int(opts, "seed", 20240101, 0)
    address = get_text(opts, "address", None, ADDRESS)
    workers = get_int(opts, "workers", None, 1)
    try:
        targets = load_targets(opts.get("targets"))
        priors = load_priors(opts.get("priors"))
    except (TargetError, PriorError) as exc:
        raise UsageError(str(exc)) from None
    _guard(world_out, out / "meta.json", final, overwrite)
    where = "local Dask cluster" if address is None else ("in this process" if address == "none" else address)
    fid = (f"scale bias measured at scale {budget.fidelity:g} ({budget.fidelity_points} draws x ({budget.fidelity_reps} + 1) runs)"
           if budget.fidelity > 0 and budget.fidelity != budget.scale else "no scale-bias runs")
    _say(f"method npe, budget {budget_name}: {budget.simulations} training + {budget.sbc} held-out runs at scale "
         f"{budget.scale:g}, {budget.ensemble} flow(s), {budget.draws} posterior draws, {budget.predictive} predictive runs, {fid}; {where}; "
         f"outputs {'FINAL' if final else 'marked as a pipeline check'}")
    problem = npe.AkrimProblem(priors, targets, budget.scale)
    settings = npe.NPESettings(budget=budget, store=runs, seed=seed, address=address, workers=workers, progress=progress,
                               rerun_stale=rerun_stale, recalibrate=recalibrate, say=_say)
    try:
        res = npe.calibrate(problem, settings)
    except npe.NPEError as exc:
        from calibration.abc import CalibrationError

        raise CalibrationError(str(exc)) from None
    return write_outputs(res, problem, settings, targets, priors, budget_name, out, world_out, final, seed, progress,
                         argv, t_start, code_version(), _rel(runs))


def write_outputs(res: Any, problem: Any, settings: Any, targets: list, priors: list, budget_name: str, out: Path,
                  world_out: Path, final: bool, seed: int, progress: bool, argv: list[str], t_start: float, version: str,
                  runs_rel: str) -> int:
    """Posterior sample, coverage table, predictive runs, calibrated world, report and metadata."""
    import pandas as pd

    from calibration import npe
    from calibration.npe_report import npe_info, npe_sections
    from calibration.posterior import predictive, summarise, write_sample, write_world
    from calibration.report import build_report, fresh_run_distance, markdown_summary

    out.mkdir(parents=True, exist_ok=True)
    b = settings.budget
    write_sample(res.sample, out / "posterior_sample.csv")
    _say(f"posterior sample: {out / 'posterior_sample.csv'} ({len(res.sample)} independent draws)")
    res.sbc.coverage.to_csv(out / "coverage.csv", index=False, float_format="%.4f")
    names = [p.key for p in problem.priors]
    pd.DataFrame(res.sbc.ranks, columns=names).to_csv(out / "sbc_ranks.csv", index=False)
    npe.runs_table(problem, {"training": res.train_runs, "heldout": res.test_runs}).to_csv(
        out / "npe_runs.csv", index=False, float_format="%.8g")
    t0 = time.perf_counter()
    pred, columns = predictive(res.sample, priors, targets, b.predictive, b.scale, out / "runs" / "predictive", seed=seed,
                               address=settings.address, workers=settings.workers, progress=progress)
    wall_pred = time.perf_counter() - t0
    shift = res.discrepancy.shift() if res.discrepancy is not None else {}
    for st, d in shift.items():  # the predictive runs are at the calibration scale: read them at the high fidelity
        if st in pred:
            pred[st] = pred[st] + d
    pred.to_csv(out / "predictive.csv", index=False, float_format="%.8g")
    summary = summarise(res.sample, priors)
    contraction = npe.contraction_at_observed(res.units)
    for row, c_obs, c_sbc in zip(summary, contraction, res.sbc.contraction):
        row["contraction"] = float(c_obs)
        row["contraction_sbc"] = float(c_sbc)
    verdicts_cov = npe.coverage_verdicts(res.sbc, names)
    cov = res.sbc.coverage
    meta: dict[str, Any] = {
        "pipeline_check": not final,
        "model_generation": MODEL_GENERATION,  # experiments.posterior uses a sample only for this generation
        "method": "npe",
        "command": "akrim calibrate " + " ".join(argv),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "code_version": version,
        "budget": budget_name,
        "scale": b.scale,
        "simulations": len(res.train_runs.keys) + len(res.test_runs.keys),
        "training_runs": len(res.train_runs.keys),
        "training_runs_valid": int(res.train_runs.valid.sum()),
        "heldout_runs": len(res.test_runs.keys),
        "heldout_runs_valid": int(res.sbc.m),
        "runs_reused": res.train_runs.reused + res.test_runs.reused,
        "runs_computed": res.train_runs.done + res.test_runs.done,
        "draws": len(res.sample),
        "sbc_draws": res.sbc.draws,
        "seed": settings.seed,
        "estimator": settings.estimator,
        "ensemble": len(res.trained.posteriors),
        "epochs": res.trained.epochs,
        "best_validation_loss": res.trained.best_val_loss,
        "predictive": b.predictive,
        "predictive_seed": seed,
        "runs": runs_rel,
        "wall_runs_s": round(res.wall_runs_s, 1),
        "wall_train_check_s": round(res.wall_train_s, 1),
        "wall_npe_s": round(res.wall_s, 1),
        "wall_predictive_s": round(wall_pred, 1),
        "kpi_columns": columns,
        "parameters": [{k: v for k, v in r.items() if k != "why"} for r in summary],
        "coverage": {str(p): {f"{a:g}": round(float(c), 4) for a, c in zip(g["level"], g["coverage"])}
                     for p, g in cov.groupby("parameter", sort=False)},
        "coverage_verdicts_90": verdicts_cov,
        "recalibrated": res.sbc.widening is not None,
        "widening": (None if res.sbc.widening is None else
                     {n: round(float(w), 4) for n, w in zip(names, res.sbc.widening)}),
        "coverage_raw": (None if res.sbc.raw is None else
                         {str(p): {f"{a:g}": round(float(c), 4) for a, c in zip(g["level"], g["coverage"])}
                          for p, g in res.sbc.raw.coverage.groupby("parameter", sort=False)}),
        "misspecification": res.misspec,
        # multi-fidelity: the scale discrepancy, and the predictive statistics shifted by it (predictive.csv)
        "discrepancy": None if res.discrepancy is None else res.discrepancy.as_dict(),
        "predictive_shifted": shift,
        "fresh_run_distance": fresh_run_distance(targets, pred, None),
    }
    write_world(summary, world_out, pipeline_check=not final, provenance=meta)
    _say(f"calibrated world: {world_out}")
    meta["wall_total_s"] = round(time.perf_counter() - t_start, 1)
    verdicts = build_report(out / "report.html", targets=targets, priors=priors, sample=res.sample, pred=pred,
                            columns=columns, hist=None, meta=meta, param_summary=summary,
                            floor=meta["fresh_run_distance"], extra_info=npe_info(meta),
                            sections=npe_sections(res, problem, targets, summary))
    meta["verdicts"] = verdicts
    (out / "summary.md").write_text(markdown_summary(targets, pred, meta))
    meta["wall_total_s"] = round(time.perf_counter() - t_start, 1)
    (out / "meta.json").write_text(json.dumps(meta, indent=2, default=_json_default))
    _say(f"coverage: {out / 'coverage.csv'}; report: {out / 'report.html'}")
    for role in ("fit", "validation"):
        ids = [t.id for t in targets if t.role == role]
        _say(f"{role} targets: " + ", ".join(f"{i} {verdicts.get(i, '?')}" for i in ids))
    _say(f"done in {meta['wall_total_s']:.0f} s")
    return 0


def _json_default(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    return str(x)


def store_status(runs: Path) -> str:
    """One line on an NPE run store: finished training and held-out runs, failures, the problem it was made for."""
    from calibration.npe import TEST, TRAIN
    from experiments.store import ResultStore

    store = ResultStore(runs)
    data = store.load(columns=["run_key", "npe_stream"]) if store.done_keys() else None
    counts = {TRAIN: 0, TEST: 0}
    if data is not None and len(data) and "npe_stream" in data:
        per = data.drop_duplicates("run_key")["npe_stream"].value_counts()
        counts = {k: int(per.get(k, 0)) for k in counts}
    meta = store.meta("npe") or {}
    return (f"NPE run store {runs}: {counts[TRAIN]} training and {counts[TEST]} held-out runs finished, "
            f"{len(store.failed())} failed; problem {meta.get('fingerprint_hash', '?')} "
            "(a calibration with the same settings reuses them)")
