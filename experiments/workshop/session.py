"""The live model of a workshop: an ``AkrimModel`` that records what the page shows as it steps.

``WorkshopModel`` takes keyword arguments only (as Mesa's SolaraViz controller re-creates a model
with ``model.__class__(**params)``) and after each weekly step records:

* ``series``   - the headline KPIs of ``HEADLINE``, one value a week (``Series``);
* ``feed``     - notable events phrased in plain language (``experiments.workshop.feed``);
* ``networks`` - every company a threat actor has held, with its phoenix predecessor
  (``Networks``, linked by the event log's ``company_succeeded`` rows), from which the network
  view is drawn.

It reads the model only through its public interface (``live_kpis``, ``last_tick_month``, the
event log); levers change through ``AkrimModel.set_levers`` (``experiments.workshop.levers``). Steps hold
``lock`` so a lever changed from the page never lands half-way through a week.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from experiments.workshop.feed import Feed
from sim.actors import ACTIVE
from sim.centres import PRIORITISED
from sim.config import load_config
from sim.config.policy import REGIONS
from sim.events import KIND
from sim.model import AkrimModel
from sim.population import SUSPENDED

# Headline KPIs drawn over time: key, title, how it is measured, number format.
#   level   - the state this week (national, 1:1): ``AkrimModel.live_kpis()``
#   rolling - the total of the last 52 weeks (national, 1:1), from the model's annual flows
#             (``live_kpis(cumulative=True)`` recorded every week)
HEADLINE: tuple[tuple[str, str, str, str], ...] = (
    ("undeclared_share", "Undeclared work", "level", "pct"),
    ("exploited_workers", "Exploited workers", "level", "int"),
    ("active_threat_actors", "Active threat actors", "level", "int"),
    ("phoenix_12m", "Phoenix bankruptcies, last 12 months", "rolling", "int"),
    ("controls_12m", "Inspections and joint controls, last 12 months", "rolling", "int"),
    ("prioritised_12m", "Actors prioritised by leader groups, last 12 months", "rolling", "int"),
    ("cases_ta_12m", "Cases against threat actors, last 12 months", "rolling", "int"),
    ("convictions_12m", "Convictions, last 12 months", "rolling", "int"),
)
HEADLINE_KEYS = tuple(h[0] for h in HEADLINE)
# Short titles for the small charts ("/yr": total of the last 12 months).
CHART_TITLES: dict[str, str] = {
    "undeclared_share": "Undeclared work", "exploited_workers": "Exploited workers",
    "active_threat_actors": "Active threat actors", "phoenix_12m": "Phoenix bankruptcies /yr",
    "controls_12m": "Inspections + joint controls /yr", "prioritised_12m": "Actors prioritised /yr",
    "cases_ta_12m": "Cases against actors /yr", "convictions_12m": "Convictions /yr",
}
# Which annual flows (sim.metrics; among sim.model.LIVE_FLOWS) each rolling KPI sums.
ROLLING_FLOWS: dict[str, tuple[str, ...]] = {
    "phoenix_12m": ("phoenix_bankruptcies",),
    "controls_12m": ("inspections_nli", "inspections_joint"),
    "prioritised_12m": ("actors_prioritised",),
    "cases_ta_12m": ("cases_against_ta",),
    "convictions_12m": ("convictions",),
}
WEEKS_PER_YEAR = 52


class Series:
    """Weekly values of the headline KPIs (preallocated for the whole horizon).

    Args:
        n_weeks: Capacity (weeks in the horizon plus slack).
    """

    def __init__(self, n_weeks: int) -> None:
        self.n = 0
        self.day = np.zeros(n_weeks)
        self.year = np.zeros(n_weeks)  # decimal calendar year, for the x axis
        self.level = {k: np.full(n_weeks, np.nan) for k, _, kind, _ in HEADLINE if kind == "level"}
        self.cum = {k: np.zeros(n_weeks) for k in ROLLING_FLOWS}

    def record(self, m: AkrimModel) -> None:
        """Append this week's values from model ``m``."""
        i = self.n
        if i >= self.day.size:
            return
        self.day[i] = m.env.now
        self.year[i] = m.years[0] + m.env.now / 365.25
        kpis = m.live_kpis(cumulative=True)
        for key, level in self.level.items():
            level[i] = kpis[key]
        for key, flows in ROLLING_FLOWS.items():
            self.cum[key][i] = sum(kpis[f] for f in flows)
        self.n = i + 1

    def values(self, key: str) -> np.ndarray:
        """The recorded values of headline KPI ``key`` (rolling ones are NaN in the first year)."""
        n = self.n
        if key in self.level:
            return self.level[key][:n].copy()
        if key not in self.cum:
            raise KeyError(f"unknown headline KPI {key!r}; known: {', '.join(HEADLINE_KEYS)}")
        c = self.cum[key][:n]
        out = np.full(n, np.nan)
        if n > WEEKS_PER_YEAR:
            out[WEEKS_PER_YEAR:] = c[WEEKS_PER_YEAR:] - c[:-WEEKS_PER_YEAR]
        return out

    def latest(self, key: str) -> float:
        """The most recent value of ``key`` (NaN before it is defined)."""
        v = self.values(key)
        return float(v[-1]) if v.size else float("nan")

    def at_day(self, key: str, day: float) -> float:
        """The value of ``key`` recorded at or just before ``day`` (NaN if none)."""
        n = self.n
        j = int(np.searchsorted(self.day[:n], day, side="right")) - 1
        if j < 0:
            return float("nan")
        return float(self.values(key)[j])


@dataclass
class Company:
    """A company a threat actor has held (a workplace occupied under one firm id)."""

    fid: int
    aid: int
    block: int
    sector: int
    region: int
    t_open: float
    pred: int | None = None  # the company it succeeded in a phoenix bankruptcy
    succ: int | None = None


@dataclass
class ActorView:
    """What the network view shows of one actor."""

    aid: int
    status: str  # active | under investigation | banned | incarcerated | desisted
    targeted: bool  # a leader group has prioritised it (file currently prioritised)
    capacity: float
    n_phoenix: int
    companies: list[tuple[Company, bool]] = field(default_factory=list)  # (company, alive)


class Networks:
    """Every company each threat actor has held, with phoenix successions, kept in step with the model.

    Successions come from the event log (``company_succeeded``: firm = successor, value = the
    bankrupt firm), read from a cursor like the feed; other companies (registered by an actor, or
    held from the start) are picked up from the actors' current workplaces.
    """

    def __init__(self) -> None:
        self.companies: dict[int, Company] = {}
        self.by_actor: dict[int, list[int]] = {}
        self.t_disrupted: dict[int, float] = {}
        self.cursor = 0

    def _add(self, c: Company) -> None:
        self.companies[c.fid] = c
        self.by_actor.setdefault(c.aid, []).append(c.fid)

    def _successions(self, m: AkrimModel) -> None:
        """Register the phoenix successors logged since the last call, linked to their predecessors."""
        cols, code = m.log.cols, KIND["company_succeeded"]
        n = len(cols["t"])
        kinds = cols["kind"]
        for i in range(self.cursor, n):
            if kinds[i] != code:
                continue
            fid, old, aid = int(cols["firm"][i]), int(cols["value"][i]), int(cols["actor"][i])
            t, sector, region = float(cols["t"][i]), int(cols["sector"][i]), int(cols["region"][i])
            if fid in self.companies:
                continue
            prev = self.companies.get(old)
            if prev is not None:
                block = prev.block
            else:  # the predecessor came and went within one week: find the workplace from the successor
                pop = m.pop
                block = next((int(b) for b in m.actor_list[aid].firms if int(pop.firm_id[b]) == fid), -1)
                if block < 0:
                    continue  # both gone before the page saw them
                prev = Company(old, aid, block, sector, region, t)
                self._add(prev)
            prev.succ = fid
            self._add(Company(fid, aid, block, sector, region, t, pred=old))
        self.cursor = n

    def sync(self, m: AkrimModel) -> None:
        """Register new companies of the actors (phoenix successors linked from the event log)."""
        self._successions(m)
        pop = m.pop
        for a in m.actor_list:
            for b in a.firms:
                fid = int(pop.firm_id[b])
                if fid not in self.companies:
                    self._add(Company(fid, a.aid, int(b), int(pop.sector[b]), int(pop.region[b]), m.env.now))
            if int(m.ta.status[a.aid]) != ACTIVE and a.aid not in self.t_disrupted:
                self.t_disrupted[a.aid] = m.env.now
            elif int(m.ta.status[a.aid]) == ACTIVE:
                self.t_disrupted.pop(a.aid, None)

    def alive(self, m: AkrimModel, c: Company) -> bool:
        """Whether company ``c`` still trades under its actor."""
        return int(m.pop.firm_id[c.block]) == c.fid and int(m.pop.owner[c.block]) == c.aid

    def view(self, m: AkrimModel, max_actors: int = 24, dead_per_actor: int = 3, recent_days: float = 730.0) -> list[ActorView]:
        """The actors to draw: active ones first (targeted, then by capacity), then the recently disrupted.

        Each actor carries its live companies and its latest ``dead_per_actor`` closed ones.
        """
        targeted = {aid for c in m.centres for aid, f in c.files.items() if f.state == PRIORITISED}
        now = m.env.now
        rows = []
        for a in m.actor_list:
            code = int(m.ta.status[a.aid])
            if code != ACTIVE and now - self.t_disrupted.get(a.aid, now) > recent_days:
                continue
            cap = float(max(m.ta.capacity[a.aid], 0.0))
            rank = (0 if code == ACTIVE else 1, 0 if a.aid in targeted else 1, -cap)
            rows.append((rank, a))
        rows.sort(key=lambda r: r[0])
        out = []
        for _, a in rows[:max_actors]:
            comps = [self.companies[f] for f in self.by_actor.get(a.aid, [])]
            live = [(c, True) for c in comps if self.alive(m, c)]
            dead = [(c, False) for c in comps if not self.alive(m, c)][-dead_per_actor:]
            out.append(ActorView(a.aid, a.status, a.aid in targeted, float(max(m.ta.capacity[a.aid], 0.0)),
                                 int(m.ta.n_phoenix[a.aid]), dead + live))
        return out


def region_values(m: AkrimModel, key: str) -> np.ndarray:
    """Per-region value of map KPI ``key`` (see ``MAP_KPIS``), national 1:1 where it is a count."""
    pop, mt, nr = m.pop, m.metrics, len(REGIONS)
    y = m.year_idx
    if key == "undeclared_share":
        risk = m.tables.risk_sector[pop.sector]
        emp = np.where((pop.status == SUSPENDED) | ~risk, 0, pop.size).astype(float)
        und = np.where(risk, pop.n_und, 0).astype(float)
        e = np.bincount(pop.region, emp, nr)
        return np.where(e > 0, np.bincount(pop.region, und, nr) / np.maximum(e, 1), np.nan)
    if key == "exploited_per_1000":
        # wblk: national firms per workplace (all 1 unless the risk sectors are at 1:1, national_actors)
        emp = np.bincount(pop.region, np.where(pop.status == SUSPENDED, 0, pop.size) * m.wblk, nr)
        return np.where(emp > 0, 1000.0 * np.bincount(pop.region, pop.n_expl * m.wblk, nr) / np.maximum(emp, 1), np.nan)
    if key == "active_threat_actors":
        t = m.ta
        return np.bincount(t.home_region[: t.n][t.active_mask()], minlength=nr).astype(float) / m.act_s
    flows = {"controls_year": ("inspections_nli", "inspections_joint"), "phoenix_year": ("phoenix_bankruptcies",),
             "convictions_year": ("convictions",), "crime_cost_year": ("crime_cost_nok",)}
    if key in flows:
        return sum(mt.reg[y, :, mt.idx[f]] for f in flows[key]) / m.scale
    raise KeyError(f"unknown map KPI {key!r}; known: {', '.join(MAP_KPIS)}")


# Map KPIs: key -> (label, number format)
MAP_KPIS: dict[str, tuple[str, str]] = {
    "undeclared_share": ("Undeclared work (share of risk-sector employees)", "pct"),
    "exploited_per_1000": ("Exploited workers per 1,000 employees", "one"),
    "active_threat_actors": ("Active threat actors (home region)", "int"),
    "controls_year": ("Inspections and joint controls this year", "int"),
    "phoenix_year": ("Phoenix bankruptcies this year", "int"),
    "convictions_year": ("Convictions this year", "int"),
    "crime_cost_year": ("Cost of work-related crime this year (NOK)", "nok"),
}


class WorkshopModel(AkrimModel):
    """An ``AkrimModel`` for the workshop page: keyword arguments, weekly recording, a lock.

    Args:
        scenario: Policy scenario (a file in ``scenarios/policy/``, or ``a+b`` packages).
        seed: Run seed.
        scale: Population scale (the workshop default 0.02 keeps a step at a few milliseconds).
        start: First calendar year.
        end: Last calendar year.
        track: Keep the feed and the actor networks (the baseline run does not need them).
    """

    def __init__(self, scenario: str = "baseline", seed: int = 1, scale: float = 0.02, start: int = 2014,
                 end: int = 2035, track: bool = True) -> None:
        cfg = load_config([f"policy={scenario}", f"seed={int(seed)}", f"scale={float(scale)}", f"start={int(start)}",
                           f"end={int(end)}", "output.progress=false", "output.events=true"])
        super().__init__(cfg)
        self.scenario = scenario
        self.lock = threading.RLock()
        self.track = track
        self.series = Series(int(np.ceil(self.end_day / 7.0)) + 2)
        self.feed = Feed(self.origin, tuple(self.tables.sectors))
        self.networks = Networks()
        self.extra_centre: str | None = None  # region given a new centre from the page (experiments.workshop.levers)
        self.extra_centre_doubled = False  # True: its staff doubled; False: its centre opened early
        self._step_times: deque[float] = deque(maxlen=40)
        self._record()

    def _record(self) -> None:
        self.series.record(self)
        if self.track:
            self.feed.update(self.log, tuple(iv.note for iv in self.policy.interventions))
            self.networks.sync(self)

    def step(self) -> None:
        """Advance one week and record what the page shows."""
        with self.lock:
            if self.env.now >= self.end_day:
                self.running = False
                return
            super().step()
            self._record()
            self._step_times.append(time.perf_counter())
            if self.env.now >= self.end_day:
                self.running = False

    def advance(self, weeks: int) -> int:
        """Step ``weeks`` weeks (fewer at the end of the horizon); return how many were stepped."""
        n = 0
        for _ in range(int(weeks)):
            if not self.running or self.env.now >= self.end_day:
                break
            self.step()
            n += 1
        return n

    def advance_past_new_year(self, year: int) -> int:
        """Step until the first weekly tick of ``year`` has run (so year ``year - 1`` is closed)."""
        if year > self.years[-1]:
            raise ValueError(f"year {year} is past the end of this run ({self.years[-1]}); restart with a later end=")
        n = 0
        while (self.last_tick_month or (0, 0)) < (year, 1) and self.env.now < self.end_day:
            self.step()
            n += 1
        return n

    def weeks_per_second(self) -> float:
        """Recent stepping speed (weeks per wall-clock second), 0 when not stepping continuously."""
        ts = self._step_times
        if len(ts) < 5 or time.perf_counter() - ts[-1] > 1.0:
            return 0.0
        return (len(ts) - 1) / max(ts[-1] - ts[0], 1e-9)

    def annual_row(self, year: int) -> dict[str, float]:
        """The annual KPIs of ``year`` so far (complete once the year is closed), national 1:1."""
        if year not in self.years:
            raise ValueError(f"year {year} is outside this run ({self.years[0]}-{self.years[-1]})")
        df = self.metrics.annual()
        return df[df["year"] == year].iloc[0].to_dict()

    def centre_open(self) -> dict[str, bool]:
        """Which regions' centres are open now."""
        return {c.name: c.is_open for c in self.centres}
