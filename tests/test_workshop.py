"""Non-UI logic of the workshop (issue 6): event phrasing, levers, budget allocation, scoreboard."""

from __future__ import annotations

import datetime as dt
import re
import socket

import numpy as np
import pytest

from experiments.workshop import app, changes, feed, game, levers, svg
from experiments.workshop.room import Room
from experiments.workshop.session import CHART_TITLES, HEADLINE_KEYS, MAP_KPIS, WorkshopModel, region_values
from sim.config.policy import REGIONS, PolicyConfig
from sim.events import EventLog

SECTORS = ("construction", "cleaning", "hospitality", "transport", "car_valeting", "agriculture", "fisheries", "temp_agencies", "other")


# ----------------------------------------------------------------------------- feed
def test_region_labels_cover_every_region():
    assert set(feed.REGION_LABELS) == set(REGIONS)


def test_phrase_key_events_in_plain_language():
    p = feed.phrase("meeting_priority", region=1, actor=10, sectors=SECTORS)
    assert p == "The Bergen leader group prioritises threat actor TA10: joint controls of its companies are planned."
    p = feed.phrase("bankruptcy_phoenix", region=0, sector=0, actor=3, sectors=SECTORS)
    assert "TA3" in p and "construction company in Oslo" in p and "phoenix" in p
    p = feed.phrase("conviction", region=6, sector=3, actor=-1, value=365.0, sectors=SECTORS)
    assert p == "The owner of a transport company is convicted in Bodø, 12 months after the police report."
    assert feed.phrase("intervention", value=0, notes=("+50% NLI inspection capacity",)) == \
        "Policy change in force: +50% NLI inspection capacity."


def test_phrase_skips_what_is_not_notable():
    assert feed.phrase("inspection_nli", region=0) is None
    assert feed.phrase("dropped_evidence", region=0, actor=-1) is None  # only cases against actors
    assert feed.phrase("suspension", region=0, actor=-1) is None


def test_feed_reads_only_new_rows_and_keeps_newest_first():
    log = EventLog()
    f = feed.Feed(dt.date(2014, 1, 1), SECTORS)
    log.add(0.0, "inspection_nli", region=0)
    log.add(3.0, "centre_opened", region=2)
    assert [i.kind for i in f.update(log)] == ["centre_opened"]
    assert f.update(log) == []  # nothing new
    log.add(40.0, "bankruptcy_phoenix", region=1, sector=1, actor=7)
    log.add(41.0, "conviction", region=4, actor=7, value=100.0)
    new = f.update(log)
    assert [i.kind for i in new] == ["bankruptcy_phoenix", "conviction"]
    assert new[0].date == dt.date(2014, 2, 10)
    assert [i.kind for i in f.latest(2)] == ["conviction", "bankruptcy_phoenix"]
    assert f.counts["bankruptcy_phoenix"] == 1
    assert [i.kind for i in f.latest(5, severities=("system",))] == ["centre_opened"]


def test_feed_note_replaces_a_repeat_of_the_same_lever():
    f = feed.Feed(dt.date(2014, 1, 1), SECTORS)
    f.note(7.0, "p_fine", "Lever changed: Fine = 10%.")
    f.note(7.0, "p_fine", "Lever changed: Fine = 12%.")
    f.note(7.0, "n_inspectors", "Lever changed: NLI inspectors = 300.")
    assert [i.text for i in f.latest(5)] == ["Lever changed: NLI inspectors = 300.", "Lever changed: Fine = 12%."]


# ----------------------------------------------------------------------------- game rules
def test_validate_allocation():
    assert game.validate_allocation({"inspectors": 3}) == {g.key: (3 if g.key == "inspectors" else 0) for g in game.GAME_LEVERS}
    with pytest.raises(ValueError, match="unknown game lever 'drones'"):
        game.validate_allocation({"drones": 1})
    with pytest.raises(ValueError, match="whole number"):
        game.validate_allocation({"police": 1.5})
    with pytest.raises(ValueError, match="whole number"):
        game.validate_allocation({"police": -1})
    with pytest.raises(ValueError, match="spends 11 chips but the budget is 10"):
        game.validate_allocation({"police": 6, "sharing": 5})


def test_allocation_to_levers_converts_chips_at_the_model_cost():
    base = PolicyConfig()
    open_c = ["oslo", "bergen"]
    out = game.allocation_to_levers({"inspectors": 3, "analysts": 2, "teams": 1, "police": 1, "sharing": 2, "campaign": 1, "fines": 2},
                                    base, 1_000_000.0, open_c, "2026-01-01")
    assert out["nli.n_inspectors"] == pytest.approx(base.nli.n_inspectors + 30)  # 3 x NOK 10M / NOK 1M per FTE
    assert out["police.n_investigators"] == pytest.approx(base.police.n_investigators + 10)
    by = base.centres.by_region
    assert out["centres.by_region.oslo.analysts"] == pytest.approx(by["oslo"].analysts + 10)  # 20 analysts over 2 centres
    assert out["centres.by_region.bergen.inspection_teams"] == pytest.approx(by["bergen"].inspection_teams + 2.5)  # 10 FTE = 5 teams over 2, in half teams
    assert "centres.by_region.alta.analysts" not in out  # closed centres get nothing
    assert out["sharing.latency_multiplier"] == pytest.approx(0.85 ** 2)
    assert out["campaigns.reach_year"] == pytest.approx(0.2)  # NOK 10M reaches 10% (the policy's own ratio)
    assert out["sanctions.p_fine"] == pytest.approx(base.sanctions.p_fine + 0.06)
    assert (out["nli.w_random"], out["nli.w_risk_based"], out["nli.w_intelligence_led"]) == levers.TARGETING["mixed"]


def test_staff_are_bought_in_whole_people():
    base = PolicyConfig()
    nok_fte = 1_200_000.0  # the schema default: a chip buys 8.33 FTE
    out = game.allocation_to_levers({"inspectors": 10, "police": 1, "analysts": 1}, base, nok_fte, list(REGIONS), "2026-01-01")
    assert out["nli.n_inspectors"] == base.nli.n_inspectors + 83  # not 298.33
    assert out["police.n_investigators"] == base.police.n_investigators + 8
    added = [out.get(f"centres.by_region.{r}.analysts", base.centres.by_region[r].analysts) - base.centres.by_region[r].analysts
             for r in REGIONS]
    assert sum(added) == 8 and all(float(a).is_integer() for a in added)
    assert game.share_out(5.0, 2, 0.5) == [2.5, 2.5] and game.share_out(8.33, 3) == [3.0, 3.0, 2.0]


def test_allocation_to_levers_rejects_bad_inputs():
    with pytest.raises(ValueError, match="targeting 'psychic'"):
        game.allocation_to_levers({}, PolicyConfig(), 1e6, [], "2026-01-01", targeting="psychic")
    with pytest.raises(ValueError, match="nok_per_fte"):
        game.allocation_to_levers({}, PolicyConfig(), 0.0, [], "2026-01-01")


def test_round_levers_do_not_accumulate():
    base = PolicyConfig()
    pol = PolicyConfig()
    game.apply_round_levers(pol, base, game.allocation_to_levers({"inspectors": 10}, base, 1e6, ["oslo"], "2026-01-01"))
    assert pol.nli.n_inspectors == pytest.approx(base.nli.n_inspectors + 100)
    game.apply_round_levers(pol, base, game.allocation_to_levers({"analysts": 1}, base, 1e6, ["oslo"], "2027-01-01",
                                                                 targeting="intelligence-led"))
    assert pol.nli.n_inspectors == base.nli.n_inspectors
    assert pol.centres.by_region["oslo"].analysts == pytest.approx(base.centres.by_region["oslo"].analysts + 10)
    assert pol.nli.w_intelligence_led == 0.6


def test_round_lever_changes_list_only_what_differs():
    base = PolicyConfig()
    pol = PolicyConfig()
    pol.sanctions.p_suspension = 0.2  # changed on the lever panel: a round resets it
    ch = game.round_lever_changes(pol, base, game.allocation_to_levers({"inspectors": 10}, base, 1e6, ["oslo"], "2026-01-01"))
    assert ch == {"nli.n_inspectors": base.nli.n_inspectors + 100, "sanctions.p_suspension": base.sanctions.p_suspension}
    assert pol.sanctions.p_suspension == 0.2  # not changed
    assert game.round_lever_changes(base, base, game.allocation_to_levers({}, base, 1e6, [], "2026-01-01")) == {}
    assert "centres.by_region.oslo.analysts" in game.lever_values(base) and "interventions" not in game.lever_values(base)


def _row(**kw):
    row = {"undeclared_work_share": 0.2, "exploited_workers": 1000.0, "active_threat_actors": 500.0, "phoenix_bankruptcies": 50.0,
           "convictions": 10.0, "crime_cost_nok": 5e9}
    row.update(kw)
    return row


def test_score_round_intervals_and_noise():
    # Three seeds, all a clear fall in undeclared work; convictions up in one seed only (within noise).
    games = [_row(undeclared_work_share=0.19, convictions=12.0, crime_cost_nok=4.9e9),
             _row(undeclared_work_share=0.188, convictions=10.0, crime_cost_nok=4.95e9),
             _row(undeclared_work_share=0.191, convictions=10.0, crime_cost_nok=4.92e9)]
    r1 = game.score_round(1, 2026, {"inspectors": 10}, "mixed", games, [_row()] * 3)
    e = r1.effect("undeclared_work_share")
    assert e.n == 3 and e.mean == pytest.approx(-1.03333, rel=1e-4) and e.high < 0  # percentage points
    assert r1.better("undeclared_work_share") is True
    assert r1.effect("convictions").within_noise and r1.better("convictions") is None  # +2 in one seed of three
    assert r1.better("active_threat_actors") is None  # exactly no change
    assert r1.spent_nok == 10 * game.NOK_PER_CHIP
    assert r1.crime_cost_avoided_nok == pytest.approx((1e8 + 5e7 + 8e7) / 3)
    one = game.score_round(1, 2026, {}, "mixed", [_row(convictions=60.0)], [_row()])
    assert one.effect("convictions").within_noise and one.better("convictions") is None  # one seed: never coloured
    r2 = game.score_round(2, 2027, {}, "random", [_row(phoenix_bankruptcies=60.0)] * 3, [_row()] * 3)
    assert r2.better("phoenix_bankruptcies") is False  # the same +10 in every seed: a clear loss
    t = game.totals([r1, r2])
    assert t.rounds == 2 and t.spent_nok == pytest.approx(1e8)
    assert t.wins["undeclared_work_share"] == 1 and t.wins["phoenix_bankruptcies"] == 0 and t.wins["convictions"] == 0
    assert t.avoided.n == 3 and t.crime_cost_avoided_nok == pytest.approx(r1.crime_cost_avoided_nok)
    assert game.fmt_delta("undeclared_work_share", -1.0) == "-1.00 pp"
    with pytest.raises(KeyError, match="crime_cost_nok"):
        game.score_round(1, 2026, {}, "mixed", [{"undeclared_work_share": 0.2}], [_row()])
    with pytest.raises(ValueError, match="one counterfactual row per game row"):
        game.score_round(1, 2026, {}, "mixed", [_row()], [])


def test_scoreboard_html_greys_what_is_within_noise():
    r = game.score_round(1, 2026, {"police": 4}, "mixed", [_row(convictions=15.0), _row(convictions=9.0)], [_row(), _row()])
    html = game.scoreboard_html([r])
    assert "2026" in html and "Police investigators: 4" in html and "Total, 1 round" in html
    assert "class='noise' data-kpi='convictions'" in html and "within noise" in html
    assert "class='good'" not in html and "class='bad'" not in html
    assert "95% interval" in html and "2 paired seeds" in html and "EUR 2.4 to 9.3 billion" in html
    assert html.count("Cost of work-related crime") == 1 or "Crime cost avoided (NOK M)" in html  # one money column
    assert "Cost of work-related crime (NOK M)" not in html


def _maker(scale=0.02, end=2017):
    def make(seed, track=False):
        return WorkshopModel(seed=seed, scale=scale, start=2014, end=end, track=track)
    return make


def test_game_credits_each_round_with_its_own_allocation():
    """Round 1 spends nothing (exactly zero effect); round 2 is scored against a replay through round 1, not the baseline."""
    make = _maker()
    g = game.PolicyGame(start_year=2015, n_rounds=2, seeds=(5, 6), make_model=make)
    m = make(5, True)
    g.start(m, background=False)
    assert m.today.year == 2015 and g.on and len(g.lanes) == 2
    r = g.play_round({}, "mixed")
    assert all(r.effect(k).mean == 0.0 and r.effect(k).within_noise for k, *_ in game.SCORE_KPIS)
    g._ready.wait(120)
    for lane in g.lanes:  # the counterfactual replay stands exactly where the game run stands (common random numbers)
        a, b = lane.spare.annual_row(2015), lane.model.annual_row(2015)
        assert {k: a[k] for k in [k[0] for k in game.SCORE_KPIS]} == {k: b[k] for k in [k[0] for k in game.SCORE_KPIS]}
        assert lane.spare.last_tick_month == lane.model.last_tick_month == (2016, 1)
    r2 = g.play_round({"inspectors": 10}, "mixed")
    assert r2.year == 2016 and g.over and not g.on
    assert m.policy.nli.n_inspectors == g.base_policy.nli.n_inspectors + 83
    with pytest.raises(ValueError, match="game is over"):
        g.play_round({}, "mixed")
    with pytest.raises(ValueError, match="already past"):
        game.PolicyGame(start_year=2015, n_rounds=1, seeds=(5,), make_model=make).start(m)


def test_game_refuses_a_run_moved_outside_the_game():
    make = _maker()
    g = game.PolicyGame(start_year=2015, n_rounds=1, seeds=(5,), make_model=make)
    m = make(5)
    g.start(m, background=False)
    m.advance(52)  # what +1 year on the sidebar did before it was locked
    with pytest.raises(ValueError, match="moved outside the game"):
        g.play_round({"police": 1}, "mixed")
    assert g.results == []  # nothing charged, no round recorded


def test_game_needs_room_in_the_horizon_and_valid_seeds():
    make = _maker(end=2016)
    with pytest.raises(ValueError, match="needs end >= 2019"):
        game.PolicyGame(start_year=2015, n_rounds=4, seeds=(5,), make_model=make).start(make(5))
    with pytest.raises(ValueError, match="different seeds"):
        game.PolicyGame(seeds=(1, 1))
    with pytest.raises(ValueError, match="first seed"):
        game.PolicyGame(start_year=2015, n_rounds=1, seeds=(4,), make_model=make).start(make(5))


# ----------------------------------------------------------------------------- the room (several teams)
def test_room_teams_play_the_same_seeds_and_the_trainer_drives_rounds():
    room = Room()
    with pytest.raises(ValueError, match="not set up"):
        room.join("Blue")
    room.create(2015, 1, (5, 6), _maker())
    assert room.phase == "lobby" and "Teams are joining" in room.status()
    with pytest.raises(ValueError, match="no team"):
        room.open_round()
    with pytest.raises(ValueError, match="team name"):
        room.join("<script>")
    blue, red = room.join("Blue", background=False), room.join("Red", background=False)
    assert blue.ready and red.ready and blue.game.seeds == red.game.seeds == (5, 6)
    assert room.join("Blue") is blue
    with pytest.raises(ValueError, match="no round is open"):
        room.submit("Red", {"police": 2}, "mixed")
    room.open_round()
    with pytest.raises(ValueError, match="before the first round"):
        room.join("Green")
    room.submit("Red", {"inspectors": 10}, "mixed")
    with pytest.raises(ValueError, match="budget is 10"):
        room.submit("Red", {"inspectors": 11}, "mixed")
    assert "1 of 2 teams have submitted" in room.status()
    v = room.version
    room.close_round(background=False)
    assert room.phase == "over" and room.version > v
    assert blue.game.results[0].allocation["inspectors"] == 0 and red.game.results[0].allocation["inspectors"] == 10
    # The same seeds and the same history: a team that spent nothing has exactly no effect.
    assert all(blue.game.results[0].effect(k).mean == 0.0 for k, *_ in game.SCORE_KPIS)
    table = room.table_html()
    assert "data-team='Blue'" in table and "data-team='Red'" in table and "NLI inspectors: 10" in table
    assert "no chips spent" in table


# ----------------------------------------------------------------------------- live levers
@pytest.fixture()
def model():
    return WorkshopModel(seed=2, scale=0.02, start=2014, end=2016)


def test_levers_read_set_and_reject(model):
    now = levers.read_levers(model)
    assert now["targeting"] == "mixed" and now["regulation"] == levers.REGULATION_CHOICES[0] and now["new_centre"] == "none"
    levers.set_lever(model, "n_inspectors", 400)
    levers.set_lever(model, "targeting", "intelligence-led")
    assert model.policy.nli.n_inspectors == 215.0  # in force from the next tick, like a dated intervention
    assert levers.read_levers(model)["n_inspectors"] == 400.0  # ... but the page shows it at once
    assert levers.read_levers(model)["targeting"] == "intelligence-led"
    model.step()
    assert model.policy.nli.n_inspectors == 400.0 and model.policy.nli.w_intelligence_led == 0.6
    levers.set_lever(model, "regulation", "in force now")
    assert not model.regulation_in_force
    model.step()
    assert model.regulation_in_force
    assert levers.read_levers(model)["regulation"] == "from 2014-01-08"
    with pytest.raises(ValueError, match=r"lever p_fine = 1.5: allowed a number in \[0, 0.5\]"):
        levers.set_lever(model, "p_fine", 1.5)
    with pytest.raises(ValueError, match="unknown lever 'budget'"):
        levers.set_lever(model, "budget", 1)


def test_fines_lever_raises_expected_sanction(model):
    before = model.expected_sanction
    levers.set_lever(model, "p_fine", 0.5)
    assert model.expected_sanction == before
    model.step()
    assert model.expected_sanction > before


def test_new_centre_doubles_staff_and_moves(model):
    def by():
        return model.planned_policy().centres.by_region

    a0, p0 = by()["oslo"].analysts, by()["oslo"].priorities_per_meeting
    levers.set_lever(model, "new_centre", "oslo")
    assert by()["oslo"].analysts == 2 * a0 and by()["oslo"].priorities_per_meeting == 2 * p0
    levers.set_lever(model, "analysts", 6)  # per centre; the doubled region keeps its second centre
    assert by()["oslo"].analysts == 12 and by()["bergen"].analysts == 6
    levers.set_lever(model, "new_centre", "bergen")
    assert by()["oslo"].analysts == 6 and by()["bergen"].analysts == 12
    model.step()
    assert model.policy.centres.by_region["oslo"].analysts == 6 and model.policy.centres.by_region["bergen"].analysts == 12
    levers.set_lever(model, "new_centre", "none")
    assert by()["bergen"].analysts == 6
    levers.set_lever(model, "new_centre", "alta")  # Alta's centre opens only in 2022: the new centre opens it from the next tick
    assert not {c.name: c.is_open for c in model.centres}["alta"]
    assert levers.read_levers(model)["new_centre"] == "alta"
    model.step()
    assert {c.name: c.is_open for c in model.centres}["alta"]


def test_lever_changes_are_interventions_the_feed_does_not_repeat(model):
    model.step()
    levers.set_lever(model, "p_fine", 0.2)
    n_items = len(model.feed.items)
    model.step()
    ivs = model.policy.interventions
    assert ivs[-1].set == {"sanctions.p_fine": 0.2} and ivs[-1].start == "2014-01-08"
    assert model.log.count("intervention") == 1  # logged by the policy calendar, as a dated intervention
    assert all(not i.kind == "intervention" for i in list(model.feed.items)[n_items:])  # the page noted it already
    assert feed.phrase("intervention", value=0.0, notes=("the policy game's levers for round 1 (2026)",)).startswith(
        "Policy change in force: the policy game's levers")


def test_workshop_uses_no_private_model_attribute():
    """experiments/workshop reaches the model only through public names (no AkrimModel._x)."""
    import ast
    from pathlib import Path

    import experiments.workshop
    import sim.model

    tree = ast.parse(Path(sim.model.__file__).read_text(encoding="utf-8"))
    private = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr.startswith("_") and not n.attr.startswith("__")}
    private |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("_") and not n.name.startswith("__")}
    assert {"_calendar", "_levers_changed", "_last_month"} <= private
    used = []
    for path in sorted(Path(experiments.workshop.__file__).parent.glob("*.py")):
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Attribute) and n.attr in private:
                used.append(f"{path.name}:{n.lineno} .{n.attr}")
    assert not used, used


# ----------------------------------------------------------------------------- session, views, command
def test_series_rolling_kpis_start_after_a_year(model):
    model.advance(60)
    s = model.series
    assert s.n == 61
    phoenix = s.values("phoenix_12m")
    assert np.isnan(phoenix[:52]).all() and np.isfinite(phoenix[52:]).all()
    assert s.values("undeclared_share")[0] > 0
    assert s.at_day("active_threat_actors", 7.0) == s.values("active_threat_actors")[1]
    assert np.isnan(s.at_day("undeclared_share", -1.0))
    with pytest.raises(KeyError, match="unknown headline KPI"):
        s.values("happiness")
    assert set(HEADLINE_KEYS) >= {"undeclared_share", "phoenix_12m"}
    assert set(CHART_TITLES) == set(HEADLINE_KEYS)


def test_networks_link_phoenix_successors(model):
    model.advance(104)
    succ = [c for c in model.networks.companies.values() if c.succ is not None]
    assert succ, "two years at this scale always see a phoenix bankruptcy"
    for c in succ:
        nxt = model.networks.companies[c.succ]
        assert nxt.pred == c.fid and nxt.aid == c.aid and nxt.block == c.block
    view = model.networks.view(model, max_actors=5)
    assert 0 < len(view) <= 5


def test_region_values_cover_the_map(model):
    model.advance(8)
    for key in MAP_KPIS:
        v = region_values(model, key)
        assert v.shape == (len(REGIONS),) and np.all(np.nan_to_num(v) >= 0)
    with pytest.raises(KeyError, match="unknown map KPI"):
        region_values(model, "sunshine")


def test_svg_views_are_well_formed(model):
    model.advance(4)
    x = model.series.year[: model.series.n]
    panel = svg.kpi_panel("Undeclared work", "pct", x, model.series.values("undeclared_share"), None, None, (2014, 2017))
    assert panel.startswith("<svg") and panel.endswith("</svg>") and "Undeclared work" in panel
    empty = svg.kpi_panel("x", "int", x, np.full(x.size, np.nan), None, None, (2014, 2017))
    assert "–" in empty
    m = svg.region_map(region_values(model, "undeclared_share"), "t", "pct", model.centre_open())
    assert m.count("class='region'") == 8 and "Tønsberg" in m
    net = svg.network(model.networks.view(model), tuple(model.tables.sectors))
    assert "class='actor'" in net
    assert "No threat actors" in svg.network([], SECTORS)
    assert svg.fmt(0.123, "pct") == "12.3%" and svg.fmt(2.5e9, "nok") == "2.5 bn" and svg.fmt(float("nan"), "int") == "–"


def test_parse_args_defaults_and_errors():
    a = app.parse_args([])
    assert (a.port, a.host, a.scale, a.seed, a.end) == (8765, "127.0.0.1", 0.02, 1, 2035)
    a = app.parse_args(["port=9000", "scale=0.05", "seed=7"])
    assert (a.port, a.scale, a.seed) == (9000, 0.05, 7)
    with pytest.raises(app.ArgError, match=r"^colour = 'red' \(allowed: a key of akrim workshop: port, host, .*play_interval\)$"):
        app.parse_args(["colour=red"])
    with pytest.raises(app.ArgError, match=r"scale = '5' \(allowed: a number in \[0.0001, 2\]\)"):
        app.parse_args(["scale=5"])
    with pytest.raises(app.ArgError, match=r"seed = 'x' \(allowed: an integer in \[0, 4294967295\]\)"):
        app.parse_args(["seed=x"])
    with pytest.raises(app.ArgError, match=r"end = '2015' \(allowed: a year in \[2016, 2100\]\)"):
        app.parse_args(["start=2016", "end=2015"])
    with pytest.raises(app.ArgError, match=r"end = 2035 \(allowed: a year in \[2040, 2100\]\)"):
        app.parse_args(["start=2040"])  # the default end is checked against a later start
    with pytest.raises(app.ArgError, match="did you mean seed=3"):
        app.parse_args(["sed=3"])
    with pytest.raises(app.ArgError, match="argument = 'fast' \\(allowed: key=value"):
        app.parse_args(["fast"])


def test_main_refuses_a_busy_port(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert app.main([f"port={port}"]) == 2
    err = capsys.readouterr().err
    assert f"port = {port}" in err and "port=0" in err


def test_offline_environment_disables_telemetry():
    env = app.offline_environment(app.parse_args(["seed=4"]))
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_APP"] == "experiments.workshop.page"
    assert '"seed": 4' in env["AKRIM_WORKSHOP"]


# ----------------------------------------------------------------------------- changes in force, axis, access
def test_changes_in_force_list_each_lever_once_and_reset_it(model):
    assert changes.changes_in_force(model) == []
    levers.set_lever(model, "n_inspectors", 400)
    levers.set_lever(model, "analysts", 6)  # eight centres, one line
    model.set_levers({"police.n_investigators": 120.0})  # not a page lever: listed by its policy key
    rows = {c.key: c for c in changes.changes_in_force(model)}
    assert set(rows) == {"n_inspectors", "analysts", "police.n_investigators"}
    assert (rows["n_inspectors"].now, rows["n_inspectors"].base) == ("400", "215")
    assert rows["police.n_investigators"].page_lever is False and "police.n_investigators" in rows["police.n_investigators"].label
    changes.reset(model, rows["n_inspectors"])
    assert {c.key for c in changes.changes_in_force(model)} == {"analysts", "police.n_investigators"}
    changes.reset(model, rows["police.n_investigators"])
    model.step()
    assert {c.key for c in changes.changes_in_force(model)} == {"analysts"}
    assert model.policy.nli.n_inspectors == 215.0


def test_changes_in_force_against_the_baseline_of_the_day():
    m = WorkshopModel(scenario="no_centres", seed=2, scale=0.02, start=2014, end=2015)
    keys = {c.key for c in changes.changes_in_force(m)}
    assert "centres.by_region.oslo.open" in keys  # a scenario's change is a change too
    ref = changes.reference_policy(m)
    assert str(ref.sharing.regulation) == levers.HISTORY_REGULATION


def test_chart_axis_follows_the_run():
    assert svg.follow_range(2014, 2036, 2014.0) == (2014.0, 2015.0)
    x0, x1 = svg.follow_range(2014, 2036, 2016.3)
    assert x0 == 2014 and 2016.3 < x1 <= 2017.5
    assert svg.follow_range(2014, 2036, 2035.9) == (2014.0, 2036.0)
    assert svg.year_step(3) == 1 and svg.year_step(22) == 5 and svg.year_step(6, 4) == 2
    frame = svg.kpi_frame("", "int", np.array([2014.0, 2020.0, 2030.0]), np.array([1.0, 2.0, 3.0]), (2014.0, 2016.0), 4.0)
    years = [int(t) for t in re.findall(r">(\d{4})</text>", frame)]
    assert years == [2014, 2015, 2016]
    # A longer axis: few enough labels that they never touch (each ~3 type sizes wide, in the panel's units).
    frame = svg.kpi_frame("", "int", None, None, (2014.0, 2020.0), 4.0)
    xs = [float(x) for x in re.findall(r"<text x='([\d.]+)' y='\d+' font-size='\d+' text-anchor='\w+' fill='#555'>\d{4}<", frame)]
    assert len(xs) >= 2 and min(np.diff(xs)) >= 3 * svg.TICK_PX


def test_access_on_localhost_and_on_a_network():
    a = app.access_for("127.0.0.1", 8765)
    assert not a.guarded and a.url == "http://127.0.0.1:8765/" and a.trainer_url.endswith("/trainer")
    assert app.is_loopback("localhost") and app.is_loopback("::1") and not app.is_loopback("0.0.0.0")
    b = app.access_for("0.0.0.0", 8765, token="tok", trainer_key="key")
    assert b.guarded and b.url.endswith(":8765/?token=tok") and "trainer?token=tok&key=key" in b.trainer_url
    lines = app.access_notice("0.0.0.0", b)
    assert any("WARNING" in line and "0.0.0.0" in line for line in lines) and any("tok" in line for line in lines)
    assert len(app.access_for("0.0.0.0", 1).token) >= 12  # a fresh random token each start


def test_token_guard_refuses_requests_without_the_token():
    import asyncio

    seen = []

    async def inner(scope, receive, send):
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guarded = app.token_guard(inner, "s3cret")

    def call(scope):
        sent = []

        async def send(msg):
            sent.append(msg)

        async def receive():
            return {"type": "http.request"}

        asyncio.run(guarded({"headers": [], "query_string": b"", **scope}, receive, send))
        return sent

    out = call({"type": "http", "path": "/"})
    assert out[0]["status"] == 403 and b"token" in out[1]["body"] and seen == []
    out = call({"type": "http", "path": "/", "query_string": b"token=s3cret"})
    assert out[0]["status"] == 200 and any(k == b"set-cookie" and b"akrim_token=s3cret" in v for k, v in out[0]["headers"])
    out = call({"type": "http", "path": "/static/x.js", "headers": [(b"cookie", b"akrim_token=s3cret")]})
    assert out[0]["status"] == 200
    out = call({"type": "websocket", "path": "/jupyter/api/kernels/x"})
    assert out == [{"type": "websocket.close", "code": 1008}]
    out = call({"type": "http", "path": "/", "query_string": b"token=wrong"})
    assert out[0]["status"] == 403


def test_offline_environment_hides_the_solara_badge():
    assert app.offline_environment(app.parse_args([]))["SOLARA_THEME_SHOW_BANNER"] == "False"
