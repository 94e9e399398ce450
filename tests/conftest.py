"""Shared helpers and fixtures for the default test suite.

Runs are small (population scale 0.01-0.05) and short so that the whole default suite stays
well under the speed budget on two cores; runs that several test modules need are shared through
session- or module-scoped fixtures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from sim.config import load_config
from sim.model import AkrimModel, RunResult

QUIET = ("output.progress=false",)


def make_cfg(*overrides: str, events: bool = True):
    """A validated config with the progress bar off (and the event log optional)."""
    ov = [*QUIET, *overrides]
    if not events:
        ov.append("output.events=false")
    return load_config(ov)


def run_model(cfg) -> tuple[AkrimModel, RunResult]:
    """Build and run a model; return the model (for its internals) and the result."""
    m = AkrimModel(cfg)
    return m, m.run()


def run(*overrides: str, events: bool = True) -> tuple[AkrimModel, RunResult]:
    """``run_model(make_cfg(*overrides))``."""
    return run_model(make_cfg(*overrides, events=events))


def horizon_mean(m: AkrimModel, kpi: str) -> tuple[float, float]:
    """Numerator and denominator of a mean/share KPI summed over the whole horizon.

    The annual table holds one mean per year; pooling the model's own accumulators gives the
    mean over every observation of the run (e.g. every case that ended), which is what a
    comparison over a horizon needs.
    """
    k = m.metrics.idx[kpi]
    return float(m.metrics.num[:, k].sum()), float(m.metrics.den[:, k].sum())


@dataclass
class SteppedRun:
    """A baseline run driven week by week, with snapshots taken after every step."""

    model: AkrimModel
    result: RunResult
    cap_total: list[int] = field(default_factory=list)
    n_slots: list[int] = field(default_factory=list)
    next_firm_id: list[int] = field(default_factory=list)
    n_events: list[int] = field(default_factory=list)
    n_actors: list[int] = field(default_factory=list)
    now: list[float] = field(default_factory=list)
    flows: list[np.ndarray] = field(default_factory=list)
    dens: list[np.ndarray] = field(default_factory=list)
    initial_cap: np.ndarray | None = None
    initial_start: np.ndarray | None = None


STEPPED_OVERRIDES = ("scale=0.02", "start=2014", "end=2018", "seed=20140101")


@pytest.fixture(scope="session")
def stepped_baseline() -> SteppedRun:
    """Baseline, scale 0.02, 2014-2018, stepped one week at a time with snapshots."""
    from sim.metrics import KPI_KIND, KPI_NAMES

    cfg = make_cfg(*STEPPED_OVERRIDES)
    m = AkrimModel(cfg)
    flow_idx = [i for i, k in enumerate(KPI_NAMES) if KPI_KIND[k] in ("flow", "nok", "cost")]
    sr = SteppedRun(model=m, result=None)  # type: ignore[arg-type]
    sr.initial_cap = m.pop.cap.copy()
    sr.initial_start = m.pop.start.copy()

    def snap() -> None:
        sr.cap_total.append(int(m.pop.cap.sum()))
        sr.n_slots.append(m.pop.workers.n)
        sr.next_firm_id.append(int(m.pop.next_firm_id))
        sr.n_events.append(len(m.log))
        sr.n_actors.append(int(m.ta.n))
        sr.now.append(float(m.env.now))
        sr.flows.append(m.metrics.nat[:, flow_idx].copy())
        sr.dens.append(m.metrics.den.copy())

    snap()
    while m.env.now < m.end_day:
        m.step()
        snap()
    sr.result = m.finish()
    return sr


@pytest.fixture(scope="session")
def baseline_run(stepped_baseline: SteppedRun) -> RunResult:
    """The result tables of the stepped baseline run."""
    return stepped_baseline.result
