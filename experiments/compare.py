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

from experiments.runs import RunSpec

SCENARIO_NAME = re.compile(r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$")
OPTIONS = ("policy", "reps", "seed", "scale", "start", "end", "from", "posterior", "out", "store", "workers", "address", "progress",
           "rerun_stale")


class CompareError(ValueError):
    """Bad input to a comparison: names the key, the value and what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key} = {value!r} (allowed: {allowed})")


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


def _int(key: str, value: str, lo: int, what: str) -> int:
    try:
        out = int(value)
    except ValueError:
        raise CompareError(key, value, what) from None
    if out < lo:
        raise CompareError(key, value, what)
    return out


def _bool(key: str, value: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "yes", "on", "1"):
        return True
    if v in ("false", "no", "off", "0"):
        return False
    raise CompareError(key, value, "true or false")


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
    opts: dict[str, Any] = {}
    overrides: list[str] = []
    for tok in argv:
        if "=" not in tok or tok.startswith("-"):
            raise CompareError("argument", tok, "key=value, e.g. policy=[baseline,more_inspectors] reps=20 (see 'akrim compare --help')")
        key, value = tok.split("=", 1)
        if key in opts:
            raise CompareError(key, value, f"{key} given once (it was also {opts[key]!r})")
        if key in OPTIONS:
            opts[key] = value
        elif key in ("seed_offset", "policy.name") or key.startswith("output.") or key.startswith("hydra"):
            raise CompareError(key, value, "not settable in a comparison (the comparison sets it for every run)")
        else:
            overrides.append(tok)
    if "policy" not in opts:
        raise CompareError("policy", None, "a list of scenarios, the reference first, e.g. policy=[baseline,more_inspectors]")
    o = CompareOptions(scenarios=parse_scenarios(opts["policy"]), overrides=overrides)
    if "reps" in opts:
        o.reps = _int("reps", opts["reps"], 2, "a whole number >= 2 (paired replicates per scenario)")
    if "seed" in opts:
        o.seed = _int("seed", opts["seed"], 0, "a whole number >= 0")
    if "scale" in opts:
        try:
            o.scale = float(opts["scale"])
        except ValueError:
            raise CompareError("scale", opts["scale"], "a number in (0, 2], e.g. 0.1") from None
    for key in ("start", "end", "from"):
        if key in opts:
            val = _int(key, opts[key], 1900, "a calendar year, e.g. 2030")
            setattr(o, "window_from" if key == "from" else key, val)
    if "workers" in opts:
        o.workers = _int("workers", opts["workers"], 1, "a whole number >= 1")
    if "address" in opts:
        a = opts["address"].strip()
        if not (a == "none" or re.match(r"^(tcp|tls|inproc|ucx)://\S+$", a)):
            raise CompareError("address", a, "a Dask scheduler address such as tcp://10.0.0.5:8786, or none")
        o.address = a
    if "progress" in opts:
        o.progress = _bool("progress", opts["progress"])
    if "rerun_stale" in opts:
        o.rerun_stale = _bool("rerun_stale", opts["rerun_stale"])
    if "posterior" in opts:
        o.posterior = opts["posterior"]
    if "out" in opts:
        o.out = Path(opts["out"])
    if "store" in opts:
        o.store = Path(opts["store"])
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
    return Plan(seeds, worlds, path, specs, cells)


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
    summ = execute(plan.specs, store, address=o.address, n_workers=o.workers, progress=o.progress, desc="compare", client=client,
                   rerun_stale=o.rerun_stale, rerun_hint="add rerun_stale=true to the command to recompute them")
    runs = load_runs(store, summ.keys, plan.cells)
    comp = analyse(runs, o.scenarios, o.reps, window_from=o.window_from)
    notes = []
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
        print(__doc__)
        return 0
    try:
        o = parse_args(argv)
        plan = make_plan(o)  # every scenario resolved: bad input stops here, before any run
        print(
            f"akrim compare: {len(o.scenarios)} scenarios x {o.reps} paired replicates (reference {o.reference}), "
            f"{'posterior ' + str(plan.posterior_file) if plan.posterior_file else 'default world'}; "
            f"output {o.out or o.default_out()}",
            flush=True,
        )
        comp, summ, out = run_comparison(o, plan=plan)
    except (CompareError, PosteriorError) as exc:
        print(f"akrim compare: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # an incomplete comparison (failed runs), see effects.analyse
        print(f"akrim compare: error: {exc}", file=sys.stderr)
        return 1
    print(f"runs: {summ.total} ({summ.skipped} already in the store, {summ.done} run now, {summ.failed} failed) in {summ.wall_s:.0f} s")
    print(comp.console_summary())
    print(f"Report: {out / 'report.html'}")
    print(f"Effects: {out / 'effects.csv'} (and .parquet), cost-effectiveness: {out / 'cost_effectiveness.csv'}")
    return 1 if summ.failed else 0
