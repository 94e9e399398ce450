"""Threat actors at national count (``national_actors``, issue 11: scale; ODD 2.10).

With the switch on, a run below 1:1 builds the risk sectors (where actors operate) at 1:1 and the
other sectors at its scale; actors, the centres, NTAES and the police work on national numbers.
Every block of a risk sector then stands for one national firm, so its events count ``scale`` before
the division by the scale, and the agencies' scaled capacity is drawn so that every firm keeps its
national per-firm rate. The default (off) output is unchanged bit for bit
(``benchmarks/output_identical.txt``); ``docs/validation.md`` section 6b shows the centres'
KPIs at 1:20, 1:10 and 1:5 agreeing with 1:1.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run

from sim.capacity import SharedCapacity, water_fill, water_fill_costs
from sim.runner import scale_caveat

SHORT = ("end=2016", "seed=11")


@pytest.fixture(scope="module")
def pair():
    """The same seed and scale with the switch off and on (2014-2016)."""
    off = run("scale=0.03", *SHORT, events=False)
    on = run("scale=0.03", *SHORT, "national_actors=true", events=False)
    return off, on


def test_water_fill_costs_reduces_to_water_fill_and_spends_the_amount_in_cost():
    rng = np.random.default_rng(3)
    w = rng.random(12)
    assert np.allclose(water_fill_costs(w, np.ones(12), 4.5), water_fill(w, 4.5))
    c = rng.choice([0.05, 1.0], size=12)
    p = water_fill_costs(w, c, 2.0)
    assert np.all((p >= 0) & (p <= 1))
    assert float(np.dot(p, c)) == pytest.approx(2.0)
    order = np.argsort(w)
    assert np.all(np.diff(p[order]) >= -1e-12)  # a heavier job is served at least as surely
    assert np.all(water_fill_costs(w, c, float(c.sum()) + 1.0) == 1.0)


def test_a_pool_spends_the_cost_of_what_it_serves():
    pool = SharedCapacity("t", np.uint64(5), rate_per_year=52.0 * 0.5, carry_jobs=2.0)
    for j in range(40):
        pool.add(j, None, 1.0, 0.05)  # forty jobs that each take a twentieth of a job's capacity
    served = pool.allocate(0.5)
    assert len(served) > 1  # a unit-cost pool would serve about half a job
    assert pool.budget == pytest.approx(0.5 - 0.05 * len(served))
    assert not pool.costs.keys() & {j for j, _ in served}


def test_actors_and_the_actor_side_are_at_national_count(pair):
    (m_off, _), (m_on, _) = pair
    assert m_on.national_actors and not m_off.national_actors
    n0 = m_on.cfg.world.actors.n_initial
    # The initial stock is spawned at national count (n_initial), not n_initial x scale.
    assert m_off.act_s == pytest.approx(0.03) and m_on.act_s == 1.0
    assert m_on.ta.n >= n0 > 10 * m_off.ta.n
    c_off, c_on = m_off.centres[0], m_on.centres[0]
    assert c_on.analysis.rate_per_year == pytest.approx(c_off.analysis.rate_per_year / 0.03)
    # Risk sectors at 1:1, the rest at the scale: employment per sector against the table.
    tb, pop = m_on.tables, m_on.pop
    emp = np.bincount(pop.sector, weights=pop.size, minlength=len(tb.sectors))
    risk = tb.risk_sector.astype(bool)
    assert np.allclose(emp[risk] / tb.employment[risk], 1.0, rtol=0.1)  # after three years of growth and exits
    assert np.allclose(emp[~risk] / tb.employment[~risk], 0.03, rtol=0.1)


def test_actor_stocks_are_not_divided_by_the_scale_again(pair):
    """The year-end stock is the run's own count of active actors (each one national actor)."""
    (m_off, r_off), (m_on, r_on) = pair
    a_on = r_on.annual.set_index("year")
    a_off = r_off.annual.set_index("year")
    assert a_on.loc[2016, "active_threat_actors"] == pytest.approx(float(m_on.ta.active_mask().sum()))
    assert a_off.loc[2016, "active_threat_actors"] == pytest.approx(float(m_off.ta.active_mask().sum()) / 0.03)


def test_firm_side_kpis_agree_with_the_default_at_the_same_scale(pair):
    """The agencies' draws keep every firm at its national rate, and sums are weighted by sector:
    inspections, undeclared work and exploited workers come out as in the default run. Without the
    weights the NLI's inspections would land mostly on the 1:1 risk sectors (counted at a fraction)
    and exploited workers there would count ``1/scale`` times."""
    (_, r_off), (_, r_on) = pair
    a_off, a_on = r_off.annual.set_index("year"), r_on.annual.set_index("year")
    for k, tol in (("inspections_nli", 0.06), ("undeclared_work_share", 0.05), ("exploited_workers", 0.06), ("tax_audits", 0.15)):
        x, y = a_off.loc[2014:2016, k].mean(), a_on.loc[2014:2016, k].mean()
        assert y == pytest.approx(x, rel=tol), k


def test_the_caveat_says_the_centres_work_at_national_resolution():
    assert "national count" in scale_caveat(0.1, national_actors=True)
    assert "measured at" in scale_caveat(0.1)
    assert scale_caveat(1.0, national_actors=True) is None


def test_registrations_from_events_are_weighted_by_sector():
    import pandas as pd

    from experiments.tables import add_registrations

    df = pd.DataFrame({"table": ["annual"], "year": [2014], "unit": [""]})
    ev = pd.DataFrame({"kind": ["company_opened"] * 3, "date": ["2014-03-01"] * 3, "region": ["oslo"] * 3,
                       "sector": ["construction", "construction", "other"]})
    plain = add_registrations(df, ev, 0.1)
    weighted = add_registrations(df, ev, 0.1, {"construction": 0.1, "other": 1.0})
    assert plain["registrations"].iloc[0] == pytest.approx(30.0)
    assert weighted["registrations"].iloc[0] == pytest.approx(12.0)  # 2 national firms + 1 standing for 10


def test_a_neutral_switch_leaves_stored_run_keys_as_they_were():
    """``national_actors: false`` is left out of a run's key, so runs stored before the switch existed are reused."""
    from experiments.runs import config_dict, key_of
    from sim.config import load_config

    off = load_config(["scale=0.03"])
    on = load_config(["scale=0.03", "national_actors=true"])
    assert "national_actors" not in config_dict(off) and config_dict(on)["national_actors"] is True
    assert key_of(off) != key_of(on)


def test_the_validation_document_checks_scale_with_actors_at_national_count_too():
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / "gen_validation.py"
    spec = importlib.util.spec_from_file_location("gen_validation", path)
    gen = importlib.util.module_from_spec(spec)
    sys.modules["gen_validation"] = gen
    spec.loader.exec_module(gen)
    arms = gen.plan_arms(gen.parse(["sections=[scale,scale_national]", "scales=[0.05,1.0]"]))
    plain, national = arms["scale"], arms["scale_national"]
    assert "national_actors=true" in national[0.05].overrides and "national_actors=true" not in plain[0.05].overrides
    assert national[1.0].overrides == plain[1.0].overrides  # the national runs are shared by both sections
