"""Per-cell integer sums (``Population.cell_sums``) and the monthly observation built on them, bit for bit."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim.config import load_config
from sim.metrics import undeclared_share
from sim.model import AkrimModel


def undeclared_reference(pop, tables, by=None, minlength=0, risk_only=True):
    """``undeclared_share`` as it was written, per workplace with ``np.bincount``."""
    risk = tables.risk_sector[pop.sector] if risk_only else np.ones(pop.n, dtype=bool)
    emp = np.where(risk & (pop.status == 0), pop.size, 0).astype(float)
    und = np.where(risk, pop.n_und, 0).astype(float)
    if by is None:
        return float(und.sum() / max(emp.sum(), 1.0))
    return np.bincount(by, und, minlength), np.bincount(by, emp, minlength)


@pytest.fixture(scope="module")
def model():
    m = AkrimModel(load_config(["scale=0.02", "seed=8", "output.progress=false", "output.events=false"]))
    for _ in range(12):
        m.step()
    return m


def month_reference(m, y):
    """``Observer.month`` as it was written with ``np.bincount`` (before the cell sums)."""
    pop, mt, tb = m.pop, m.metrics, m.tables
    nr, ns = len(tb.regions), len(tb.sectors)
    und_r, emp_r = undeclared_reference(pop, tb, pop.region, nr)
    und_s, emp_s = undeclared_reference(pop, tb, pop.sector, ns, risk_only=False)
    mt.ratio(y, "undeclared_work_share", und_r.sum(), emp_r.sum(), und_r, emp_r, und_s, emp_s)
    emp = np.where(pop.status == 0, pop.size, 0).astype(float)
    ones_r, ones_s = np.ones(nr), np.ones(ns)
    expl = pop.n_expl.astype(float)
    mt.ratio(y, "exploited_workers", expl.sum(), 1.0, np.bincount(pop.region, expl, nr), ones_r, np.bincount(pop.sector, expl, ns), ones_s)
    ta = np.where(pop.owner >= 0, expl, 0.0)
    mt.ratio(y, "exploited_workers_ta", ta.sum(), 1.0, np.bincount(pop.region, ta, nr), ones_r, np.bincount(pop.sector, ta, ns), ones_s)
    mt.ratio(y, "workers_employed", emp.sum(), 1.0, np.bincount(pop.region, emp, nr), ones_r, np.bincount(pop.sector, emp, ns), ones_s)


def test_cell_sums_equal_bincount(model):
    pop = model.pop
    rng = np.random.default_rng(2)
    for values in (pop.size, pop.n_und, rng.integers(0, 10**6, pop.n).astype(np.int32), np.zeros(pop.n, dtype=np.int32)):
        want = np.bincount(pop.cell, weights=values.astype(float), minlength=pop.n_cells)
        got = pop.cell_sums(values).astype(float)
        assert got.tobytes() == want.tobytes()


def test_per_cell_equals_the_gather(model):
    pop = model.pop
    v = np.random.default_rng(6).random(pop.n_cells)
    assert pop.per_cell(v).tobytes() == v[pop.cell].tobytes()


def test_cell_float_sums_equal_bincount(model):
    pop = model.pop
    rng = np.random.default_rng(3)
    for values in (rng.random(pop.n), rng.lognormal(0, 4, pop.n), rng.random(pop.n).astype(np.float32), np.zeros(pop.n)):
        want = np.bincount(pop.cell, weights=values, minlength=pop.n_cells)
        assert pop.cell_float_sums(values).tobytes() == want.tobytes()


def test_month_equals_the_bincount_version(model):
    m = model
    pop = m.pop
    rng = np.random.default_rng(4)
    saved = {k: getattr(pop, k).copy() for k in ("n_und", "n_expl", "status", "owner")}
    metrics = m.metrics
    try:
        for trial in range(3):
            if trial:  # more evasion, suspensions and actor firms than a young model has
                pop.n_expl = rng.integers(0, 30, pop.n).astype(np.int32)
                pop.n_und = np.minimum(pop.n_expl, rng.integers(0, 30, pop.n)).astype(np.int32)
                pop.status = np.where(rng.random(pop.n) < 0.1, 1, 0).astype(np.int8)
                pop.owner = np.where(rng.random(pop.n) < 0.05, 3, -1).astype(np.int32)
            assert undeclared_share(pop, m.tables) == undeclared_reference(pop, m.tables)
            new, ref = copy.deepcopy(m.metrics), copy.deepcopy(m.metrics)
            m.metrics = new
            m.observer.month(0)
            m.metrics = ref
            month_reference(m, 0)
            for a in ("num", "den", "num_r", "den_r", "num_s", "den_s"):
                assert getattr(new, a).tobytes() == getattr(ref, a).tobytes(), a
    finally:
        for k, v in saved.items():
            setattr(pop, k, v)
        m.metrics = metrics
