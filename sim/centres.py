"""The a-krim centres and NTAES (SPEC 2.6, 3 steps 4 and 8): few and rich, so Mesa agents.

A centre runs the *knowledge process* of seed 001 on SimPy:

1. **collect** - each agency's signals about an actor arrive after the sharing latency (or never,
   if the link is incomplete) and add to the actor's file at the centre;
2. **collate and analyse** - when a file's evidence passes a threshold it joins the analysis
   team's queue (a ``RateServer``: analysts x analyses per analyst a year), and the analysis takes
   ``dur_analysis`` days;
3. **report and prioritise** - the leader group meets every 14 days (seed 000) and prioritises
   the highest-scoring analysed actors, a few per meeting;
4. **control** - the control group sends joint controls (at least two agencies, seed 000) to the
   actor's companies *known to the centre*, each through the centre's inspection team (a
   ``RateServer``). Companies that have meanwhile gone through a phoenix bankruptcy are found only
   if the register links the successor to the actor.

NTAES meets once a year (by default) and re-weights the sector priorities used by risk-based
targeting from the violation rates it sees; it never works individual cases (seed 002).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.resources import RateServer

if TYPE_CHECKING:
    from sim.model import AkrimModel

COLLECTING, QUEUED, ANALYSED, PRIORITISED = "collecting", "queued", "analysed", "prioritised"


@dataclass
class ActorFile:
    """What a centre knows about one threat actor."""

    evidence: float = 0.0
    agencies: set[str] = field(default_factory=set)
    known: dict[int, int] = field(default_factory=dict)  # workplace -> firm id seen in signals
    state: str = COLLECTING
    score: float = 0.0
    t_first_signal: float = 0.0
    t_last_prioritised: float = -1e9


class Centre(mesa.Agent):
    """A regional a-krim centre: four agencies, an analysis team and an inspection team.

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
        self.analysis = RateServer(model.env, f"{name}.analysis", 0.0)
        self.team = RateServer(model.env, f"{name}.inspection_team", 0.0)
        self.n_meetings = 0

    @property
    def lever(self):
        """This centre's levers (live: interventions may change them)."""
        return self.model.policy.centres.by_region[self.name]

    def refresh_capacity(self) -> None:
        """Set the analysis and inspection throughput from the current levers."""
        lv, s = self.lever, self.model.scale
        self.analysis.set_rate(lv.analysts * lv.analyses_per_analyst_year * s)
        self.team.set_rate(lv.inspection_teams * lv.controls_per_team_year * s)

    def open(self) -> None:
        """The centre opens: capacity starts and the leader group starts meeting."""
        self.is_open = True
        self.refresh_capacity()
        m = self.model
        m.log.add(m.env.now, "centre_opened", region=self.region, agency="centre")
        first = m.streams.get(f"centre.{self.name}.meetings").uniform(0, m.policy.centres.dur_meeting_interval)
        m.env.process(self._meetings(first))

    # ------------------------------------------------------------- collect and analyse
    def receive(self, aid: int, block: int, fid: int, agency: str, weight: float = 1.0) -> None:
        """A shared signal about actor ``aid`` (and its company ``fid`` in ``block``) arrives."""
        m = self.model
        f = self.files.get(aid)
        if f is None:
            f = self.files[aid] = ActorFile(t_first_signal=m.env.now)
        f.evidence += weight
        f.agencies.add(agency)
        if block >= 0:
            f.known[block] = fid
        if f.state == COLLECTING and f.evidence >= m.cfg.world.detection.evidence_threshold and m.actor_list[aid].is_active:
            f.state = QUEUED
            m.env.process(self._analyse(aid, f))

    def _analyse(self, aid: int, f: ActorFile):
        m = self.model
        yield from self.analysis.intake()
        yield m.env.timeout(self.lever.dur_analysis)
        a = m.actor_list[aid]
        n_alive = sum(1 for b, fid in f.known.items() if m.pop.firm_id[b] == fid)
        f.score = f.evidence * len(f.agencies) * (1.0 + np.sqrt(max(a.capacity, 0.0))) * (0.5 + n_alive) * a.intent
        f.state = ANALYSED
        m.log.add(m.env.now, "analysis_done", region=self.region, actor=aid, agency="centre", value=f.score)

    # ------------------------------------------------------------- prioritise and control
    def _meetings(self, first: float):
        m = self.model
        yield m.env.timeout(first)
        while self.is_open:
            self.meet()
            yield m.env.timeout(m.policy.centres.dur_meeting_interval)

    def meet(self) -> None:
        """A leader-group meeting: prioritise the top analysed actors and plan joint controls."""
        m = self.model
        self.n_meetings += 1
        ready = [(f.score, aid) for aid, f in self.files.items() if f.state == ANALYSED and m.actor_list[aid].is_active]
        ready.sort(reverse=True)
        # The leader group's attention is a capacity like any other: scaled with the population,
        # with stochastic rounding so a 1:10 run prioritises a tenth as many actors on average.
        k = self.lever.priorities_per_meeting * m.scale
        k = int(k) + int(m.streams.get(f"centre.{self.name}.attention").random() < k - int(k))
        for _, aid in ready[:k]:
            self.prioritise(aid)

    def prioritise(self, aid: int) -> None:
        """Prioritise actor ``aid``: joint controls on its companies the centre can find."""
        m = self.model
        f = self.files[aid]
        a = m.actor_list[aid]
        f.state = PRIORITISED
        f.t_last_prioritised = m.env.now
        y = m.year_idx
        m.metrics.add(y, "actors_prioritised", self.region)
        if a.t_first_prioritised is None:
            a.t_first_prioritised = m.env.now
            m.metrics.ratio(y, "phoenix_before_target_mean", float(m.ta.n_phoenix[aid]), 1.0)
        m.log.add(m.env.now, "meeting_priority", region=self.region, actor=aid, agency="centre", value=f.score)
        targets = [b for b, fid in f.known.items() if m.pop.firm_id[b] == fid and m.pop.owner[b] == aid]
        gone = [b for b, fid in f.known.items() if m.pop.firm_id[b] != fid]
        rng = m.streams.get("centre.register_link")
        # The control group (Tax present) searches the register for the actor's other companies.
        for b in sorted(a.firms):
            if b not in targets and rng.random() < m.cfg.world.detection.p_link_successor:
                targets.append(b)
        for b in gone:
            m.log.add(m.env.now, "control_target_gone", region=self.region, firm=int(f.known[b]), actor=aid, agency="centre")
        for b in targets:
            m.env.process(self._control(aid, b, int(m.pop.firm_id[b])))
        f.known = {b: int(m.pop.firm_id[b]) for b in targets}
        m.env.process(self._reopen(aid, f))

    def _control(self, aid: int, b: int, fid: int):
        m = self.model
        yield from self.team.intake()
        yield m.env.timeout(self.lever.dur_control)
        if m.pop.firm_id[b] != fid or m.pop.status[b] != 0:  # gone, or standing still under a stop order
            m.log.add(m.env.now, "control_target_gone", region=self.region, firm=fid, actor=aid, agency="centre")
            return
        f = self.files.get(aid)
        m.inspections.inspect(b, joint=True, agencies=(f.agencies if f else set()) | {"nli", "tax"}, prioritised=True)

    def _reopen(self, aid: int, f: ActorFile):
        """After follow-up, the file collects again; the actor can be re-prioritised later."""
        yield self.model.env.timeout(self.model.policy.centres.dur_follow_up)
        f.state = COLLECTING
        f.evidence = 0.0


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
        if insp.sum() <= 0:
            return
        rate = np.where(insp > 0, viol / np.maximum(insp, 1), np.nan)
        rate = np.where(np.isnan(rate), np.nanmean(rate), rate)
        target = rate / np.mean(rate) * np.mean(m.sector_priority)
        gamma = min(1.0, m.policy.ntaes.reweight_per_staff * m.policy.ntaes.staff)
        m.sector_priority = (1 - gamma) * m.sector_priority + gamma * target
        m.inspections.invalidate_weights()
        self.n_assessments += 1
        m.log.add(m.env.now, "ntaes_assessment", agency="ntaes", value=gamma)
