"""The a-krim centres and NTAES (SPEC 2.6, 3 steps 4 and 8): few and rich, so Mesa agents.

A centre is sized by its staff (``policy.centres.by_region.<region>``): ``analysts`` analyse,
``inspection_teams x staff_per_team`` carry out joint actions, and both work at rates per person.
It runs the *knowledge process* of seed 001:

1. **collect** - each agency's signals about an actor arrive after the sharing latency (or never,
   if the link is incomplete) and add to the actor's file. Evidence *goes stale*: a file's evidence
   halves every ``evidence_half_life_days`` (a signal also loses worth in transit), so signals
   that arrive late, or far apart, may never add up to an analysis;
2. **collate and analyse** - a file whose evidence passes ``evidence_threshold`` waits for the
   analysis team (``sim.capacity.SharedCapacity``: analysts x analyses per analyst a year, shared
   among waiting files by evidence); the analysis takes ``dur_analysis`` days, after which the
   actor is *identified*: a **central threat actor** (``ThreatActor`` table field ``central``);
3. **report and prioritise** - the leader group meets every 14 days (seed 000) and prioritises
   identified actors by a score (fresh evidence x agencies involved x capacity x companies still
   alive x intent x the sector priority lever), sharing ``priorities_per_meeting`` among them;
4. **control** - a prioritised actor waits for a **joint action** (the operations staff's
   actions a year, shared among the waiting actors). One action controls the actor's companies
   the centre knows of that still exist, the companies a register search links to it, and other
   businesses at the site - ``firms_per_action`` in all, from the same sector and region - and
   checks ``persons_per_firm`` workers in each (``Inspections.joint_action``). Capacity left over
   goes to sweep actions at the region's riskiest sites. Companies that went through a phoenix
   bankruptcy after the intelligence was gathered are not found unless the register links the
   successor: stale intelligence loses the target.
5. **follow up** - after ``dur_follow_up`` days the actor can be prioritised again; a file with no
   new evidence for ``dur_file_dormant`` days is closed, and the actor stops being central.

NTAES meets once a year (by default) and re-weights the sector priorities used by risk-based
targeting from the violation rates it sees; it never works individual cases (seed 002).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.capacity import SharedCapacity
from sim.rng import keyed_uniform

if TYPE_CHECKING:
    from sim.model import AkrimModel

COLLECTING, QUEUED, ANALYSING, IDENTIFIED, PRIORITISED, CLOSED = "collecting", "queued", "analysing", "identified", "prioritised", "closed"


@dataclass
class ActorFile:
    """What a centre knows about one threat actor."""

    evidence: float = 0.0
    t_evidence: float = 0.0  # time ``evidence`` was last brought up to date
    agencies: set[str] = field(default_factory=set)
    known: dict[int, int] = field(default_factory=dict)  # workplace -> firm id seen in signals
    seen: dict[int, float] = field(default_factory=dict)  # workplace -> when the newest signal naming it was sent
    t_newest: float = -1e9  # when the newest signal in the file was sent
    hit: bool = False  # a joint action has found one of the actor's companies since the file was (re)opened
    state: str = COLLECTING
    score: float = 0.0
    t_first_signal: float = 0.0
    t_last_signal: float = 0.0
    t_last_prioritised: float = -1e9
    t_priority: float = -1e9  # when the current priority was set (its action must follow in time)
    targeted: bool = False  # prioritised at least once since the file was (re)opened
    t_worked: float = -1e9  # when the centre last took the actor up: its identification or last prioritisation (dur_work)


class Centre(mesa.Agent):
    """A regional a-krim centre: staff from four agencies, an analysis team and joint teams.

    Args:
        model: The model.
        region: Region code.
        name: Region name (as in ``policy.centres.by_region``).
    """

    def __init__(self, model: AkrimModel, region: int, name: str) -> None:
        super().__init__(model)
        self.region = region
        self.name = name
        self.is_open = False
        self.files: dict[int, ActorFile] = {}
        st = model.streams
        carry = model.cfg.pool_carry_jobs
        self.analysis = SharedCapacity(f"{name}.analysis", st.key(f"centre.{name}.analysis"), carry_jobs=carry)
        self.actions = SharedCapacity(f"{name}.actions", st.key(f"centre.{name}.actions"), carry_jobs=carry)
        self.attention = SharedCapacity(f"{name}.leader_group", st.key(f"centre.{name}.attention"), carry_jobs=carry)
        self.sweep_key = st.key(f"centre.{name}.sweeps")
        self.site_key = st.key(f"centre.{name}.site")
        self.n_meetings = 0
        self.n_weeks = 0
        self.n_actions = 0  # joint actions launched (keys the draws of each action)

    @property
    def lever(self):
        """This centre's levers (live: interventions may change them)."""
        return self.model.policy.centres.by_region[self.name]

    @property
    def staff(self) -> float:
        """Staff of the centre, all four agencies (1:1): at least its analysts and teams."""
        lv = self.lever
        return max(4.0 * lv.staff_per_agency, lv.analysts + lv.inspection_teams * lv.staff_per_team)

    @property
    def operations_staff(self) -> float:
        """Staff in the joint inspection teams (1:1)."""
        lv = self.lever
        return lv.inspection_teams * lv.staff_per_team

    def actions_per_year(self) -> float:
        """Joint actions a year at full strength (1:1)."""
        return self.operations_staff * self.lever.actions_per_staff_year

    def refresh_capacity(self) -> None:
        """Set the analysis and action throughput from the current levers (scaled)."""
        lv, s = self.lever, self.model.act_s  # the actor side's scale (1 with actors at national count)
        self.analysis.set_rate(lv.analysts * lv.analyses_per_analyst_year * s)
        self.actions.set_rate(self.actions_per_year() * s)

    def open(self) -> None:
        """The centre opens: capacity starts and the leader group starts meeting."""
        self.is_open = True
        self.refresh_capacity()
        m = self.model
        m.log.add(m.env.now, "centre_opened", region=self.region, agency="centre")
        first = m.streams.get(f"centre.{self.name}.meetings").uniform(0, m.policy.centres.dur_meeting_interval)
        m.env.process(self._meetings(first))

    # ------------------------------------------------------------- collect and analyse
    def evidence_now(self, f: ActorFile) -> float:
        """The file's evidence today, after it has gone stale since it was last updated."""
        hl = self.model.cfg.world.detection.evidence_half_life_days
        return f.evidence * 0.5 ** ((self.model.env.now - f.t_evidence) / hl)

    def receive(self, aid: int, block: int, fid: int, agency: str, weight: float = 1.0, sent: float | None = None) -> None:
        """A shared signal about actor ``aid`` (and its company ``fid`` in ``block``) arrives.

        ``sent`` is when the agency sent it (default: now); the age of the intelligence a joint
        action acts on counts from then.
        """
        m = self.model
        now = m.env.now
        sent = now if sent is None else float(sent)
        f = self.files.get(aid)
        if f is None:
            f = self.files[aid] = ActorFile(t_first_signal=now, t_evidence=now)
        if block >= 0 and m.pop.firm_id[block] != fid:
            # The company went bankrupt (or was released) while the signal travelled: it says
            # little about where the actor operates now. Slow sharing loses targets this way.
            weight *= m.cfg.world.detection.gone_company_worth
            block = -1
        f.evidence = self.evidence_now(f) + weight
        f.t_evidence = f.t_last_signal = now
        f.agencies.add(agency)
        f.t_newest = max(f.t_newest, sent)
        if block >= 0:
            same = f.known.get(block) == fid
            f.known[block] = fid
            f.seen[block] = max(f.seen.get(block, -1e9), sent) if same else sent
        if f.state == CLOSED:
            f.state = COLLECTING
        if f.state == COLLECTING and f.evidence >= m.cfg.world.detection.evidence_threshold and m.actor_list[aid].is_active:
            f.state = QUEUED
            self.analysis.add(aid, None, f.evidence)
        elif f.state == QUEUED:
            self.analysis.reweight(aid, f.evidence)

    def weekly(self) -> None:
        """This week's analyses started and joint actions carried out."""
        if not self.is_open:
            return
        m = self.model
        self._refresh_analysis_queue()
        for aid, _ in self.analysis.allocate(self.analysis.weekly_amount()):
            f = self.files[aid]
            f.state = ANALYSING
            m.schedule(self.lever.dur_analysis, self._analysed, aid)
        self._refresh_action_queue()
        for aid, _ in self.actions.allocate(self.actions.weekly_amount()):
            self._action_on(aid)
        self.n_weeks += 1
        if not len(self.actions):  # capacity no prioritised actor claims goes to sweeps
            k = int(self.actions.budget)
            self.actions.budget -= k
            for j in range(k):
                self._sweep(j)

    def tip_worth(self, age):
        """Worth of a tip ``age`` days old as a guide to where an actor's crews are.

        ``0.5 ** (age / site_intel_half_life_days)``; negative ages count as 0.
        """
        return 0.5 ** (np.maximum(age, 0.0) / self.model.cfg.world.detection.site_intel_half_life_days)

    def _refresh_analysis_queue(self) -> None:
        """Files waiting for an analyst: the freshest evidence first, and stale files drop out.

        Analysts take the files whose evidence is strongest *today*. A waiting file's evidence goes
        stale like any other, and once it has fallen below ``evidence_threshold`` the file leaves
        the queue and collects again: intelligence that arrives slowly, or far apart, may never be
        analysed, while fresh intelligence from several agencies is analysed soon after it arrives.
        """
        if not len(self.analysis):
            return
        thr = self.model.cfg.world.detection.evidence_threshold
        for aid in list(self.analysis.waiting):
            f = self.files[aid]
            e = self.evidence_now(f)
            if e < thr:
                self.analysis.discard(aid)
                f.state = COLLECTING
            else:
                self.analysis.reweight(aid, e)

    def _refresh_action_queue(self) -> None:
        """Prioritised actors waiting for an action: fresher intelligence first, and it expires.

        An action is planned on the intelligence of the moment. A waiting actor's weight is its
        score today (its evidence has gone stale since it was prioritised) times the worth of its
        newest tip as a guide to where the actor's crews are (``0.5 ** (age / site_intel_half_life_days)``),
        and a priority that no action has followed within ``dur_action_window`` days lapses: the
        actor goes back among the identified ones, to be weighed again at the next meeting on what
        is known by then.
        """
        if not len(self.actions):
            return
        now = self.model.env.now
        window = self.model.policy.centres.dur_action_window
        for aid in list(self.actions.waiting):
            f = self.files[aid]
            if now - f.t_priority > window:
                self.actions.discard(aid)
                f.state = IDENTIFIED
                f.t_last_prioritised = -1e9
            else:  # the control group goes where its tips are fresh: a site tip halves in worth every site half-life
                self.actions.reweight(aid, self.score(aid, f) * float(self.tip_worth(now - f.t_newest)))

    def _analysed(self, aid: int) -> None:
        m = self.model
        f = self.files.get(aid)
        if f is None or f.state != ANALYSING:
            return
        a = m.actor_list[aid]
        if not a.is_active:
            f.state = CLOSED
            return
        f.score = self.score(aid, f)
        m.log.add(m.env.now, "analysis_done", region=self.region, actor=aid, agency="centre", value=f.score)
        # The centre works on a limited portfolio of actors (files_per_analyst x analysts, scaled):
        # a newly identified actor takes a place if there is one, or replaces the weakest file if
        # it scores higher; otherwise the file is closed after the analysis.
        worked = [(self.score(x, g), x) for x, g in self.files.items() if g.state in (IDENTIFIED, PRIORITISED)]
        if self._has_room(aid, len(worked)):
            pass
        elif worked and min(worked)[0] < f.score:
            self.close_file(min(worked)[1])
        else:
            self.close_file(aid)
            return
        f.state = IDENTIFIED
        f.t_worked = m.env.now
        m.identify(aid)

    def _has_room(self, aid: int, n_worked: int) -> bool:
        """Whether the portfolio has a place for ``aid`` (a fractional last place taken with that chance, keyed)."""
        m = self.model
        if m.policy.centres.files_per_analyst is None:  # no cap (generation 7): bounded by throughput and dur_work
            return True
        room = self.lever.analysts * m.policy.centres.files_per_analyst * m.act_s - n_worked
        if room >= 1:
            return True
        return room > 0 and float(keyed_uniform(self.sweep_key, np.array([(aid + 1) * 8 + 5]))[0]) < room

    def score(self, aid: int, f: ActorFile) -> float:
        """The leader group's priority score of an identified actor."""
        m = self.model
        t = m.ta
        n_alive = sum(1 for b, fid in f.known.items() if m.pop.firm_id[b] == fid)
        sp = m.policy.centres.sector_priority.get(m.tables.sectors[int(t.focus_sector[aid])], 1.0)
        cap = max(float(t.capacity[aid]), 0.0)
        return self.evidence_now(f) * len(f.agencies) * (1.0 + np.sqrt(cap)) * (0.5 + n_alive) * float(t.intent[aid]) * sp

    # ------------------------------------------------------------- prioritise and control
    def _meetings(self, first: float):
        m = self.model
        yield m.env.timeout(first)
        while self.is_open:
            self.meet()
            yield m.env.timeout(m.policy.centres.dur_meeting_interval)

    def meet(self) -> None:
        """A leader-group meeting: prioritise among the identified actors, by score."""
        m = self.model
        self.n_meetings += 1
        now = m.env.now
        dormant = m.policy.centres.dur_file_dormant
        work = m.policy.centres.dur_work  # None: no limit on how long an actor is worked on (generation 6)
        for aid, f in list(self.files.items()):
            if f.state in (COLLECTING, IDENTIFIED) and (not m.actor_list[aid].is_active or now - f.t_last_signal > dormant):
                self.close_file(aid)
            elif work is not None and f.state == IDENTIFIED and now - f.t_worked > work:
                self.close_file(aid)  # the centre's work on an actor it has not prioritised since ends
        self.attention.waiting.clear()
        for aid, f in self.files.items():
            if f.state == IDENTIFIED and now - f.t_last_prioritised >= m.policy.centres.dur_follow_up:
                f.score = self.score(aid, f)
                self.attention.add(aid, None, f.score)
        for aid, _ in self.attention.allocate(self.lever.priorities_per_meeting * m.act_s):
            self.prioritise(aid)

    def close_file(self, aid: int) -> None:
        """Close the file on ``aid`` (dormant, or the actor has left): it is no longer central here."""
        f = self.files[aid]
        f.state = CLOSED
        f.evidence = 0.0
        f.targeted = f.hit = False
        self.analysis.discard(aid)
        self.actions.discard(aid)
        m = self.model
        m.unidentify(aid)
        if not any(c.files.get(aid) is not None and c.files[aid].state != CLOSED for c in m.centres):
            # No centre holds intelligence on the actor any more: the next signal about it starts a
            # new history (``phoenix_before_target_mean`` counts from the first signal of the
            # intelligence that led to a priority, not from the actor's first signal ever).
            m.ta.phoenix_at_first_signal[aid] = -1
            m.ta.hit_since_known[aid] = False

    def prioritise(self, aid: int) -> None:
        """Prioritise actor ``aid``: it waits for a joint action."""
        m = self.model
        f = self.files[aid]
        a = m.actor_list[aid]
        f.state = PRIORITISED
        f.t_last_prioritised = f.t_priority = f.t_worked = m.env.now
        y = m.year_idx
        m.metrics.add(y, "actors_prioritised", self.region)
        t = m.ta
        if a.t_first_prioritised is None:
            a.t_first_prioritised = m.env.now
        if not f.targeted:
            f.targeted = True
            m.metrics.ratio(y, "days_to_first_priority_mean", m.env.now - float(t.t_first_signal[aid]), 1.0)
        m.log.add(m.env.now, "meeting_priority", region=self.region, actor=aid, agency="centre", value=f.score)
        self._desk_measures(aid, f)
        self.actions.add(aid, None, f.score)

    def _desk_measures(self, aid: int, f: ActorFile) -> None:
        """The control group's measures that need no field action (seed 002, TA10).

        The police open a case on each of the actor's known companies, and Tax audits them, each
        with its probability (``p_case_on_priority``, ``p_audit_on_priority``).
        """
        m = self.model
        pop, lv = m.pop, m.policy.centres
        alive = [b for b, fid in f.known.items() if pop.firm_id[b] == fid and pop.owner[b] == aid]
        if not alive:
            return
        ids = pop.firm_id[np.array(alive, dtype=np.int64)] * 4096 + self.n_meetings % 4096
        u = keyed_uniform(m.streams.key(f"centre.{self.name}.desk"), np.concatenate([ids * 2, ids * 2 + 1]))
        now = m.env.now
        for i, b in enumerate(alive):
            if u[i] < lv.p_case_on_priority:  # a desk case rests on the file's intelligence about the company, as old as it is
                age = now - f.seen.get(b, f.t_newest)
                m.police.report(b, source="centre", agencies=f.agencies | {"police"}, evidence_age=age)
                m.metrics.ratio(m.year_idx, "desk_case_evidence_days_mean", age, 1.0)
            if u[len(alive) + i] < lv.p_audit_on_priority:
                pop.n_insp[b] += 1
                m.metrics.add(m.year_idx, "tax_audits", int(pop.region[b]), int(pop.sector[b]))
                if pop.u[b] > m.cfg.world.firms.evader_threshold:  # the audit finds what the company hides
                    m.metrics.add(m.year_idx, "tax_findings", int(pop.region[b]), int(pop.sector[b]))
                    m.sanctions.apply(b, "tax", found_und=True, found_under=False, agencies={"tax"})

    def _targets(self, aid: int) -> tuple[list[int], list[int]]:
        """The companies of ``aid`` an action goes for, and those of them it finds at work.

        The targets are the file's companies that still exist and are still the actor's, plus the
        actor's other current companies that a register search links to it (Tax is present). A
        target is *found at work* where the intelligence says with probability
        ``0.5 ** (age / site_intel_half_life_days)``, the age counted from when the newest signal
        naming the company was *sent* (the file's newest signal for a company only the register
        links): sites, shifts and crews move on, so a tip that reached the centre late, or waited
        long for an action, points at an empty site.
        """
        m = self.model
        pop = m.pop
        f = self.files[aid]
        a = m.actor_list[aid]
        now = m.env.now
        targets = [b for b, fid in f.known.items() if pop.firm_id[b] == fid and pop.owner[b] == aid and pop.status[b] == 0]
        gone = [b for b, fid in f.known.items() if pop.firm_id[b] != fid]
        firms = np.array(sorted(a.firms), dtype=np.int64)
        u = keyed_uniform(m.streams.key("centre.register_link"), pop.firm_id[firms] * 4096 + self.n_actions % 4096)
        for b, ub in zip(firms.tolist(), u):  # the control group (Tax present) searches the registers
            if b not in targets and pop.status[b] == 0 and ub < m.cfg.world.detection.p_link_successor:
                targets.append(b)
        for b in gone:
            m.log.add(m.env.now, "control_target_gone", region=self.region, firm=int(f.known[b]), actor=aid, agency="centre")
        m.schedule(m.policy.centres.dur_follow_up, self._follow_up_done, aid)
        f.known = {b: int(pop.firm_id[b]) for b in targets}
        if not a.is_active or not targets:
            return [], []
        tb = np.array(targets, dtype=np.int64)
        age = np.array([now - f.seen.get(b, f.t_newest) for b in targets], dtype=float)
        uf = keyed_uniform(m.streams.key("centre.site_found"), pop.firm_id[tb] * 4096 + self.n_actions % 4096)
        found = [b for b, ok in zip(targets, uf < self.tip_worth(age)) if ok]
        f.seen = {b: (now if b in found else f.seen.get(b, f.t_newest)) for b in targets}  # the action saw them
        return targets, found

    def _action_on(self, aid: int) -> None:
        """A joint action against prioritised actor ``aid``, at the site of its companies.

        One prioritised actor per action: bundling actors who wait with companies at the same site
        would make an action's reach depend on how many actors a run has (the population scale).
        An action that finds none of the actor's companies at work still controls the other
        businesses at the site it went to (``actions_target_gone``).
        """
        m = self.model
        pop = m.pop
        self.n_actions += 1
        m.metrics.add(m.year_idx, "actions_on_actors", self.region)
        targets, found = self._targets(aid)
        if not targets:
            m.metrics.add(m.year_idx, "actions_target_gone", self.region)
            m.metrics.add(m.year_idx, "centre_actions", self.region)  # the action went out and found nothing
            return
        f = self.files[aid]
        if not found:
            m.metrics.add(m.year_idx, "actions_target_gone", self.region)
        elif not f.hit:
            f.hit = True
            t = m.ta
            t.hit_since_known[aid] = True
            since = max(int(t.phoenix_at_first_signal[aid]), 0)
            m.metrics.ratio(m.year_idx, "phoenix_before_target_mean", float(t.n_phoenix[aid] - since), 1.0)
        cell = int(pop.cell[found[0] if found else targets[0]])
        site = self._site(cell, set(targets), m.policy.centres.firms_per_action - len(found))
        agencies = f.agencies | {"nli", "tax"}
        m.inspections.joint_action(self, np.array(found + site, dtype=np.int64), prioritised={aid} if found else set(), agencies=agencies)

    def _follow_up_done(self, aid: int) -> None:
        f = self.files.get(aid)
        if f is not None and f.state == PRIORITISED:
            f.state = IDENTIFIED

    def _site(self, cell: int, exclude: set[int], n: float) -> list[int]:
        """Other businesses controlled in an action at a site in ``cell`` (same sector and region).

        Where the sector has fewer businesses in the region than the action controls (a small cell,
        or a small population scale), the action takes the rest from the region's other risk
        sectors, so an action controls ``firms_per_action`` businesses at every scale.
        """
        m = self.model
        pop = m.pop
        k = int(max(n, 0.0))
        if k <= 0:
            return []
        ex = np.fromiter(exclude, dtype=np.int64) if exclude else np.empty(0, dtype=np.int64)

        def free(blocks: np.ndarray) -> np.ndarray:
            return blocks[(pop.status[blocks] == 0) & ~np.isin(blocks, ex)]

        def pick(blocks: np.ndarray, k: int) -> list[int]:
            # Sites are where the work is: businesses in proportion to their size (weighted sampling
            # without replacement by exponential keys, keyed on the firm and the action).
            if blocks.size <= k:
                return [int(b) for b in blocks]
            u = keyed_uniform(self.site_key, pop.firm_id[blocks] * 4096 + self.n_actions % 4096)
            keys = -np.log(np.maximum(u, 1e-300)) / np.maximum(pop.size[blocks], 1)
            return [int(b) for b in blocks[np.argpartition(keys, k - 1)[:k]]]

        site = pick(free(pop.cell_blocks[cell]), k)
        if len(site) < k:
            nreg = len(m.tables.regions)
            others = [pop.cell_blocks[int(x) * nreg + self.region] for x in np.flatnonzero(m.tables.risk_sector) if int(x) * nreg + self.region != cell]
            if others:
                site += pick(free(np.concatenate(others)), k - len(site))
        return site

    def _sweep(self, j: int) -> None:
        """An action at a site chosen from intelligence and risk, with no prioritised actor."""
        m = self.model
        pop, tb = m.pop, m.tables
        nreg = len(tb.regions)
        sectors = np.flatnonzero(tb.risk_sector)
        sp = np.array([m.policy.centres.sector_priority.get(tb.sectors[s], 1.0) for s in sectors])
        cells = sectors * nreg + self.region
        w = m.sector_priority[sectors] * sp * np.array([pop.size[pop.cell_blocks[c]].sum() for c in cells], dtype=float)
        if w.sum() <= 0:
            return
        self.n_actions += 1
        u = keyed_uniform(self.sweep_key, np.array([self.n_actions * 2 + 1]))[0]
        cell = int(cells[min(np.searchsorted(np.cumsum(w), u * w.sum(), side="right"), cells.size - 1)])
        site = self._site(cell, set(), m.policy.centres.firms_per_action)
        if site:
            m.inspections.joint_action(self, np.array(site, dtype=np.int64), prioritised=set(), agencies={"nli", "tax", "nav", "police"})


class Ntaes(mesa.Agent):
    """The National Interagency Analysis and Intelligence Centre: strategic assessments only."""

    def __init__(self, model: AkrimModel) -> None:
        super().__init__(model)
        self.started = False
        self.n_assessments = 0

    def start(self) -> None:
        """Begin the periodic assessments."""
        self.started = True
        m = self.model
        m.env.process(self._run())

    def _run(self):
        m = self.model
        while True:
            yield m.env.timeout(m.policy.ntaes.dur_interval)
            self.assess()

    def assess(self) -> None:
        """Re-weight sector priorities towards the sectors where controls find most violations."""
        m = self.model
        y = max(m.year_idx - 1, 0) if m.year_idx > 0 else 0
        k_insp = m.metrics.idx["inspections_nli"]
        k_joint = m.metrics.idx["inspections_joint"]
        k_viol = m.metrics.idx["violations_found"]
        insp = m.metrics.sec[y, :, k_insp] + m.metrics.sec[y, :, k_joint]
        viol = m.metrics.sec[y, :, k_viol]
        # Re-weigh within the sectors in scope: the exposed industries (the a-krim strategy's
        # scope) by default, every sector if ``exposed_only`` is false. Sectors out of scope keep
        # their priority. Average hit rates are compared, so a thinly controlled sector whose few
        # controls go to its riskiest firms looks as good as an exposed one: re-weighing every
        # sector draws controls out of the exposed industries (ODD 8.12).
        scope = m.tables.risk_sector.astype(bool) if m.policy.ntaes.exposed_only else np.ones(insp.shape, dtype=bool)
        if insp[scope].sum() <= 0:
            return
        rate = np.where(insp > 0, viol / np.maximum(insp, 1), np.nan)[scope]
        rate = np.where(np.isnan(rate), np.nanmean(rate), rate)
        prio = m.sector_priority.copy()
        target = rate / np.mean(rate) * np.mean(prio[scope])
        gamma = min(1.0, m.policy.ntaes.reweight_per_staff * m.policy.ntaes.staff)
        prio[scope] = (1 - gamma) * prio[scope] + gamma * target
        m.sector_priority = prio
        m.inspections.invalidate_weights()
        self.n_assessments += 1
        m.log.add(m.env.now, "ntaes_assessment", agency="ntaes", value=gamma)
