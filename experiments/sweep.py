"""Parameter sweeps: a sweep file becomes run specs, runs on Dask, and a summary table.

Core objects:
    Sweep - a parsed, checked sweep file (model, base overrides, parameters, design,
        replicates, outputs); ``load_sweep(path)`` reads one.
    build_runs(sweep) - the run specs and the runs table (design point, replicate, seed,
        run key, parameter values) in design order.
    run_sweep(sweep, out, ...) - execute on Dask (``experiments.execute``), resumably, into the
        result store at ``out``; writes ``summary-<name>.csv``/``.parquet``.
    summarise(store, runs, outputs) - one row per run: parameters plus each KPI reduced over the
        chosen years.
    main(argv) - ``akrim sweep file=... [out=...] [workers=N] [address=...]``.

A sweep file (YAML; see ``experiments/sweeps/`` and ``docs/sweeps.md``)::

    name: levers_lhs
    model: akrim                  # or a test model: ishigami, probe
    base: [scale=0.1, end=2020]   # Hydra overrides for every run
    parameters:
      policy.nli.n_inspectors: {range: [150, 400]}
      world.firms.beta: {range: [2, 8]}
    design: {method: lhs, n: 40, seed: 1}
    replicates: 2                 # seeds per point, SeedSequence.spawn of 'seed'
    seed: 20140101
    outputs: {kpis: [undeclared_work_share, cases_against_ta], years: [2018, 2020], stat: mean}

Replicate ``r`` of every design point uses the same seed (common random numbers), so
differences between points are not re-shuffled luck.
"""

from __future__ import annotations

import datetime as _dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.cliargs import (
    MAX_SEED,
    MAX_WORKERS,
    REQUIRED,
    UsageError,
    arg,
    check_address,
    check_workers,
    fail,
    help_text,
    keys_help,
    parse,
)
from experiments.designs import Design, DesignError, Parameter, make_design, parse_parameter

TOP_KEYS = ("name", "description", "model", "base", "parameters", "design", "replicates", "seed", "outputs")
DESIGN_KEYS = ("method", "n", "seed", "levels", "second_order")
OUTPUT_KEYS = ("kpis", "years", "stat")
STATS = ("mean", "sum", "last")
HEADLINE_KPIS = ("undeclared_work_share", "cases_against_ta", "convictions", "phoenix_bankruptcies",
                 "active_threat_actors", "crime_cost_nok", "enforcement_cost_nok")
RUN_COLUMNS = ("point", "rep", "seed", "run_key")
MAX_RUNS = 100_000  # runs of one sweep (design points x replicates)
MAX_DESIGN_N = 100_000
MAX_REPLICATES = 1_000


class SweepError(ValueError):
    """A problem with a sweep file or its results, with the file and key it concerns."""


@dataclass
class Outputs:
    """Which KPIs to summarise per run, over which years, with which statistic."""

    kpis: list[str]
    years: tuple[int, int] | None = None  # inclusive; None = every year of the run
    stat: str = "mean"


@dataclass
class Sweep:
    """A checked sweep file."""

    name: str
    model: str
    base: list[str]
    params: list[Parameter]
    design: Design
    replicates: int
    seed: int
    outputs: Outputs
    description: str = ""
    source: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        """Design points times replicates."""
        return len(self.design.points) * self.replicates


# ----------------------------------------------------------------------------------- parsing
def _fail(where: str, key: str, value: Any, allowed: str) -> SweepError:
    return SweepError(f"{where}: {key} = {value!r} (allowed: {allowed})")


def _check_keys(where: str, section: str, d: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise _fail(where, section or "file", d, f"a mapping with keys {', '.join(allowed)}")
    for k in d:
        if k not in allowed:
            raise _fail(where, f"{section}.{k}" if section else str(k), d[k], f"keys {', '.join(allowed)}")
    return d


def _int(where: str, key: str, v: Any, lo: int, hi: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
        raise _fail(where, key, v, f"an integer >= {lo}" if hi is None else f"an integer in [{lo}, {hi}]")
    return v


def _design_size(where: str, method: str, d: dict[str, Any], params: list[Parameter]) -> None:
    """Refuse designs too large to build (checked before the design is made)."""
    if d.get("n") is not None:
        _int(where, "design.n", d["n"], 1, MAX_DESIGN_N)
    if d.get("levels") is not None:
        _int(where, "design.levels", d["levels"], 2, 1000)
    if method == "factorial":
        n = 1
        for p in params:
            n *= (getattr(p, "n", None) or d.get("levels") or 3) if p.is_range else len(p.levels or [])
        if n > MAX_RUNS:
            raise _fail(where, "design", f"factorial of {n} points", f"at most {MAX_RUNS} design points (fewer levels or parameters)")


def _base_config(where: str, model: str, base: list[str]) -> Any:
    from experiments.runs import RunSpec, resolve
    from sim.config import ConfigError

    try:
        return resolve(RunSpec.for_model(model, base))
    except ConfigError as exc:
        raise SweepError(f"{where}: base: {exc}") from None


def _outputs(where: str, model: str, d: Any, base_cfg: Any) -> Outputs:
    d = _check_keys(where, "outputs", d or {}, OUTPUT_KEYS)
    if model == "akrim":
        from sim.metrics import KPI_NAMES

        names, default = KPI_NAMES, list(HEADLINE_KPIS)
    else:
        from experiments.testmodels import get_model

        names = default = list(get_model(model).outputs)
    kpis = d.get("kpis", default)
    if isinstance(kpis, str):
        kpis = [kpis]
    if not isinstance(kpis, list) or not kpis:
        raise _fail(where, "outputs.kpis", kpis, "a non-empty list of KPI names")
    for k in kpis:
        if k not in names:
            import difflib

            near = difflib.get_close_matches(str(k), names, n=1)
            hint = f"did you mean {near[0]}? " if near else ""
            raise _fail(where, "outputs.kpis", k, f"{hint}KPI names of sim/metrics.py: {', '.join(names)}" if model == "akrim"
                        else f"outputs of model {model}: {', '.join(names)}")
    years = d.get("years")
    if years is not None:
        if isinstance(years, int) and not isinstance(years, bool):
            years = [years, years]
        if not (isinstance(years, list) and len(years) == 2 and all(isinstance(y, int) for y in years) and years[0] <= years[1]):
            raise _fail(where, "outputs.years", years, "a year, or [first, last] (inclusive), or null for every year")
        if model == "akrim" and (years[0] < base_cfg.start or years[1] > base_cfg.end):
            raise _fail(where, "outputs.years", years, f"years within the run, {base_cfg.start}-{base_cfg.end} (set end= in base)")
        if model != "akrim":
            raise _fail(where, "outputs.years", years, f"null: model {model} has no calendar years")
        years = (years[0], years[1])
    stat = d.get("stat", "mean")
    if stat not in STATS:
        raise _fail(where, "outputs.stat", stat, ", ".join(STATS))
    return Outputs(list(kpis), years, stat)


def parse_sweep(raw: dict[str, Any], source: str = "<sweep>") -> Sweep:
    """Check a sweep-file mapping and build its design (SweepError names file, key and value)."""
    where = source
    raw = _check_keys(where, "", raw, TOP_KEYS)
    name = raw.get("name") or Path(source).stem
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        raise _fail(where, "name", name, "letters, digits, '_' and '-'")
    model = raw.get("model", "akrim")
    if model != "akrim":
        from experiments.testmodels import MODELS

        if model not in MODELS:
            raise _fail(where, "model", model, f"akrim or a test model: {', '.join(MODELS)}")
    base = raw.get("base") or []
    if isinstance(base, str):
        base = base.split()
    if not isinstance(base, list) or not all(isinstance(b, str) and "=" in b for b in base):
        raise _fail(where, "base", base, "a list of Hydra overrides key=value")
    base = [str(b) for b in base]
    base_keys = {b.split("=", 1)[0] for b in base}
    if "seed" in base_keys:
        raise _fail(where, "base", "seed=...", "no seed in base: use 'seed' and 'replicates' at the top of the file")
    params_raw = raw.get("parameters")
    if not isinstance(params_raw, dict) or not params_raw:
        raise _fail(where, "parameters", params_raw, "a mapping of parameter keys to {range: [lo, hi]} or {levels: [...]}")
    clash = sorted(base_keys & set(params_raw))
    if clash:
        raise _fail(where, f"parameters.{clash[0]}", params_raw[clash[0]], "keys not also set in base")
    base_cfg = _base_config(where, model, base)
    try:
        params = [parse_parameter(model, str(k), v) for k, v in params_raw.items()]
        d = _check_keys(where, "design", raw.get("design") or {}, DESIGN_KEYS)
        _design_size(where, str(d.get("method", "factorial")), d, params)
        design = make_design(str(d.get("method", "factorial")), params, n=d.get("n"), seed=_int(where, "design.seed", d.get("seed", 0), 0, MAX_SEED),
                             levels=d.get("levels"), second_order=bool(d.get("second_order", False)))
    except DesignError as exc:
        raise SweepError(f"{where}: {exc}") from None
    replicates = _int(where, "replicates", raw.get("replicates", 1), 1, MAX_REPLICATES)
    seed = _int(where, "seed", raw.get("seed", 20140101), 0, MAX_SEED)
    if len(design.points) * replicates > MAX_RUNS:
        raise _fail(where, "replicates", replicates, f"at most {MAX_RUNS} runs in one sweep ({len(design.points)} design points "
                                                     f"x {replicates} replicates = {len(design.points) * replicates})")
    outputs = _outputs(where, model, raw.get("outputs"), base_cfg)
    return Sweep(name, model, base, params, design, replicates, seed, outputs, str(raw.get("description", "")).strip(), source, raw)


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise SweepError(f"file = {str(path)!r} (allowed: an existing sweep file, e.g. experiments/sweeps/example.yaml)")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise SweepError(f"file = {str(path)!r} (allowed: a YAML file that parses; {where}{getattr(exc, 'problem', None) or 'syntax error'})") from None
    if raw is None:
        raise SweepError(f"file = {str(path)!r} (allowed: a sweep file with name, parameters, design ...; this one is empty)")
    return parse_sweep(raw, str(path))


# ----------------------------------------------------------------------------------- runs
def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def build_runs(sweep: Sweep) -> tuple[list[Any], Any]:
    """Run specs (design order, replicates innermost) and the runs table with their keys."""
    import pandas as pd

    from experiments.runs import RunSpec, spec_key
    from sim.config import ConfigError
    from sim.rng import replicate_seeds

    seeds = replicate_seeds(sweep.seed, sweep.replicates)
    specs, rows = [], []
    for i, point in enumerate(sweep.design.points):
        ovs = [*sweep.base, *(f"{k}={_fmt(v)}" for k, v in point.items())]
        for r, s in enumerate(seeds):
            spec = RunSpec.for_model(sweep.model, [*ovs, f"seed={s}"], sweep=sweep.name, point=i, rep=r)
            try:
                key = spec_key(spec)
            except ConfigError as exc:
                raise SweepError(f"{sweep.source}: design point {i} {point}: {exc}") from None
            specs.append(spec)
            rows.append({"point": i, "rep": r, "seed": s, "run_key": key, **point})
    return specs, pd.DataFrame(rows)


def _meta(sweep: Sweep) -> dict[str, Any]:
    from experiments.runs import _code_version

    d = sweep.design
    return {
        "kind": "sweep", "name": sweep.name, "source": sweep.source, "model": sweep.model,
        "written": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), "code_version": _code_version(),
        "file": sweep.raw, "base": sweep.base, "method": d.method, "options": d.options,
        "replicates": sweep.replicates, "seed": sweep.seed, "n_points": len(d.points), "n_runs": sweep.n_runs,
        "parameters": [p.__dict__ for p in sweep.params], "problem": d.problem,
        "X": None if d.X is None else d.X.tolist(),
        "outputs": {"kpis": sweep.outputs.kpis, "years": sweep.outputs.years, "stat": sweep.outputs.stat},
    }


def summarise(store: Any, runs: Any, outputs: Outputs) -> Any:
    """One row per run of ``runs``: its parameters, ``status``, each KPI reduced over years, code version.

    ``status`` is ``ok``, ``failed`` (the store holds its error) or ``missing`` (not run yet).
    """
    import pandas as pd

    keys = set(runs["run_key"])
    rec = store.load(keys, columns=["run_key", "year", "code_version", *outputs.kpis])
    if len(rec):
        if outputs.years is not None:
            rec = rec[(rec["year"] >= outputs.years[0]) & (rec["year"] <= outputs.years[1])]
        rec = rec.sort_values(["run_key", "year"])
        g = rec.groupby("run_key")
        agg = g[outputs.kpis].agg(outputs.stat).join(g["code_version"].first()).reset_index()
    else:
        agg = pd.DataFrame(columns=["run_key", *outputs.kpis, "code_version"])
    out = runs.merge(agg, on="run_key", how="left")
    failed = set(store.failed())
    done = set(agg["run_key"])
    out.insert(4, "status", ["ok" if k in done else "failed" if k in failed else "missing" for k in out["run_key"]])
    return out


@dataclass
class SweepResult:
    """What ``run_sweep`` did and produced."""

    summary: Any  # the per-run table (pandas DataFrame)
    execution: Any  # experiments.execute.ExecSummary
    out: Path


def run_sweep(sweep: Sweep, out: str | Path, address: str | None = None, n_workers: int | None = None,
              progress: bool = True, client: Any = None, rerun_stale: bool = False) -> SweepResult:
    """Run every not-yet-finished run of ``sweep`` into the store at ``out`` and summarise.

    Finished runs recorded by another code version are reused with a warning, or run again
    with ``rerun_stale`` (``experiments.execute``). Writes ``_meta/sweep-<name>.json`` (the sweep and its design), ``_meta/sweep-<name>.parquet``
    (the runs table) before any run, and ``summary-<name>.csv``/``.parquet`` at the end.
    """
    from experiments.execute import execute
    from experiments.store import ResultStore

    store = ResultStore(out)
    store.clean_tmp()
    specs, runs = build_runs(sweep)
    store.put_meta(f"sweep-{sweep.name}", _meta(sweep))
    store.put_table(f"sweep-{sweep.name}", runs)
    summ = execute(specs, store, address=address, n_workers=n_workers, progress=progress, desc=sweep.name, client=client,
                   rerun_stale=rerun_stale, rerun_hint=RERUN_HINT)
    table = summarise(store, runs, sweep.outputs)
    csv, parquet = summary_paths(store.root, sweep.name)
    store._atomic_write(parquet, lambda p: table.to_parquet(p, index=False))
    store._atomic_write(csv, lambda p: table.to_csv(p, index=False))
    return SweepResult(table, summ, store.root)


def summary_paths(out: str | Path, name: str) -> tuple[Path, Path]:
    """``summary-<name>.csv`` and ``.parquet`` in the store: one summary per sweep (several sweeps may share a store)."""
    from experiments.store import _safe

    return Path(out) / f"summary-{_safe(name)}.csv", Path(out) / f"summary-{_safe(name)}.parquet"


def load_recorded(out: str | Path, name: str | None = None) -> tuple[dict[str, Any], Any]:
    """The meta description and runs table of a sweep recorded in the store at ``out``."""
    from experiments.store import ResultStore

    root = Path(out)
    if not (root / "_meta").is_dir():
        raise SweepError(f"out = {str(root)!r} (allowed: a result store holding a sweep; no sweep recorded here (no _meta/), "
                         f"run 'akrim sweep file=... out={root}' first)")
    store = ResultStore(root)
    names = [n.removeprefix("sweep-") for n in store.meta_names() if n.startswith("sweep-")]
    if name is None:
        if len(names) != 1:
            raise SweepError(f"{root}: {'no sweep' if not names else 'several sweeps'} recorded "
                             f"({', '.join(names) or 'none'}); choose one with sweep=NAME")
        name = names[0]
    if name not in names:
        raise SweepError(f"{root}: no sweep named {name!r}; recorded: {', '.join(names) or 'none'}")
    meta = store.meta(f"sweep-{name}")
    runs = store.meta_table(f"sweep-{name}")
    return meta, runs


# ----------------------------------------------------------------------------------- CLI
@dataclass
class SweepArgs:
    """The keys of ``akrim sweep``."""

    file: str = arg(REQUIRED, doc="the sweep file (YAML), e.g. experiments/sweeps/example.yaml", allowed="a sweep file (YAML)")
    out: str | None = arg(None, doc="result store directory (default outputs/sweeps/<name>); re-running resumes")
    workers: int | None = arg(None, lo=1, hi=MAX_WORKERS, doc="worker processes of the local Dask cluster (default: one per core)")
    address: str | None = arg(None, doc="scheduler address tcp://host:port of an existing Dask cluster, or none to run in this process")
    progress: bool = arg(True, doc="show the progress bar")
    dry_run: bool = arg(False, doc="check the file and print the plan without running")
    rerun_stale: bool = arg(False, doc="recompute stored runs recorded by another code version (default: warn and reuse them)")


ARGS = keys_help(SweepArgs)
RERUN_HINT = "add rerun_stale=true to the command to recompute them"
EXAMPLES = """  akrim sweep file=experiments/sweeps/example.yaml
  akrim sweep file=experiments/sweeps/example.yaml out=outputs/sweeps/ex workers=2
  akrim sweep file=experiments/sweeps/example.yaml address=tcp://10.0.0.5:8786
  akrim sweep file=experiments/sweeps/example.yaml dry_run=true
See docs/sweeps.md for the sweep-file format, docs/cluster.md for SLURM.
"""


def describe(sweep: Sweep, done: int = 0) -> str:
    """One paragraph: what the sweep will run."""
    d = sweep.design
    lines = [f"sweep {sweep.name}: model {sweep.model}, {d.method} design, {len(d.points)} points x "
             f"{sweep.replicates} replicate(s) = {sweep.n_runs} runs ({done} already in the store)"]
    if sweep.base:
        lines.append(f"  base: {' '.join(sweep.base)}")
    for p in sweep.params:
        what = (f"levels {p.levels}" if not p.is_range else
                f"range [{p.lo:g}, {p.hi:g}]{' log10' if p.log else ''}{' integer' if p.integer else ''}")
        lines.append(f"  {p.name}: {what}")
    o = sweep.outputs
    yrs = "every year" if o.years is None else f"{o.years[0]}-{o.years[1]}"
    lines.append(f"  outputs: {', '.join(o.kpis)} ({o.stat} over {yrs})")
    return "\n".join(lines)


def _where(address: str | None, workers: int | None) -> str:
    from experiments.execute import default_workers

    if address == "none":
        return "in this process"
    if address:
        return f"on the Dask scheduler at {address}"
    return f"on a local Dask cluster of {workers or default_workers()} worker process(es)"


def main(argv: list[str]) -> int:
    """``akrim sweep``: run a sweep file; see ``ARGS`` and docs/sweeps.md."""
    if any(a in ("-h", "--help", "help") for a in argv):
        print(help_text("akrim sweep", "Run a parameter sweep from a sweep file on Dask, resumably, into a Parquet store "
                        "(runs already in the store, or being computed by another sweep on it, are not run again).", SweepArgs, EXAMPLES))
        return 0
    try:
        args, _, _ = parse(SweepArgs, argv, "akrim sweep")
        address = check_address(args.address)
        check_workers(args.workers, address if address != "none" else None)
        workers, progress, dry, rerun_stale = args.workers, args.progress, args.dry_run, args.rerun_stale
        sweep = load_sweep(args.file)
    except (UsageError, SweepError) as exc:
        return fail(exc)
    out = Path(args.out or Path("outputs") / "sweeps" / sweep.name)
    try:
        from experiments.store import ResultStore

        specs, runs = build_runs(sweep)
        done = len(set(runs["run_key"]) & ResultStore(out).done_keys()) if out.exists() else 0
    except SweepError as exc:
        return fail(exc)
    print(describe(sweep, done))
    print(f"  store: {out}\n  running {_where(address, workers)}", flush=True)
    if dry:
        print(runs.head(10).to_string(index=False))
        return 0
    try:
        res = run_sweep(sweep, out, address=address, n_workers=workers, progress=progress, rerun_stale=rerun_stale)
    except KeyboardInterrupt:
        print(f"\nakrim sweep: interrupted; finished runs are kept in {out} - run the same command again to resume",
              file=sys.stderr)
        return 130
    ex = res.execution
    rate = f", {ex.runs_per_hour:,.0f} runs/hour" if ex.done else ""
    others = f", {ex.by_others} computed meanwhile by another process on this store" if ex.by_others else ""
    print(f"finished: {ex.done} run, {ex.failed} failed, {ex.skipped} already done{others}, in {ex.wall_s:,.1f} s{rate}")
    if ex.failed:
        failed = ResultStore(out).failed()
        for k in ex.failed_keys[:5]:
            err = failed.get(k, {}).get("error", "").strip().splitlines()
            print(f"  failed {k}: {err[-1] if err else '?'}", file=sys.stderr)
        print(f"  tracebacks in {out / '_failed'}; re-running the command retries failed runs", file=sys.stderr)
    versions = sorted(res.summary["code_version"].dropna().unique())
    if len(versions) > 1 and not (ex.stale and not ex.rerun_stale):  # reused old runs were warned about before running
        print(f"warning: the results come from {len(versions)} code versions ({', '.join(versions)}); run keys do not include "
              "the code version, so a store reused after a model change mixes old and new results - use a new out=",
              file=sys.stderr)
    print(f"summary (one row per run): {summary_paths(out, sweep.name)[0]}")
    return 1 if ex.failed else 0
