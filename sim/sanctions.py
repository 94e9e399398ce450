"""The sanction mix (SPEC 4.6): what follows a finding, how big, how late, and its effects.

Given a finding in workplace ``b`` (``found_und``: undeclared work seen; ``found_under``:
underpayment seen; otherwise another violation), each sanction is used with its probability:

============================ ===================================================== ==============
sanction                     effect                                                delay
============================ ===================================================== ==============
order to rectify             if the firm complies (p_comply_order): evasion cut   dur_order_delay
                             by remediation_effect, exploited workers restored
daily coercive fine          given an order not complied with; charged to firm    immediate
fine (overtredelsesgebyr)    NOK; actor capacity falls; a liability of the firm    immediate
suspension (stop order)      firm idle, its workers idle, for dur_suspension        immediate
publication of suspension    consumers shun the firm: actor capacity falls;        immediate
                             peers' perceived detection rises (firm learning)
withdrawal of approval       approval-scheme sectors: the firm loses its market    immediate
                             (ordinary firm exits; an actor's company goes phoenix)
tax reassessment + surcharge NOK over lookback_years; part collected, rest liab.  immediate
benefit claw-back (NAV)      wrongful benefits of the firm's undeclared workers    immediate
asset seizure                share of a prioritised actor's capacity               immediate
police report                a case in the police queue (sim.police)               queue
============================ ===================================================== ==============

Every sanction felt by a threat actor lowers its intent and marks the company as "hot" (phoenix
hazard rises): that is how actors escape claims through planned bankruptcies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.population import ACTIVE, CRIMINAL, SUSPENDED

if TYPE_CHECKING:
    from sim.model import AkrimModel


def _felt(m: AkrimModel, aid: int, b: int, mnok: float) -> None:
    """A threat actor feels a sanction: capacity, intent, heat."""
    if aid < 0:
        return
    t, w = m.ta, m.cfg.world.actors
    t.capacity[aid] -= mnok
    t.intent[aid] -= w.intent_sanction_drop * t.intent[aid]
    t.t_last_sanction[aid] = m.env.now
    m.pop.heat[b] += w.heat_per_sanction


def apply_sanctions(m: AkrimModel, b: int, joint: bool, found_und: bool, found_under: bool, agencies: set[str], prioritised: bool) -> None:
    """Draw and apply the sanctions for one finding in workplace ``b``."""
    pol, wf, ww = m.policy.sanctions, m.cfg.world.firms, m.cfg.world.workers
    pop = m.pop
    rng = m.streams.get("sanctions")
    r = rng.random(12)
    y, region, sector = m.year_idx, int(pop.region[b]), int(pop.sector[b])
    fid, aid = int(pop.firm_id[b]), int(pop.owner[b])
    serious = found_und or found_under
    agency = "centre" if joint else "nli"

    def log(kind: str, value: float = 0.0, who: str = agency) -> None:
        m.log.add(m.env.now, kind, region, sector, fid, aid, agency=who, value=value)

    if r[0] < pol.p_order:
        m.metrics.add(y, "orders", region, sector)
        log("order")
        p_comply = wf.p_comply_order * (0.5 if pop.ftype[b] == CRIMINAL else 1.0)
        complies = r[9] < p_comply
        if serious and complies:  # only pay / undeclared-work findings restore workers' conditions
            m.schedule(pol.dur_order_delay, remediate, m, b, fid)
        if not complies and r[1] < pol.p_coercive_fine:
            nok = float(rng.exponential(pol.nok_coercive_fine))
            m.metrics.add(y, "coercive_fines_count", region, sector)
            log("coercive_fine", nok)
            _felt(m, aid, b, nok / 1e6)
    if not serious:
        return
    if r[2] < pol.p_fine:
        nok = float(rng.lognormal(np.log(pol.nok_fine_mean) - 0.18, 0.6))
        m.metrics.add(y, "fines_count", region, sector)
        m.metrics.add(y, "fines_nok", region, sector, nok)
        pop.liab[b] += nok
        log("fine", nok, "nli")
        _felt(m, aid, b, nok / 1e6)
    p_susp = pol.p_suspension * (pol.p_suspension_actor_mult if prioritised else 1.0)
    if found_und and pop.status[b] == ACTIVE and r[3] < min(1.0, p_susp):
        suspend(m, b, fid)
        log("suspension", pol.dur_suspension, "nli")
        _felt(m, aid, b, m.cfg.world.actors.felt_suspension_mnok)
        if pol.publish_suspensions:
            log("publication", 0.0, "nli")
            _felt(m, aid, b, m.cfg.world.actors.felt_publication_mnok)
    p_tax = pol.p_tax_reassess_joint if joint else pol.p_tax_reassess_nli
    if found_und and r[4] < p_tax:
        nok = float(pop.u[b]) * float(pop.wage_bill(b)) * wf.tax_wedge * pol.lookback_years * (1.0 + pol.tax_surcharge)
        m.metrics.add(y, "tax_reassessed_nok", region, sector, nok)
        collected = wf.tax_collected_share
        pop.liab[b] += (1.0 - collected) * nok
        log("tax_reassessment", nok, "tax")
        _felt(m, aid, b, collected * nok / 1e6)
    p_claw = pol.p_clawback * (1.0 if (joint or "nav" in agencies) else pol.p_nav_informed_nli)
    if found_und and pop.n_und[b] > 0 and r[5] < p_claw:
        n_ben = rng.binomial(int(pop.n_und[b]), ww.p_benefit_while_undeclared)
        if n_ben > 0:
            nok = n_ben * ww.benefit_nok_month * ww.benefit_months_found
            m.metrics.add(y, "wrongful_benefits_nok", region, sector, nok)
            log("benefit_clawback", nok, "nav")
    if joint and prioritised and aid >= 0 and r[6] < pol.p_seizure and m.ta.capacity[aid] > 0:
        mnok = pol.seizure_share * float(m.ta.capacity[aid])
        m.metrics.add(y, "assets_seized_nok", region, sector, mnok * 1e6)
        log("asset_seizure", mnok * 1e6, "police")
        _felt(m, aid, b, mnok)
    p_report = pol.p_report_joint if joint else pol.p_report_nli * (pol.report_actor_mult if aid >= 0 else 1.0)
    if r[7] < p_report:
        m.police.report(b, source="centre" if joint else "nli", agencies=agencies | ({"nli", "tax"} if joint else {"nli"}))
    if m.approval_active[sector] and r[8] < pol.p_withdraw_approval:
        log("approval_withdrawn", 0.0, "nli")
        pop.approved[b] = False
        if pop.ftype[b] == CRIMINAL and aid >= 0:
            from sim.actors import phoenix

            phoenix(m, m.actor_list[aid], b, m.streams.get("actors.phoenix_succ"))
        else:
            m.ordinary_entrant(b)


def suspend(m: AkrimModel, b: int, fid: int) -> None:
    """Stop order: the firm and its workers stand still for ``dur_suspension`` days."""
    pop = m.pop
    dur = m.policy.sanctions.dur_suspension
    pop.status[b] = SUSPENDED
    pop.susp_until[b] = int(m.env.now + dur)
    m.metrics.add(m.year_idx, "suspensions_count", int(pop.region[b]), int(pop.sector[b]))
    pop.aggregate_blocks(np.array([b]))
    m.schedule(dur, _lift, m, b, fid)


def _lift(m: AkrimModel, b: int, fid: int) -> None:
    pop = m.pop
    if pop.firm_id[b] == fid and pop.status[b] == SUSPENDED:
        pop.status[b] = ACTIVE
        pop.aggregate_blocks(np.array([b]))


def remediate(m: AkrimModel, b: int, fid: int) -> None:
    """The firm implements measures after an order: evasion falls, workers' conditions restored."""
    pop = m.pop
    if pop.firm_id[b] != fid:
        return  # the firm has gone (bankrupt, phoenix): nothing is remediated
    pop.aggregate_blocks(np.array([b]))  # today's workforce, not last month's
    before = int(pop.n_expl[b])
    keep = 1.0 - m.cfg.world.firms.remediation_effect * (0.5 if pop.ftype[b] == CRIMINAL else 1.0)
    pop.u[b] *= keep
    pop.w[b] *= keep
    pop.aggregate_blocks(np.array([b]))
    restored = before - int(pop.n_expl[b])
    if restored > 0:  # seed 002 counts every employee of an enterprise that implemented measures
        region, sector = int(pop.region[b]), int(pop.sector[b])
        m.metrics.add(m.year_idx, "workers_remediated", region, sector, float(pop.size[b]))
        m.metrics.add(m.year_idx, "enterprises_remediated", region, sector)
        m.log.add(m.env.now, "remediation", region, sector, fid, int(pop.owner[b]), agency="nli", value=restored)
