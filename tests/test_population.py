"""sim.population: workers are conserved and every workplace keeps its contiguous block of slots."""

from __future__ import annotations

import numpy as np
from conftest import make_cfg

from sim.model import AkrimModel
from sim.population import ACTIVE, SUSPENDED


def _assert_blocks_contiguous(pop) -> None:
    wk = pop.workers
    n = pop.n
    start = np.zeros(n, dtype=np.int64)
    np.cumsum(pop.cap[:-1], out=start[1:])
    np.testing.assert_array_equal(pop.start, start, err_msg="block starts are not the cumulative capacities")
    np.testing.assert_array_equal(wk.block, np.repeat(np.arange(n), pop.cap), err_msg="a slot left its block")
    np.testing.assert_array_equal(wk.rank, np.arange(wk.n) - np.repeat(start, pop.cap), err_msg="slot ranks broken")
    assert wk.n == int(pop.cap.sum())
    for name in ("migrant", "posted", "vuln", "aware", "q"):
        assert getattr(wk, name).shape == (wk.n,), name


def test_fresh_population_is_consistent():
    m = AkrimModel(make_cfg("scale=0.01", "end=2014"))
    pop = m.pop
    _assert_blocks_contiguous(pop)
    assert np.all(pop.size >= 1) and np.all(pop.size <= pop.cap - 1)
    # Every sector x region cell has a workplace; the cell index covers every block once.
    assert all(len(c) > 0 for c in pop.cell_blocks)
    np.testing.assert_array_equal(np.sort(np.concatenate(pop.cell_blocks)), np.arange(pop.n))
    # Employment at 1:1 is close to the sector table (SPEC 2.2).
    emp = np.bincount(pop.sector, weights=pop.size, minlength=len(m.tables.sectors)) / m.scale
    np.testing.assert_allclose(emp, m.tables.employment, rtol=0.05)
    # Scale 1:1 firm count close to the configured national number.
    assert abs(pop.n / m.scale - m.cfg.world.population.n_employers) / m.cfg.world.population.n_employers < 0.05


def test_workers_conserved_through_a_run_with_bankruptcies(stepped_baseline):
    sr = stepped_baseline
    pop = sr.model.pop
    annual = sr.result.annual
    # The run really had firm turnover and planned bankruptcies ...
    assert annual["phoenix_bankruptcies"].sum() > 0
    assert (sr.result.events["kind"] == "bankruptcy_phoenix").sum() > 10
    assert sr.next_firm_id[-1] > sr.next_firm_id[0] + 100
    # ... and still not a single job slot was created or destroyed.
    assert set(sr.cap_total) == {sr.cap_total[0]}
    assert set(sr.n_slots) == {sr.n_slots[0]} and sr.n_slots[0] == sr.cap_total[0]
    np.testing.assert_array_equal(pop.cap, sr.initial_cap)
    np.testing.assert_array_equal(pop.start, sr.initial_start)
    _assert_blocks_contiguous(pop)


def test_firm_sizes_and_worker_aggregates_stay_in_range(stepped_baseline):
    pop = stepped_baseline.model.pop
    assert np.all(pop.size >= 1) and np.all(pop.size <= pop.cap - 1)
    pop.aggregate()
    size_eff = np.where(pop.status == SUSPENDED, 0, pop.size)
    assert np.all(pop.n_und >= 0) and np.all(pop.n_under >= 0)
    assert np.all(pop.n_und <= pop.n_expl) and np.all(pop.n_under <= pop.n_expl)
    assert np.all(pop.n_expl <= size_eff)
    assert np.all(pop.n_posted <= size_eff)
    assert np.all((pop.u >= 0) & (pop.u <= 1)) and np.all((pop.w >= 0) & (pop.w <= 1))
    assert np.all((pop.p_hat >= 0) & (pop.p_hat <= 1))
    assert set(np.unique(pop.status)) <= {ACTIVE, SUSPENDED}
    wk = pop.workers
    assert np.all((wk.aware >= 0) & (wk.aware <= 1)) and np.all((wk.vuln >= 0) & (wk.vuln <= 1))
    assert np.all(~wk.posted | wk.migrant), "a posted worker must count as a migrant"


def test_actor_companies_are_consistent(stepped_baseline):
    m = stepped_baseline.model
    pop = m.pop
    owned = np.flatnonzero(pop.owner >= 0)
    assert owned.size > 0
    # Each owned workplace is listed in its actor's firms, and vice versa.
    for b in owned:
        assert b in m.actor_list[pop.owner[b]].firms
    for a in m.actor_list:
        for b in a.firms:
            assert pop.owner[b] == a.aid
        assert m.ta.n_firms[a.aid] == len(a.firms)
    # Firm ids are unique among current occupants.
    assert np.unique(pop.firm_id).size == pop.n


def test_cumulative_counters_never_fall(stepped_baseline):
    sr = stepped_baseline
    for name in ("next_firm_id", "n_events", "n_actors"):
        seq = np.array(getattr(sr, name))
        assert np.all(np.diff(seq) >= 0), f"{name} fell during the run"
        assert seq[-1] > seq[0], f"{name} never grew: the check would be empty"


def test_yearly_flow_accumulators_never_fall(stepped_baseline):
    """Flows (counts and NOK) accumulate; a step may never take anything back."""
    sr = stepped_baseline
    for before, after in zip(sr.flows, sr.flows[1:]):
        assert np.all(after >= before - 1e-9)
    for before, after in zip(sr.dens, sr.dens[1:]):
        assert np.all(after >= before - 1e-9)
    assert sr.flows[-1].sum() > sr.flows[0].sum()
