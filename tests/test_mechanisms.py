"""The mechanisms of issue 11: each has a test that fails without it and a test of its direction.

* shared capacity (sim/capacity.py): the expected service equals the capacity, and a waiting
  job's chance does not depend on the population scale;
* threat-actor stocks settle (entry against exit, portfolios that fill a target);
* displacement across sectors and regions (sector and region pushes);
* central threat actors are a selected minority of the latent population;
* deterrence with diminishing returns (saturating perception, heterogeneous response, hard core);
* the sanction mix by origin on keyed draws (common random numbers per finding);
* Tax audits and NAV controls as activities of their own.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_cfg, run

from sim.capacity import SharedCapacity, water_fill
from sim.firms import evasion_targets
from sim.metrics import undeclared_share
from sim.model import AkrimModel
from sim.population import OPPORTUNISTIC
from sim.rng import keyed_uniform, replicate_seeds

SEEDS = replicate_seeds(11, 2)


# ---------------------------------------------------------------------------- shared capacity
def test_water_fill_serves_the_capacity_and_prefers_weight():
    w = np.array([5.0, 1.0, 1.0, 1.0, 0.0])
    p = water_fill(w, 2.0)
    assert p.sum() == pytest.approx(2.0)
    assert p.max() <= 1.0 and p[0] == 1.0 and p[4] == 0.0
    assert p[1] == pytest.approx(p[2]) == pytest.approx(1.0 / 3.0)
    assert water_fill(w, 10.0).tolist() == [1.0] * 5
    assert water_fill(np.zeros(3), 1.5).sum() == pytest.approx(1.5)  # no weights: all equal


def _pool_run(scale: float, arrivals_per_year: float, capacity_per_year: float, weeks: int = 520, seed: int = 1):
    rng = np.random.default_rng(seed)
    pool = SharedCapacity("t", np.uint64(7), rate_per_year=capacity_per_year * scale)
    served, job_weeks, arrived = 0, 0, 0
    for _week in range(weeks):
        for _ in range(rng.poisson(arrivals_per_year * scale * 7 / 365.25)):
            pool.add(arrived)
            arrived += 1
        job_weeks += len(pool)
        served += len(pool.allocate(pool.weekly_amount()))
    return served, job_weeks, arrived


def test_a_busy_pools_service_chance_does_not_depend_on_the_scale():
    """Where jobs queue (demand above capacity), each waiting job is served with probability
    capacity / demand, a ratio of two quantities proportional to the scale. The old
    first-come-first-served desk served one job per 1/(rate x scale) days instead, so every job
    waited twenty times longer at scale 0.05 than at 1.0."""
    chance = []
    for scale, seeds in ((0.05, range(40)), (1.0, range(3))):  # small populations are noisy: more seeds
        tot = np.zeros(2)
        for seed in seeds:
            served, job_weeks, _ = _pool_run(scale, arrivals_per_year=300.0, capacity_per_year=200.0, weeks=156, seed=seed)
            tot += (served, job_weeks)
        chance.append(tot[0] / tot[1])  # served per job-week waited
    assert max(chance) / min(chance) < 1.2, chance


def test_a_pool_with_spare_capacity_serves_all_demand_at_every_scale():
    for scale in (0.05, 0.2, 1.0):
        served, job_weeks, arrived = _pool_run(scale, arrivals_per_year=100.0, capacity_per_year=200.0)
        assert served >= 0.9 * arrived, (scale, served, arrived)


# ---------------------------------------------------------------------------- actor stocks
def _default_entry() -> float:
    from sim.actors import entry_rate_year

    return entry_rate_year(make_cfg("world=default").world.actors)


@pytest.fixture(scope="module")
def long_runs():
    out = {}
    e = _default_entry()
    for label, extra in (("default", ()),
                         # the same entry, fixed, without the exit hazards
                         ("no_exit", (f"world.actors.rate_new_year={e}", "world.actors.rate_exit_year=0", "world.actors.rate_company_close_year=0",
                                      "world.actors.rate_desist_year=0")),
                         ("entry_low", (f"world.actors.rate_new_year={0.5 * e}", "world.actors.entry_crowding=0")),  # half the steady state, fixed
                         # generation 4: twice the outside exit against the same entry, with and without the replacement effect
                         ("exit_high", (f"world.actors.rate_new_year={e}", "world.actors.rate_exit_year=0.16")),
                         ("exit_high_fixed", (f"world.actors.rate_new_year={e}", "world.actors.rate_exit_year=0.16", "world.actors.entry_crowding=0")),
                         # generation 4: no depreciation, so nothing restores capacity
                         ("no_depreciation", ("world.actors.capacity_depreciation_year=0",))):
        out[label] = [run("world=default", "scale=0.03", "end=2030", f"seed={s}", *extra, events=False)[1].annual for s in SEEDS]
    return out


def test_threat_actor_stock_and_portfolios_settle(long_runs):
    # Three-year means, and the stock's drift as the mean over seeds: at scale 0.03 the stock is
    # some 40 actors, a random walk of entries and exits (one seed's 2020-30 change has an sd of
    # about 20%), so one seed's change says little; a drift shows in all of them.
    changes = []
    for a in long_runs["default"]:
        s = a.set_index("year")
        changes.append(s.loc[2028:2030, "active_threat_actors"].mean() / s.loc[2019:2021, "active_threat_actors"].mean() - 1.0)
        assert abs(changes[-1]) < 0.5, changes
        assert s.loc[2020:2030, "companies_per_ta"].max() < 1.5 * s.loc[2016, "companies_per_ta"]
    assert abs(np.mean(changes)) < 0.25, changes


def test_entry_at_the_initial_stocks_steady_state_keeps_the_latent_stock_level(long_runs):
    """rate_new_year null (the default): entry replaces the actors expected to leave, so the stock
    starts at its steady state and holds (2014-16 against 2028-30 within 15%, mean of seeds); a
    fixed entry (no crowding) of half that drains it (issue 11: the calibrated world drained by 20%)."""
    from sim.actors import entry_rate_year

    w = make_cfg("world=default").world.actors
    assert w.rate_new_year is None
    assert entry_rate_year(w) == pytest.approx(w.n_initial * (w.rate_exit_year + w.rate_desist_year * (1 - w.intent_initial) + w.rate_incapacitation_year))
    assert entry_rate_year(make_cfg("world=default", "world.actors.rate_new_year=150").world.actors) == 150.0

    def change(a):
        s = a.set_index("year")["active_threat_actors"]
        return s.loc[2028:2030].mean() / s.loc[2014:2016].mean() - 1.0

    level = np.mean([change(a) for a in long_runs["default"]])
    low = np.mean([change(a) for a in long_runs["entry_low"]])
    assert abs(level) < 0.15, level
    assert low < level - 0.15, (level, low)


def test_crowding_factor_is_the_room_the_market_leaves():
    """Unit: (n_initial x scale / active actors)^entry_crowding, 1 when crowding is off."""
    from sim.actors import ACTIVE, DESISTED, crowding_factor

    m = AkrimModel(make_cfg("world=default", "scale=0.03", "end=2014", events=False))
    w = m.cfg.world.actors
    n0 = int(np.count_nonzero(m.ta.active_mask()))
    expected_full = (w.n_initial * m.scale / n0) ** w.entry_crowding
    assert crowding_factor(m) == pytest.approx(expected_full)
    half = np.flatnonzero(m.ta.active_mask())[: n0 // 2]
    m.ta.status[half] = DESISTED  # half the market leaves: more room for newcomers
    assert crowding_factor(m) == pytest.approx((w.n_initial * m.scale / (n0 - half.size)) ** w.entry_crowding)
    assert crowding_factor(m) > 1.8 * expected_full
    m.ta.status[half] = ACTIVE
    off = AkrimModel(make_cfg("world=default", "scale=0.03", "end=2014", "world.actors.entry_crowding=0", events=False))
    off.ta.status[np.flatnonzero(off.ta.active_mask())[: n0 // 2]] = DESISTED
    assert crowding_factor(off) == 1.0


def _stock_change(a, first=(2014, 2016), last=(2028, 2030), col="active_threat_actors") -> float:
    s = a.set_index("year")[col]
    return s.loc[last[0]:last[1]].mean() / s.loc[first[0]:first[1]].mean() - 1.0


def test_replacement_entry_halves_the_fall_when_exits_rise(long_runs):
    """Generation 4 (ODD §8.5, replacement): twice the outside exit against the same entry lowers
    the latent stock; with the crowding entry (elasticity 1) newcomers take up part of the room,
    so the stock falls by about half as much as with a fixed entry (steady states: -23% against
    -41% for these hazards). Mean over paired seeds."""
    crowd = np.mean([_stock_change(a) for a in long_runs["exit_high"]])
    fixed = np.mean([_stock_change(a) for a in long_runs["exit_high_fixed"]])
    assert fixed < -0.2, fixed
    assert crowd < 0.0, crowd  # replacement softens enforcement's effect on the stock, it does not undo it
    assert crowd > fixed + 0.08, (crowd, fixed)


def _capacity_per_actor(a, years) -> float:
    s = a.set_index("year")
    return float((s.loc[years[0]:years[1], "ta_capacity_total"] / s.loc[years[0]:years[1], "active_threat_actors"]).mean())


def test_capacity_settles_with_depreciation_and_grows_without(long_runs):
    """Generation 4 (ODD §8.5): depreciation is the restoring force of an actor's capacity. With it
    the capacity per active actor in 2028-30 stays within 30% of 2016-18 (generation 3's upkeep
    drained it by half); without it reinvested profit piles up."""
    with_dep = [(_capacity_per_actor(a, (2028, 2030)) / _capacity_per_actor(a, (2016, 2018))) for a in long_runs["default"]]
    without = [(_capacity_per_actor(a, (2028, 2030)) / _capacity_per_actor(a, (2016, 2018))) for a in long_runs["no_depreciation"]]
    assert all(0.7 < r < 1.3 for r in with_dep), with_dep
    # Paired by seed. Generation 5 keeps ordinary controls in the exposed industries, so sanctions
    # drain both arms more than in generation 4 (measured: +0.32 and +0.23 without depreciation;
    # generation 4's mean gap was above 0.3).
    assert all(w - d > 0.15 for w, d in zip(without, with_dep, strict=True)), (with_dep, without)


def test_without_exit_and_wind_ups_the_stock_grows(long_runs):
    """The steady state comes from the exit hazards: remove them and the stock keeps growing."""
    grow_default = np.mean([a.set_index("year").loc[2030, "active_threat_actors"] / a.set_index("year").loc[2020, "active_threat_actors"]
                            for a in long_runs["default"]])
    grow_none = np.mean([a.set_index("year").loc[2030, "active_threat_actors"] / a.set_index("year").loc[2020, "active_threat_actors"]
                         for a in long_runs["no_exit"]])
    assert grow_none > grow_default + 0.15, (grow_default, grow_none)


def test_central_actors_are_a_selected_minority(long_runs):
    for a in long_runs["default"]:
        late = a[a.year >= 2020]
        assert (late["central_threat_actors"] > 0).mean() >= 0.5  # a handful of actors at this scale
        assert (late["central_threat_actors"] < 0.4 * late["active_threat_actors"]).all()


# ---------------------------------------------------------------------------- displacement
def _focus(m: AkrimModel) -> tuple[np.ndarray, np.ndarray]:
    t = m.ta
    act = t.active_mask()
    ns, nr = len(m.tables.sectors), len(m.tables.regions)
    return np.bincount(t.focus_sector[: t.n][act], minlength=ns), np.bincount(t.focus_region[: t.n][act], minlength=nr)


PUSH = ("world=default", "scale=0.03", "end=2019", "world.actors.p_refocus_month=0.3")


def test_a_sector_push_moves_actors_to_other_sectors():
    """Pooled over paired seeds (one seed at this scale holds only ~35 actors)."""
    push = '+policy.interventions=[{start: "2015-01-01", set: {nli.sector_weights: {construction: 10.0}, centres.sector_priority: {construction: 5.0}}}]'
    sb = sp = 0
    for seed in (*SEEDS, 99, 100):
        base, _ = run(*PUSH, f"seed={seed}", events=False)
        pushed, _ = run(*PUSH, f"seed={seed}", push, events=False)
        k = base.tables.sector_index("construction")
        sb, sp = sb + _focus(base)[0], sp + _focus(pushed)[0]
    assert sp[k] / sp.sum() < sb[k] / sb.sum() - 0.03, (sb, sp)
    others = np.flatnonzero(base.tables.risk_sector & (np.arange(sb.size) != k))
    assert sp[others].sum() / sp.sum() > sb[others].sum() / sb.sum()  # they went to other risk sectors


def test_without_sensitivity_a_push_displaces_far_fewer():
    """Switch the displacement off (sensitivity 0): the push still removes some actors (they are
    caught), but the share of actors operating in construction barely moves. Four paired seeds, as
    in the test above: one seed at this scale holds only ~35 actors, so one actor is ~3 points of
    share (with two seeds, generation 7 gave -4.5 points 'off' from a single actor's luck)."""
    push = '+policy.interventions=[{start: "2015-01-01", set: {nli.sector_weights: {construction: 10.0}, centres.sector_priority: {construction: 5.0}}}]'
    effect = {}
    for label, extra in (("on", ()), ("off", ("world.actors.displacement_sensitivity=0",))):
        d = []
        for seed in (*SEEDS, 99, 100):
            base, _ = run(*PUSH, *extra, f"seed={seed}", events=False)
            pushed, _ = run(*PUSH, *extra, f"seed={seed}", push, events=False)
            k = base.tables.sector_index("construction")
            (sb, _), (sp, _) = _focus(base), _focus(pushed)
            d.append(sb[k] / sb.sum() - sp[k] / sp.sum())
        effect[label] = float(np.mean(d))
    assert effect["on"] > effect["off"] + 0.03, effect
    assert abs(effect["off"]) < 0.04, effect


def test_a_region_push_moves_actors_out_of_the_region():
    push = '+policy.interventions=[{start: "2015-01-01", set: {nli.region_weights: {oslo: 6.0}}, multiply: {centres.by_region.oslo.inspection_teams: 4.0}}]'
    shares = []
    for seed in SEEDS:
        base, _ = run(*PUSH, f"seed={seed}", "world.actors.p_other_region=0.5", events=False)
        pushed, _ = run(*PUSH, f"seed={seed}", "world.actors.p_other_region=0.5", push, events=False)
        (_, rb), (_, rp) = _focus(base), _focus(pushed)
        shares.append((rb[0] / rb.sum(), rp[0] / rp.sum()))
    assert np.mean([p for _, p in shares]) < np.mean([b for b, _ in shares]) - 0.02, shares


# ---------------------------------------------------------------------------- deterrence
@pytest.fixture(scope="module")
def snapshot():
    m, _ = run("world=default", "scale=0.03", "end=2017", "seed=5", events=False)
    return m


def _equilibrium_share(m: AkrimModel, k: float, **firms) -> float:
    """Undeclared share once firms have adapted to an NLI inspection rate ``k`` times today's."""
    pop, fw = m.pop, m.cfg.world.firms
    saved = {k: getattr(pop, k).copy() for k in ("p_hat", "u", "w", "n_und", "n_under", "n_expl", "n_posted", "tip_w")}
    saved_peer = m.peer_evading.copy()
    saved_fw = {k: getattr(fw, k) for k in firms}
    for key, v in firms.items():
        setattr(fw, key, v)
    pop.p_hat[:] = 1.0 - np.exp(-fw.detect_amplifier * (k * m.nli_rate_cell[pop.cell] + m.joint_rate_cell[pop.cell]))
    b = np.arange(pop.n)
    for _ in range(6):  # let the peer norm settle too
        pop.u[:], pop.w[:] = evasion_targets(m, b)
        m.peer_evading = np.bincount(pop.cell, weights=(pop.u > fw.evader_threshold).astype(float), minlength=pop.n_cells) / m.cell_n_blocks
    pop.aggregate()
    share = undeclared_share(pop, m.tables)
    for k, v in saved.items():
        setattr(pop, k, v)
    m.peer_evading = saved_peer
    for k, v in saved_fw.items():
        setattr(fw, k, v)
    return share


def _per_inspector(m, **firms) -> list[float]:
    u = {k: _equilibrium_share(m, k, **firms) for k in (0.5, 1.0, 2.0, 4.0)}
    return [(u[a] - u[b]) / (b - a) for a, b in ((0.5, 1.0), (1.0, 2.0), (2.0, 4.0))]


def test_deterrence_has_diminishing_returns_per_inspector(snapshot):
    per = _per_inspector(snapshot)
    assert per[0] > per[1] > per[2] > 0, per
    assert per[2] <= 0.5 * per[0], per


def test_without_saturation_and_heterogeneity_the_returns_barely_diminish(snapshot):
    """The mechanism, switched off: a homogeneous population whose perceived detection stays in
    the linear range gives a much flatter ratio of last to first step."""
    with_ = _per_inspector(snapshot)
    without = _per_inspector(snapshot, deterrence_sd=0.0, detect_amplifier=0.5)
    assert without[2] / without[0] > with_[2] / with_[0] + 0.15, (with_, without)


def test_the_hard_core_does_not_respond(snapshot):
    m = snapshot
    crim = np.flatnonzero(m.pop.ftype == 2)
    opp = np.flatnonzero(m.pop.ftype == OPPORTUNISTIC)
    assert crim.size > 5
    saved = m.pop.p_hat.copy()
    m.pop.p_hat[:] = 0.05
    lo_c, lo_o = evasion_targets(m, crim)[0].mean(), evasion_targets(m, opp)[0].mean()
    m.pop.p_hat[:] = 0.95
    hi_c, hi_o = evasion_targets(m, crim)[0].mean(), evasion_targets(m, opp)[0].mean()
    m.pop.p_hat[:] = saved
    drop_c, drop_o = lo_c / max(hi_c, 1e-9), lo_o / max(hi_o, 1e-9)
    assert drop_c < 1.5 < drop_o, (drop_c, drop_o)


# ---------------------------------------------------------------------------- sanctions by origin
def test_a_findings_draws_are_fixed_by_the_finding():
    m = AkrimModel(make_cfg("scale=0.01", "end=2014", events=False))
    u1 = m.sanctions.uniforms(12345)
    m.streams.get("sanctions").random(100)  # nothing the sanctions use
    assert m.sanctions.uniforms(12345) == u1
    assert m.sanctions.uniforms(12346) != u1
    vals = np.array(list(u1.values()))
    assert len(set(vals.tolist())) == vals.size  # one independent draw per purpose


def test_changing_the_fine_chance_changes_nothing_else_about_a_finding():
    """Common random numbers: with p_fine 0 and 1 the same finding gets the same order, stop
    order and police-report decisions; only the fine differs."""
    out = {}
    for p_fine in (0.0, 1.0):
        m = AkrimModel(make_cfg("scale=0.01", "end=2014", f"policy.sanctions.p_fine={p_fine}", "policy.sanctions.p_suspension=0.5", events=True))
        pop = m.pop
        b = np.flatnonzero((pop.owner < 0) & (pop.status == 0))[:200]
        for x in b:
            m.sanctions.apply(int(x), "nli", found_und=True, found_under=False, agencies={"nli"})
        ev = m.log.to_frame(m.cfg.start, m.tables.regions, m.tables.sectors)
        out[p_fine] = {k: set(ev.loc[ev.kind == k, "firm"]) for k in ("order", "suspension", "police_report", "fine")}
    assert out[0.0]["fine"] == set() and len(out[1.0]["fine"]) > 0
    for k in ("order", "suspension", "police_report"):
        assert out[0.0][k] == out[1.0][k], k


def test_centres_issue_more_stop_orders_than_coercive_fines():
    """The centres' mix (public_figures.md: 352 vs 94 in 2016, 518 vs 172 in 2017)."""
    tot = np.zeros(2)
    for seed in SEEDS:
        a = run("world=default", "scale=0.03", "end=2018", f"seed={seed}", events=False)[1].annual
        tot += [a["centre_suspensions_count"].sum(), a["centre_coercive_fines_count"].sum()]
    assert tot[0] > 1.5 * tot[1] > 0, tot


# ---------------------------------------------------------------------------- Tax and NAV
def test_tax_audits_and_nav_controls_are_activities_of_their_own():
    on = run("world=default", "scale=0.02", "end=2016", "seed=2", events=False)[1].annual
    off = run("world=default", "scale=0.02", "end=2016", "seed=2", "policy.tax.n_audits_year=0", "policy.nav.n_controls_year=0",
              "policy.centres.p_audit_on_priority=0", events=False)[1].annual
    assert on["tax_audits"].sum() > 0 and on["tax_findings"].sum() > 0 and on["nav_controls"].sum() > 0
    assert off["tax_audits"].sum() == 0 and off["nav_controls"].sum() == 0 and off["tax_findings"].sum() == 0
    assert on["tax_reassessed_nok"].sum() > off["tax_reassessed_nok"].sum()


def test_a_nav_finding_claws_back_benefits():
    """NAV's own findings change benefits (the totals of a whole run are too noisy at small scale:
    a control also changes which firms the NLI and the centres visit later)."""
    m, _ = run("world=default", "scale=0.02", "end=2015", "seed=2", events=False)
    pop = m.pop
    blocks = np.flatnonzero((pop.status == 0) & (pop.n_und >= 10))[:40]
    assert blocks.size >= 10
    k = m.metrics.idx["benefit_changes"]
    y = m.year_idx
    before = m.metrics.nat[y, k]
    for b in blocks:
        m.sanctions.apply(int(b), "nav", found_und=True, found_under=False, agencies={"nav"})
    assert m.metrics.nat[y, k] > before


def test_more_tax_audits_find_more():
    lo = run("world=default", "scale=0.05", "end=2016", "seed=4", "policy.tax.n_audits_year=200", events=False)[1].annual
    hi = run("world=default", "scale=0.05", "end=2016", "seed=4", "policy.tax.n_audits_year=2000", events=False)[1].annual
    assert hi["tax_findings"].sum() > 3 * lo["tax_findings"].sum() > 0


# ---------------------------------------------------------------------------- joint actions
def test_checking_more_persons_finds_more_undeclared_work():
    few = run("world=default", "scale=0.03", "end=2017", "seed=6", "policy.centres.persons_per_firm=1", events=False)[1].annual
    many = run("world=default", "scale=0.03", "end=2017", "seed=6", "policy.centres.persons_per_firm=8", events=False)[1].annual
    assert many["centre_persons_controlled"].sum() > 2 * few["centre_persons_controlled"].sum()
    assert many["centre_suspensions_count"].sum() > few["centre_suspensions_count"].sum()


def test_keyed_uniform_broadcasts_over_purposes():
    keys = np.array([1, 2, 3], dtype=np.uint64)
    u = keyed_uniform(keys[:, None], np.array([10, 11], dtype=np.uint64)[None, :])
    assert u.shape == (3, 2)
    assert u[0, 0] == keyed_uniform(np.uint64(1), np.array([10], dtype=np.uint64))[0]


# ---------------------------------------------------------------------------- stale intelligence in the queues
def _open_centre(*overrides: str):
    """A small model run to 2016, so the Oslo centre is open and has files."""
    m, _ = run("world=default", "scale=0.03", "end=2016", "seed=3", *overrides, events=False)
    return m, next(c for c in m.centres if c.name == "oslo")


def test_stale_files_leave_the_analysis_queue_and_fresh_ones_are_weighed_by_todays_evidence():
    from sim.centres import COLLECTING, QUEUED, ActorFile

    m, c = _open_centre()
    c.analysis.waiting.clear()
    now = m.env.now
    hl = m.cfg.world.detection.evidence_half_life_days
    thr = m.cfg.world.detection.evidence_threshold
    stale, fresh = 10_001, 10_002
    c.files[stale] = ActorFile(evidence=1.5 * thr, t_evidence=now - 2 * hl, state=QUEUED)  # 1.5 thr x 1/4 today
    c.files[fresh] = ActorFile(evidence=1.5 * thr, t_evidence=now - 0.1 * hl, state=QUEUED)
    c.analysis.add(stale, None, 1.5 * thr)
    c.analysis.add(fresh, None, 1.5 * thr)
    c._refresh_analysis_queue()
    assert stale not in c.analysis and c.files[stale].state == COLLECTING
    assert fresh in c.analysis
    assert c.analysis.waiting[fresh][0] == pytest.approx(1.5 * thr * 0.5**0.1)


def test_a_priority_no_action_follows_lapses_and_waiting_priorities_are_reweighed():
    from sim.centres import IDENTIFIED, PRIORITISED

    m, c = _open_centre()
    win = m.policy.centres.dur_action_window
    aids = [a for a, f in c.files.items() if a < m.ta.n][:2]
    assert len(aids) == 2
    old, new = aids
    now = m.env.now
    c.actions.waiting.clear()
    for aid, t_prio in ((old, now - win - 1.0), (new, now - 1.0)):
        f = c.files[aid]
        f.state, f.t_priority, f.evidence, f.t_evidence = PRIORITISED, t_prio, 3.0, now
        f.t_newest = now - 30.0  # the newest tip is a month old
        c.actions.add(aid, None, 1e9)
    c._refresh_action_queue()
    assert old not in c.actions and c.files[old].state == IDENTIFIED
    hl = m.cfg.world.detection.site_intel_half_life_days
    assert new in c.actions and c.actions.waiting[new][0] == pytest.approx(c.score(new, c.files[new]) * 0.5 ** (30.0 / hl))


def test_the_central_portfolio_is_bounded_by_the_analysts():
    """Central actors are as many as the centres can work on: cutting files per analyst from 4 to
    1.5 cuts the stock in proportion, and no year exceeds the portfolio's capacity."""
    stocks = {}
    for k in (4.0, 1.5):
        a = [run("world=default", "scale=0.1", "end=2021", f"seed={s}", f"policy.centres.files_per_analyst={k}", events=False)[1].annual
             for s in SEEDS]
        stocks[k] = np.mean([x.set_index("year").loc[2019:2021, "central_threat_actors"].mean() for x in a])
        m = AkrimModel(make_cfg("world=default", f"policy.centres.files_per_analyst={k}"))
        # each centre holds at most ceil(analysts x k x scale) actors (a fractional last place is taken by chance)
        cap = sum(np.ceil(lv.analysts * k * 0.1) for lv in m.policy.centres.by_region.values()) / 0.1
        for x in a:
            assert x["central_threat_actors"].max() <= cap, (k, x["central_threat_actors"].max(), cap)
    assert stocks[1.5] < 0.7 * stocks[4.0], stocks


# ---------------------------------------------------------------------------- perishable site intelligence
def test_a_joint_action_finds_a_company_less_often_the_older_its_intelligence():
    """A target is found at work with probability 0.5 ** (age / site_intel_half_life_days), the age
    counted from when the newest signal naming it was sent."""
    from sim.centres import ActorFile

    m, c = _open_centre()
    hl = m.cfg.world.detection.site_intel_half_life_days
    pop = m.pop
    aid = next(a.aid for a in m.actor_list if a.is_active and any(pop.status[b] == 0 for b in a.firms))
    b = next(b for b in sorted(m.actor_list[aid].firms) if pop.status[b] == 0)
    now = m.env.now
    found = {}
    for age in (0.0, 3 * hl):
        hits = 0
        for k in range(400):
            c.files[aid] = ActorFile(known={b: int(pop.firm_id[b])}, seen={b: now - age}, t_newest=now - age)
            c.n_actions = 10_000 + k  # keys the draws, as successive actions do
            targets, got = c._targets(aid)
            assert b in targets
            hits += b in got
        found[age] = hits / 400
    assert found[0.0] == 1.0
    assert found[3 * hl] == pytest.approx(0.125, abs=0.1)


def test_slower_sharing_makes_more_joint_actions_miss_the_actor():
    """Latency x4 from 2023 (after the regulation): tips are older when the action comes, so more
    actions find none of the actor's companies at work (paired seeds, 2023-25 pooled; measured on
    4 seeds: 0.56-0.79 of actions miss at x1, 0.85-0.96 at x4, every seed)."""
    share = {}
    for lat in (1.0, 4.0):
        body = json.dumps({"start": "2023-01-01", "set": {"sharing.latency_multiplier": lat}})
        lever = [] if lat == 1.0 else [f"policy.interventions=[{body}]"]
        tot = np.zeros(2)
        for s in (*SEEDS, 99):
            a = run("world=default", "scale=0.1", "end=2025", f"seed={s}", *lever, events=False)[1].annual
            a = a[a.year >= 2023]
            tot += [a["actions_target_gone"].sum(), a["actions_on_actors"].sum()]
        share[lat] = tot[0] / tot[1]
    assert share[4.0] > share[1.0] + 0.08, share


# ---------------------------------------------------------------------------- NTAES
def _exposed_share_of_nli(m: AkrimModel, years: tuple[int, int]) -> float:
    k = m.metrics.idx["inspections_nli"]
    ys = slice(m.years.index(years[0]), m.years.index(years[1]) + 1)
    by_sector = m.metrics.sec[ys, :, k].sum(axis=0)
    return float(by_sector[m.tables.risk_sector.astype(bool)].sum() / by_sector.sum())


def test_ntaes_reweighs_the_exposed_industries_and_keeps_ordinary_controls_there():
    """ODD 8.12 (generation 5). NTAES moves the exposed industries' priorities towards their hit
    rates and leaves the ordinary sector alone. Re-weighing every sector (``exposed_only=false``,
    generation 4) lifts the ordinary sector's priority from 0.3 towards the exposed industries'
    (its few risk-based controls find as much as theirs), and ordinary NLI controls leave the
    exposed industries: paired seeds, 2019-20."""
    base = ("world=default", "scale=0.03", "end=2020")
    shares = {}
    for flag in ("true", "false"):
        s = []
        for seed in SEEDS:
            m, _ = run(*base, f"seed={seed}", f"policy.ntaes.exposed_only={flag}", events=False)
            other = ~m.tables.risk_sector.astype(bool)
            start = m.tables.evasion_propensity
            exposed_moved = np.abs(m.sector_priority[~other] - start[~other]).max()
            if flag == "true":
                np.testing.assert_array_equal(m.sector_priority[other], start[other])  # out of scope: untouched
                assert exposed_moved > 0.05, m.sector_priority  # the mechanism is at work
            else:
                assert (m.sector_priority[other] > start[other] + 0.3).all(), m.sector_priority
            s.append(_exposed_share_of_nli(m, (2019, 2020)))
        shares[flag] = np.array(s)
    assert (shares["true"] > shares["false"] + 0.03).all(), shares
