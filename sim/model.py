"""The A-krim model: a Mesa model owning a SimPy clock, random streams and the populations.

The dense populations (employers, workers) are vectorised; the few rich agents (threat actors,
centres, NTAES, police) are Mesa agents.

Core objects:
    AkrimModel: build from an ``AkrimConfig``; ``run()`` to the end of the horizon, or
        ``step()`` one week at a time (the workshop does that). Between steps, ``set_levers()``
        changes levers from the next weekly tick (as a dated intervention would) and
        ``live_kpis()`` reads the headline KPIs now.
    RunResult: what a run produces (annual tables, event log, monthly series).
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import simpy

from sim import actors as actors_mod
from sim.actors import ActorTable, ThreatActor
from sim.agencies import Agencies
from sim.centres import Centre, Ntaes
from sim.config import ConfigError, apply_intervention, check_lever, validate_policy
from sim.config.policy import REGIONS, Intervention, SanctionsPolicy
from sim.data import load_tables
from sim.events import EventLog
from sim.firms import compliance_weekly, firms_weekly, ordinary_entrant, settle_initial
from sim.inspections import Inspections
from sim.mesa_compat import install as _install_mesa_compat
from sim.metrics import Metrics, Observer, undeclared_share
from sim.police import Police
from sim.population import Population
from sim.rng import Streams, keyed_uniform
from sim.sanctions import Sanctions
from sim.signals import Signals
from sim.units import WEEK_YEARS
from sim.workers import workers_weekly

_install_mesa_compat()  # Mesa 3.3 keeps every model alive otherwise (sim/mesa_compat.py)

# What ``AkrimModel.live_kpis`` returns (all 1:1): levels are the state now, flows are totals of
# the annual table's flow columns (this calendar year so far, or since the start of the run).
LIVE_LEVELS = ("undeclared_share", "exploited_workers", "active_threat_actors", "central_threat_actors")
LIVE_FLOWS = ("phoenix_bankruptcies", "inspections_nli", "inspections_joint", "actors_prioritised", "cases_against_ta", "convictions")


def expected_sanction_index(s: SanctionsPolicy, fw: Any) -> float:
    """Expected penalty of a serious finding in a common unit, weights ``fw.w_*`` (world.firms).

    The model uses it relative to the schema's default sanction mix, so ``sanction_multiple``
    keeps its meaning when the weights change.
    """
    return (
        fw.w_fine * s.p_fine * s.nok_fine_mean / 1e5
        + fw.w_suspension * s.p_suspension
        + fw.w_report * s.p_report_nli
        + fw.w_reassessment * s.p_tax_reassess_nli * (1.0 + s.tax_surcharge)
        + fw.w_coercive * s.p_coercive_fine
    )


@dataclass
class RunResult:
    """What one run produces."""

    annual: Any  # pandas DataFrame, one row per year (SPEC 5 columns)
    by_region: Any
    by_sector: Any
    monthly: Any
    events: Any | None
    streams_used: list[str]


class AkrimModel(mesa.Model):
    """Norway's a-krim system: employers, workers, threat actors, agencies, centres and NTAES.

    Time is in days from 1 January of ``cfg.start``. A weekly market tick runs every 7 days;
    everything else (signal transfers, analyses, leader-group meetings every 14 days, joint
    controls, sanction delays, police cases, releases, NTAES assessments) is a SimPy event at its
    own time.

    Order inside one weekly tick (``TICK_ORDER``; tested):

    1. ``close``       - at a month's first tick, the month just ended is observed (worker
       aggregates, crime cost, monthly KPIs) and, at a year's first tick, the year just ended
       (year-end stocks) - before anything of the new period happens.
    2. ``calendar``    - policy calendar: dated interventions due, centre openings, the 2022
       sharing regulation, NTAES start, approval schemes, campaigns; derived levers refreshed.
    3. ``firms``       - ordinary exit and entry (workplace to an entrant), growth/shrinkage.
    4. ``workers``     - turnover, campaign reach, awareness decay.
    5. ``compliance``  - perceived-detection learning; firms due a review set undeclared work and
       underpayment (deterrence + peer norm + buyer pressure).
    6. ``actors``      - new actors, company registrations, planned (phoenix) bankruptcies,
       desistance; at a month's first tick also profit/capacity/intent and displacement.
    7. ``signals``     - Tax, NAV, police, worker tips, posted-worker register, cross-border;
       each shared with a latency and completeness (SimPy timeouts).
    8. ``agencies``    - the Tax Administration's audits and NAV's controls (sim/agencies.py).
    9. ``inspections`` - this week's ordinary NLI inspections by the targeting mix; findings are
       sanctioned at once, delayed effects scheduled.
    10. ``centres``    - each open centre starts analyses and carries out joint actions with this
       week's share of its capacity (leader-group meetings are SimPy events every 14 days).
    11. ``police``     - investigations started with this week's share of the investigators.
    12. ``observe``    - control-rate memories and the week's enforcement cost.

    Args:
        cfg: A validated ``AkrimConfig``.
    """

    TICK_ORDER = ("close", "calendar", "firms", "workers", "compliance", "actors", "signals", "agencies", "inspections", "centres", "police", "observe")

    def __init__(self, cfg: Any) -> None:
        super().__init__(seed=cfg.seed)
        self.cfg = cfg
        self.policy = copy.deepcopy(cfg.policy)  # live levers: interventions change this copy
        self.scale = float(cfg.scale)
        self.streams = Streams(cfg.seed)
        self.role_key = self.streams.key("actors.formal_role")
        self.phoenix_key = self.streams.key("actors.phoenix")  # planned bankruptcies and wind-ups: (workplace, week)
        self.police_signal_key = self.streams.key("signals.police")  # police intelligence: (actor, week)
        self.intel_key = self.streams.key("nli.intel_keys")  # intelligence-led inspection order: (workplace, week)
        self.env = simpy.Environment()
        self.trace: list[str] | None = None  # set to [] to record the tick order
        self.origin = dt.date(cfg.start, 1, 1)
        self.years = list(range(cfg.start, cfg.end + 1))
        self.year_start = [(dt.date(y, 1, 1) - self.origin).days for y in self.years]
        self.end_day = (dt.date(cfg.end + 1, 1, 1) - self.origin).days
        self.tables = load_tables(cfg.world.population.sectors_file, cfg.world.population.regions_file)
        if tuple(self.tables.regions) != REGIONS:
            raise ValueError(f"regions file must list {REGIONS} in that order, got {self.tables.regions}")
        # Threat actors at national count (cfg.national_actors, docs/design/national_actors.md): the
        # risk sectors, where actors operate, are built at 1:1 and the rest at ``scale``; every block
        # of a risk sector then stands for one national firm and counts ``scale`` in the sums that are
        # divided by the scale (``wsec``), and actor-level events count ``scale`` (``aw``).
        self.national_actors = bool(cfg.national_actors) and self.scale < 1.0
        sector_scale = None
        if self.national_actors:
            sector_scale = np.where(self.tables.risk_sector.astype(bool), 1.0, self.scale)
        self.act_s = 1.0 if self.national_actors else self.scale  # the actor side's rates (actors, centres)
        self.aw = self.scale if self.national_actors else 1.0  # weight of an actor-level event
        self.pop = Population(self.tables, cfg.world, self.scale, self.streams.get("population.build"), sector_scale)
        pop = self.pop
        self.wsec = np.ones(len(self.tables.sectors)) if sector_scale is None else self.scale / sector_scale
        self.wblk = self.wsec[pop.sector]
        self.region_blocks = [np.flatnonzero(pop.region == r) for r in range(len(REGIONS))]
        self.cell_n_blocks = np.maximum(np.bincount(pop.cell, minlength=pop.n_cells), 1).astype(float)
        self.metrics = Metrics(self.years, len(REGIONS), len(self.tables.sectors), self.scale)
        if self.national_actors:
            self.metrics.weigh(self.wsec, self.aw)
        self.observer = Observer(self)
        self.log = EventLog(enabled=cfg.output.events)
        # Derived levers and memories.
        self.sector_priority = self.tables.evasion_propensity.astype(float).copy()
        self.approval_active = np.zeros(len(self.tables.sectors), dtype=bool)
        self.pressure = np.zeros(len(self.tables.sectors))
        self.expected_sanction = cfg.world.firms.sanction_multiple
        self.resp_key = self.streams.key("firms.responsiveness")
        fw = cfg.world.firms
        # Control rates per firm and year that firms and actors see, by sector x region cell (set
        # from the inspection rates in force once the submodels exist, below).
        self.detect_rate_cell = np.zeros(pop.n_cells)
        self.nli_rate_cell = np.zeros(pop.n_cells)
        self.joint_rate_cell = np.zeros(pop.n_cells)
        self.actor_cell_risk = np.zeros(pop.n_cells)
        self.actor_rate_region = np.zeros(len(REGIONS))
        self.peer_evading = np.zeros(pop.n_cells)
        self.regulation_in_force = False
        self.campaign_active = False
        self.p_informed_at_hire = 0.0
        self._applied: set[int] = set()
        self._last_month = -1
        self.week = 0
        tb = self.tables
        w = tb.employment * tb.evasion_propensity * tb.risk_sector
        self.actor_sector_weights = w / w.sum()
        # Where actors can operate: each risk-sector cell's market (employment x propensity).
        self.actor_market = np.outer(self.actor_sector_weights, tb.region_share / tb.region_share.sum()).ravel()
        # Agents: police, centres, NTAES, threat actors; the other submodels.
        self.sanctions = Sanctions(self)
        self.police = Police(self)
        self.centres = [Centre(self, r, name) for r, name in enumerate(REGIONS)]
        self.ntaes = Ntaes(self)
        self.signals = Signals(self)
        self.inspections = Inspections(self)
        self.agencies = Agencies(self)
        self.ta = ActorTable()
        self.actor_list: list[ThreatActor] = []
        self._calendar()
        # Firms start from the perceived detection of the inspection rates in force (no transient).
        self.nli_rate_cell[:] = self.inspections.expected_per_cell() / self.cell_n_blocks / WEEK_YEARS
        self.detect_rate_cell = self.nli_rate_cell + self.joint_rate_cell
        pop.p_hat[:] = 1.0 - np.exp(-fw.detect_amplifier * self.detect_rate_cell[pop.cell])
        settle_initial(self)
        rng = self.streams.get("actors.init")
        for _ in range(int(round(cfg.world.actors.n_initial * self.act_s))):
            actors_mod.spawn_actor(self, rng, initial=True)
        self.pop.aggregate()
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "day": lambda m: m.env.now,
                "undeclared_share": lambda m: m.undeclared_share_now(),
                "exploited_workers": lambda m: m.exploited_now(),
                "active_threat_actors": lambda m: float(m.ta.active_mask().sum()) / m.act_s,
                "central_threat_actors": lambda m: float((m.ta.active_mask() & m.ta.central[: m.ta.n]).sum()) / m.act_s,
                "perceived_detection": lambda m: float(m.pop.p_hat.mean()),
            }
        )
        self.env.process(self._clock())

    # ------------------------------------------------------------------ time helpers
    @property
    def today(self) -> dt.date:
        """Calendar date of the current simulation time."""
        return self.origin + dt.timedelta(days=int(self.env.now))

    def date_of(self, iso: str | None) -> dt.date:
        """A lever's ISO date (``None`` = never, returned as a far-future date)."""
        if iso is None:
            return dt.date.max
        return iso if isinstance(iso, dt.date) else dt.date.fromisoformat(str(iso))

    _year_idx_at: float | None = None  # cache of ``year_idx`` for the time it was computed at

    @property
    def year_idx(self) -> int:
        """Index of the current calendar year in ``self.years``."""
        now = self.env.now
        if now != self._year_idx_at:
            self._year_idx = max(0, min(bisect.bisect_right(self.year_start, now) - 1, len(self.years) - 1))
            self._year_idx_at = now
        return self._year_idx

    def schedule(self, delay: float, fn, *args) -> None:
        """Call ``fn(*args)`` after ``delay`` days (a SimPy timeout with a plain callback)."""
        ev = self.env.timeout(max(0.0, float(delay)))
        ev.callbacks.append(lambda _ev: fn(*args))

    # ------------------------------------------------------------------ the clock
    def _clock(self):
        while True:
            self._tick()
            yield self.env.timeout(7.0)

    def _mark(self, name: str) -> None:
        if self.trace is not None:
            self.trace.append(name)

    def _tick(self) -> None:
        """One weekly tick, in the order of ``TICK_ORDER``."""
        self.streams.week = self.week  # every stream restarts for this week (sim.rng)
        today = self.today
        month = today.year * 12 + today.month
        new_month = month != self._last_month
        new_year = new_month and today.month == 1 and self._last_month >= 0
        self._mark("close")
        self._close_period(new_month, new_year)
        self._mark("calendar")
        self._calendar()
        self._mark("firms")
        firms_weekly(self)
        self._mark("workers")
        workers_weekly(self)
        self._mark("compliance")
        compliance_weekly(self)
        self._mark("actors")
        actors_mod.actors_weekly(self)
        if new_month and self._last_month >= 0:
            actors_mod.actors_monthly(self, 1.0)
        self._mark("signals")
        self.signals.weekly()
        self._mark("agencies")
        self.agencies.weekly()
        self._mark("inspections")
        self.inspections.weekly()
        self._mark("centres")
        for c in self.centres:
            c.weekly()
        self._mark("police")
        self.police.weekly()
        self._mark("observe")
        self._observe()
        self._last_month = month
        self.week += 1

    def step(self) -> None:
        """Advance one week (Mesa's step; the workshop drives the model with it)."""
        if self.env.now >= self.end_day:
            self.running = False
            return
        self.env.run(until=min(self.env.now + 7.0, self.end_day))

    # ------------------------------------------------------------------ policy calendar
    def _intervention_order(self) -> list[int]:
        """Indices of the policy's interventions in the order the calendar applies them (date, then list)."""
        ivs = self.policy.interventions
        return sorted(range(len(ivs)), key=lambda j: self.date_of(ivs[j].start))

    def _calendar(self) -> None:
        today = self.today
        changed = False
        order = self._intervention_order()
        for i in order:
            iv = self.policy.interventions[i]
            if i not in self._applied and self.date_of(iv.start) <= today:
                self._applied.add(i)
                keys = apply_intervention(self.policy, iv)
                self.log.add(self.env.now, "intervention", value=float(i))
                changed = True
                if self.trace is not None:
                    self.trace.append("intervention:" + ",".join(keys))
        for c in self.centres:
            if not c.is_open and self.date_of(c.lever.open) <= today:
                c.open()
        reg = self.date_of(self.policy.sharing.regulation) <= today
        if reg and not self.regulation_in_force:
            self.log.add(self.env.now, "regulation_in_force")
        self.regulation_in_force = reg
        if not self.ntaes.started and self.date_of(self.policy.ntaes.start) <= today:
            self.ntaes.start()
        con, camp = self.policy.consumers, self.policy.campaigns
        tb = self.tables
        for name, start in (
            ("cleaning", con.approval_cleaning_from),
            ("car_valeting", con.approval_car_valeting_from),
            ("temp_agencies", con.approval_temp_agencies_from),
        ):
            self.approval_active[tb.sector_index(name)] = self.date_of(start) <= today
        norges = np.zeros(len(tb.sectors), dtype=bool)
        if self.date_of(con.norgesmodellen_from) <= today:
            norges[[tb.sector_index(s) for s in con.norgesmodellen_sectors]] = True
        sens = tb.consumer_sensitivity
        self.pressure = sens * (
            con.approval_pressure * self.approval_active
            + con.procurement_pressure * norges
            + con.publication_pressure * float(self.policy.sanctions.publish_suspensions)
        )
        self.campaign_active = self.date_of(camp.know_your_rights_from) <= today
        self.p_informed_at_hire = camp.p_id_check_info if self.date_of(camp.id_check_info_from) <= today else 0.0
        if changed or self.week == 0:
            self._levers_changed()

    def _levers_changed(self) -> None:
        for c in self.centres:
            if c.is_open:
                c.refresh_capacity()
        self.police.refresh_capacity()
        fw = self.cfg.world.firms
        e0 = expected_sanction_index(SanctionsPolicy(), fw)
        self.expected_sanction = fw.sanction_multiple * expected_sanction_index(self.policy.sanctions, fw) / max(e0, 1e-12)
        self.inspections.invalidate_weights()

    # ------------------------------------------------------------------ public levers and KPIs
    @property
    def last_tick_month(self) -> tuple[int, int] | None:
        """``(year, month)`` of the latest weekly tick that has run; ``None`` before the first."""
        if self._last_month < 0:
            return None
        y, m0 = divmod(self._last_month - 1, 12)
        return (y, m0 + 1)

    def planned_policy(self) -> Any:
        """The levers as they will be in force from the next weekly tick (a copy).

        The live policy with every intervention due by today but not yet applied laid on top in
        the calendar's order: those of the scenario and the changes queued by ``set_levers``.
        Later-dated interventions are not included.
        """
        plan = copy.deepcopy(self.policy)
        today = self.today
        for i in self._intervention_order():
            iv = plan.interventions[i]
            if i not in self._applied and self.date_of(iv.start) <= today:
                apply_intervention(plan, iv)
        return plan

    def set_levers(self, changes: Mapping[str, Any], note: str = "") -> list[str]:
        """Change levers of the running model from the next weekly tick on.

        The changes become a policy intervention dated today (``set`` of the given values)
        appended to the live policy, so the policy calendar applies them at the start of the next
        tick, logs an ``intervention`` event (value = its index in ``policy.interventions``) and
        refreshes the derived quantities (capacities, expected sanction, targeting weights),
        exactly as for a dated intervention of the scenario. Interventions due at the same tick
        apply in date order, ties in list order, so a change made now wins over a scenario's
        intervention due at that tick. Nothing is changed before that tick, and an empty
        ``changes`` queues nothing.

        Args:
            changes: New lever values by dotted policy key, e.g.
                ``{"policy.nli.n_inspectors": 300, "sanctions.p_fine": 0.1}`` (the ``policy.``
                prefix is optional: keys as in an intervention's ``set``).
            note: The intervention's note (shown where interventions are listed).

        Returns:
            The dotted keys queued (without ``policy.``), in the order given.

        Raises:
            ConfigError: an unknown key or a value the configuration would reject (type, range,
                date, sector or region names, cross-field rules), also if a later-dated
                intervention of the scenario would then take a lever out of its range; the
                message names the key, the value and what is allowed. Nothing is queued then.
        """
        plan = self.planned_policy()
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            key = str(key)
            dotted = key[len("policy.") :] if key.startswith("policy.") else key
            full = f"policy.{dotted}"
            clean[dotted] = check_lever(plan, dotted, value, full)
            apply_intervention(plan, Intervention(set={dotted: clean[dotted]}), where=full)
        if not clean:
            return []
        validate_policy(plan)
        today = self.today
        for i in self._intervention_order():  # the scenario's later interventions must stay valid
            iv = plan.interventions[i]
            if i in self._applied or self.date_of(iv.start) <= today:
                continue
            where = f"policy.interventions[{i}]"
            try:
                apply_intervention(plan, iv, where)
                validate_policy(plan)
            except ConfigError as exc:
                raise ConfigError(exc.key, exc.value, f"{exc.allowed}; set by {where} after this change") from None
        self.policy.interventions.append(Intervention(start=today.isoformat(), set=clean, note=note))
        return list(clean)

    def live_kpis(self, cumulative: bool = False) -> dict[str, float]:
        """The headline KPIs now, 1:1 like the annual table (plain floats).

        Levels (``LIVE_LEVELS``), the state at the current time: ``undeclared_share`` (share of
        risk-sector employees working undeclared, as the monthly series), ``exploited_workers``
        and ``active_threat_actors``. The annual table's ``undeclared_work_share`` and
        ``exploited_workers`` are means of the year's monthly observations of these levels; its
        ``active_threat_actors`` is the level at the year's close.

        Flows (``LIVE_FLOWS``, annual-table columns): the total of the current calendar year so
        far (the year of the model's time, the run's last year once it has ended), i.e. the annual
        table's value for that year as it stands; with ``cumulative`` the total since the start of
        the run instead (the sum of the annual column over the years).
        """
        out = {
            "undeclared_share": self.undeclared_share_now(),
            "exploited_workers": self.exploited_now(),
            "active_threat_actors": float(self.ta.active_mask().sum()) / self.act_s,
            "central_threat_actors": float((self.ta.active_mask() & self.ta.central[: self.ta.n]).sum()) / self.act_s,
        }
        nat, idx = self.metrics.nat, self.metrics.idx
        for name in LIVE_FLOWS:
            k = idx[name]
            total = float(nat[:, k].sum()) if cumulative else float(nat[self.year_idx, k])
            out[name] = total / self.scale
        return out

    def mass(self, v: np.ndarray) -> float:
        """``sum(v)`` over workplaces in units of ``1/scale`` national firms: weighted by ``wblk`` with actors at national count."""
        return float(np.dot(v, self.wblk)) if self.national_actors else float(v.sum())

    def exploited_now(self) -> float:
        """Exploited workers now, national (scaled back; weighted when actors are at national count)."""
        return self.mass(self.pop.n_expl) / self.scale

    # ------------------------------------------------------------------ hooks used by submodels
    def ordinary_entrant(self, b: int) -> None:
        """Workplace ``b`` passes to an ordinary entrant (its workers stay)."""
        ordinary_entrant(self, b)

    def firm_became_criminal(self, b: int) -> None:
        """A threat actor's company now occupies workplace ``b``: set its evasion."""
        from sim.firms import evasion_target_one

        self.pop.u[b], self.pop.w[b] = evasion_target_one(self, int(b))
        self.pop.aggregate_blocks(np.array([b]))

    def crime_loss(self, b: int, nok: float) -> None:
        """Book a one-off loss to society (e.g. a phoenix bankruptcy) in crime cost."""
        self.metrics.add(self.year_idx, "crime_cost_nok", int(self.pop.region[b]), int(self.pop.sector[b]), nok)

    def formal_role(self, firm_ids) -> np.ndarray:
        """Whether the controlling actor holds a formal role in each company (by firm id).

        Fixed per company (a keyed hash of its id, no stream consumed): with probability
        ``p_front_man`` the company is run through a front man, and neither its bankruptcy nor an
        NLI inspection of it links the actor in the registers.
        """
        return keyed_uniform(self.role_key, firm_ids) >= self.cfg.world.actors.p_front_man

    def centre_knows(self, a: ThreatActor) -> bool:
        """Whether any centre holds a file on actor ``a``."""
        return any(a.aid in c.files for c in self.centres)

    def identify(self, aid: int) -> None:
        """A centre has identified actor ``aid``: it is a central threat actor."""
        if not self.ta.central[aid]:
            self.ta.central[aid] = True
            self.ta.t_identified[aid] = self.env.now
            self.ta.record_at_id[aid] = self.ta.record[aid] > 0  # seed 001: "previously reported"
            self.log.add(self.env.now, "actor_identified", region=int(self.ta.home_region[aid]), actor=aid)

    def unidentify(self, aid: int) -> None:
        """A centre closed its file on ``aid``: central while another centre still works on it."""
        from sim.centres import IDENTIFIED, PRIORITISED

        if self.ta.central[aid] and not any(c.files.get(aid) is not None and c.files[aid].state in (IDENTIFIED, PRIORITISED) for c in self.centres):
            self.ta.central[aid] = False
            self.log.add(self.env.now, "file_closed", region=int(self.ta.home_region[aid]), actor=aid)

    def undeclared_share_now(self) -> float:
        """Current share of employees in the risk sectors who work undeclared (SPEC 5)."""
        return undeclared_share(self.pop, self.tables)

    # ------------------------------------------------------------------ observation
    def _close_period(self, new_month: bool, new_year: bool) -> None:
        """Observe the month (and year) that has just ended, before the new one's first tick acts."""
        if new_month and self._last_month >= 0:
            yprev = max(0, min(bisect.bisect_right(self.year_start, self.env.now - 1) - 1, len(self.years) - 1))
            self.pop.aggregate()
            self.observer.crime_cost(yprev)
            self.observer.month(yprev)
            self.inspections.invalidate_weights()
            self.datacollector.collect(self)
        if new_year:
            self.observer.year_end(self.year_idx - 1)

    def _observe(self) -> None:
        """Weekly: the control rates firms and actors see (exponential memory), and the week's cost.

        Firms see the NLI's *expected* inspections per firm in their sector and region (what the
        targeting makes likely, not this week's few visits: no noise that depends on the
        population scale) plus the centres' joint controls there. An actor's company sees the
        NLI's rate for a front company (``firm_visibility`` for the targeted share) plus the
        centres' joint controls of actors' companies in the region, weighted by the leader groups'
        sector priorities.
        """
        pop, ins = self.pop, self.inspections
        alpha = 1.0 / self.cfg.world.firms.memory_weeks
        nreg = len(REGIONS)
        self.nli_rate_cell += alpha * (ins.week_expected / self.cell_n_blocks / WEEK_YEARS - self.nli_rate_cell)
        self.joint_rate_cell += alpha * (ins.week_joint / self.cell_n_blocks / WEEK_YEARS - self.joint_rate_cell)
        self.detect_rate_cell = self.nli_rate_cell + self.joint_rate_cell
        own = pop.owner >= 0
        n_af = np.maximum(np.bincount(pop.region[own], minlength=nreg), 1).astype(float)
        ctrl = np.bincount(np.arange(pop.n_cells) % nreg, weights=ins.week_actor_joint, minlength=nreg)
        self.actor_rate_region += alpha * (ctrl / n_af / WEEK_YEARS - self.actor_rate_region)
        sp = np.array([self.policy.centres.sector_priority.get(s, 1.0) for s in self.tables.sectors])
        nli = self.policy.nli
        wr = nli.w_random / max(nli.w_random + nli.w_risk_based + nli.w_intelligence_led, 1e-12)
        vis = wr + (1.0 - wr) * self.cfg.world.actors.firm_visibility
        self.actor_cell_risk = self.nli_rate_cell * vis + np.outer(sp, self.actor_rate_region).ravel()
        ins.week_expected[:] = 0.0
        ins.week_joint[:] = 0.0
        ins.week_actor_joint[:] = 0.0
        self.metrics.add(self.year_idx, "enforcement_cost_nok", value=self.enforcement_cost_year() * WEEK_YEARS)

    def enforcement_cost_year(self) -> float:
        """Annual cost of the enforcement set-up currently in force (1:1 levers), NOK."""
        p = self.policy
        fte = p.nli.n_inspectors + p.police.n_investigators
        for c in self.centres:
            if c.is_open:
                fte += c.staff
        if self.ntaes.started:
            fte += p.ntaes.staff
        cost = fte * self.cfg.world.costs.nok_per_fte_year
        if self.campaign_active:
            cost += p.campaigns.nok_cost_year
        return cost

    # ------------------------------------------------------------------ running
    def run(self, progress: bool = False) -> RunResult:
        """Run to the end of the horizon and return the results."""
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(
                total=int(np.ceil(self.end_day / 7.0)),
                unit="wk",
                desc=f"{self.cfg.policy.name} {self.years[0]}-{self.years[-1]}",
                leave=False,
                dynamic_ncols=True,
                disable=None,
            )
        while self.env.now < self.end_day:
            self.env.run(until=min(self.env.now + 7.0, self.end_day))
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        return self.finish()

    def finish(self) -> RunResult:
        """Close the last month and year and assemble the results."""
        y = len(self.years) - 1
        self.pop.aggregate()
        self.observer.crime_cost(y)
        if self._last_month >= 0:
            self.observer.month(y)
        self.observer.year_end(y)
        import pandas as pd

        events = self.log.to_frame(self.cfg.start, REGIONS, self.tables.sectors) if self.log.enabled else None
        monthly = self.datacollector.get_model_vars_dataframe() if self.datacollector.model_vars else pd.DataFrame()
        return RunResult(
            annual=self.metrics.annual(),
            by_region=self.metrics.by_region(REGIONS),
            by_sector=self.metrics.by_sector(self.tables.sectors),
            monthly=monthly.reset_index(drop=True) if len(monthly) else monthly,
            events=events,
            streams_used=self.streams.names(),
        )
