"""ABC-SMC with pyabc: a resumable fit of the world parameters to the fit targets.

``fit(settings)`` creates or continues an ABC-SMC run whose history lives in SQLite
(``sqlite:///<db>``). Generations are sampled one at a time (``ABCSMC.run`` with one population
per call), which is exactly how a stopped calibration continues: pyabc reloads the last complete
population from the history and proposes the next generation from it. So

* ``generations`` is the *total* number of generations wanted in the history: a run that stopped
  after 3 of 6 (killed, out of time, ``hours=`` reached) and is started again with the same
  settings samples generations 4 to 6; one that has all 6 does nothing but re-read them;
* a generation interrupted half-way is not lost: pyabc writes a population only when it is
  complete, but every finished run of it is recorded at once beside the history
  (``calibration/partial.py``, ``abc.partial.db``) and reused when the same generation is sampled
  again; only the runs in progress at the stop are lost;
* a history created with other priors, targets or scale is refused (its settings are stored in
  the history's metadata and compared), so a resumed fit never mixes two problems.

Simulations go to a Dask cluster through ``resumable_dask_sampler`` (pyabc's Dask sampler that
records finished runs): a LocalCluster (one single-threaded worker process per core) by default,
an existing scheduler when ``address`` is given; ``address="none"`` samples in this process
(tests, debugging; nothing is recorded).

Epsilon: pyabc's median epsilon (each generation accepts runs closer than the median distance of
the previous one; the first threshold comes from a prior sample). Transition: the multivariate
normal kernel. Sampling stops early when the acceptance rate falls below ``min_acceptance``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from calibration.distance import TargetDistance
from calibration.params import Prior, to_distribution
from calibration.targets import Target, by_role, last_year

log = logging.getLogger("akrim.calibrate")


def defensive_transition(prior: Any, alpha: float) -> Any:
    """Pyabc's multivariate normal kernel proposal mixed with the prior (defensive importance sampling).

    With probability ``alpha`` a particle is proposed from the prior, otherwise from pyabc's
    ``MultivariateNormalTransition`` around the previous generation; the density is the same
    mixture, so pyabc's importance weights ``prior / proposal`` stay exact and are bounded by
    ``1 / alpha`` (Hesterberg 1995, *Technometrics* 37:185). Without the prior component, a broad
    posterior in many dimensions lets a few particles that land in the kernel's tails (near the
    prior bounds) take most of the weight: in this model's first full run (13 parameters, 120
    particles) the effective sample size fell 120 -> 34 -> 24 -> 5 -> 3 over five generations.
    """
    import numpy as np
    import pandas as pd
    from pyabc.transition import MultivariateNormalTransition

    class DefensiveTransition(MultivariateNormalTransition):
        def __init__(self) -> None:
            super().__init__()
            self.prior, self.alpha = prior, float(alpha)

        def rvs_single(self):
            if np.random.random() < self.alpha:
                return self.prior.rvs()
            return super().rvs_single()

        def rvs(self, size: int | None = None):
            if size is None:
                return self.rvs_single()
            return pd.DataFrame([dict(self.rvs_single()) for _ in range(size)])[list(self.X.columns)]

        def pdf(self, x):
            kde = super().pdf(x)
            if isinstance(x, pd.DataFrame):
                pri = np.array([self.prior.pdf(dict(row)) for _, row in x[list(self.X.columns)].iterrows()])
            else:
                pri = self.prior.pdf({k: x[k] for k in self.X.columns})
            return (1.0 - self.alpha) * kde + self.alpha * pri

    if not 0.0 <= alpha < 1.0:
        raise CalibrationError(f"defensive={alpha!r}: the prior's share of the proposal must be in [0, 1)")
    return DefensiveTransition()


class CalibrationError(RuntimeError):
    """A calibration that cannot start or continue (the message says why and what to do)."""


@dataclass
class Budget:
    """How much a calibration may compute."""

    populations: int  # particles per generation
    generations: int  # generations in the history when done
    scale: float  # population scale of the fit runs
    predictive: int  # posterior predictive runs (to the last validation year)
    min_acceptance: float = 0.01  # stop when a generation accepts fewer than this share of runs
    defensive: float = 0.2  # share of each generation's proposals drawn from the prior (see defensive_transition)


# Wall times on the development machine are in calibration/README.md (they depend on the load).
BUDGETS: dict[str, Budget] = {
    "small": Budget(populations=10, generations=2, scale=0.01, predictive=10),
    "medium": Budget(populations=40, generations=4, scale=0.05, predictive=40),
    # Sized to finish in about 2 hours on the 2-core development machine (~2,400 fit runs/hour
    # at scale 0.1); on a cluster raise populations= and generations= (docs/cluster.md).
    "full": Budget(populations=120, generations=6, scale=0.1, predictive=200),
}


@dataclass
class FitSettings:
    """Everything a fit needs (the command line builds it from ``key=value`` arguments)."""

    db: Path
    priors: list[Prior]
    targets: list[Target]
    budget: Budget
    address: str | None = None
    workers: int | None = None
    hours: float | None = None  # stop after the generation that would run past this wall time
    base: tuple[str, ...] = ()  # extra Hydra overrides of every run (e.g. a policy)
    simulator: Callable[[dict[str, float]], dict[str, float]] | None = None  # default: the model
    progress: Callable[[str], None] = field(default=print)

    @property
    def fit_targets(self) -> list[Target]:
        """Targets that enter the distance."""
        return by_role(self.targets, "fit")

    def signature(self) -> dict[str, Any]:
        """What must not change between a run and its continuation."""
        return {
            "priors": [asdict(p) | {"why": ""} for p in self.priors],
            "fit_targets": [{"id": t.id, "value": t.value, "lo": t.lo, "hi": t.hi, "tolerance": t.tolerance,
                             "years": list(t.years), "kpi": list(t.kpi), "stat": t.stat} for t in self.fit_targets],
            "scale": self.budget.scale,
            "populations": self.budget.populations,
            "base": list(self.base),
            "simulator": "model" if self.simulator is None else getattr(self.simulator, "__name__", type(self.simulator).__name__),
        }


def signature_hash(sig: dict[str, Any]) -> str:
    """Short hash of a settings signature."""
    return hashlib.sha256(json.dumps(sig, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class FitResult:
    """Where the history is and what this call did."""

    db: Path
    run_id: int
    generations: int  # complete generations in the history
    new_generations: int  # sampled by this call
    resumed: bool
    wall_s: float
    stopped_because: str
    history: Any = None


def resumable_dask_sampler(client: Any, partial: Any = None) -> Any:
    """Pyabc's Dask sampler that records every finished job in ``partial`` and reuses the records.

    The sampling loop is pyabc 0.13's ``EPSMixin.sample_until_n_accepted`` (submit up to one job
    per worker core, gather finished jobs, stop at the ``n``-th accepted run in job-id order, so
    that fast runs are not favoured), with two additions: it starts from the runs recorded for the
    same generation of the same history (``calibration.partial``; new jobs get ids after them), and
    every finished job is recorded at once. ``partial=None`` behaves as pyabc's sampler.
    ``reused_`` is the number of recorded runs the last call reused.
    """
    import cloudpickle
    import numpy as np
    from pyabc.sampler import DaskDistributedSampler
    from pyabc.sampler.eps_mixin import _global_full_submit_function_pickle
    from sortedcontainers import SortedList

    class ResumableDaskSampler(DaskDistributedSampler):
        def __init__(self) -> None:
            super().__init__(dask_client=client, batch_size=1)
            self.partial = partial
            self.reused_ = 0

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
            store = self.partial
            pickled = cloudpickle.dumps(simulate_one)
            results = SortedList(key=lambda x: x[2])
            cached = store.load(t) if store is not None else []
            results.update(cached)
            self.reused_ = len(cached)
            num_accepted = sum(1 for r in cached if r[1])
            next_job_id = max((r[2] for r in cached), default=-1) + 1
            running: list[tuple[int, Any]] = []
            while True:
                for job_id, job in list(running):
                    if job.done():
                        batch = job.result()
                        results.update(batch)
                        num_accepted += sum(1 for r in batch if r[1])
                        running.remove((job_id, job))
                        if store is not None:
                            store.add(t, batch)
                if num_accepted >= n:
                    nth = [r[2] for r in results if r[1]][n - 1]
                    for job_id, job in list(running):
                        if job_id > nth:
                            running.remove((job_id, job))
                            job.cancel()
                    if not running:
                        break
                n_job_max = int(min(self.client_max_jobs, self.client_cores()))
                if len(running) < n_job_max and num_accepted < n:
                    for _ in range(n_job_max - len(running)):
                        job = self.client.submit(_global_full_submit_function_pickle, pickled, 1, [next_job_id])
                        running.append((next_job_id, job))
                        next_job_id += 1
                time.sleep(0.01)
            sample = self._create_empty_sample()
            nth = [r[2] for r in results if r[1]][n - 1]
            while True:
                r = results.pop(0)
                sample.append(r[0])
                if r[2] == nth:
                    break
            if sample.n_accepted != n:
                raise AssertionError(f"got {sample.n_accepted} accepted particles, expected {n}")
            self.nr_evaluations_ = next_job_id
            return sample

    return ResumableDaskSampler()


def _sampler(settings: FitSettings):
    """``(sampler, close)``: pyabc's Dask sampler on our client, or a single-core sampler."""
    if settings.address == "none":
        from pyabc.sampler import SingleCoreSampler

        return SingleCoreSampler(), lambda: None
    from experiments.execute import make_client

    client = make_client(settings.address, settings.workers)
    own_cluster = settings.address is None

    def close() -> None:
        cluster = getattr(client, "cluster", None)
        client.close()
        if own_cluster and cluster is not None:
            cluster.close()

    return resumable_dask_sampler(client), close


def _existing_run(db: Path) -> tuple[int, dict[str, Any]] | None:
    """``(run_id, metadata)`` of the last ABC run stored in ``db``, or None for a new database."""
    if not db.is_file() or db.stat().st_size == 0:
        return None
    from pyabc import History

    h = History(f"sqlite:///{db}")
    runs = h.all_runs()
    if not runs:
        return None
    run = runs[-1]
    h.id = run.id
    try:  # pyabc stores meta_info as str(dict)
        meta = ast.literal_eval(run.json_parameters) if run.json_parameters else {}
    except (SyntaxError, ValueError):
        meta = {}
    return int(run.id), meta


def _population_size(h) -> int:
    return int(h.max_t + 1) if h.max_t is not None and h.max_t >= 0 else 0


def build_abc(settings: FitSettings, sampler) -> Any:
    """The pyabc ABCSMC object of ``settings`` (same construction for a new run and a resumed one)."""
    import pyabc

    from calibration.simulate import Simulator

    fit = settings.fit_targets
    if not fit:
        raise CalibrationError("the targets file has no fit targets")
    model = settings.simulator or Simulator(targets=fit, scale=settings.budget.scale, end=last_year(fit),
                                            base=settings.base, priors=settings.priors)
    prior = to_distribution(settings.priors)
    return pyabc.ABCSMC(
        models=model,
        parameter_priors=prior,
        transitions=defensive_transition(prior, settings.budget.defensive),
        distance_function=TargetDistance(fit),
        population_size=settings.budget.populations,
        sampler=sampler,
        eps=pyabc.MedianEpsilon(),
    )


def _check_signature(db: Path, existing: tuple[int, dict[str, Any]] | None, sig_h: str) -> None:
    if existing is not None and existing[1].get("signature_hash") != sig_h:
        raise CalibrationError(
            f"{db} holds a calibration with other settings (priors, fit targets, scale, population size or "
            f"policy differ: stored {existing[1].get('signature_hash')}, now {sig_h}). Continue it with its own "
            f"settings, or start a new one with another db=PATH (or fresh=true to delete this history).")


def _open(settings: FitSettings, abc, existing, sig: dict[str, Any], sig_h: str) -> tuple[Any, int, bool]:
    """Start a new history or load the existing one: ``(history, run_id, resumed)``."""
    db = Path(settings.db)
    if existing is None:
        h = abc.new(f"sqlite:///{db}", TargetDistance(settings.fit_targets).observed(),
                    meta_info={"signature_hash": sig_h, "signature": json.dumps(sig, default=str)})
        settings.progress(f"new calibration: history {db} (run {h.id}), {len(settings.priors)} parameters, "
                          f"{len(settings.fit_targets)} fit targets, {settings.budget.populations} particles/generation")
        return h, int(h.id), False
    h = abc.load(f"sqlite:///{db}", existing[0])
    settings.progress(f"resuming calibration: history {db} (run {existing[0]}) has {_population_size(h)} "
                      f"complete generation(s) of {settings.budget.generations}")
    return h, existing[0], True


def _attach_partial(sampler: Any, db: Path, run_id: int, gen: int, settings: FitSettings) -> Any:
    """Give a resumable sampler the record of generation ``gen``; say what it will reuse."""
    if not hasattr(sampler, "partial"):
        return None
    from calibration.partial import PartialRuns, partial_path

    partial = PartialRuns(partial_path(db), run_id, gen)
    sampler.partial = partial
    counts = partial.counts()
    if counts:
        jobs = sum(c[0] for c in counts.values())
        acc = sum(c[1] for c in counts.values())
        settings.progress(f"generation {gen + 1}: reusing {jobs} finished runs ({acc} accepted) recorded before a stop "
                          f"({partial.path.name})")
    return partial


def _generation_line(settings: FitSettings, h, gen: int, wall_s: float) -> tuple[str, float]:
    """Progress line of generation ``gen`` (0-based) and its acceptance rate."""
    pops = h.get_all_populations()
    row = pops[pops["t"] == gen].iloc[0]
    n_sim = int(row["samples"])
    acc = settings.budget.populations / n_sim if n_sim else float("nan")
    target = settings.budget.generations
    left = f"; about {wall_s * (target - gen - 1) / 60:.0f} min left at this pace" if gen + 1 < target else ""
    return (f"generation {gen + 1}/{target}: epsilon {row['epsilon']:.3g}, {n_sim} runs, "
            f"acceptance {acc:.1%}, {wall_s:.0f} s{left}"), acc


def fit(settings: FitSettings) -> FitResult:
    """Create or continue the ABC-SMC run in ``settings.db`` until it has ``budget.generations``."""
    t_start = time.perf_counter()
    db = Path(settings.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    sig = settings.signature()
    sig_h = signature_hash(sig)
    existing = _existing_run(db)
    _check_signature(db, existing, sig_h)
    sampler, close = _sampler(settings)
    try:
        abc = build_abc(settings, sampler)
        h, run_id, resumed = _open(settings, abc, existing, sig, sig_h)
        done0 = _population_size(h)
        stopped, last_gen_s = "generations reached", 0.0
        while _population_size(h) < settings.budget.generations:
            gen = _population_size(h)
            if settings.hours is not None and time.perf_counter() - t_start + last_gen_s > settings.hours * 3600:
                stopped = f"time limit hours={settings.hours:g} (the next generation would not finish in time)"
                break
            if gen > done0:
                # Every generation after the first of this call starts from the history, exactly as
                # a restarted calibration does (a reused ABCSMC object would keep a stale epsilon).
                abc = build_abc(settings, sampler)
                h = abc.load(f"sqlite:///{db}", run_id)
            partial = _attach_partial(sampler, db, run_id, gen, settings)
            t0 = time.perf_counter()
            h = abc.run(max_nr_populations=1, min_acceptance_rate=settings.budget.min_acceptance)
            last_gen_s = time.perf_counter() - t0
            if partial is not None and _population_size(h) > gen:
                partial.clear()  # the generation is in the history now
            if _population_size(h) == gen:
                stopped = "pyabc stopped without a new generation (acceptance rate below min_acceptance)"
                break
            line, acc = _generation_line(settings, h, gen, last_gen_s)
            settings.progress(line)
            if acc < settings.budget.min_acceptance:
                stopped = f"acceptance rate {acc:.2%} below min_acceptance={settings.budget.min_acceptance:g}"
                break
        n = _population_size(h)
        return FitResult(db=db, run_id=run_id, generations=n, new_generations=n - done0, resumed=resumed,
                         wall_s=time.perf_counter() - t_start, stopped_because=stopped, history=h)
    finally:
        close()


def history_summary(h) -> Any:
    """Per generation: epsilon, runs, acceptance rate (pandas DataFrame)."""
    pops = h.get_all_populations()
    pops = pops[pops["t"] >= 0].copy()
    pops["generation"] = pops["t"] + 1
    n = h.get_nr_particles_per_population()
    pops["particles"] = [int(n.get(t, 0)) for t in pops["t"]]
    pops["acceptance"] = pops["particles"] / pops["samples"].where(pops["samples"] > 0)
    ess = []
    for t in pops["t"]:
        w = h.get_distribution(m=0, t=int(t))[1]
        ess.append(float(w.sum() ** 2 / (w**2).sum()) if len(w) else float("nan"))
    pops["ess"] = ess  # effective sample size of the weighted particles (Kish)
    return pops[["generation", "epsilon", "samples", "particles", "acceptance", "ess", "population_end_time"]]


def history_wall_s(h) -> float:
    """Seconds from the start of the ABC run (first call) to the end of its last complete generation."""
    pops = h.get_all_populations()
    pops = pops[pops["t"] >= 0]
    if not len(pops):
        return 0.0
    start = h.get_abc().start_time
    return float((pops["population_end_time"].max() - start).total_seconds())
