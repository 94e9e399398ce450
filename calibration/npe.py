"""Neural posterior estimation (NPE, the ``sbi`` library): an amortised posterior with checked coverage.

How a calibration by NPE goes (``calibrate(problem, settings)``):

1. **Training runs.** ``simulations`` parameter sets are drawn from the priors and each is run
   once (fresh seed per run) through ``experiments.execute`` - the Dask cluster, a local one by
   default - into a run store (``experiments.store.ResultStore``). Each run is written when it
   finishes, and the design is a fixed function of ``(seed, index)``: the same command after a
   stop plans the same runs, finds the finished ones in the store and recomputes none of them;
   asking for more simulations later adds runs and keeps the first ones. The store remembers
   the priors and statistics it was made for (``_meta/npe.json``): runs made with other priors are
   not reused, and runs recorded by another code version are recomputed (``rerun_stale``, the
   command's ``stale=rerun``; ``stale=reuse`` keeps them with a warning); each
   case says so in one line.
2. **Held-out runs.** ``sbc`` more parameter sets from a second, independent stream, run the same
   way and never used in training: the test sets of simulation-based calibration.
3. **Training.** The summaries are the fit targets' statistics (``calibration.targets.statistics``).
   Parameters are trained on the unit cube (each mapped by its prior's distribution function, so
   the prior is uniform on [0, 1]^d whatever its shape), and the summaries carry the reporting
   error of the figures: every training summary gets Gaussian noise with the target's tolerance as
   standard deviation, and a range target (e.g. the cost of crime) also a uniform draw across its
   range, so that the reported point (the range's centre) is one draw from the same model. The
   density estimator is ``sbi``'s masked autoregressive flow, z-scoring the summaries.
4. **Checks** (``sbc``): for every held-out set, posterior draws give the rank of the true
   parameter (rank histograms), whether it lies in the central 50/80/90/95% marginal interval
   (coverage per parameter, and averaged over parameters), whether the true point lies in the
   joint highest-density region of that level (the expected coverage of Hermans et al. 2022), and
   the posterior contraction ``1 - var(posterior) / var(prior)``.
   ``misspecification`` places the reported figures in the prior predictive distribution.
5. **Posterior** at the reported figures: ``draws`` independent draws (unweighted).

``Problem`` is what NPE needs to know about a simulator; ``AkrimProblem`` is the model with the
fit targets. Tests use small problems with known posteriors through the same functions.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from calibration.params import Prior, to_overrides
from calibration.targets import Target, by_role, last_year, record_statistics

LEVELS = (0.5, 0.8, 0.9, 0.95)
TRAIN, TEST = 0, 1  # the two independent streams of the design
ALL_MEAN = "mean over parameters"
JOINT = "joint (highest density region)"


class NPEError(RuntimeError):
    """An NPE calibration that cannot go on (too few valid runs, failed runs): says why."""


@dataclass(frozen=True)
class NPEBudget:
    """Sizes of an NPE calibration."""

    simulations: int  # training runs
    sbc: int  # held-out runs for simulation-based calibration
    scale: float  # population scale of every run
    predictive: int  # posterior predictive runs (to the last validation year)
    draws: int = 1000  # posterior sample size
    ensemble: int = 1  # flows trained on the same runs and averaged
    fidelity: float = 0.0  # population scale of the high-fidelity runs that measure the scale discrepancy (0: none)
    fidelity_points: int = 10  # posterior draws at which the discrepancy is measured (one high-fidelity run each)
    fidelity_reps: int = 3  # runs at the calibration scale per point (independent seeds; they are cheap)


BUDGETS = {
    "small": NPEBudget(simulations=120, sbc=30, scale=0.01, predictive=10),
    "medium": NPEBudget(simulations=1000, sbc=200, scale=0.05, predictive=40, ensemble=3),
    "full": NPEBudget(simulations=2000, sbc=200, scale=0.1, predictive=200, ensemble=5, fidelity=1.0),
}
FIDELITY_LO, FIDELITY_HI = 10, 11  # seed streams of the discrepancy runs (their parameters are posterior draws)


# ------------------------------------------------------------------ the unit cube
def to_unit(p: Prior, x: Any) -> Any:
    """The prior's distribution function: a parameter value to [0, 1]."""
    x = np.asarray(x, dtype=float)
    if p.dist == "uniform":
        return (x - p.lo) / (p.hi - p.lo)
    return (np.log(x) - math.log(p.lo)) / (math.log(p.hi) - math.log(p.lo))


def from_unit(p: Prior, u: Any) -> Any:
    """The prior's quantile function: [0, 1] to a parameter value."""
    u = np.asarray(u, dtype=float)
    if p.dist == "uniform":
        return p.lo + u * (p.hi - p.lo)
    return np.exp(math.log(p.lo) + u * (math.log(p.hi) - math.log(p.lo)))


def design(d: int, n: int, seed: int, stream: int) -> np.ndarray:
    """``n`` points uniform on [0, 1]^d; point ``i`` depends only on ``(seed, stream, i)``.

    So a larger ``n`` keeps the first points (more runs extend a design, never replace it).
    """
    return np.array([np.random.default_rng([int(seed), int(stream), i]).random(d) for i in range(n)]).reshape(n, d)


def run_seed(seed: int, stream: int, i: int) -> int:
    """The model seed of design point ``i`` (31 bits), independent of the parameter draw."""
    return int(np.random.SeedSequence([int(seed), int(stream), i, 7]).generate_state(1)[0] & 0x7FFFFFFF)


# ------------------------------------------------------------------ problems
class Problem(ABC):
    """What NPE needs from a simulator (an abstract interface). Subclasses set the attributes and the two methods.

    Attributes:
        priors: The fitted parameters (``Prior``; ``key`` names them).
        stats: Names of the summary statistics, in order.
        observed: The observed summaries (same order).
        noise_sd: Per statistic, the sd of Gaussian reporting error added to training summaries.
        noise_half: Per statistic, the half-width of a uniform reporting error (ranges), else 0.

    A problem with a population scale may also define ``at_scale(scale)``: the same problem at
    another scale, which the multi-fidelity step (``measure_discrepancy``) needs.
    """

    priors: list[Prior]
    stats: list[str]
    observed: np.ndarray
    noise_sd: np.ndarray
    noise_half: np.ndarray

    @abstractmethod
    def spec(self, params: dict[str, float], seed: int, **tags: Any):
        """The ``experiments.runs.RunSpec`` of one run."""

    @abstractmethod
    def summaries(self, record: Any) -> np.ndarray:
        """The summary statistics of one stored run (a record of ``experiments.runs.run_spec``)."""

    def fingerprint(self) -> dict[str, Any]:
        """What the stored runs depend on besides the code: priors, statistics, run settings."""
        return {"priors": [[p.key, p.dist, p.lo, p.hi] for p in self.priors], "stats": list(self.stats)}


class AkrimProblem(Problem):
    """The A-krim model against the fit targets, at a population scale, to the last fit year."""

    def __init__(self, priors: list[Prior], targets: list[Target], scale: float, base: tuple[str, ...] = ()) -> None:
        self.priors, self.targets, self.scale, self.base = list(priors), by_role(targets, "fit"), float(scale), tuple(base)
        if not self.targets:
            raise NPEError("no fit targets (role: fit) in the targets file")
        self.end = last_year(self.targets)
        self.stats = [t.id for t in self.targets]
        self.observed = np.array([t.centre() for t in self.targets], dtype=float)
        self.noise_sd = np.array([float(t.tolerance or 0.0) for t in self.targets])
        self.noise_half = np.array([(t.hi - t.lo) / 2 if t.is_range else 0.0 for t in self.targets])

    def at_scale(self, scale: float) -> AkrimProblem:
        """The same priors, targets and base overrides at population scale ``scale``."""
        return AkrimProblem(self.priors, self.targets, scale, self.base)

    def spec(self, params: dict[str, float], seed: int, **tags: Any):
        """One calibration run: default world, the parameters as overrides, no output files."""
        from calibration.simulate import BASE_WORLD
        from experiments.runs import RunSpec

        ov = [BASE_WORLD, *self.base, f"scale={self.scale!r}", f"end={self.end}", f"seed={seed}",
              *to_overrides(params, self.priors)]
        return RunSpec.make(ov, **tags)

    @property
    def runner(self) -> Any:
        """The runner of the calibration runs.

        ``experiments.tables.run_tables_safe`` when a fit target reads one region's table (its records
        keep the regional rows), else the default runner (national table only).
        """
        if any(t.region for t in self.targets):
            from experiments.tables import run_tables_safe

            return run_tables_safe
        return None

    def summaries(self, record: Any) -> np.ndarray:
        """The fit targets' statistics of one stored run (NaN where the run has none).

        Raises:
            NPEError: a fit target reads a region's table and the stored run has none (a run store
                filled before the regional targets, or by another command): its statistics would be
                missing in every run, and training impossible.
        """
        cfg = json.loads(record["config_json"].iloc[0])
        if self.runner is not None and "table" not in record.columns:
            raise NPEError(f"run {record['run_key'].iloc[0]} in the run store has no regional table, which the fit targets "
                           f"{', '.join(t.id for t in self.targets if t.region)} read: use a new run store (runs=...)")
        s = record_statistics(record, self.targets, cfg)
        return np.array([s.get(k, math.nan) for k in self.stats], dtype=float)

    def fingerprint(self) -> dict[str, Any]:
        """Priors, fit targets (values and tolerances), scale, end year and base overrides."""
        fp = super().fingerprint()
        fp.update(targets=[[t.id, t.value, t.lo, t.hi, t.tolerance, t.stat, list(t.kpi)] for t in self.targets],
                  scale=self.scale, end=self.end, base=list(self.base),
                  records="tables" if self.runner is not None else "annual")
        return fp


def fingerprint_hash(fp: dict[str, Any]) -> str:
    """12 hex digits of the canonical JSON of a fingerprint."""
    return hashlib.sha256(json.dumps(fp, sort_keys=True, default=str).encode()).hexdigest()[:12]


# ------------------------------------------------------------------ runs
@dataclass
class RunSet:
    """The runs of one design stream: unit-cube parameters, summaries, seeds and run keys."""

    units: np.ndarray
    x: np.ndarray
    seeds: list[int]
    keys: list[str]
    done: int = 0  # runs computed by this call
    reused: int = 0  # runs found in the store
    wall_s: float = 0.0

    @property
    def valid(self) -> np.ndarray:
        """Runs whose every summary is finite."""
        return np.all(np.isfinite(self.x), axis=1)


def check_store(store: Any, problem: Problem, say: Callable[[str], None]) -> None:
    """Refuse to reuse runs made for another problem: one line saying so, then record the current one.

    Runs made with other priors have other parameter values, hence other run keys: they are simply
    not used (the files stay, a new design is run beside them).
    """
    fp = problem.fingerprint()
    h = fingerprint_hash(fp)
    old = store.meta("npe")
    n_old = len(store.done_keys())
    if old is not None and old.get("fingerprint_hash") != h and n_old:
        changed = [k for k in fp if old.get("fingerprint", {}).get(k) != json.loads(json.dumps(fp[k], default=str))]
        say(f"training runs: the {n_old} runs stored in {store.root} were made for other {', '.join(changed) or 'settings'} "
            f"(problem {old.get('fingerprint_hash')}, now {h}); they are not reused")
    store.put_meta("npe", {"fingerprint_hash": h, "fingerprint": fp})


class _KeyCache:
    """The run keys of planned specs, kept in the store (``_meta/npe_keys.json``) for the same code version.

    A run's key is the hash of its resolved configuration, and resolving takes a Hydra composition
    (about 0.04 s of CPU, much more on a loaded machine): a resumed calibration of thousands of runs
    would spend minutes finding out that they are done. The cache maps the spec (model and
    overrides) to its key and is used only by the code version that wrote it.
    """

    def __init__(self, store: Any) -> None:
        from experiments.runs import _code_version

        self.store, self.version = store, _code_version()
        meta = store.meta("npe_keys") or {}
        self.keys: dict[str, str] = dict(meta.get("keys", {})) if meta.get("code_version") == self.version else {}

    @staticmethod
    def digest(spec: Any) -> str:
        """A digest of what determines a spec's key (its model and overrides; tags do not count)."""
        return hashlib.sha256(json.dumps([spec.model, list(spec.overrides)]).encode()).hexdigest()[:24]

    def prime(self, specs: list[Any]) -> None:
        """Give ``experiments.runs.spec_key`` the known keys, so that planning does not resolve those specs."""
        from experiments import runs

        for sp in specs:
            k = self.keys.get(self.digest(sp))
            if k is not None:
                runs._KEYS[sp] = k

    def save(self, specs: list[Any]) -> None:
        """Record the keys of ``specs`` (computed by now) for the next call."""
        from experiments.runs import spec_key

        self.keys.update({self.digest(sp): spec_key(sp) for sp in specs})
        self.store.put_meta("npe_keys", {"code_version": self.version, "keys": self.keys})


def simulate(problem: Problem, sizes: dict[int, int], seed: int, store: Any, *, address: str | None = None,
             workers: int | None = None, progress: bool = False, rerun_stale: bool = True, client: Any = None,
             desc: str = "NPE runs") -> dict[int, RunSet]:
    """Run (or find in ``store``) the first ``sizes[stream]`` points of each design stream; return their summaries.

    All streams go to the cluster together (one ``execute`` call, one progress bar, at most one line
    about runs of another code version).

    Raises:
        NPEError: some runs failed (their tracebacks are in ``<store>/_failed``).
    """
    from experiments.execute import execute
    from experiments.runs import spec_key

    d = len(problem.priors)
    plan: dict[int, tuple[np.ndarray, list[int], list[Any]]] = {}
    for stream, n in sizes.items():
        units = design(d, n, seed, stream)
        seeds = [run_seed(seed, stream, i) for i in range(n)]
        specs = [problem.spec({p.key: float(from_unit(p, units[i, j])) for j, p in enumerate(problem.priors)}, seeds[i],
                              npe_stream=stream, npe_index=i) for i in range(n)]
        plan[stream] = (units, seeds, specs)
    before = store.done_keys()
    all_specs = [sp for _, _, specs in plan.values() for sp in specs]
    cache = _KeyCache(store)
    cache.prime(all_specs)
    cache.save(all_specs)  # before running: a calibration stopped while running plans again in seconds
    hint = "give stale=rerun (the default) to recompute them"
    summ = execute(all_specs, store, address=address, n_workers=workers, progress=progress, desc=desc, client=client,
                   rerun_stale=rerun_stale, rerun_hint=hint, runner=getattr(problem, "runner", None))
    if summ.failed:
        raise NPEError(f"{summ.failed} of {len(all_specs)} runs failed; see {store.root / '_failed'} (run again to retry them)")
    redone = set(summ.stale) if summ.rerun_stale else set()
    keys_of = {stream: [spec_key(sp) for sp in specs] for stream, (_, _, specs) in plan.items()}
    cache.save(all_specs)
    data = store.load(keys={k for ks in keys_of.values() for k in ks})
    by_key = {k: g for k, g in data.groupby("run_key", sort=False)} if len(data) else {}
    out = {}
    for stream, (units, seeds, _) in plan.items():
        keys = keys_of[stream]
        missing = [k for k in keys if k not in by_key]
        if missing:
            raise NPEError(f"{len(missing)} runs are missing from {store.root} after running them")
        x = np.array([problem.summaries(by_key[k]) for k in keys], dtype=float).reshape(len(keys), len(problem.stats))
        reused = sum(1 for k in set(keys) if k in before and k not in redone)
        out[stream] = RunSet(units=units, x=x, seeds=seeds, keys=keys, done=len(set(keys)) - reused, reused=reused,
                             wall_s=summ.wall_s)
    return out


# ------------------------------------------------------------------ multi-fidelity: the scale discrepancy
@dataclass
class Discrepancy:
    """How far the calibration scale's summaries lie from a higher fidelity's, per statistic (issue 12, *Scale*).

    The model is trained on many cheap runs at the calibration scale, but the reported figures are
    national. Where a statistic depends on the population scale (issue 11 measured cases against
    threat actors 10-15% lower at scale 0.1 than at 1:1 in 2014-19), the posterior conditioned on
    the reported figures fits the small-scale model to national numbers. The discrepancy is measured
    where it matters, at ``points`` draws of that posterior: one run at the high fidelity and
    ``reps`` runs at the calibration scale each, ``delta = mean over points of (high - mean of
    low)``. The reported figures are then read at the calibration scale as ``observed - delta``
    (an additive, locally constant discrepancy, as in multi-fidelity and model-discrepancy
    calibration: Kennedy and O'Hagan 2001), and the amortised posterior is simply evaluated there -
    no retraining. Only corrections distinguishable from noise (``|delta| > z x se``) are applied.
    """

    stats: list[str]
    lo_scale: float
    hi_scale: float
    points: int
    reps: int
    x_lo: np.ndarray  # (points, stats): mean of the low-fidelity runs at each point
    x_hi: np.ndarray  # (points, stats)
    delta: np.ndarray
    se: np.ndarray
    applied: np.ndarray  # bool per statistic
    z: float
    wall_s: float

    def correct(self, observed: np.ndarray) -> np.ndarray:
        """The reported figures as the calibration scale would show them."""
        return np.asarray(observed, dtype=float) - np.where(self.applied, self.delta, 0.0)

    def shift(self) -> dict[str, float]:
        """``{statistic: delta}`` of the applied corrections (what a calibration-scale run misses against the high fidelity)."""
        return {st: float(d) for st, d, a in zip(self.stats, self.delta, self.applied) if a}

    def as_dict(self) -> dict[str, Any]:
        """For ``meta.json``."""
        return {"lo_scale": self.lo_scale, "hi_scale": self.hi_scale, "points": self.points, "reps": self.reps, "z": self.z,
                "wall_s": round(self.wall_s, 1),
                "stats": {st: {"delta": _round(d), "se": _round(e), "applied": bool(a),
                               "mean_lo": _round(float(np.nanmean(self.x_lo[:, j]))), "mean_hi": _round(float(np.nanmean(self.x_hi[:, j])))}
                          for j, (st, d, e, a) in enumerate(zip(self.stats, self.delta, self.se, self.applied))}}


def _round(x: float) -> float | None:
    return None if not math.isfinite(x) else float(f"{x:.6g}")


def measure_discrepancy(problem: Problem, units: np.ndarray, hi_scale: float, reps: int, seed: int, store: Any, *,
                        address: str | None = None, workers: int | None = None, progress: bool = False,
                        rerun_stale: bool = True, client: Any = None, z: float = 2.0) -> Discrepancy:
    """Run each of ``units`` (unit-cube points) once at ``hi_scale`` and ``reps`` times at the problem's scale; the discrepancy.

    Runs go to ``store`` like the training runs (a stopped calibration reuses them); their seeds
    come from their own streams, so they are independent of the training and held-out runs.

    Raises:
        NPEError: some runs failed, or fewer than two points have a finite statistic anywhere.
    """
    from experiments.execute import execute
    from experiments.runs import spec_key

    t0 = time.perf_counter()
    if not callable(getattr(problem, "at_scale", None)):  # optional: a problem with a population scale has it
        raise NPEError(f"{type(problem).__name__} has no population scale to measure a scale bias at (allowed: fidelity=0)")
    hi = problem.at_scale(hi_scale)
    k = len(units)
    params = [{p.key: float(from_unit(p, units[i, j])) for j, p in enumerate(problem.priors)} for i in range(k)]
    lo_specs = [[problem.spec(params[i], run_seed(seed, FIDELITY_LO, i * reps + r), npe_stream=FIDELITY_LO, npe_index=i * reps + r)
                 for r in range(reps)] for i in range(k)]
    hi_specs = [hi.spec(params[i], run_seed(seed, FIDELITY_HI, i), npe_stream=FIDELITY_HI, npe_index=i) for i in range(k)]
    specs = [sp for row in lo_specs for sp in row] + hi_specs
    summ = execute(specs, store, address=address, n_workers=workers, progress=progress, desc=f"scale discrepancy ({hi_scale:g})",
                   client=client, rerun_stale=rerun_stale, rerun_hint="give stale=rerun (the default) to recompute them",
                   runner=getattr(problem, "runner", None))
    if summ.failed:
        raise NPEError(f"{summ.failed} of {len(specs)} discrepancy runs failed; see {store.root / '_failed'} (run again to retry them)")
    data = store.load(keys={spec_key(sp) for sp in specs})
    by_key = {key: g for key, g in data.groupby("run_key", sort=False)}
    x_lo = np.array([np.nanmean([problem.summaries(by_key[spec_key(sp)]) for sp in row], axis=0) for row in lo_specs]).reshape(k, -1)
    x_hi = np.array([hi.summaries(by_key[spec_key(sp)]) for sp in hi_specs], dtype=float).reshape(k, -1)
    d = x_hi - x_lo
    n = np.sum(np.isfinite(d), axis=0)
    if np.all(n < 2):
        raise NPEError("the discrepancy needs at least two points with finite statistics")
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = np.where(n > 0, np.nansum(d, axis=0) / np.maximum(n, 1), np.nan)
        sd = np.array([np.nanstd(d[:, j], ddof=1) if n[j] >= 2 else np.nan for j in range(d.shape[1])])
        se = sd / np.sqrt(np.maximum(n, 1))
    applied = np.isfinite(delta) & np.isfinite(se) & (np.abs(delta) > z * se)
    return Discrepancy(stats=list(problem.stats), lo_scale=float(getattr(problem, "scale", math.nan)), hi_scale=float(hi_scale),
                       points=k, reps=reps, x_lo=x_lo, x_hi=x_hi, delta=delta, se=se, applied=applied, z=z,
                       wall_s=time.perf_counter() - t0)


# ------------------------------------------------------------------ training
def add_noise(x: np.ndarray, sd: np.ndarray, half: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Summaries with reporting error: Gaussian (sd) plus uniform (half-width) per statistic."""
    x = np.asarray(x, dtype=float)
    return x + rng.normal(size=x.shape) * sd + rng.uniform(-1.0, 1.0, size=x.shape) * half


@dataclass
class Trained:
    """A trained NPE posterior (one flow, or an equally weighted ensemble of flows) and what the training did.

    An ensemble's density is the mean of its members' densities; its draws come from the members in
    equal shares. Ensembles of NPE posteriors are less overconfident than single ones (Hermans et al.
    2022, *TMLR*), at the price of one training per member.
    """

    posteriors: list[Any]
    d: int
    n_train: int
    epochs: list[int]
    best_val_loss: list[float]
    wall_s: float
    widening: np.ndarray | None = None  # per parameter, set by ``recalibrated_sbc`` (None: the flows as trained)

    @property
    def posterior(self) -> Any:
        """The first member (the only one without an ensemble)."""
        return self.posteriors[0]

    def _shares(self, n: int) -> list[int]:
        k = len(self.posteriors)
        return [n // k + (1 if i < n % k else 0) for i in range(k)]

    def sample(self, x: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
        """``n`` unit-cube draws of the posterior at summaries ``x`` (in random order across members)."""
        import torch

        xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
        parts = [p.sample((c,), x=xt, show_progress_bars=False).numpy() for p, c in zip(self.posteriors, self._shares(n)) if c]
        out = np.concatenate(parts).astype(float)
        out = out[np.random.default_rng(seed).permutation(n)]
        return out if self.widening is None else widen(out[:, None, :], self.widening)[:, 0, :]

    def sample_batched(self, xs: np.ndarray, n: int) -> np.ndarray:
        """``n`` draws for each row of ``xs``: shape ``(n, len(xs), d)``."""
        import torch

        xt = torch.as_tensor(np.asarray(xs, dtype=np.float32))
        parts = [p.sample_batched((c,), x=xt, max_sampling_batch_size=2000, show_progress_bars=False).numpy()
                 for p, c in zip(self.posteriors, self._shares(n)) if c]
        return np.concatenate(parts, axis=0).astype(float)

    def log_prob_batched(self, units: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """Log density (without the correction for mass outside the prior) of ``units`` (shape ``(n, m, d)``) at each of ``xs`` (m)."""
        import torch

        ut = torch.as_tensor(np.asarray(units, dtype=np.float32))
        xt = torch.as_tensor(np.asarray(xs, dtype=np.float32))
        with torch.no_grad():
            lps = torch.stack([p.log_prob_batched(ut, x=xt, norm_posterior=False) for p in self.posteriors])
            lp = torch.logsumexp(lps, dim=0) - math.log(len(self.posteriors))
        return lp.numpy().astype(float)


class _NoTracker:
    """An ``sbi`` tracker that keeps nothing: by default sbi writes TensorBoard logs to ``./sbi-logs``."""

    log_dir = None

    def log_metric(self, name: str, value: float, step: int | None = None) -> None:
        """Ignore a metric."""

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Ignore metrics."""

    def log_params(self, params: dict[str, Any]) -> None:
        """Ignore parameters."""

    def add_figure(self, name: str, figure: Any, step: int | None = None) -> None:
        """Ignore a figure."""

    def flush(self) -> None:
        """Nothing to flush."""


def train(units: np.ndarray, x: np.ndarray, *, seed: int = 0, estimator: str = "maf", max_epochs: int = 500,
          batch_size: int = 100, stop_after_epochs: int = 20, threads: int = 1, hidden: int = 50, transforms: int = 5,
          learning_rate: float = 5e-4, ensemble: int = 1) -> Trained:
    """Train an NPE posterior (``sbi``) on unit-cube parameters and (already noised) summaries.

    Rows with a non-finite summary are left out. Deterministic for a given ``seed``. ``threads``:
    torch's CPU threads (1 by default: on a shared machine more threads mostly wait for each other).
    ``hidden`` and ``transforms``: width and depth of the flow (``sbi.neural_nets.posterior_nn``).
    ``ensemble``: number of flows trained on the same runs from different initial weights (and
    validation splits), combined with equal weights.
    """
    import contextlib
    import io

    import torch
    from sbi.inference import NPE
    from sbi.neural_nets import posterior_nn
    from sbi.utils import BoxUniform

    ok = np.all(np.isfinite(x), axis=1)
    if ok.sum() < 20:
        raise NPEError(f"only {int(ok.sum())} of {len(x)} runs have every summary statistic; NPE needs at least 20")
    t0 = time.perf_counter()
    torch.set_num_threads(max(1, int(threads)))
    d = units.shape[1]
    prior = BoxUniform(low=torch.zeros(d), high=torch.ones(d))
    th = torch.as_tensor(units[ok], dtype=torch.float32)
    xx = torch.as_tensor(x[ok], dtype=torch.float32)
    posteriors, epochs, best_val = [], [], []
    for k in range(max(1, int(ensemble))):
        torch.manual_seed(int(seed) + 1000 * k)
        net = posterior_nn(model=estimator, hidden_features=int(hidden), num_transforms=int(transforms))
        inf = NPE(prior=prior, density_estimator=net, show_progress_bars=False, tracker=_NoTracker())
        inf.append_simulations(th, xx)
        with contextlib.redirect_stdout(io.StringIO()):  # sbi prints "Neural network successfully converged ..."
            inf.train(training_batch_size=min(batch_size, max(10, int(ok.sum()) // 5)), max_num_epochs=max_epochs,
                      stop_after_epochs=stop_after_epochs, learning_rate=learning_rate, show_train_summary=False)
        summary = getattr(inf, "_summary", {}) or {}
        epochs.append(int(summary["epochs_trained"][-1]) if summary.get("epochs_trained") else 0)
        best = summary.get("best_validation_loss") or [math.nan]
        best_val.append(float(best[-1]))
        posteriors.append(inf.build_posterior())
    return Trained(posteriors=posteriors, d=d, n_train=int(ok.sum()), epochs=epochs, best_val_loss=best_val,
                   wall_s=time.perf_counter() - t0)


# ------------------------------------------------------------------ checks
@dataclass
class SBCResult:
    """Simulation-based calibration on held-out runs."""

    ranks: np.ndarray  # (m, d): number of posterior draws below the true value
    draws: int  # posterior draws per test set
    coverage: Any  # DataFrame parameter, level, coverage
    contraction: np.ndarray  # (d,): mean over test sets of 1 - var(post) / var(prior)
    z_mean: np.ndarray  # (d,): mean posterior z-score of the truth (bias)
    m: int
    raw: SBCResult | None = None  # recalibrated: the SBC of the flows as trained
    widening: np.ndarray | None = None  # recalibrated: the final factors per parameter (fitted on all held-out runs)
    widening_folds: np.ndarray | None = None  # recalibrated: the factors fitted for each fold's check

    def coverage_at(self, parameter: str, level: float) -> float:
        """One coverage figure."""
        c = self.coverage
        return float(c[(c["parameter"] == parameter) & (np.isclose(c["level"], level))]["coverage"].iloc[0])


def _logit(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, _EPS, 1 - _EPS)
    return np.log(u) - np.log1p(-u)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


_EPS = 1e-6


def widen(samples: np.ndarray, lam: np.ndarray, centre: np.ndarray | None = None) -> np.ndarray:
    """Posterior draws ``samples`` (``(n, m, d)``: n draws for each of m data sets, unit cube) widened by ``lam`` (d,).

    Per parameter and data set, in logit space: ``z' = c + lam * (z - c)`` with ``c`` the median of
    the draws (``centre``, ``(m, d)``, if given), then back to the unit cube. ``lam > 1`` widens
    (an overconfident posterior), ``lam < 1`` narrows; the median and the order of the draws stay,
    and no draw leaves the prior's box.
    """
    z = _logit(samples)
    c = np.median(z, axis=0) if centre is None else centre
    return _sigmoid(c[None] + np.asarray(lam)[None, None, :] * (z - c[None]))


def _log_jacobian(u: np.ndarray, lam: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``sum_j log dT_j/du_j`` of the widening ``T`` at unit points ``u`` (``(n, m, d)``), summed over parameters."""
    uc = np.clip(u, _EPS, 1 - _EPS)
    z = np.log(uc) - np.log1p(-uc)
    w = _sigmoid(c[None] + lam[None, None, :] * (z - c[None]))
    return (np.log(lam)[None, None, :] + np.log(w * (1 - w) + 1e-300) - np.log(uc * (1 - uc))).sum(axis=-1)


def _coverage_rows(samples: np.ndarray, units: np.ndarray, joint_q: np.ndarray, names: list[str],
                   levels: tuple[float, ...]) -> list[dict[str, Any]]:
    rows = []
    for a in levels:
        lo_q, hi_q = np.quantile(samples, [(1 - a) / 2, (1 + a) / 2], axis=0)  # (m, d) each
        per = ((units >= lo_q) & (units <= hi_q)).mean(axis=0)
        rows += [{"parameter": n, "level": a, "coverage": float(c)} for n, c in zip(names, per)]
        rows.append({"parameter": ALL_MEAN, "level": a, "coverage": float(per.mean())})
        rows.append({"parameter": JOINT, "level": a, "coverage": float(np.mean(joint_q < a))})
    return rows


def _result(samples: np.ndarray, units: np.ndarray, joint_q: np.ndarray, names: list[str], draws: int,
            levels: tuple[float, ...], **extra: Any) -> SBCResult:
    import pandas as pd

    ranks = (samples < units[None, :, :]).sum(axis=0)  # (m, d)
    var_post = samples.var(axis=0)  # (m, d)
    contraction = 1.0 - var_post.mean(axis=0) / (1.0 / 12.0)
    z = (samples.mean(axis=0) - units) / np.sqrt(np.maximum(var_post, 1e-12))
    cov = pd.DataFrame(_coverage_rows(samples, units, joint_q, names, levels), columns=["parameter", "level", "coverage"])
    return SBCResult(ranks=ranks, draws=draws, coverage=cov, contraction=contraction, z_mean=z.mean(axis=0),
                     m=len(units), **extra)


def _draws_and_densities(trained: Trained, units: np.ndarray, x: np.ndarray, draws: int, batch: int):
    samples = np.concatenate([trained.sample_batched(x[i:i + batch], draws) for i in range(0, len(x), batch)], axis=1)
    lp_draws = np.concatenate([trained.log_prob_batched(samples[:, i:i + batch], x[i:i + batch])
                               for i in range(0, len(x), batch)], axis=1)  # (draws, m)
    lp_true = _lp_points(trained, units, x, batch)
    return samples, lp_draws, lp_true


def _lp_points(trained: Trained, pts: np.ndarray, x: np.ndarray, batch: int) -> np.ndarray:
    return np.concatenate([trained.log_prob_batched(pts[None, i:i + batch], x[i:i + batch])[0] for i in range(0, len(x), batch)])


def _finite_rows(units: np.ndarray, x_noisy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.all(np.isfinite(x_noisy), axis=1)
    if not ok.any():
        raise NPEError("no held-out run has every summary statistic: simulation-based calibration impossible")
    return units[ok], x_noisy[ok]


def sbc(trained: Trained, units: np.ndarray, x_noisy: np.ndarray, names: list[str], draws: int = 500,
        levels: tuple[float, ...] = LEVELS, batch: int = 50) -> SBCResult:
    """Ranks, coverage and contraction of ``trained`` (as trained, no widening) on held-out sets ``(units, x_noisy)``.

    Coverage per parameter: the share of test sets whose true value lies in the central ``level``
    interval of the marginal posterior draws. ``ALL_MEAN``: that share averaged over the
    parameters. ``JOINT``: the share whose true point lies in the ``level`` highest-density region
    (fewer than ``level`` of the draws have a higher posterior density than the truth).
    Rows with a non-finite summary are left out.
    """
    units, x_noisy = _finite_rows(units, x_noisy)
    samples, lp_draws, lp_true = _draws_and_densities(trained, units, x_noisy, draws, batch)
    joint_q = (lp_draws > lp_true[None, :]).mean(axis=0)  # share of draws denser than the truth
    return _result(samples, units, joint_q, names, draws, levels)


WIDENING_GRID = np.geomspace(0.5, 4.0, 43)  # candidate factors of ``fit_widening`` (steps of 5%)


def fit_widening(samples: np.ndarray, units: np.ndarray, levels: tuple[float, ...] = LEVELS) -> np.ndarray:
    """Per parameter, the factor of ``WIDENING_GRID`` whose widened draws cover the truths of these data sets best.

    Best: the least sum over ``levels`` of squared (coverage - level) of the central marginal
    intervals. Ties (a flat stretch of the grid) go to the factor nearest 1.
    """
    z = _logit(samples)
    c = np.median(z, axis=0)
    zt = _logit(units)
    qs = np.array([[(1 - a) / 2, (1 + a) / 2] for a in levels])
    out = np.ones(samples.shape[2])
    for j in range(samples.shape[2]):
        dev = (z[:, :, j] - c[None, :, j])  # (n, m): widening scales these
        lo, hi = np.quantile(dev, qs[:, 0], axis=0), np.quantile(dev, qs[:, 1], axis=0)  # (levels, m)
        t = zt[:, j] - c[:, j]  # (m,)
        loss = []
        for lam in WIDENING_GRID:
            cov = ((t[None] >= lam * lo) & (t[None] <= lam * hi)).mean(axis=1)
            loss.append(float(((cov - np.array(levels)) ** 2).sum()))
        loss = np.array(loss)
        best = np.flatnonzero(loss <= loss.min() + 1e-12)
        out[j] = WIDENING_GRID[best[np.argmin(np.abs(np.log(WIDENING_GRID[best])))]]
    return out


def recalibrated_sbc(trained: Trained, units: np.ndarray, x_noisy: np.ndarray, names: list[str], draws: int = 500,
                     levels: tuple[float, ...] = LEVELS, batch: int = 50, folds: int = 2) -> SBCResult:
    """Simulation-based calibration of the *recalibrated* posterior, honestly out of sample; sets ``trained.widening``.

    The flows' spread is recalibrated per parameter (``widen``, ``fit_widening``) on held-out runs,
    by cross-fitting: the held-out sets are split into ``folds`` (by index modulo ``folds``), and
    each fold's coverage, ranks and joint region are those of the posterior widened by the factors
    fitted on the *other* folds, so no data set judges a widening fitted to itself. The factors of
    the final posterior (``trained.widening``, used by ``Trained.sample``) are fitted on all the
    held-out runs. The joint highest-density region of a widened posterior is exact: its density
    is the flows' density at the un-widened point divided by the Jacobian of the widening.
    The result's ``raw`` is the SBC of the flows as trained (same draws).
    """
    units, x_noisy = _finite_rows(units, x_noisy)
    samples, lp_draws, lp_true = _draws_and_densities(trained, units, x_noisy, draws, batch)
    raw = _result(samples, units, (lp_draws > lp_true[None, :]).mean(axis=0), names, draws, levels)
    m, d = units.shape
    fold = np.arange(m) % max(1, int(folds))
    wid = np.empty_like(samples)
    joint_q = np.empty(m)
    lams = []
    for f in range(max(1, int(folds))):
        test, fit = fold == f, (fold != f) if folds > 1 else (fold == f)
        lam = fit_widening(samples[:, fit], units[fit], levels)
        lams.append(lam)
        c = np.median(_logit(samples[:, test]), axis=0)  # (mt, d)
        wid[:, test] = widen(samples[:, test], lam, c)
        # the truth's preimage under the widening, and the widened density at draws and truth
        pre = _sigmoid(c + (_logit(units[test]) - c) / lam[None, :])
        lq_true = _lp_points(trained, pre, x_noisy[test], batch) - _log_jacobian(pre[None], lam, c)[0]
        lq_draws = lp_draws[:, test] - _log_jacobian(samples[:, test], lam, c)
        joint_q[test] = (lq_draws > lq_true[None, :]).mean(axis=0)
    trained.widening = fit_widening(samples, units, levels)
    return _result(wid, units, joint_q, names, draws, levels, raw=raw, widening=trained.widening,
                   widening_folds=np.array(lams))


def coverage_verdicts(res: SBCResult, names: list[str], tol: float = 0.05, level: float = 0.9) -> dict[str, str]:
    """Per parameter at ``level``: ``calibrated`` (within +-tol), ``overconfident`` (coverage too low) or ``underconfident``."""
    out = {}
    for n in [*names, ALL_MEAN, JOINT]:
        c = res.coverage_at(n, level)
        out[n] = "calibrated" if abs(c - level) <= tol else ("overconfident" if c < level else "underconfident")
    return out


def misspecification(problem: Problem, x_prior: np.ndarray) -> dict[str, Any]:
    """Where the reported figures lie in the prior predictive distribution (``x_prior``: the training runs).

    Per statistic: the share of prior predictive runs below the reported value and a verdict
    (*inside* the 0.5-99.5% range of the prior predictive; else *outside*: the model cannot produce
    it under any prior world, whatever the posterior). Jointly: the Mahalanobis distance of the
    reported point from the prior predictive mean, and the share of prior runs further away (a
    share near 0 means the reported combination of figures is unlike anything the model makes).
    """
    ok = np.all(np.isfinite(x_prior), axis=1)
    xp = x_prior[ok]
    obs = problem.observed
    per = []
    for j, name in enumerate(problem.stats):
        col = xp[:, j]
        q = float(np.mean(col < obs[j]) + 0.5 * np.mean(col == obs[j])) if col.size else math.nan
        lo, hi = (np.quantile(col, [0.005, 0.995]) if col.size else (math.nan, math.nan))
        per.append({"stat": name, "reported": float(obs[j]), "prior_q005": float(lo), "prior_q995": float(hi),
                    "quantile": q, "verdict": "inside" if lo <= obs[j] <= hi else "outside"})
    joint: dict[str, Any] = {"runs": int(len(xp))}
    if len(xp) > len(obs) + 1:
        mu, sd = xp.mean(axis=0), xp.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        z = (xp - mu) / sd
        cov = np.cov(z, rowvar=False) + 1e-9 * np.eye(len(obs))
        inv = np.linalg.pinv(cov)
        dz = (obs - mu) / sd
        d_obs = float(np.sqrt(dz @ inv @ dz))
        d_runs = np.sqrt(np.einsum("ij,jk,ik->i", z, inv, z))
        joint.update(mahalanobis=round(d_obs, 3), share_further=round(float(np.mean(d_runs >= d_obs)), 4))
    return {"per_stat": per, "joint": joint}


# ------------------------------------------------------------------ the whole calibration
@dataclass
class NPESettings:
    """An NPE calibration: sizes, seeds, where the runs go."""

    budget: NPEBudget
    store: Path
    seed: int = 20140101
    address: str | None = None
    workers: int | None = None
    progress: bool = False
    rerun_stale: bool = True
    sbc_draws: int = 500
    recalibrate: bool = True  # widen the flows' spread per parameter, fitted on the held-out runs (recalibrated_sbc)
    estimator: str = "maf"
    max_epochs: int = 500
    say: Callable[[str], None] = field(default=print)


@dataclass
class NPEResult:
    """What ``calibrate`` produced."""

    problem: Problem
    train_runs: RunSet
    test_runs: RunSet
    trained: Trained
    sbc: SBCResult
    misspec: dict[str, Any]
    units: np.ndarray  # posterior draws at the reported figures, unit cube
    sample: Any  # the same draws as a DataFrame of dotted keys and ``weight``
    wall_runs_s: float
    wall_train_s: float
    wall_s: float
    discrepancy: Discrepancy | None = None  # multi-fidelity: the posterior is at discrepancy.correct(observed)

    @property
    def runs_used(self) -> int:
        """Model runs behind the posterior and its checks."""
        return len(self.train_runs.keys) + len(self.test_runs.keys)


def calibrate(problem: Problem, settings: NPESettings, client: Any = None) -> NPEResult:
    """Training runs, held-out runs, training, simulation-based calibration, posterior sample.

    With ``budget.fidelity`` > 0 (a scale other than the problem's), the scale discrepancy is
    measured at posterior draws (``measure_discrepancy``) and the posterior is taken at the
    reported figures less the discrepancy. The Dask client stays open until then.
    """
    from experiments.store import ResultStore

    t0 = time.perf_counter()
    store = ResultStore(settings.store)
    check_store(store, problem, settings.say)
    own = client is None and settings.address != "none"
    if own:
        from experiments.execute import make_client

        client = make_client(settings.address, settings.workers)
    try:
        return _calibrate(problem, settings, client, store, t0)
    finally:
        if own:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()


def _calibrate(problem: Problem, settings: NPESettings, client: Any, store: Any, t0: float) -> NPEResult:
    import pandas as pd

    b, say = settings.budget, settings.say
    runs = simulate(problem, {TRAIN: b.simulations, TEST: b.sbc}, settings.seed, store, address=settings.address,
                    workers=settings.workers, progress=settings.progress, rerun_stale=settings.rerun_stale,
                    client=client, desc="NPE runs")
    tr, te = runs[TRAIN], runs[TEST]
    say(f"runs in {store.root}: {tr.reused} training and {te.reused} held-out runs reused, {tr.done} and {te.done} "
        f"run now ({tr.wall_s:.0f} s); {int(tr.valid.sum())} of {len(tr.keys)} training and {int(te.valid.sum())} of "
        f"{len(te.keys)} held-out runs have every statistic")
    wall_runs = time.perf_counter() - t0
    rng = np.random.default_rng([settings.seed, 99])
    x_train = add_noise(tr.x, problem.noise_sd, problem.noise_half, rng)
    x_test = add_noise(te.x, problem.noise_sd, problem.noise_half, rng)
    trained = train(tr.units, x_train, seed=settings.seed, estimator=settings.estimator, max_epochs=settings.max_epochs,
                    ensemble=b.ensemble)
    say(f"trained {len(trained.posteriors)} flow(s) on {trained.n_train} runs: {'/'.join(map(str, trained.epochs))} epochs, "
        f"{trained.wall_s:.0f} s")
    names = [p.key for p in problem.priors]
    check = recalibrated_sbc if settings.recalibrate else sbc
    res_sbc = check(trained, te.units, x_test, names, draws=settings.sbc_draws)

    def _cov(r: SBCResult) -> str:
        return ", ".join(f"{100 * r.coverage_at(ALL_MEAN, a):.0f}% at {100 * a:.0f}%" for a in LEVELS)

    if res_sbc.raw is not None:
        say(f"simulation-based calibration on {res_sbc.m} held-out runs: the flows as trained cover {_cov(res_sbc.raw)}; "
            f"recalibrated (widening {', '.join(f'{w:.2f}' for w in res_sbc.widening)}; cross-fitted) {_cov(res_sbc)} "
            "(mean over parameters)")
    else:
        say(f"simulation-based calibration on {res_sbc.m} held-out runs: coverage {_cov(res_sbc)} (mean over parameters)")
    misspec = misspecification(problem, tr.x)
    units = trained.sample(problem.observed, b.draws, seed=settings.seed)
    disc = None
    if b.fidelity > 0 and b.fidelity != getattr(problem, "scale", b.fidelity):
        k = min(b.fidelity_points, len(units))
        disc = measure_discrepancy(problem, units[:k], b.fidelity, b.fidelity_reps, settings.seed, store,
                                   address=settings.address, workers=settings.workers, progress=settings.progress,
                                   rerun_stale=settings.rerun_stale, client=client)
        shift = disc.shift()
        say(f"scale discrepancy ({disc.lo_scale:g} against {disc.hi_scale:g}, {k} posterior draws x {disc.reps} + 1 runs, "
            f"{disc.wall_s:.0f} s): " + (", ".join(f"{st} {d:+.4g}" for st, d in shift.items()) or "none beyond noise")
            + "; the posterior is taken at the reported figures less these")
        if shift:
            units = trained.sample(disc.correct(problem.observed), b.draws, seed=settings.seed)
    sample = pd.DataFrame({p.key: from_unit(p, units[:, j]) for j, p in enumerate(problem.priors)})
    sample = sample[sorted(sample.columns)]
    sample["weight"] = 1.0 / len(sample)
    wall = time.perf_counter() - t0
    return NPEResult(problem=problem, train_runs=tr, test_runs=te, trained=trained, sbc=res_sbc, misspec=misspec,
                     units=units, sample=sample, wall_runs_s=wall_runs, wall_train_s=wall - wall_runs, wall_s=wall,
                     discrepancy=disc)


def runs_table(problem: Problem, runs: dict[str, RunSet]) -> Any:
    """The runs behind a calibration as one table (committed as ``npe_runs.csv``).

    One row per run: ``set`` (``training`` or ``heldout``), ``index`` (its place in the design
    stream), ``seed``, ``run_key``, each fitted parameter (dotted key, natural units) and each fit
    target's statistic (``stat:<id>``, without reporting error). Small (a few hundred bytes a run)
    where the run store is not (about 70 kB a run), so it is what a later session can retrain,
    check or plot from when the store is gone; the store itself stays the source of truth.
    """
    import pandas as pd

    frames = []
    for name, rs in runs.items():
        cols: dict[str, Any] = {"set": name, "index": np.arange(len(rs.keys)), "seed": rs.seeds, "run_key": rs.keys}
        for j, p in enumerate(problem.priors):
            cols[p.key] = from_unit(p, rs.units[:, j])
        for j, st in enumerate(problem.stats):
            cols[f"stat:{st}"] = rs.x[:, j]
        frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True)


def contraction_at_observed(units: np.ndarray) -> np.ndarray:
    """``1 - var(posterior) / var(prior)`` per parameter of a unit-cube posterior sample."""
    return 1.0 - np.asarray(units).var(axis=0) / (1.0 / 12.0)
