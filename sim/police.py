"""Police and prosecution (SPEC 2.6, 3 step 7): a capacity-limited investigation queue.

A report opens a case. The case waits for the investigators (``sim.capacity.SharedCapacity``:
``n_investigators x cases_per_investigator_year``, scaled, shared each week among the waiting
cases, older cases first in expectation), is investigated for a lognormal duration, and ends in a
conviction, a drop for lack of evidence, or another outcome (administrative, transferred).
Evidence from more agencies raises the chance of conviction and lowers the chance of a drop
(seed 001: "when the different agencies' information and tools are combined and used, the chance
of success is greater"). A convicted threat actor is incarcerated and may be banned from business.

A case against an actor the centres have identified (a central threat actor) is a *case against a
threat actor* (``cases_against_ta``), as seed 001 counts its 941 cases over the actors NTAES had
identified; cases against other actors' companies count in ``cases_against_latent_actors``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np
from scipy.special import ndtri

from sim.actors import ACTIVE, impose_ban, incarcerate
from sim.capacity import SharedCapacity
from sim.rng import keyed_uniform

if TYPE_CHECKING:
    from sim.model import AkrimModel


@dataclass
class Case:
    """One police case."""

    b: int
    region: int
    sector: int
    fid: int
    aid: int
    n_agencies: int
    against_ta: bool
    t_report: float
    evidence_age: float = 0.0  # days old the intelligence the case rests on was when it was reported


class Police(mesa.Agent):
    """The police and prosecuting authority, as far as work-related crime goes."""

    def __init__(self, model: AkrimModel) -> None:
        super().__init__(model)
        self.queue = SharedCapacity("police.investigation", model.streams.key("police.queue"), carry_jobs=model.cfg.pool_carry_jobs)
        self.key = model.streams.key("police.cases")
        self.refresh_capacity()
        self.open_cases = 0
        self.n_cases = 0
        self.cases: dict[int, Case] = {}
        self.reported_blocks: set[int] = set()  # workplaces ever reported (cases couple regions: shared capacity)
        self.n_reports_firm: dict[int, int] = {}

    def refresh_capacity(self) -> None:
        """Throughput from the current levers."""
        p = self.model.policy.police
        self.queue.set_rate(p.n_investigators * p.cases_per_investigator_year * self.model.scale)

    def report(self, b: int, source: str, agencies: set[str], evidence_age: float = 0.0) -> None:
        """Report the firm in workplace ``b`` (and its actor, if any) to the police.

        ``evidence_age`` is how old, in days, the intelligence the report rests on is: 0 when the
        evidence was secured at work (an inspection, an audit, an action that found the company
        working); the age of the file's newest signal about the company for a case opened at the
        desk on a centre's priority.
        """
        m = self.model
        pop = m.pop
        region, sector, fid, aid = int(pop.region[b]), int(pop.sector[b]), int(pop.firm_id[b]), int(pop.owner[b])
        y = m.year_idx
        m.metrics.add(y, "police_reports", region, sector)
        if source == "nli":
            m.metrics.add(y, "police_reports_nli", region, sector)
        elif source == "centre":
            m.metrics.add(y, "centre_police_reports", region, sector)
        m.log.add(m.env.now, "police_report", region, sector, fid, aid, agency=source)
        against_ta = False
        if aid >= 0:
            against_ta = bool(m.ta.central[aid])
            m.metrics.add(y, "cases_against_ta" if against_ta else "cases_against_latent_actors", region, sector)
            m.ta.record[aid] += 1
            m.ta.under_investigation[aid] += 1  # open cases against the actor
            m.signals.send("police_to_centre", region, b, fid, aid, 1.0)
        self.open_cases += 1
        self.n_cases += 1
        n_ag = len(agencies | ({"nli", "tax"} if source == "centre" else {source}))
        case = Case(b, region, sector, fid, aid, n_ag, against_ta, m.env.now, max(float(evidence_age), 0.0))
        # A case's id (which keys its draws) is fixed by the firm and how often it was reported,
        # not by how many cases the whole country has had: another region's cases shift nothing.
        k = self.n_reports_firm.get(fid, 0)
        self.n_reports_firm[fid] = k + 1
        cid = fid * 64 + min(k, 63)
        while cid in self.cases:
            cid += 1 << 40
        self.cases[cid] = case
        self.reported_blocks.add(b)
        self.queue.add(cid, case, 1.0, float(m.wsec[sector]) if m.national_actors else 1.0)

    def weekly(self) -> None:
        """Start this week's investigations (older cases first in expectation)."""
        m = self.model
        now = m.env.now
        for cid, (_, case) in list(self.queue.waiting.items()):
            self.queue.waiting[cid] = (1.0 + (now - case.t_report) / 365.25, case)
        for cid, case in self.queue.allocate(self.queue.weekly_amount()):
            self._start(cid, case)

    def _start(self, cid: int, case: Case) -> None:
        m = self.model
        j = m.cfg.world.justice
        m.log.add(m.env.now, "case_started", case.region, case.sector, case.fid, case.aid, agency="police")
        u = keyed_uniform(self.key, np.uint64(cid) * np.uint64(8) + np.arange(4, dtype=np.uint64))  # cid < 2^60
        sig = np.sqrt(np.log(1.0 + j.dur_case_cv**2))
        z = ndtri(np.clip(u[0], 1e-9, 1 - 1e-9))
        dur = float(np.exp(np.log(j.dur_case_mean) - 0.5 * sig**2 + sig * z)) * m.policy.police.case_time_factor
        m.schedule(dur, self._outcome, cid, case, u)

    def _outcome(self, cid: int, case: Case, u: np.ndarray) -> None:
        m = self.model
        j = m.cfg.world.justice
        self.cases.pop(cid, None)
        self.open_cases -= 1
        aid, b, fid = case.aid, case.b, case.fid
        region, sector = case.region, case.sector
        extra = max(case.n_agencies - 1, 0)
        p_conv0 = min(1.0, j.p_convict_base + j.convict_per_agency * extra)
        p_drop = max(0.0, j.p_drop_evidence_base - j.drop_per_agency * extra)
        # Stale intelligence makes weak cases: the conviction chance halves every
        # case_evidence_half_life_days of the evidence's age, and what is lost is dropped for evidence.
        p_conv = p_conv0 * 0.5 ** (case.evidence_age / j.case_evidence_half_life_days)
        p_drop = min(1.0 - p_conv, p_drop + (p_conv0 - p_conv))
        y = m.year_idx
        days = m.env.now - case.t_report
        m.metrics.ratio(y, "case_days_mean", days, 1.0)
        if aid >= 0:
            m.ta.under_investigation[aid] = max(0, m.ta.under_investigation[aid] - 1)
        if u[1] < p_conv:
            m.metrics.add(y, "convictions", region, sector)
            if case.against_ta:
                m.metrics.add(y, "convictions_ta", region, sector)
            m.log.add(m.env.now, "conviction", region, sector, fid, aid, agency="police", value=days)
            if aid >= 0 and m.ta.status[aid] == ACTIVE:
                a = m.actor_list[aid]
                sg = j.sentence_log_sd
                sentence = float(np.exp(np.log(j.dur_sentence_mean) - 0.5 * sg**2 + sg * ndtri(np.clip(u[3], 1e-9, 1 - 1e-9))))
                if u[2] < m.policy.sanctions.p_ban_on_conviction:
                    impose_ban(m, a)
                    m.ta.ban_until[aid] += sentence  # the ban runs after the sentence
                incarcerate(m, a, sentence)
            elif aid < 0 and b >= 0 and m.pop.firm_id[b] == fid:
                m.ordinary_entrant(b)  # the convicted owner's firm closes; an entrant takes over
        elif u[1] < p_conv + p_drop:
            m.metrics.add(y, "cases_dropped_evidence", region, sector)
            if case.against_ta:
                m.metrics.add(y, "cases_dropped_evidence_ta", region, sector)
            m.log.add(m.env.now, "dropped_evidence", region, sector, fid, aid, agency="police", value=days)
        else:
            m.log.add(m.env.now, "case_other_outcome", region, sector, fid, aid, agency="police", value=days)
