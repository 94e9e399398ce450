"""Police and prosecution (SPEC 2.6, 3 step 7): a capacity-limited investigation queue.

A report opens a case. The case waits for the investigators (a ``RateServer`` with throughput
``n_investigators x cases_per_investigator_year``, scaled), is investigated for a lognormal
duration, and ends in a conviction, a drop for lack of evidence, or another outcome
(administrative, transferred). Evidence from more agencies raises the chance of conviction and
lowers the chance of a drop (seed 001: "when the different agencies' information and tools are
combined and used, the chance of success is greater"). A convicted threat actor is incarcerated
and may be banned from business.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.actors import ACTIVE, impose_ban, incarcerate
from sim.resources import RateServer

if TYPE_CHECKING:
    from sim.model import AkrimModel


class Police(mesa.Agent):
    """The police and prosecuting authority, as far as work-related crime goes."""

    def __init__(self, model: AkrimModel) -> None:
        super().__init__(model)
        self.server = RateServer(model.env, "police.investigation", 0.0)
        self.refresh_capacity()
        self.open_cases = 0

    def refresh_capacity(self) -> None:
        """Throughput from the current levers."""
        p = self.model.policy.police
        self.server.set_rate(p.n_investigators * p.cases_per_investigator_year * self.model.scale)

    def report(self, b: int, source: str, agencies: set[str]) -> None:
        """Report the firm in workplace ``b`` (and its actor, if any) to the police."""
        m = self.model
        pop = m.pop
        region, sector, fid, aid = int(pop.region[b]), int(pop.sector[b]), int(pop.firm_id[b]), int(pop.owner[b])
        y = m.year_idx
        m.metrics.add(y, "police_reports", region, sector)
        if source == "nli":
            m.metrics.add(y, "police_reports_nli", region, sector)
        m.log.add(m.env.now, "police_report", region, sector, fid, aid, agency=source if source in ("nli", "tax", "nav") else "centre")
        if aid >= 0:
            m.metrics.add(y, "cases_against_ta", region, sector)
            m.ta.record[aid] += 1
            m.ta.under_investigation[aid] += 1  # open cases against the actor
            m.signals.send("police_to_centre", region, b, fid, aid, 1.0)
        self.open_cases += 1
        m.env.process(self._case(b, region, sector, fid, aid, len(agencies)))

    def _case(self, b: int, region: int, sector: int, fid: int, aid: int, n_agencies: int):
        m = self.model
        j = m.cfg.world.justice
        t0 = m.env.now
        yield from self.server.intake()
        m.log.add(m.env.now, "case_started", region, sector, fid, aid, agency="police")
        rng = m.streams.get("police.cases")
        sig = np.sqrt(np.log(1.0 + j.dur_case_cv**2))
        dur = rng.lognormal(np.log(j.dur_case_mean) - 0.5 * sig**2, sig) * m.policy.police.case_time_factor
        yield m.env.timeout(dur)
        self.open_cases -= 1
        extra = max(n_agencies - 1, 0)
        p_conv = min(1.0, j.p_convict_base + j.convict_per_agency * extra)
        p_drop = max(0.0, j.p_drop_evidence_base - j.drop_per_agency * extra)
        r = rng.random(3)
        y = m.year_idx
        m.metrics.ratio(y, "case_days_mean", m.env.now - t0, 1.0)
        if aid >= 0:
            m.ta.under_investigation[aid] = max(0, m.ta.under_investigation[aid] - 1)
        if r[0] < p_conv:
            m.metrics.add(y, "convictions", region, sector)
            if aid >= 0:
                m.metrics.add(y, "convictions_ta", region, sector)
            m.log.add(m.env.now, "conviction", region, sector, fid, aid, agency="police", value=m.env.now - t0)
            if aid >= 0 and m.ta.status[aid] == ACTIVE:
                a = m.actor_list[aid]
                sentence = float(rng.lognormal(np.log(j.dur_sentence_mean) - 0.18, 0.6))
                if r[1] < m.policy.sanctions.p_ban_on_conviction:
                    impose_ban(m, a)
                    m.ta.ban_until[aid] += sentence  # the ban runs after the sentence
                incarcerate(m, a, sentence)
            elif aid < 0 and b >= 0 and m.pop.firm_id[b] == fid:
                m.ordinary_entrant(b)  # the convicted owner's firm closes; an entrant takes over
        elif r[0] < p_conv + p_drop:
            m.metrics.add(y, "cases_dropped_evidence", region, sector)
            if aid >= 0:
                m.metrics.add(y, "cases_dropped_evidence_ta", region, sector)
            m.log.add(m.env.now, "dropped_evidence", region, sector, fid, aid, agency="police", value=m.env.now - t0)
        else:
            m.log.add(m.env.now, "case_other_outcome", region, sector, fid, aid, agency="police", value=m.env.now - t0)
