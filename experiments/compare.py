"""``akrim compare``: policy scenarios against a reference on paired replicates, with a report.

Usage::

    akrim compare policy=[baseline,more_inspectors,liberal_fines] reps=20 scale=0.1 end=2030

The first scenario is the reference. Every scenario runs on the same replicate seeds
(``sim.rng.replicate_seeds(seed, reps)``; the model's named random streams make these common
random numbers) and, when a calibration posterior exists, on the same drawn world per
replicate (``experiments.posterior``). Runs go through ``experiments.execute`` (a local Dask
cluster by default, a progress bar, finished runs never recomputed), results are analysed by
``experiments.effects`` and written as ``effects.csv``/``effects.parquet``,
``cost_effectiveness.csv`` and a self-contained ``report.html`` (``experiments.report``).

Options (``key=value``; anything else is a Hydra override applied to every scenario):
    policy     list of scenarios, ``[a,b,c]`` or ``a,b,c``; ``a+b`` is a package of measures
    reps       paired replicates per scenario (default 20, at least 2)
    seed       comparison seed from which the replicate seeds are spawned (default 1)
    scale, start, end   population scale and years (defaults of ``akrim run``)
    from       first year of the effects window (default: the first year any scenario differs)
    posterior  ``auto`` (default), ``false``, ``true`` or a path to a posterior sample CSV
    out        output folder (default ``outputs/compare/<labels>_<hash>``; same command, same folder)
    store      result store (default ``<out>/runs``; share one to reuse runs across comparisons)
    workers    Dask workers of the local cluster (default: one per core)
    address    a Dask scheduler ``tcp://host:port``, or ``none`` to run in this process
    progress   ``true``/``false``: the progress bar over runs
    rerun_stale  ``true``: recompute stored runs recorded by another code version (default
               ``false``: warn with one line and reuse them)
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from experiments.cliargs import (
    MAX_SEED,
    MAX_WORKERS,
    REQUIRED,
    UsageError,
    _check_group,
    arg,
    check_address,
    check_key,
    check_workers,
    fail,
    help_text,
    parse,
)
from experiments.runs import RunSpec
from sim.config.validate import ConfigError

SCENARIO_NAME = re.compile(r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$")


class CompareError(ConfigError):
    """Bad input to a comparison: names the key, the value and what is allowed (``sim.config.ConfigError``)."""


MAX_REPS = 1000  # paired replicates per scenario
MAX_SCENARIOS = 50


@dataclass
class CompareArgs:
    """The keys of ``akrim compare`` (anything else under policy./world. is an override of every run)."""

    policy: list[str] = arg(REQUIRED, doc="the scenarios, the reference first: [a,b,c] or a,b,c; a+b is a package of measures")
    reps: int = arg(20, lo=2, hi=MAX_REPS, doc="paired replicates per scenario")
    seed: int = arg(1, lo=0, hi=MAX_SEED, doc="comparison seed from which the replicate seeds are spawned")
    scale: float | None = arg(None, lo=1e-4, hi=2.0, doc="population scale (default: that of akrim run, 0.1)")
    start: int | None = arg(None, lo=2014, hi=2100, doc="first year of every run (default 2014)")
    end: int | None = arg(None, lo=2014, hi=2100, doc="last year of every run (default 2025)")
    from_: int | None = arg(None, lo=2014, hi=2100, name="from",
                            doc="first year of the effects window (default: the first year any scenario differs)")
    posterior: str = arg("auto", doc="auto, false, true or a posterior sample CSV: worlds drawn per replicate")
    out: str | None = arg(None, doc="output folder (default outputs/compare/<labels>_<hash>; same command, same folder)")
    store: str | None = arg(None, doc="result store (default <out>/runs; share one to reuse runs across comparisons)")
    workers: int | None = arg(None, lo=1, hi=MAX_WORKERS, doc="Dask workers of the local cluster (default: one per core)")
    address: str | None = arg(None, doc="a Dask scheduler tcp://host:port, or none to run in this process")
    progress: bool = arg(True, doc="the progress bar over runs")
    rerun_stale: bool = arg(False, doc="recompute stored runs recorded by another code version (default: warn, reuse)")
    branch: bool = arg(True, doc="scenarios that differ only from a date on share the history before it (one run, forked; the same numbers)")


EXAMPLES = """  akrim compare policy=[baseline,more_inspectors] reps=20 end=2030
  akrim compare policy=baseline,more_inspectors+liberal_fines reps=10 scale=0.05 from=2026
  akrim compare policy=[baseline,no_centres] reps=4 address=none policy.nli.n_inspectors=250
See docs/compare.md.
"""


def _passthrough(key: str) -> bool:
    return key == "world" or key.startswith(("policy.", "world."))


@dataclass
class CompareOptions:
    """Everything that defines a comparison (the parsed command line)."""

    scenarios: list[str]
    reps: int = 20
    seed: int = 1
    scale: float | None = None
    start: int | None = None
    end: int | None = None
    window_from: int | None = None
    posterior: str = "auto"
    out: Path | None = None
    store: Path | None = None
    workers: int | None = None
    address: str | None = None
    progress: bool = True
    rerun_stale: bool = False  # not part of the comparison's identity (default_out, command)
    branch: bool = True  # how runs are computed, not what: not part of the identity either
    overrides: list[str] = field(default_factory=list)

    @property
    def reference(self) -> str:
        """The scenario every other is compared with (the first)."""
        return self.scenarios[0]

    def common_overrides(self) -> list[str]:
        """Overrides applied to every run (scale, years and the user's extra overrides)."""
        ov = [f"{k}={v}" for k, v in (("scale", self.scale), ("start", self.start), ("end", self.end)) if v is not None]
        return ov + list(self.overrides)

    def command(self) -> str:
        """The ``akrim compare`` command that reproduces this comparison."""
        parts = [f"policy=[{','.join(self.scenarios)}]", f"reps={self.reps}", f"seed={self.seed}"]
        parts += [
            f"{k}={v}"
            for k, v in (("scale", self.scale), ("start", self.start), ("end", self.end), ("from", self.window_from))
            if v is not None
        ]
        parts += [f"posterior={self.posterior}", *self.overrides]
        return "akrim compare " + " ".join(shlex.quote(p) for p in parts)

    def default_out(self) -> Path:
        """A folder named after the comparison, so that repeating a command reuses its runs."""
        ident = json.dumps(
            [self.scenarios, self.reps, self.seed, self.scale, self.start, self.end, self.posterior, self.overrides], default=str
        )
        digest = hashlib.sha256(ident.encode()).hexdigest()[:8]
        labels = "-".join(self.scenarios)
        return Path("outputs") / "compare" / f"{labels[:80]}_{digest}"


# ---------------------------------------------------------------------------- parsing


def parse_scenarios(value: str, policy_dir: Path | None = None) -> list[str]:
    """``[a,b+c]`` or ``a,b+c`` -> ``['a', 'b+c']``; every name must be a scenario file."""
    from sim.config import SCENARIOS_DIR

    policy_dir = policy_dir or SCENARIOS_DIR / "policy"
    inner = value.strip()
    if inner.startswith("[") and inner.endswith("]"):
        inner = inner[1:-1]
    names = [n.strip() for n in inner.split(",") if n.strip()]
    known = sorted(p.stem for p in policy_dir.glob("*.yaml"))
    if len(names) < 2:
        raise CompareError("policy", value, "a list of at least two scenarios, the reference first, e.g. [baseline,more_inspectors]")
    for n in names:
        if not SCENARIO_NAME.match(n):
            raise CompareError("policy", n, "scenario names (letters, digits, '_') joined by '+' for a package")
        for part in n.split("+"):
            if part not in known:
                raise CompareError("policy", part, f"one of {', '.join(known)} (scenarios/policy/*.yaml)")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CompareError("policy", dup[0], "each scenario once in the list")
    return names


def parse_args(argv: list[str]) -> CompareOptions:
    """Parse ``key=value`` arguments into options; raise CompareError naming the bad key/value."""
    try:
        a, given, overrides = parse(CompareArgs, argv, "akrim compare", passthrough=_passthrough)
    except UsageError as exc:
        raise CompareError(exc.key, exc.value, exc.allowed) from None
    for ov in overrides:
        k, v = ov.split("=", 1)
        if k == "policy.name":
            raise CompareError(k, v, "not settable in a comparison (the comparison sets it for every run)")
        try:
            if k == "world":
                _check_group(k, v)
            else:
                check_key(k, v)
        except ConfigError as exc:
            raise CompareError(exc.key, exc.value, exc.allowed) from None
    o = CompareOptions(scenarios=parse_scenarios(given["policy"]), overrides=overrides)
    o.reps, o.seed, o.scale, o.start, o.end, o.window_from = a.reps, a.seed, a.scale, a.start, a.end, a.from_
    if len(o.scenarios) > MAX_SCENARIOS:
        raise CompareError("policy", given["policy"], f"at most {MAX_SCENARIOS} scenarios")
    if o.start is not None and o.end is not None and o.end < o.start:
        raise CompareError("end", o.end, f"a year >= start ({o.start})")
    o.workers, o.progress, o.rerun_stale, o.posterior, o.branch = a.workers, a.progress, a.rerun_stale, a.posterior, a.branch
    try:
        o.address = check_address(a.address, connect=False)  # main() checks that it answers
        check_workers(a.workers, a.address if a.address != "none" else None)
    except UsageError as exc:
        raise CompareError(exc.key, exc.value, exc.allowed) from None
    o.out = Path(a.out) if a.out else None
    o.store = Path(a.store) if a.store else None
    return o


# ---------------------------------------------------------------------------- runs


@dataclass
class Plan:
    """The runs of a comparison: seeds, worlds, specs and which (scenario, replicate) each is."""

    seeds: list[int]
    worlds: list[dict[str, float]]
    posterior_file: Path | None
    specs: list[RunSpec]
    cells: list[tuple[str, int]]  # (scenario, replicate) per spec, same order
    warnings: list[str] = field(default_factory=list)  # e.g. a window that cannot show a scenario's effect


def make_plan(o: CompareOptions) -> Plan:
    """Build the paired specs; resolve the reference once so bad overrides fail up front."""
    from experiments import posterior
    from experiments.runs import resolve
    from sim.config import ConfigError
    from sim.rng import replicate_seeds

    seeds = replicate_seeds(o.seed, o.reps)
    path = posterior.resolve_option(o.posterior)
    worlds = posterior.draw(path, o.reps, o.seed) if path else [{} for _ in range(o.reps)]
    clash = sorted({k for w in worlds[:1] for k in w} & {ov.split("=", 1)[0] for ov in o.overrides})
    if clash:
        raise CompareError(clash[0], "set on the command line", f"world keys not in the posterior sample {path} (or posterior=false)")
    specs, cells = [], []
    for r, (s, w) in enumerate(zip(seeds, worlds)):
        for name in o.scenarios:
            ov = [f"policy={name}", f"seed={s}", *o.common_overrides(), *posterior.as_overrides(w)]
            specs.append(RunSpec.make(ov, scenario=name, replicate=r))
            cells.append((name, r))
    try:
        for spec in specs[: len(o.scenarios)]:  # every scenario once, with every override
            cfg = resolve(spec)
    except ConfigError as exc:
        raise CompareError(exc.key, exc.value, exc.allowed) from None
    if o.window_from is not None and not (cfg.start <= o.window_from <= cfg.end):
        raise CompareError("from", o.window_from, f"a year between start ({cfg.start}) and end ({cfg.end})")
    cfgs = [resolve(spec) for spec in specs[: len(o.scenarios)]]
    warnings = window_warnings(o, cfgs) + scale_warnings(o, cfgs) + centre_scale_warnings(cfgs)
    return Plan(seeds, worlds, path, specs, cells, warnings)


def _levers(policy: Any) -> Any:
    import copy

    p = copy.deepcopy(policy)
    p.interventions, p.name, p.description, p.source = [], "", "", ""
    return p


def window_warnings(o: CompareOptions, cfgs: list[Any]) -> list[str]:
    """Warnings for scenarios that cannot differ from the reference within the runs' years.

    A scenario whose levers equal the reference's until its first intervention, and whose
    interventions all start after the last year (``end``), can only show effects of zero:
    almost always a mistake in the command (``end=`` too early), so ``akrim compare`` says so
    on stderr before any run, and the report carries the note.
    """
    import datetime as _dt

    ref, end = cfgs[0], cfgs[0].end
    out = []
    for name, cfg in zip(o.scenarios[1:], cfgs[1:]):
        if _levers(cfg.policy) != _levers(ref.policy) or not cfg.policy.interventions:
            continue
        first = min(_dt.date.fromisoformat(str(iv.start)).year for iv in cfg.policy.interventions)
        ref_first = min((_dt.date.fromisoformat(str(iv.start)).year for iv in ref.policy.interventions), default=first)
        first = min(first, ref_first)
        if first > end:
            out.append(f"warning: end = {end}: {name} starts acting in {first} (its first intervention) and equals the reference "
                       f"{o.reference} before that, so every effect of {name} will be 0; give end={first} or later to see it")
    return out


# Below this scale a comparison of information sharing is biased, not only noisy (ODD 2.10, "choice among few").
SHARING_SCALE = 1.0


def _sharing_differs(cfg: Any, ref: Any) -> bool:
    """Whether a scenario's information sharing differs from the reference's (levers or interventions)."""
    if cfg.policy.sharing != ref.policy.sharing:  # dataclasses (and dicts) compare field by field
        return True
    touched = {k for p in (cfg.policy, ref.policy) for iv in p.interventions for k in (*iv.set, *iv.multiply) if str(k).startswith("sharing.")}
    def dated(p: Any) -> list[tuple[str, dict[str, Any]]]:  # each intervention's sharing changes (others ignored)
        out = [(str(iv.start), {f"{how}:{k}": v for how, d in (("set", iv.set), ("multiply", iv.multiply)) for k, v in d.items() if k in touched})
               for iv in p.interventions]
        return sorted((start, tuple(sorted((k, repr(v)) for k, v in ch.items()))) for start, ch in out if ch)

    return bool(touched) and dated(cfg.policy) != dated(ref.policy)


def scale_warnings(o: CompareOptions, cfgs: list[Any]) -> list[str]:
    """A warning for scenarios that change information sharing when the runs are below national scale.

    At small scales a centre seldom has more than one prioritised actor waiting for an action, so
    its choice of the freshest tip is lost and the effects of sharing are biased (latency x4: -53 +-
    390 workers exploited in actors' companies at 0.2, +335 +- 145 at 1:1; README, *Read latency
    effects at national scale*). ``akrim compare`` says so on stderr before any run, and the report
    carries the note.
    """
    ref = cfgs[0]
    if ref.scale >= SHARING_SCALE:
        return []
    names = [name for name, cfg in zip(o.scenarios[1:], cfgs[1:]) if _sharing_differs(cfg, ref)]
    if not names:
        return []
    return [f"warning: scale = {ref.scale:g}: {', '.join(names)} change{'s' if len(names) == 1 else ''} information sharing, whose "
            f"effects are biased below national scale (a centre rarely has more than one prioritised actor to choose among; "
            f"ODD 2.10); give scale=1.0 for these (about 100 s a run)"]


def centre_scale_warnings(cfgs: list[Any]) -> list[str]:
    """A warning when the runs are below 1:1, where the centres' KPIs differ from a national run's (``sim.runner.scale_caveat``).

    ``akrim compare`` says so on stderr before any run, and the report carries the note.
    """
    from sim.runner import scale_caveat

    caveat = scale_caveat(min(cfg.scale for cfg in cfgs), all(bool(getattr(cfg, "national_actors", False)) for cfg in cfgs))
    return [f"warning: {caveat}"] if caveat else []


def load_runs(store: Any, keys: list[str], cells: list[tuple[str, int]]):
    """The finished runs of a plan as one table with ``scenario`` and ``replicate`` columns."""
    import pandas as pd

    data = store.load(keys=set(keys))
    if data.empty:
        return data
    data = data.drop(columns=[c for c in ("scenario", "replicate", "config_json") if c in data.columns])
    cell = pd.DataFrame({"run_key": keys, "scenario": [c[0] for c in cells], "replicate": [c[1] for c in cells]})
    return cell.merge(data, on="run_key", how="inner")


def stale_runs(store: Any, plan: Plan, keys: list[str]) -> int:
    """Stored runs of the same scenarios and seeds under other keys.

    These are runs of an earlier configuration - typically the model's defaults changed since
    they ran - so the current command cannot reuse them (they stay in the store).
    """
    data = store.load(columns=["run_key", "seed", "policy"])
    if data.empty:
        return 0
    seeds = {int(s) for s in plan.seeds}
    names = {str(spec_policy) for spec_policy, _ in plan.cells}
    same = data[data["seed"].astype(int).isin(seeds) & data["policy"].astype(str).isin(names)]
    return int(same.loc[~same["run_key"].isin(set(keys)), "run_key"].nunique())


def run_comparison(o: CompareOptions, client: Any = None, plan: Plan | None = None):
    """Run (or resume) a comparison and write its outputs; return the analysis (``Comparison``)."""
    from experiments.effects import analyse
    from experiments.execute import execute
    from experiments.report import write_outputs
    from experiments.runs import key_of, resolve
    from experiments.store import ResultStore

    out = o.out or o.default_out()
    plan = plan or make_plan(o)
    store = ResultStore(o.store or out / "runs")
    t0 = time.perf_counter()
    stale = stale_runs(store, plan, [key_of(resolve(spec)) for spec in plan.specs])
    if stale and o.progress:
        print(
            f"note: the store holds {stale} runs of these scenarios and seeds under another configuration "
            "(the model or its defaults changed since they ran); they are kept but not reused",
            file=sys.stderr,
            flush=True,
        )
    if o.branch and o.address in (None, "none") and client is None:  # here, not on a remote cluster
        from experiments.branch import prefill

        prefill(plan.specs, store, kind="annual", workers=o.workers, progress=o.progress, desc="compare (shared histories)")
    summ = execute(plan.specs, store, address=o.address, n_workers=o.workers, progress=o.progress, desc="compare", client=client,
                   rerun_stale=o.rerun_stale, rerun_hint="add rerun_stale=true to the command to recompute them")
    runs = load_runs(store, summ.keys, plan.cells)
    comp = analyse(runs, o.scenarios, o.reps, window_from=o.window_from)
    notes = [w.removeprefix("warning: ") for w in plan.warnings]
    if len(comp.complete_reps) < o.reps:
        notes.append(
            f"Only {len(comp.complete_reps)} of {o.reps} replicates finished for every scenario; the effects use those. "
            "Run the command again to complete the rest (finished runs are reused)."
        )
    if summ.stale and not summ.rerun_stale:
        notes.append(
            f"{len(summ.stale)} of the reused runs came from other code versions "
            f"({', '.join(sorted(set(summ.stale.values())))}; current {summ.code_version}) and may be results of the old model; "
            "run the command again with rerun_stale=true to recompute them."
        )
    meta = {
        "command": o.command(),
        "options": {k: str(v) for k, v in asdict(o).items()},
        "replicate_seeds": plan.seeds,
        "posterior_file": str(plan.posterior_file) if plan.posterior_file else None,
        "worlds": plan.worlds,
        "runs_total": summ.total,
        "runs_skipped": summ.skipped,
        "runs_done": summ.done,
        "runs_failed": summ.failed,
        "failed_keys": summ.failed_keys,
        "wall_s_runs": summ.wall_s,
        "store": str(store.root),
        "stale_runs": stale,
        "code_version": summ.code_version,
        "runs_of_other_code_versions": dict(Counter(summ.stale.values())),  # version -> runs
        "runs_of_other_code_versions_rerun": summ.rerun_stale,
        "notes": notes,
    }
    store.put_meta("compare", meta)
    meta["wall_s_total"] = time.perf_counter() - t0
    write_outputs(comp, o, plan, meta, out)
    return comp, summ, out


def main(argv: list[str]) -> int:
    """``akrim compare key=value ...``; returns the exit code."""
    from experiments.posterior import PosteriorError

    if any(a in ("-h", "--help", "help") for a in argv):
        print(help_text("akrim compare", "Compare policy scenarios with the first (the reference) on paired replicates: every scenario "
                        "runs on the same replicate seeds (common random numbers) and, with a calibration posterior, the same drawn "
                        "world per replicate. Writes effects.csv/.parquet, cost_effectiveness.csv and report.html. Any key under "
                        "policy. or world. is applied to every run.", CompareArgs, EXAMPLES))
        return 0
    try:
        o = parse_args(argv)
        check_address(o.address)
        plan = make_plan(o)  # every scenario resolved: bad input stops here, before any run
        for w in plan.warnings:
            print(w, file=sys.stderr, flush=True)
        print(
            f"akrim compare: {len(o.scenarios)} scenarios x {o.reps} paired replicates (reference {o.reference}), "
            f"{'posterior ' + str(plan.posterior_file) if plan.posterior_file else 'default world'}; "
            f"output {o.out or o.default_out()}",
            flush=True,
        )
        comp, summ, out = run_comparison(o, plan=plan)
    except (ConfigError, PosteriorError) as exc:
        return fail(exc)
    except ValueError as exc:  # an incomplete comparison (failed runs), see effects.analyse
        return fail(exc, 1)
    print(f"runs: {summ.total} ({summ.skipped} already in the store, {summ.done} run now, {summ.failed} failed) in {summ.wall_s:.0f} s")
    print(comp.console_summary())
    print(f"Report: {out / 'report.html'}")
    print(f"Effects: {out / 'effects.csv'} (and .parquet), cost-effectiveness: {out / 'cost_effectiveness.csv'}")
    return 1 if summ.failed else 0
