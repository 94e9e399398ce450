"""The model's public interface for live use: set_levers, live_kpis, and the phoenix successor link."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from conftest import make_cfg
from pandas.testing import assert_frame_equal

from sim.config import ConfigError, load_config, validate
from sim.config.policy import Intervention
from sim.events import KIND
from sim.model import LIVE_FLOWS, LIVE_LEVELS, AkrimModel

SHORT = ("scale=0.02", "start=2014", "end=2015", "seed=3")
CHANGE = {"nli.n_inspectors": 400.0, "sanctions.p_fine": 0.2, "sharing.latency_multiplier": 2.0}
WEEKS_BEFORE = 30  # the change comes at the tick of day 210 (2014-07-30)


# ----------------------------------------------------------------------------- set_levers
def test_set_levers_applies_from_the_next_tick():
    m = AkrimModel(make_cfg("scale=0.01", "start=2014", "end=2014"))
    for _ in range(3):
        m.step()
    before = m.expected_sanction
    keys = m.set_levers({"policy.nli.n_inspectors": 300, "sanctions.p_fine": 0.3}, note="test")
    assert keys == ["nli.n_inspectors", "sanctions.p_fine"]
    assert m.policy.nli.n_inspectors == 215.0 and m.expected_sanction == before  # nothing changes before the tick
    plan = m.planned_policy()
    assert plan.nli.n_inspectors == 300.0 and isinstance(plan.nli.n_inspectors, float) and plan.sanctions.p_fine == 0.3
    m.trace = []
    m.step()
    assert m.trace[:3] == ["close", "calendar", "intervention:nli.n_inspectors,sanctions.p_fine"]
    assert m.policy.nli.n_inspectors == 300.0 and m.expected_sanction > before
    iv = m.policy.interventions[-1]
    assert (iv.start, iv.note) == ("2014-01-22", "test")
    ev = m.log.to_frame(2014, m.tables.regions, m.tables.sectors)
    row = ev[ev.kind == "intervention"]
    assert len(row) == 1 and row.t_day.iloc[0] == 21.0 and row.value.iloc[0] == len(m.policy.interventions) - 1
    assert m.set_levers({}) == [] and len(m.policy.interventions) == 1


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("policy.nli.inspectors", 300, "policy.nli.inspectors = 300 (allowed: a lever key under policy; policy.nli has n_inspectors,"),
        ("nli.n_inspectors", -5, "policy.nli.n_inspectors = -5.0 (allowed: a number in [0, 100000])"),
        ("sanctions.p_fine", 1.5, "policy.sanctions.p_fine = 1.5 (allowed: a probability in [0, 1])"),
        ("nli.n_inspectors", "many", "policy.nli.n_inspectors = 'many' (allowed: a number in [0, 100000])"),
        ("sharing.regulation", "2026-13-01", "policy.sharing.regulation = '2026-13-01' (allowed: an ISO date YYYY-MM-DD"),
        ("sanctions.publish_suspensions", 1, "policy.sanctions.publish_suspensions = 1 (allowed: a value of the lever's type (bool))"),
        ("centres.by_region.oslo.priorities_per_meeting", -1, "priorities_per_meeting = -1.0 (allowed: a number in [0, 50]"),
        ("centres.by_region.oslo", 3, "policy.centres.by_region.oslo = 3 (allowed: a single lever value, not a section)"),
        ("consumers.norgesmodellen_sectors", ["mining"], "policy.consumers.norgesmodellen_sectors = 'mining' (allowed: sectors among"),
    ],
)
def test_set_levers_rejects_bad_keys_and_values(key, value, message):
    m = AkrimModel(make_cfg("scale=0.01", "start=2014", "end=2014"))
    with pytest.raises(ConfigError) as exc:
        m.set_levers({"nli.n_inspectors": 250.0, key: value})
    assert message in str(exc.value)
    assert m.policy.interventions == [] and m.planned_policy().nli.n_inspectors == 215.0  # nothing queued


@pytest.mark.parametrize(
    "overrides",
    [
        ("policy.sanctions.p_fine=1.5",),
        ("policy.sharing.regulation=2026-13-01",),
        ("policy.nli.w_random=0", "policy.nli.w_risk_based=0", "policy.nli.w_intelligence_led=0"),  # a cross-field rule
    ],
)
def test_set_levers_errors_read_like_the_configuration(overrides):
    with pytest.raises(ConfigError) as want:
        load_config(["output.progress=false", *overrides])
    m = AkrimModel(make_cfg("scale=0.01", "start=2014", "end=2014"))
    change = {}
    for ov in overrides:
        k, v = ov.split("=")
        change[k] = v if "regulation" in k else float(v)
    with pytest.raises(ConfigError) as got:
        m.set_levers(change)
    assert str(got.value) == str(want.value)


def test_set_levers_keeps_later_interventions_valid():
    m = AkrimModel(make_cfg("policy=liberal_fines", "scale=0.01", "start=2025", "end=2026"))  # p_fine x2 from 2026
    with pytest.raises(ConfigError, match=r"policy.sanctions.p_fine = 1.2 .*set by policy.interventions\[0\] after this change"):
        m.set_levers({"sanctions.p_fine": 0.6})
    assert m.set_levers({"sanctions.p_fine": 0.4}) == ["sanctions.p_fine"]


def _frames(res):
    return (res.annual, res.by_region, res.by_sector, res.monthly, res.events)


def test_set_levers_has_the_effect_of_a_dated_intervention():
    """A change made between steps = the same change as a scenario intervention dated that day."""
    base_cfg = make_cfg(*SHORT)
    live = AkrimModel(base_cfg)
    for _ in range(WEEKS_BEFORE):
        live.step()
    day = live.today.isoformat()
    live.set_levers({f"policy.{k}": v for k, v in CHANGE.items()})
    res_live = live.run()

    cfg = copy.deepcopy(base_cfg)
    cfg.policy.interventions.append(Intervention(start=day, set=dict(CHANGE)))
    validate(cfg)
    res_cfg = AkrimModel(cfg).run()
    for a, b in zip(_frames(res_live), _frames(res_cfg)):
        assert_frame_equal(a, b, check_exact=True)

    res_none = AkrimModel(base_cfg).run()
    assert not res_none.annual.equals(res_live.annual)
    first = res_none.annual.year == 2014
    assert (res_live.annual.loc[first, "inspections_nli"] > res_none.annual.loc[first, "inspections_nli"]).all()


# ----------------------------------------------------------------------------- live_kpis
def test_live_kpis_are_the_annual_values_at_the_year_boundary():
    m = AkrimModel(make_cfg(*SHORT))
    k0 = m.live_kpis()
    assert list(k0) == [*LIVE_LEVELS, *LIVE_FLOWS] and all(type(v) is float for v in k0.values())
    assert all(k0[f] == 0.0 for f in LIVE_FLOWS) and k0["active_threat_actors"] > 0
    while m.last_tick_month is None or m.last_tick_month < (2015, 1):
        m.step()
    assert m.last_tick_month == (2015, 1)
    # 2014 is closed: what the run has counted beyond this year's flows is 2014's annual row.
    y2014 = m.metrics.annual().set_index("year").loc[2014]
    ytd, cum = m.live_kpis(), m.live_kpis(cumulative=True)
    for f in LIVE_FLOWS:
        assert cum[f] - ytd[f] == pytest.approx(y2014[f], rel=1e-12, abs=1e-9), f
    # Levels are the monthly series' definitions, at this moment.
    for k in LIVE_LEVELS:
        assert ytd[k] == m.datacollector.model_reporters[k](m)
    while m.env.now < m.end_day:
        m.step()
    res = m.finish()
    last = res.annual.set_index("year").loc[2015]
    ytd, cum = m.live_kpis(), m.live_kpis(cumulative=True)
    for f in LIVE_FLOWS:
        assert ytd[f] == last[f], f  # bit for bit: the same accumulator, the same scaling
        assert cum[f] == pytest.approx(res.annual[f].sum(), rel=1e-12), f
    assert ytd["active_threat_actors"] == last["active_threat_actors"]  # the year-end stock is the level at the close
    assert ytd["exploited_workers"] > 0 and 0 < ytd["undeclared_share"] < 1


def test_workshop_series_records_live_kpis():
    from experiments.workshop.session import WorkshopModel

    m = WorkshopModel(seed=3, scale=0.02, start=2014, end=2015)
    m.advance(5)
    k = m.live_kpis(cumulative=True)
    assert m.series.latest("exploited_workers") == k["exploited_workers"]
    assert m.series.cum["controls_12m"][m.series.n - 1] == k["inspections_nli"] + k["inspections_joint"]


# ----------------------------------------------------------------------------- phoenix successor
def test_phoenix_successor_is_logged_with_its_firm_id():
    m = AkrimModel(make_cfg(*SHORT))
    seen: list[tuple[int, int, int]] = []
    add = m.log.add

    def checked_add(t, kind, region=-1, sector=-1, firm=-1, actor=-1, agency="none", value=0.0):
        if kind == "company_succeeded":  # at that moment the successor is a firm the same actor holds
            blocks = np.flatnonzero(m.pop.firm_id == firm)
            assert blocks.size == 1
            b = int(blocks[0])
            assert m.pop.owner[b] == actor and b in m.actor_list[actor].firms
            assert (int(m.pop.region[b]), int(m.pop.sector[b])) == (region, sector)
            assert int(value) != firm and t == m.env.now
            seen.append((firm, int(value), actor))
        add(t, kind, region, sector, firm, actor, agency, value)

    m.log.add = checked_add
    res = m.run()
    assert seen, "two years at this scale always see a phoenix bankruptcy"
    ev = res.events
    ph = ev[ev.kind == "bankruptcy_phoenix"]
    succ = ev[ev.kind == "company_succeeded"]
    assert len(succ) == len(seen) <= len(ph)
    # Each successor follows its own bankruptcy: same time, actor and workplace, value = the bankrupt firm.
    old = ph[["t_day", "actor", "firm", "region", "sector"]].assign(old=ph.firm.astype(float))
    pairs = succ.merge(old, left_on=["t_day", "actor", "value"], right_on=["t_day", "actor", "old"], suffixes=("", "_ph"))
    assert len(pairs) == len(succ)
    # Most successors take over the bankrupt firm's workplace; one registered where the actor now
    # operates (displacement, p_successor_moves) may be in another sector or region.
    same = (pairs.region == pairs.region_ph) & (pairs.sector == pairs.sector_ph)
    assert same.mean() > 0.5
    assert succ.firm.is_unique and (succ.firm > succ.value).all()  # fresh ids, never an earlier firm's
    assert KIND["company_succeeded"] < KIND["company_wound_up"]  # new kinds are appended: old codes stay


def test_successor_events_change_no_output():
    on = AkrimModel(make_cfg(*SHORT)).run()
    off = AkrimModel(make_cfg(*SHORT, events=False)).run()
    assert_frame_equal(on.annual, off.annual, check_exact=True)
    assert_frame_equal(on.monthly, off.monthly, check_exact=True)
