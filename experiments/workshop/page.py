"""The workshop page: Solara components on Mesa 3.3's visualisation stack.

Layout (for a room, legible at 1024 x 768 and on a projector): a narrow sidebar with the run
controls (Reset, play/pause, Step, +1 month, +1 year), the live levers, and the scenario and
seed; three tabs:

* *Live*: four KPI charts at a time (two groups: "People and firms", "Enforcement"), each with
  its value now and the baseline's, the x-axis following the run; beside them the *changes in
  force* (every lever that differs from the baseline, each with its own reset) and the feed.
* *Regions and actors*: the region map and the threat actors' networks.
* *Policy game*: the game for the room alone, or a team's place in the multi-team game
  (``experiments.workshop.room``), whose trainer's page is ``/trainer``.

While a game is on, the sidebar's run controls, the levers and the scenario are locked: the
game moves the run itself, one round (a year) at a time.

Why not the whole ``SolaraViz`` page: its frame is a developer's tool (a draggable grid of
cards under "Page 0 / Page 1" tabs, render-interval and threading switches, model parameters
applied only on Reset), and its ``ModelController`` play loop steps again a fixed time after
asking for a redraw without waiting for it, so on a busy laptop (or at a short interval) the
redraws fall behind and Solara stops the page with "Too many renders triggered". The workshop
keeps Mesa's redraw signal (``update_counter`` / ``force_update``, which every view listens to)
and the Solara stack Mesa uses, and runs its own loop (``RunControls``) that steps the model,
asks for a redraw and waits until the page has rendered it (``FrameAck``) before the next step.

Settings come from the ``AKRIM_WORKSHOP`` environment variable (JSON, written by
``experiments.workshop.app``): seed, scale, start, end, play_interval; the trainer's key (on a
room's network) from ``AKRIM_WORKSHOP_TRAINER_KEY``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from html import escape
from pathlib import Path

import numpy as np
import solara
import solara.lab
from mesa.visualization.utils import force_update, update_counter

from experiments.workshop import baseline, changes, game, levers, svg
from experiments.workshop.room import ROOM
from experiments.workshop.session import CHART_TITLES, HEADLINE, MAP_KPIS, WorkshopModel, region_values
from sim.config import SCENARIOS_DIR, ConfigError

DEFAULTS = {"seed": 1, "scale": 0.02, "start": 2014, "end": 2035, "play_interval": 5}
levers_version = solara.reactive(0)  # bumped whenever levers change outside the lever panel
playing = solara.reactive(False)  # the play loop runs while True (per browser session, like every solara.reactive)
team_name = solara.reactive("")  # this browser's team in the room's game ("" = none)
# The two chart groups of the Live tab: at most four charts at a time.
CHART_GROUPS: dict[str, tuple[str, ...]] = {
    "People and firms": ("undeclared_share", "exploited_workers", "active_threat_actors", "phoenix_12m"),
    "Enforcement": ("controls_12m", "prioritised_12m", "cases_ta_12m", "convictions_12m"),
}

CSS = """
html { font-size: 16px; }
.v-application { font-size: 16px; }
nav.v-navigation-drawer.solara-content-main { width: 270px !important; min-width: 270px !important; max-width: 270px !important; }
nav.v-navigation-drawer.solara-content-main .v-card { margin: 4px !important; }
.solara-autorouter-content > .v-sheet { row-gap: 0 !important; }
.solara-autorouter-content { padding-top: 0 !important; }
.akrim-runrow .v-btn { min-width: 0 !important; padding: 0 10px !important; }
nav.v-navigation-drawer.solara-content-main .v-card__title { font-size: 18px; padding: 10px 12px 4px; }
nav.v-navigation-drawer.solara-content-main .v-card__text { padding: 6px 12px; }
.akrim-svg svg { width: 100%; height: auto; display: block; }
.akrim-feed { list-style: none; padding-left: 0; margin: 0; font-size: 15px; max-height: 300px; overflow-y: auto; }
.akrim-feed li { padding: 4px 6px; border-left: 4px solid #ccc; margin-bottom: 4px; background: #fafafa; overflow-wrap: anywhere; }
.akrim-feed li.sev-key { border-left-color: #c0392b; }
.akrim-feed li.sev-system { border-left-color: #1e8449; }
.akrim-feed li.sev-lever { border-left-color: #2471a3; background: #eef5fb; }
.akrim-feed .d { color: #555; font-size: 13px; margin-right: 6px; }
.akrim-grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; }
.akrim-panel { position: relative; min-width: 0; }
.akrim-panel .akrim-title { font-size: 16px; font-weight: 600; color: #222; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.akrim-panel .akrim-now { font-size: 20px; font-weight: 700; color: #c0392b; white-space: nowrap; }
.akrim-panel .akrim-base { font-size: 13px; color: #555; }
.akrim-panel .akrim-plot { position: relative; }
.akrim-panel .akrim-live { position: absolute; top: 0; left: 0; width: 100%; pointer-events: none; }
.akrim-main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(200px, 230px); gap: 10px; }
.akrim-main .v-card__text, .akrim-main .v-card { padding-top: 4px; }
.akrim-side { display: flex; flex-direction: column; gap: 10px; min-width: 0; }
.akrim-two { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 12px; }
.akrim-changes { font-size: 15px; }
.akrim-changes .akrim-change { display: flex; justify-content: space-between; align-items: center; gap: 6px;
  border-bottom: 1px solid #eee; padding: 2px 0; }
.akrim-score { border-collapse: collapse; font-size: 15px; width: 100%; table-layout: auto; }
.akrim-score th, .akrim-score td { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: right; vertical-align: top; }
.akrim-score th:first-child, .akrim-score td:first-child { text-align: left; }
.akrim-score small { font-size: 12px; color: #555; }
.akrim-score .good { color: #1e8449; font-weight: 600; }
.akrim-score .bad { color: #c0392b; font-weight: 600; }
.akrim-score .noise { color: #666; }
.akrim-score-wrap { overflow-x: auto; max-width: 100%; }
.akrim-score-note, .akrim-net { font-size: 14px; }
.akrim-status { font-size: 15px; }
.akrim-locked { background: #fff3cd; border-left: 4px solid #e0a800; padding: 4px 8px; font-size: 14px; margin-top: 6px; }
.akrim-legend { font-size: 14px; color: #555; }
"""


def settings() -> dict:
    """Workshop settings: defaults overlaid with the ``AKRIM_WORKSHOP`` JSON from ``akrim workshop``."""
    out = dict(DEFAULTS)
    out.update(json.loads(os.environ.get("AKRIM_WORKSHOP", "{}") or "{}"))
    return out


def scenario_names() -> list[str]:
    """Policy scenarios a room can pick (``scenarios/policy/*.yaml``), baseline first."""
    names = sorted(p.stem for p in Path(SCENARIOS_DIR, "policy").glob("*.yaml"))
    return ["baseline", *[n for n in names if n != "baseline"]]


def scenario_description(name: str) -> str:
    """The ``description`` of a scenario file, whole."""
    from omegaconf import OmegaConf

    path = Path(SCENARIOS_DIR, "policy", f"{name}.yaml")
    return str(OmegaConf.load(path).get("description", "")) if path.is_file() else ""


def _locked(m: WorkshopModel, draw):
    """Run ``draw()`` while the model is between weeks (a step holds the lock)."""
    with m.lock:
        return draw()


def _baseline_of(m: WorkshopModel) -> baseline.BaselineRun | None:
    return baseline.ready(m.cfg.seed, m.scale, m.years[0], m.years[-1])


def in_game(m: WorkshopModel) -> bool:
    """Whether a game drives this model (the sidebar's run controls and levers are locked)."""
    g = getattr(m, "game", None)
    return g is not None and g.on


def game_model_factory(params: dict):
    """``make_model(seed, track=False)`` for a game: a fresh baseline run with the page's scale and horizon."""
    def make(seed: int, track: bool = False) -> WorkshopModel:
        return WorkshopModel(scenario="baseline", seed=int(seed), scale=float(params["scale"]), start=int(params["start"]),
                             end=int(params["end"]), track=track)
    return make


# --------------------------------------------------------------------------- live views
@solara.component
def StatusLine(model: solara.Reactive):
    """Simulated date, week and speed, the scenario with the number of changes in force."""
    update_counter.get()
    levers_version.get()
    m = model.value
    seen = solara.use_ref(0)
    n_int = m.feed.counts.get("intervention", 0) + m.feed.counts.get("centre_opened", 0)
    if n_int != seen.current:
        seen.current = n_int
        levers_version.value += 1
    speed = m.weeks_per_second()
    base = "ready" if _baseline_of(m) is not None else "being computed"
    n_changes = len(_locked(m, lambda: changes.changes_in_force(m)))
    scen = f"scenario <i>{escape(m.scenario)}</i>" + (
        f" + <b class='akrim-n-changes'>{n_changes}</b> change{'s' if n_changes != 1 else ''} in force" if n_changes else ", no change")
    solara.HTML(tag="div", classes=["akrim-status"], unsafe_innerHTML=(
        f"<b class='akrim-date'>{m.today:%d %b %Y}</b> · week <span class='akrim-week'>{m.week}</span>"
        f" · <span class='akrim-speed'>{speed:.0f}</span> weeks/s<br>{scen}, seed {m.cfg.seed}"
        f"<br>baseline {base}"))


@solara.component
def KpiPanel(model: solara.Reactive, key: str, title: str, kind: str):
    """One KPI over time: value now and the baseline's, a still frame with the baseline, the live run on top."""
    update_counter.get()
    m = model.value
    b = _baseline_of(m)
    s = m.series
    x, y = s.year[: s.n], s.values(key)
    now_year = float(x[-1]) if x.size else float(m.years[0])
    rng = svg.follow_range(m.years[0], m.years[-1] + 1, now_year)
    bx = b.series.year[: b.series.n] if b is not None else None
    by = b.series.values(key) if b is not None else None
    by_shown = by[bx <= rng[1]] if by is not None else None
    ymax = svg.panel_ymax(y, by_shown)
    frame = solara.use_memo(lambda: svg.kpi_frame("", kind, bx, by, rng, ymax), [id(m), b is None, ymax, rng])
    v = m.series.latest(key)
    bv = b.series.at_day(key, m.env.now) if b is not None else float("nan")
    base_txt = f"baseline {svg.fmt(bv, kind)}" if np.isfinite(bv) and np.isfinite(v) else "&nbsp;"
    with solara.Div(classes=["akrim-panel", f"akrim-chart-{key}"]):
        solara.HTML(tag="div", classes=["akrim-head"], unsafe_innerHTML=(
            f"<div class='akrim-title' title='{escape(title)}'>{escape(title)}</div>"
            f"<div class='akrim-kpi' data-kpi='{key}' data-live='{v:.6g}' data-base='{bv:.6g}'>"
            f"<span class='akrim-now'>{svg.fmt(v, kind)}</span> <span class='akrim-base'>{base_txt}</span></div>"))
        with solara.Div(classes=["akrim-plot"]):
            solara.HTML(tag="div", classes=["akrim-svg"], unsafe_innerHTML=frame)
            solara.HTML(tag="div", classes=["akrim-svg", "akrim-live"],
                        unsafe_innerHTML=svg.kpi_live(kind, x, y, rng, ymax, show_value=False))


@solara.component
def KpiCharts(model: solara.Reactive):
    """Four KPI charts at a time, the baseline dashed behind the live run."""
    group = solara.use_reactive(next(iter(CHART_GROUPS)))
    kinds = {k: kind for k, _, _, kind in HEADLINE}
    solara.ToggleButtonsSingle(value=group, values=list(CHART_GROUPS), classes=["akrim-groups"])
    with solara.Div(classes=["akrim-grid"]):
        for key in CHART_GROUPS[group.value]:
            KpiPanel(model, key, CHART_TITLES[key], kinds[key])
    solara.HTML(tag="div", classes=["akrim-legend"], unsafe_innerHTML=(
        "<b style='color:#c0392b'>Red</b>: this run. <b style='color:#8c8c8c'>Grey dashed</b>: the baseline, same seed. "
        "/yr: total of the last 12 months."))


@solara.component
def ChangesPanel(model: solara.Reactive):
    """Every lever that differs from the baseline now, each with its own reset (locked during a game)."""
    update_counter.get()
    levers_version.get()
    m = model.value
    rows = _locked(m, lambda: changes.changes_in_force(m))
    locked = in_game(m)
    error = solara.use_reactive("")
    with solara.Div(classes=["akrim-changes"]):
        if not rows:
            solara.HTML(tag="div", unsafe_innerHTML="<i>None: the run follows the baseline.</i>")
        for c in rows:
            def reset(c=c):
                try:
                    text = changes.reset(m, c)
                except ValueError as exc:
                    error.set(str(exc))
                    return
                error.set("")
                m.feed.note(m.env.now, c.key, text)
                levers_version.value += 1
                force_update()
            with solara.Div(classes=["akrim-change"]):
                solara.HTML(tag="span", unsafe_innerHTML=f"<span data-key='{escape(c.key)}'>{escape(c.label)}</span>: <b>{escape(c.now)}</b> "
                            f"<small>(baseline {escape(c.base)})</small>")
                solara.Button("Reset", small=True, outlined=True, on_click=reset, disabled=locked,
                              classes=["akrim-reset-lever"])
        if error.value:
            solara.Error(error.value)


@solara.component
def FeedView(model: solara.Reactive):
    """The newest notable events, in plain language."""
    update_counter.get()
    m = model.value
    levers_version.get()
    html = solara.use_memo(lambda: _locked(m, lambda: _feed_html(m.feed.latest(14))), [id(m), m.feed.version])
    solara.HTML(tag="div", unsafe_innerHTML=html)


def _feed_html(items: list) -> str:
    if not items:
        html = "<ul class='akrim-feed'><li>Nothing notable yet: press Step or ▶.</li></ul>"
    else:
        html = "<ul class='akrim-feed'>" + "".join(
            f"<li class='sev-{it.severity}' data-kind='{escape(it.kind)}'><span class='d'>{it.date:%d %b %Y}</span>{escape(it.text)}</li>"
            for it in items) + "</ul>"
    return html


@solara.component
def RegionMap(model: solara.Reactive):
    """The eight centre regions, coloured by a KPI the trainer picks."""
    update_counter.get()
    m = model.value
    labels = {v[0]: k for k, v in MAP_KPIS.items()}
    choice = solara.use_reactive(MAP_KPIS["undeclared_share"][0])
    key = labels[choice.value]
    solara.Select("Colour the regions by", values=list(labels), value=choice)
    # Redrawn every fourth week (worker aggregates are monthly) or when the KPI or the run changes.
    html = solara.use_memo(lambda: _locked(m, lambda: svg.region_map(region_values(m, key), "", MAP_KPIS[key][1],
                                                                     m.centre_open(), m.extra_centre)),
                           [id(m), key, m.week // 4, m.extra_centre])
    solara.HTML(tag="div", classes=["akrim-svg", "akrim-map"], unsafe_innerHTML=html)


@solara.component
def NetworkView(model: solara.Reactive):
    """Threat actors, their companies and phoenix successors."""
    update_counter.get()
    m = model.value
    html = solara.use_memo(lambda: _locked(m, lambda: svg.network(m.networks.view(m, max_actors=12), tuple(m.tables.sectors), width=340, cols=3)),
                           [id(m), m.week // 4])
    solara.HTML(tag="div", classes=["akrim-svg", "akrim-network"], unsafe_innerHTML=html)


@solara.component
def LiveView(model: solara.Reactive):
    """The live tab: four charts, the changes in force and the feed."""
    with solara.Div(classes=["akrim-main"]):
        with solara.Card(classes=["akrim-charts-card"]):
            KpiCharts(model)
        with solara.Div(classes=["akrim-side"]):
            with solara.Card("Changes in force", classes=["akrim-changes-card"]):
                ChangesPanel(model)
            with solara.Card("What is happening", classes=["akrim-feed-card"]):
                FeedView(model)


@solara.component
def RegionsView(model: solara.Reactive):
    """The regions-and-actors tab."""
    with solara.Div(classes=["akrim-two"]):
        with solara.Card("Regions"):
            RegionMap(model)
        with solara.Card("Threat actors and their companies"):
            NetworkView(model)


# --------------------------------------------------------------------------- controls
def _lock_notice(m: WorkshopModel) -> None:
    if in_game(m):
        solara.HTML(tag="div", classes=["akrim-locked"], unsafe_innerHTML=(
            "A game is on: the game moves the run, one round at a time. Reset ends it."))


@solara.component
def LeverPanel(model: solara.Reactive):
    """The live levers: they act on the running model from the next week (locked during a game)."""
    levers_version.get()
    m = model.value
    now = levers.read_levers(m)
    locked = in_game(m)
    error = solara.use_reactive("")

    def setter(key):
        def on_value(v):
            if in_game(model.value):
                return  # a game is on: the panel is disabled, and a late event must not move a lever either
            if key in levers.SLIDER and abs(float(v) - now[key]) <= levers.SLIDER[key].step / 2 + 1e-9:
                return  # the slider snapping a value set elsewhere (a game round, a scenario) to its step
            try:
                text = levers.set_lever(m, key, v)
            except ValueError as exc:
                error.set(str(exc))
                return
            error.set("")
            m.feed.note(m.env.now, key, text)
            levers_version.value += 1
            force_update()
        return on_value

    solara.Select(levers.LABELS["targeting"], values=list(levers.CHOICES["targeting"]) + (["custom"] if now["targeting"] == "custom" else []),
                  value=now["targeting"], on_value=setter("targeting"), disabled=locked)
    for s in levers.SLIDERS:
        v = now[s.key]
        shown = f"{v:.0%}" if s.key.startswith("p_") or s.key == "campaign_reach" else f"{round(v, 2):g}"
        with solara.Div(classes=[f"akrim-lever-{s.key}"]):
            solara.HTML(tag="div", unsafe_innerHTML=f"{escape(s.label)}: <b class='akrim-lever-value'>{shown}</b>",
                        style={"font-size": "14px", "margin-top": "6px"})
            solara.SliderFloat("", value=min(max(v, s.lo), s.hi), min=s.lo, max=s.hi, step=s.step, on_value=setter(s.key),
                               disabled=locked)
    reg_values = list(levers.REGULATION_CHOICES)
    if now["regulation"] not in reg_values:
        reg_values.insert(0, now["regulation"])
    solara.Select(levers.LABELS["regulation"], values=reg_values, value=now["regulation"], on_value=setter("regulation"), disabled=locked)
    solara.Select(levers.LABELS["new_centre"], values=list(levers.CHOICES["new_centre"]), value=now["new_centre"],
                  on_value=setter("new_centre"), disabled=locked)
    if error.value:
        solara.Error(error.value)


@solara.component
def ScenarioPanel(model: solara.Reactive, params: solara.Reactive):
    """Scenario preset and seed; applying them restarts the run (locked during a game)."""
    levers_version.get()
    names = solara.use_memo(scenario_names, [])
    scen = solara.use_reactive(params.value["scenario"])
    seed = solara.use_reactive(int(params.value["seed"]))
    error = solara.use_reactive("")
    locked = in_game(model.value)
    solara.Select("Scenario", values=names, value=scen, disabled=locked)
    solara.HTML(tag="p", classes=["akrim-scenario-description"], unsafe_innerHTML=escape(scenario_description(scen.value)),
                style={"font-size": "13px"})
    solara.InputInt("Seed", value=seed, disabled=locked)

    def apply():
        new = {**params.value, "scenario": scen.value, "seed": int(seed.value)}
        try:
            restart(model, new)
        except (ConfigError, ValueError) as exc:
            error.set(str(exc))
            return
        error.set("")
        params.value = new

    solara.Button("Apply and restart", color="primary", on_click=apply, classes=["akrim-apply"], disabled=locked)
    if error.value:
        solara.Error(error.value)


def restart(model: solara.Reactive, params: dict) -> None:
    """Replace the page's model with a fresh one; start its baseline in the background."""
    playing.set(False)
    m = WorkshopModel(**params)
    baseline.get(m.cfg.seed, m.scale, m.years[0], m.years[-1], wait=False)
    model.value = m
    levers_version.value += 1
    force_update()


def _session():
    """This page's Solara kernel context (None outside a server, e.g. in tests)."""
    try:
        from solara.server import kernel_context

        return kernel_context.get_current_context()
    except Exception:
        return None


def _connected(ctx) -> bool:
    """Whether a browser still shows this page: a closed tab must not keep the model playing."""
    if ctx is None:
        return True
    from solara.server.kernel_context import PageStatus

    return ctx.closed_event.is_set() is False and any(s == PageStatus.CONNECTED for s in ctx.page_status.values())


@solara.component
def FrameAck(frame_done: threading.Event):
    """Signals the play loop once the page has rendered the latest frame."""
    n = update_counter.get()
    solara.use_effect(frame_done.set, [n])


@solara.component
def RunControls(model: solara.Reactive, params: solara.Reactive, play_interval: int):
    """Reset, play/pause, Step (one week), +1 month, +1 year, and the redraw rate while playing.

    The play loop advances ``weeks per redraw`` weeks, asks for a redraw and waits for it to be
    rendered (``FrameAck``), then pauses ``play_interval`` milliseconds. All but Reset are
    disabled while a game is on, and the loop and the jumps refuse to move a game's run.
    """
    levers_version.get()
    per_frame = solara.use_reactive(2)
    error = solara.use_reactive("")
    frame_done = solara.use_memo(threading.Event, [])

    def loop():
        ctx = _session()
        try:
            while playing.value and model.value.running and not in_game(model.value) and _connected(ctx):
                frame_done.clear()
                with model.value.lock:
                    model.value.advance(per_frame.value)
                force_update()
                frame_done.wait(timeout=5.0)
                time.sleep(play_interval / 1000.0)
        except Exception as exc:  # shown on the page; the loop stops
            error.set(f"error while playing: {type(exc).__name__}: {exc}")
        playing.set(False)

    solara.lab.use_task(loop, dependencies=[playing.value], prefer_threaded=True)

    def jump(weeks):
        def f():
            if in_game(model.value):
                return
            model.value.advance(weeks)
            force_update()
        return f

    def reset():
        playing.set(False)
        team_name.set("")
        restart(model, params.value)

    m = model.value
    running = m.running
    locked = in_game(m)
    with solara.Row(justify="space-between", classes=["akrim-runrow"]):
        solara.Button("Reset", color="primary", on_click=reset, classes=["akrim-reset"])
        solara.Button("❚❚" if playing.value else "▶", color="primary", on_click=lambda: playing.set(not playing.value),
                      disabled=not running or locked, classes=["akrim-play"])
        solara.Button("Step", color="primary", on_click=jump(1), disabled=playing.value or not running or locked, classes=["akrim-step"])
    with solara.Row(classes=["akrim-runrow"]):
        solara.Button("+1 month", on_click=jump(4), outlined=True, disabled=playing.value or not running or locked, classes=["akrim-month"])
        solara.Button("+1 year", on_click=jump(52), outlined=True, disabled=playing.value or not running or locked, classes=["akrim-year"])
    solara.Select("Weeks per redraw while playing", values=[1, 2, 4, 13], value=per_frame)
    FrameAck(frame_done)
    _lock_notice(m)
    if not running:
        solara.Info(f"The run has reached the end of {m.years[-1]}.")
    if error.value:
        solara.Error(error.value)


# --------------------------------------------------------------------------- policy game
room_version = solara.reactive(0)  # this session's copy of ROOM.version (RoomWatcher polls it)


@solara.component
def RoomWatcher():
    """Polls the room (shared by every session) about once a second and redraws on a change."""
    def poll():
        ctx = _session()
        seen = None
        while _connected(ctx):
            # redraw on a change of the room or of a team's "preparing" state, not every second while a team
            # prepares: a redraw mid-typing costs every page in the room a render
            state = (ROOM.version, tuple(t.game.preparing for t in list(ROOM.teams.values())))
            if state != seen:
                seen = state
                room_version.value += 1
            time.sleep(1.0)

    solara.use_thread(poll, dependencies=[], intrusive_cancel=False)


def _game_intro() -> str:
    return (f"Each round the room has <b>{game.BUDGET_CHIPS} chips of NOK {game.NOK_PER_CHIP / 1e6:.0f} million</b> a year to "
            "spend on enforcement, on top of today's. The model then runs one year, and the scoreboard shows what that year's "
            "allocation changed: the game run against a run at the same state on the baseline levers, on several paired seeds, "
            "with a 95% interval. A difference within noise is shown in grey and is not counted as a win.")


@solara.component
def AllocationForm(budget: int, year: int, alloc: solara.Reactive, targeting: solara.Reactive, locked: bool = False):
    """Chip sliders over the game's levers and the free targeting choice."""
    left = budget - sum(alloc.value.values())
    solara.HTML(tag="div", classes=["akrim-round"], unsafe_innerHTML=(
        f"<p>Chips left: <b class='akrim-chips-left'>{left}</b> of {budget} "
        f"(1 chip = NOK {game.NOK_PER_CHIP / 1e6:.0f} M a year) for {year}</p>"))
    with solara.ColumnsResponsive(12, medium=6, large=4):
        for lv in game.GAME_LEVERS:
            def on_chips(v, key=lv.key):
                alloc.value = {**alloc.value, key: int(v)}
            with solara.Column(classes=[f"akrim-chips-{lv.key}"]):
                solara.SliderInt(f"{lv.label}: {alloc.value[lv.key]}", value=alloc.value[lv.key], min=0, max=budget,
                                 on_value=on_chips, disabled=locked)
                solara.Text(f"1 chip: {lv.effect}", style={"font-size": "13px", "color": "#555"})
    solara.Select("Targeting of ordinary inspections (free)", values=list(levers.TARGETING), value=targeting, disabled=locked)
    if left < 0:
        solara.Warning(f"Over budget by {-left} chip(s).")


@solara.component
def SoloGame(model: solara.Reactive, params: solara.Reactive):
    """The policy game for the room alone, on this page's run."""
    levers_version.get()
    room_version.get()
    m = model.value
    g: game.PolicyGame | None = getattr(m, "game", None)
    alloc = solara.use_reactive({k.key: 0 for k in game.GAME_LEVERS})
    targeting = solara.use_reactive("mixed")
    start_year = solara.use_reactive(min(2026, m.years[-1] - 1))
    n_rounds = solara.use_reactive(5)
    n_seeds = solara.use_reactive(game.DEFAULT_SEEDS)
    message = solara.use_reactive("")

    if g is None:
        solara.HTML(tag="p", unsafe_innerHTML=f"<b>The policy game.</b> {_game_intro()} Starting a game restarts the run on the "
                    "baseline policy and fast-forwards to the first round's year (a few seconds a seed).")
        with solara.Row():
            solara.InputInt("First round's year", value=start_year)
            solara.InputInt("Rounds", value=n_rounds)
            solara.InputInt("Paired seeds", value=n_seeds)

        def start():
            playing.set(False)
            try:
                seed = int(params.value["seed"])
                seeds = tuple(seed + i for i in range(int(n_seeds.value)))
                new = WorkshopModel(**{**params.value, "scenario": "baseline"})
                pg = game.PolicyGame(int(start_year.value), int(n_rounds.value), seeds=seeds, make_model=game_model_factory(params.value))
                pg.start(new)
            except ValueError as exc:
                message.set(str(exc))
                return
            new.game = pg
            baseline.get(new.cfg.seed, new.scale, new.years[0], new.years[-1], wait=False)
            model.value = new
            message.set("")
            levers_version.value += 1
            force_update()

        solara.Button("Start the game", color="primary", on_click=start, classes=["akrim-game-start"])
        if message.value:
            solara.Error(message.value)
        return

    if not g.over:
        solara.HTML(tag="h3", unsafe_innerHTML=f"Round {len(g.results) + 1} of {g.n_rounds}: {g.year}")
        AllocationForm(g.budget, g.year, alloc, targeting)

        def play():
            try:
                g.play_round(alloc.value, targeting.value, timeout=300)
            except (ValueError, RuntimeError) as exc:
                message.set(str(exc))
                return
            message.set("")
            levers_version.value += 1
            force_update()

        over = sum(alloc.value.values()) > g.budget
        solara.Button(f"Play {g.year}: run one year", color="primary", on_click=play, disabled=over, classes=["akrim-game-play"])
        if g.preparing:
            solara.Info("Preparing the counterfactual runs for this round (a few seconds); Play waits for them.")
    else:
        played = f"{g.n_rounds} round{'s' if g.n_rounds != 1 else ''}"
        solara.Success(f"Game over: {played} played. Start a new game with the sidebar's Reset, then 'Start the game'.")
    if message.value:
        solara.Error(message.value)
    if g.results:
        solara.HTML(tag="div", classes=["akrim-scoreboard", "akrim-score-wrap"], unsafe_innerHTML=game.scoreboard_html(g.results))


@solara.component
def TeamGame(model: solara.Reactive):
    """This browser's team in the room's game: join, choose, submit; its own scoreboard."""
    room_version.get()
    name = solara.use_reactive("")
    alloc = solara.use_reactive({k.key: 0 for k in game.GAME_LEVERS})
    targeting = solara.use_reactive("mixed")
    message = solara.use_reactive("")
    solara.HTML(tag="p", classes=["akrim-room-status"], unsafe_innerHTML=f"<b>Room game.</b> {escape(ROOM.status())}")
    team = ROOM.teams.get(team_name.value) if team_name.value else None
    if team is None:
        if ROOM.phase != "lobby":
            return
        # every keystroke reaches the server, so "Join" never reads a name the browser has not sent yet
        solara.InputText("Team name", value=name, continuous_update=True, classes=["akrim-team-name"])

        def join():
            try:
                ROOM.join(name.value)
            except ValueError as exc:
                message.set(str(exc))
                return
            playing.set(False)
            team_name.set(name.value.strip())
            message.set("")

        solara.Button("Join the room's game", color="primary", on_click=join, classes=["akrim-team-join"])
        if message.value:
            solara.Error(message.value)
        return
    if team.ready and team.game.lanes and model.value is not team.game.lanes[0].model:
        m = team.game.lanes[0].model
        m.game = team.game
        model.value = m  # the Live tab shows this team's run
    solara.HTML(tag="p", classes=["akrim-team"], unsafe_innerHTML=(
        f"You play as team <b class='akrim-team-label'>{escape(team.name)}</b>"
        + ("" if team.ready else " (your runs are being prepared)") + (f"; error: {escape(team.error)}" if team.error else "")))
    if ROOM.phase == "open":
        AllocationForm(team.game.budget, team.game.year, alloc, targeting)

        def submit():
            try:
                ROOM.submit(team.name, alloc.value, targeting.value)
            except ValueError as exc:
                message.set(str(exc))
                return
            message.set("Submitted: you can change it until the trainer closes the round.")

        solara.Button(f"Submit for {team.game.year}", color="primary", on_click=submit, classes=["akrim-team-submit"],
                      disabled=sum(alloc.value.values()) > team.game.budget)
        if team.alloc is not None:
            solara.Success("Your allocation is in: " + (", ".join(f"{game.GAME_LEVER[k].label}: {n}" for k, n in team.alloc.items() if n)
                                                       or "no chips") + f"; targeting {team.targeting}.")
    if message.value:
        solara.Info(message.value)
    if team.game.results:
        solara.HTML(tag="div", classes=["akrim-scoreboard", "akrim-score-wrap"], unsafe_innerHTML=game.scoreboard_html(team.game.results))


@solara.component
def GameView(model: solara.Reactive, params: solara.Reactive):
    """The policy game tab: the room's multi-team game when the trainer has set one up, else the game for this page alone."""
    room_version.get()
    if ROOM.phase != "setup" or team_name.value:
        with solara.Card("Room game", classes=["akrim-room-card"]):
            TeamGame(model)
        if team_name.value:
            return
    with solara.Card("Policy game on this page", classes=["akrim-solo-card"]):
        SoloGame(model, params)


# --------------------------------------------------------------------------- the trainer's page
def trainer_allowed(search: str | None) -> bool:
    """Whether the trainer's page may be shown: always on localhost; on a room's network only with ``key=``."""
    key = os.environ.get("AKRIM_WORKSHOP_TRAINER_KEY", "")
    if not key:
        return True
    from urllib.parse import parse_qs

    return parse_qs(search or "").get("key", [""])[0] == key


@solara.component
def TrainerPage():
    """The trainer's page: set up the room's game, open and close rounds, every team's choices and scores."""
    s = settings()
    router = solara.use_router()
    solara.Style(CSS)
    solara.Title("A-krim workshop: trainer")
    RoomWatcher()
    room_version.get()
    with solara.AppBar():
        solara.AppBarTitle("A-krim workshop: the trainer's page")
    if not trainer_allowed(router.search):
        solara.Error("This page needs the trainer's key (key=...) that akrim workshop printed at start-up.")
        return
    start_year = solara.use_reactive(min(2026, int(s["end"]) - 1))
    n_rounds = solara.use_reactive(5)
    n_seeds = solara.use_reactive(game.DEFAULT_SEEDS)
    message = solara.use_reactive("")

    def act(fn):
        def run():
            try:
                fn()
            except ValueError as exc:
                message.set(str(exc))
                return
            message.set("")
        return run

    def create():
        seeds = tuple(int(s["seed"]) + i for i in range(int(n_seeds.value)))
        params = {"scale": s["scale"], "start": s["start"], "end": s["end"]}
        make = game_model_factory(params)
        ROOM.create(int(start_year.value), int(n_rounds.value), seeds, make)

    with solara.Card("The room's game"):
        solara.HTML(tag="p", classes=["akrim-room-status"], unsafe_innerHTML=f"<b>{escape(ROOM.status())}</b>")
        solara.HTML(tag="p", unsafe_innerHTML=(
            f"{_game_intro()} Every team plays in its own browser (the workshop page, tab <i>Policy game</i>) on the same world "
            f"and seeds (seed {s['seed']} and the next ones, scale {s['scale']:g}). You set the game up, open a round, and close "
            "it when the teams have chosen; closing plays the round for every team."))
        from sim.runner import scale_caveat

        caveat = scale_caveat(float(s["scale"]))
        if caveat:  # for the trainer: what the room's fast scale does to the centres' figures
            solara.HTML(tag="p", classes=["akrim-scale-note"], unsafe_innerHTML=f"<small>{escape(caveat)}</small>")
        if ROOM.phase in ("setup", "over"):
            with solara.Row():
                solara.InputInt("First round's year", value=start_year)
                solara.InputInt("Rounds", value=n_rounds)
                solara.InputInt("Paired seeds", value=n_seeds)
            solara.Button("Set up a new room game", color="primary", on_click=act(create), classes=["akrim-room-create"])
        with solara.Row():
            solara.Button(f"Open round {ROOM.round_no + 1}", color="primary", on_click=act(ROOM.open_round),
                          disabled=ROOM.phase not in ("lobby", "closed"), classes=["akrim-room-open"])
            solara.Button(f"Close round {ROOM.round_no} and play it", color="primary", on_click=act(ROOM.close_round),
                          disabled=ROOM.phase != "open", classes=["akrim-room-close"])
            if ROOM.phase not in ("setup", "over"):
                solara.Button("Set up a new game", outlined=True, on_click=act(ROOM.end),
                              classes=["akrim-room-end"])
        if message.value:
            solara.Error(message.value)
    with solara.Card("Teams, round by round"):
        solara.HTML(tag="div", classes=["akrim-room-table", "akrim-score-wrap"], unsafe_innerHTML=ROOM.table_html())


# --------------------------------------------------------------------------- the page
@solara.component
def Page():
    """The workshop page."""
    s = settings()
    params = solara.use_reactive({"scenario": "baseline", "seed": int(s["seed"]), "scale": float(s["scale"]),
                                  "start": int(s["start"]), "end": int(s["end"])})
    first = solara.use_memo(lambda: WorkshopModel(**params.value), [])
    model = solara.use_reactive(first)

    def wait_for_baseline():
        m = model.value
        if _baseline_of(m) is None and baseline.wait(m.cfg.seed, m.scale, m.years[0], m.years[-1]) is not None:
            force_update()  # redraw with the baseline behind the live run

    solara.use_thread(wait_for_baseline, dependencies=[model.value], intrusive_cancel=False)
    RoomWatcher()
    solara.Style(CSS)
    solara.Title("A-krim workshop")
    with solara.AppBar():
        solara.AppBarTitle("A-krim workshop: how Norway fights work-related crime")
    with solara.Sidebar():
        with solara.Card("Run"):
            RunControls(model, params, int(s["play_interval"]))
            StatusLine(model)
        with solara.Card("Levers", subtitle="in force from next week"):
            LeverPanel(model)
        with solara.Card("Scenario and seed"):
            ScenarioPanel(model, params)
    with solara.lab.Tabs():
        with solara.lab.Tab("Live"):
            LiveView(model)
        with solara.lab.Tab("Regions and actors"):
            RegionsView(model)
        with solara.lab.Tab("Policy game"):
            GameView(model, params)


@solara.component
def Layout(children=[]):  # noqa: B006  (Solara's signature for an app's layout)
    """Solara's app layout without its route tabs: the trainer's page is reached by its address only."""
    solara.AppLayout(children=children, navigation=False)


routes = [
    solara.Route(path="/", component=Page, label="Workshop", layout=Layout),
    solara.Route(path="trainer", component=TrainerPage, label="Trainer"),
]
