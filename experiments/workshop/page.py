"""The workshop page: Solara components on Mesa 3.3's visualisation stack.

Layout (for a projector): a sidebar with the run controls (Reset, play/pause, Step, +1 month,
+1 year), the live levers, and the scenario and seed; two tabs, *Live* (headline KPIs with the
baseline behind them, the feed, the region map, the actor networks) and *Policy game*.

Why not the whole ``SolaraViz`` page: its frame is a developer's tool (a draggable grid of
cards under "Page 0 / Page 1" tabs, render-interval and threading switches, model parameters
applied only on Reset), and its ``ModelController`` play loop steps again a fixed time after
asking for a redraw without waiting for it, so on a busy laptop (or at a short interval) the
redraws fall behind and Solara stops the page with "Too many renders triggered". The workshop
keeps Mesa's redraw signal (``update_counter`` / ``force_update``, which every view listens to)
and the Solara stack Mesa uses, and runs its own loop (``RunControls``) that steps the model,
asks for a redraw and waits until the page has rendered it (``FrameAck``) before the next step.

Settings come from the ``AKRIM_WORKSHOP`` environment variable (JSON, written by
``experiments.workshop.app``): seed, scale, start, end, play_interval.
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

from sim.config import SCENARIOS_DIR, ConfigError
from experiments.workshop import baseline, game, levers, svg
from experiments.workshop.session import CHART_TITLES, HEADLINE, MAP_KPIS, WorkshopModel, region_values

DEFAULTS = {"seed": 1, "scale": 0.02, "start": 2014, "end": 2035, "play_interval": 5}
levers_version = solara.reactive(0)  # bumped whenever levers change outside the lever panel
playing = solara.reactive(False)  # the play loop runs while True (per browser session, like every solara.reactive)

CSS = """
.akrim-svg svg { width: 100%; height: auto; display: block; }
.akrim-feed { list-style: none; padding-left: 0; margin: 0; font-size: 14px; max-height: 430px; overflow-y: auto; }
.akrim-feed li { padding: 4px 6px; border-left: 4px solid #ccc; margin-bottom: 4px; background: #fafafa; }
.akrim-feed li.sev-key { border-left-color: #c0392b; }
.akrim-feed li.sev-system { border-left-color: #1e8449; }
.akrim-feed li.sev-lever { border-left-color: #2471a3; background: #eef5fb; }
.akrim-feed .d { color: #666; font-size: 12px; margin-right: 6px; }
.akrim-kpis { display: flex; flex-wrap: wrap; gap: 8px; }
.akrim-kpi { flex: 1 1 130px; border: 1px solid #ddd; border-radius: 6px; padding: 6px 10px; background: #fff; }
.akrim-kpi .t { font-size: 12px; color: #555; }
.akrim-kpi .v { font-size: 22px; font-weight: 700; color: #c0392b; }
.akrim-kpi .b { font-size: 12px; color: #666; }
.akrim-grid { display: grid; grid-template-columns: repeat(4, 1fr); gap: 6px; }
.akrim-panel { position: relative; }
.akrim-panel .akrim-live { position: absolute; top: 0; left: 0; width: 100%; pointer-events: none; }
.akrim-score { border-collapse: collapse; font-size: 14px; width: 100%; }
.akrim-score th, .akrim-score td { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: right; }
.akrim-score th:first-child, .akrim-score td:first-child { text-align: left; }
.akrim-score .good { color: #1e8449; font-weight: 600; }
.akrim-score .bad { color: #c0392b; font-weight: 600; }
.akrim-status { font-size: 15px; }
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
    """The ``description`` line of a scenario file."""
    from omegaconf import OmegaConf

    path = Path(SCENARIOS_DIR, "policy", f"{name}.yaml")
    return str(OmegaConf.load(path).get("description", "")) if path.is_file() else ""


def _locked(m: WorkshopModel, draw):
    """Run ``draw()`` while the model is between weeks (a step holds the lock)."""
    with m.lock:
        return draw()


def _baseline_of(m: WorkshopModel) -> baseline.BaselineRun | None:
    return baseline.ready(m.cfg.seed, m.scale, m.years[0], m.years[-1])


# --------------------------------------------------------------------------- live views
@solara.component
def StatusLine(model: solara.Reactive):
    """Simulated date, week and speed; notices dated interventions so the lever panel refreshes."""
    update_counter.get()
    m = model.value
    seen = solara.use_ref(0)
    n_int = m.feed.counts.get("intervention", 0) + m.feed.counts.get("centre_opened", 0)
    if n_int != seen.current:
        seen.current = n_int
        levers_version.value += 1
    speed = m.weeks_per_second()
    base = "ready" if _baseline_of(m) is not None else "being computed"
    solara.HTML(tag="div", classes=["akrim-status"], unsafe_innerHTML=(
        f"<b class='akrim-date'>{m.today:%d %b %Y}</b> · week <span class='akrim-week'>{m.week}</span>"
        f"<br><span class='akrim-speed'>{speed:.0f}</span> weeks/s · scenario <i>{escape(m.scenario)}</i>, seed {m.cfg.seed}"
        f"<br>baseline {base}"))


@solara.component
def Headline(model: solara.Reactive):
    """The headline KPIs now, with the baseline at the same date."""
    update_counter.get()
    m = model.value
    b = _baseline_of(m)
    cells = []
    for key, title, _, kind in HEADLINE:
        v = m.series.latest(key)
        line, bv = "", float("nan")
        if b is not None:
            bv = b.series.at_day(key, m.env.now)
            if np.isfinite(bv) and np.isfinite(v):
                line = f"baseline {svg.fmt(bv, kind)}"
        cells.append(f"<div class='akrim-kpi' data-kpi='{key}' data-live='{v:.6g}' data-base='{bv:.6g}'><div class='t'>{escape(title)}</div>"
                     f"<div class='v'>{svg.fmt(v, kind)}</div><div class='b'>{line or '&nbsp;'}</div></div>")
    solara.HTML(tag="div", classes=["akrim-kpis"], unsafe_innerHTML="".join(cells))


@solara.component
def KpiPanel(model: solara.Reactive, key: str, title: str, kind: str):
    """One KPI over time: a still frame with the baseline, and the live run redrawn on top."""
    update_counter.get()
    m = model.value
    b = _baseline_of(m)
    s = m.series
    x, y = s.year[: s.n], s.values(key)
    rng = (m.years[0], m.years[-1] + 1)
    by = b.series.values(key) if b is not None else None
    ymax = svg.panel_ymax(y, by)
    frame = solara.use_memo(lambda: svg.kpi_frame(title, kind, b.series.year[: b.series.n] if b is not None else None, by, rng, ymax),
                            [id(m), b is None, ymax])
    with solara.Div(classes=["akrim-panel", f"akrim-chart-{key}"]):
        solara.HTML(tag="div", classes=["akrim-svg"], unsafe_innerHTML=frame)
        solara.HTML(tag="div", classes=["akrim-svg", "akrim-live"], unsafe_innerHTML=svg.kpi_live(kind, x, y, rng, ymax))


@solara.component
def KpiCharts(model: solara.Reactive):
    """Small multiples of the headline KPIs over time, the baseline dashed behind the live run."""
    with solara.Div(classes=["akrim-grid"]):
        for key, _, _, kind in HEADLINE:
            KpiPanel(model, key, CHART_TITLES[key], kind)
    solara.Text("Red: this run. Grey dashed: baseline, same seed. /yr: total of the last 12 months.",
                style={"font-size": "12px", "color": "#666"})


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
    html = solara.use_memo(lambda: _locked(m, lambda: svg.region_map(region_values(m, key), MAP_KPIS[key][0], MAP_KPIS[key][1],
                                                                     m.centre_open(), m.extra_centre)),
                           [id(m), key, m.week // 4, m.extra_centre])
    solara.HTML(tag="div", classes=["akrim-svg", "akrim-map"], unsafe_innerHTML=html)


@solara.component
def NetworkView(model: solara.Reactive):
    """Threat actors, their companies and phoenix successors."""
    update_counter.get()
    m = model.value
    html = solara.use_memo(lambda: _locked(m, lambda: svg.network(m.networks.view(m), tuple(m.tables.sectors))), [id(m), m.week // 4])
    solara.HTML(tag="div", classes=["akrim-svg", "akrim-network"], unsafe_innerHTML=html)


@solara.component
def LiveView(model: solara.Reactive):
    """The live tab."""
    Headline(model)
    with solara.Columns([5, 2]):
        with solara.Card("Headline KPIs over time"):
            KpiCharts(model)
        with solara.Card("What is happening"):
            FeedView(model)
    with solara.Columns([1, 2]):
        with solara.Card("Regions"):
            RegionMap(model)
        with solara.Card("Threat actors and their companies"):
            NetworkView(model)


# --------------------------------------------------------------------------- controls
@solara.component
def LeverPanel(model: solara.Reactive):
    """The live levers: they act on the running model from the next week."""
    levers_version.get()
    m = model.value
    now = levers.read_levers(m)
    error = solara.use_reactive("")

    def setter(key):
        def on_value(v):
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

    solara.Select("NLI targeting", values=list(levers.CHOICES["targeting"]) + (["custom"] if now["targeting"] == "custom" else []),
                  value=now["targeting"], on_value=setter("targeting"))
    for s in levers.SLIDERS:
        shown = f"{now[s.key]:.0%}" if s.key.startswith("p_") or s.key == "campaign_reach" else f"{round(now[s.key], 2):g}"
        with solara.Div(classes=[f"akrim-lever-{s.key}"]):
            solara.HTML(tag="div", unsafe_innerHTML=f"{escape(s.label)}: <b class='akrim-lever-value'>{shown}</b>",
                        style={"font-size": "13px", "margin-top": "6px"})
            solara.SliderFloat("", value=now[s.key], min=s.lo, max=s.hi, step=s.step, on_value=setter(s.key))
    reg_values = list(levers.REGULATION_CHOICES)
    if now["regulation"] not in reg_values:
        reg_values.insert(0, now["regulation"])
    solara.Select("Information-sharing regulation", values=reg_values, value=now["regulation"], on_value=setter("regulation"))
    solara.Select("A new centre in", values=list(levers.CHOICES["new_centre"]), value=now["new_centre"], on_value=setter("new_centre"))
    if error.value:
        solara.Error(error.value)


@solara.component
def ScenarioPanel(model: solara.Reactive, params: solara.Reactive):
    """Scenario preset and seed; applying them restarts the run."""
    names = solara.use_memo(scenario_names, [])
    scen = solara.use_reactive(params.value["scenario"])
    seed = solara.use_reactive(int(params.value["seed"]))
    error = solara.use_reactive("")
    solara.Select("Scenario", values=names, value=scen)
    solara.HTML(tag="p", unsafe_innerHTML=escape(scenario_description(scen.value)[:400]), style={"font-size": "12px"})
    solara.InputInt("Seed", value=seed)

    def apply():
        new = {**params.value, "scenario": scen.value, "seed": int(seed.value)}
        try:
            restart(model, new)
        except (ConfigError, ValueError) as exc:
            error.set(str(exc))
            return
        error.set("")
        params.value = new

    solara.Button("Apply and restart", color="primary", on_click=apply, classes=["akrim-apply"])
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
    rendered (``FrameAck``), then pauses ``play_interval`` milliseconds.
    """
    per_frame = solara.use_reactive(2)
    error = solara.use_reactive("")
    frame_done = solara.use_memo(threading.Event, [])

    def loop():
        ctx = _session()
        try:
            while playing.value and model.value.running and _connected(ctx):
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
            model.value.advance(weeks)
            force_update()
        return f

    def reset():
        playing.set(False)
        restart(model, params.value)

    running = model.value.running
    with solara.Row(justify="space-between"):
        solara.Button("Reset", color="primary", on_click=reset, classes=["akrim-reset"])
        solara.Button("❚❚" if playing.value else "▶", color="primary", on_click=lambda: playing.set(not playing.value),
                      disabled=not running, classes=["akrim-play"])
        solara.Button("Step", color="primary", on_click=jump(1), disabled=playing.value or not running, classes=["akrim-step"])
    with solara.Row():
        solara.Button("+1 month", on_click=jump(4), outlined=True, disabled=playing.value or not running, classes=["akrim-month"])
        solara.Button("+1 year", on_click=jump(52), outlined=True, disabled=playing.value or not running, classes=["akrim-year"])
    solara.Select("Weeks per redraw while playing", values=[1, 2, 4, 13], value=per_frame)
    FrameAck(frame_done)
    if not running:
        solara.Info(f"The run has reached the end of {model.value.years[-1]}.")
    if error.value:
        solara.Error(error.value)


# --------------------------------------------------------------------------- policy game
@solara.component
def GameView(model: solara.Reactive, params: solara.Reactive):
    """The round-based policy game (redrawn on game actions and restarts, not every week)."""
    levers_version.get()
    m = model.value
    g: game.PolicyGame | None = getattr(m, "game", None)
    alloc = solara.use_reactive({k.key: 0 for k in game.GAME_LEVERS})
    targeting = solara.use_reactive("mixed")
    start_year = solara.use_reactive(min(2026, m.years[-1] - 1))
    n_rounds = solara.use_reactive(5)
    message = solara.use_reactive("")

    if g is None:
        solara.HTML(tag="p", unsafe_innerHTML=(
            f"<b>The policy game.</b> Each round the room has <b>{game.BUDGET_CHIPS} chips of NOK "
            f"{game.NOK_PER_CHIP / 1e6:.0f} million</b> a year to spend on enforcement, on top of today's. The model then runs one "
            "year and the scoreboard shows what the choice achieved against the baseline (same seed). Starting a game restarts "
            "the run on the baseline policy and fast-forwards to the first round's year."))
        solara.InputInt("First round's year", value=start_year)
        solara.InputInt("Rounds", value=n_rounds)

        def start():
            playing.set(False)
            try:
                new = WorkshopModel(**{**params.value, "scenario": "baseline"})
                pg = game.PolicyGame(int(start_year.value), int(n_rounds.value))
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

    spent = sum(alloc.value.values())
    left = g.budget - spent
    if not g.over:
        solara.HTML(tag="div", classes=["akrim-round"], unsafe_innerHTML=(
            f"<h3>Round {len(g.results) + 1} of {g.n_rounds}: {g.year}</h3>"
            f"<p>Chips left: <b class='akrim-chips-left'>{left}</b> of {g.budget} (1 chip = NOK {game.NOK_PER_CHIP / 1e6:.0f} M a year)</p>"))
        with solara.ColumnsResponsive(6, large=4):
            for lv in game.GAME_LEVERS:
                def on_chips(v, key=lv.key):
                    alloc.value = {**alloc.value, key: int(v)}
                with solara.Column(classes=[f"akrim-chips-{lv.key}"]):
                    solara.SliderInt(f"{lv.label}: {alloc.value[lv.key]}", value=alloc.value[lv.key], min=0, max=g.budget,
                                     on_value=on_chips)
                    solara.Text(f"1 chip: {lv.effect}", style={"font-size": "12px", "color": "#555"})
        solara.Select("Targeting of ordinary inspections (free)", values=list(levers.TARGETING), value=targeting)

        def play():
            playing.set(False)
            b = baseline.wait(m.cfg.seed, m.scale, m.years[0], m.years[-1])
            try:
                g.play_round(m, alloc.value, targeting.value, b.annual)
            except ValueError as exc:
                message.set(str(exc))
                return
            message.set("")
            levers_version.value += 1
            force_update()

        solara.Button(f"Play {g.year}: run one year", color="primary", on_click=play, disabled=left < 0,
                      classes=["akrim-game-play"])
        if left < 0:
            solara.Warning(f"Over budget by {-left} chip(s).")
    else:
        played = f"{g.n_rounds} round{'s' if g.n_rounds != 1 else ''}"
        solara.Success(f"Game over: {played} played. Start a new game with the sidebar's Reset, then 'Start the game'.")
    if message.value:
        solara.Error(message.value)
    if g.results:
        solara.HTML(tag="div", classes=["akrim-scoreboard"], unsafe_innerHTML=game.scoreboard_html(g.results))


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
    solara.Style(CSS)
    solara.Title("A-krim workshop")
    with solara.AppBar():
        solara.AppBarTitle("A-krim workshop: how Norway fights work-related crime")
    with solara.Sidebar():
        with solara.Card("Run"):
            RunControls(model, params, int(s["play_interval"]))
            StatusLine(model)
        with solara.Card("Levers (act from next week)"):
            LeverPanel(model)
        with solara.Card("Scenario and seed"):
            ScenarioPanel(model, params)
    with solara.lab.Tabs():
        with solara.lab.Tab("Live"):
            LiveView(model)
        with solara.lab.Tab("Policy game"):
            GameView(model, params)
