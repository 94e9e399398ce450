"""Incremental risk weights (``Inspections.risk_weights``) against a full rebuild, bit for bit."""

from __future__ import annotations

import numpy as np

from sim.config import load_config
from sim.inspections import Inspections
from sim.model import AkrimModel
from sim.population import ACTIVE, SUSPENDED


def full(m: AkrimModel) -> np.ndarray:
    """The weights as a fresh ``Inspections`` computes them (a full rebuild)."""
    return Inspections(m).risk_weights()


def test_updated_weights_equal_a_full_rebuild():
    m = AkrimModel(load_config(["scale=0.02", "seed=5", "output.progress=false", "output.events=false"]))
    for _ in range(10):
        m.step()
    pop, ins, rng = m.pop, m.inspections, np.random.default_rng(1)
    for round_ in range(6):
        b = rng.choice(pop.n, 40, replace=False)
        pop.size[b[:10]] = np.maximum(1, pop.size[b[:10]] + rng.integers(-1, 2, 10))
        pop.status[b[10:20]] = np.where(pop.status[b[10:20]] == ACTIVE, SUSPENDED, ACTIVE)
        pop.owner[b[20:30]] = np.where(pop.owner[b[20:30]] >= 0, -1, 0)
        if round_ == 3:  # a per-cell factor changes: every weight is recomputed
            m.sector_priority = m.sector_priority * 1.1
        if round_ == 4:
            m.policy.nli.size_exponent = 0.5
        ins.invalidate_weights()
        got, want = ins.risk_weights(), full(m)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
        for _ in range(3):  # the model runs on and the weights follow it
            m.step()
        ins.invalidate_weights()
        got, want = ins.risk_weights(), full(m)
        assert got.tobytes() == want.tobytes()
