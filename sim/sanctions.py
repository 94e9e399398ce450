"""The sanction mix (SPEC 4.6): what follows a finding, by whom, how big, how late, and its effects.

Every finding has an **origin**: ``nli`` (an ordinary NLI inspection: ``policy.sanctions``),
``centre`` (a joint action of a centre: ``policy.sanctions.centre``), ``tax`` (a Tax audit:
``policy.tax``) or ``nav`` (a NAV control: ``policy.nav``); the police's outcomes are in
``sim.police``. Each sanction is used with its origin's probability:

============================ ===================================================== ==============
sanction                     effect                                                delay
============================ ===================================================== ==============
order to rectify             if the firm complies (p_comply_order[_criminal]):     dur_order_delay
                             evasion cut by remediation_effect[_criminal],
                             exploited workers restored
daily coercive fine          given an order not complied with; charged to firm    immediate
fine (overtredelsesgebyr)    NOK (lognormal, mean nok_fine_mean, log-sd            immediate
                             fine_log_sd); actor capacity falls; firm liability
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

Random numbers: every decision and size is a keyed uniform of (purpose, firm id, the firm's
inspection count) (``sim.rng.keyed_uniform``), so a finding's draws are fixed by *which* finding it
is. Changing one probability (say ``p_fine``) changes whether that sanction happens, and nothing
else: no other finding's draws move (common random numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtri

from sim.population import ACTIVE, CRIMINAL, SUSPENDED
from sim.rng import keyed_uniform

if TYPE_CHECKING:
    from sim.model import AkrimModel

ORIGINS = ("nli", "centre", "tax", "nav")
PURPOSES = ("order", "comply", "coercive", "coercive_size", "fine", "fine_size", "suspension", "tax", "claw", "claw_n", "seizure", "report", "withdraw")
# Counts kept for the centres' joint efforts as well (SPEC 5, the a-krim annual figures).
CENTRE_COLUMN = {"fines_count": "centre_fines_count", "coercive_fines_count": "centre_coercive_fines_count", "suspensions_count": "centre_suspensions_count"}


class Sanctions:
    """Draws and applies the sanctions for findings, with keyed draws per finding."""

    def __init__(self, model: AkrimModel) -> None:
        self.m = model
        self.keys = np.array([model.streams.key(f"sanctions.{p}") for p in PURPOSES], dtype=np.uint64)
        self._pre: dict[int, dict[str, float]] = {}

    def uniforms(self, ident: int) -> dict[str, float]:
        """One keyed uniform per purpose for finding ``ident`` (one vectorised call)."""
        pre = self._pre.get(ident)
        if pre is not None:
            return pre
        return dict(zip(PURPOSES, keyed_uniform(self.keys, np.uint64(ident)).tolist()))

    def prefetch(self, blocks: np.ndarray, origin: str) -> None:
        """Compute the keyed uniforms of the findings in ``blocks`` now, in one call (speed only).

        ``uniforms`` returns them for the same finding ids (a keyed uniform is a fixed function of
        the id, so the numbers are the same as one call per finding); ``clear_prefetch`` drops them.
        """
        pop = self.m.pop
        b = np.asarray(blocks, dtype=np.int64)
        if b.size == 0:
            return
        ident = (pop.firm_id[b] * 4096 + pop.n_insp[b].astype(np.int64) % 4096) * 4 + ORIGINS.index(origin)
        u = keyed_uniform(self.keys[:, None], ident.astype(np.uint64)[None, :]).T.tolist()
        self._pre = {i: dict(zip(PURPOSES, row)) for i, row in zip(ident.tolist(), u)}

    def clear_prefetch(self) -> None:
        """Forget the prefetched uniforms."""
        self._pre = {}

    def _count(self, name: str, origin: str, region: int, sector: int, value: float = 1.0) -> None:
        m = self.m
        m.metrics.add(m.year_idx, name, region, sector, value)
        if origin == "centre" and name in CENTRE_COLUMN:
            m.metrics.add(m.year_idx, CENTRE_COLUMN[name], region, sector, value)

    def felt(self, aid: int, b: int, mnok: float) -> None:
        """A threat actor feels a sanction: capacity, intent, heat."""
        if aid < 0:
            return
        m = self.m
        t, w = m.ta, m.cfg.world.actors
        t.capacity[aid] -= mnok
        t.intent[aid] -= w.intent_sanction_drop * t.intent[aid]
        t.t_last_sanction[aid] = m.env.now
        m.pop.heat[b] += w.heat_per_sanction

    def apply(
        self,
        b: int,
        origin: str,
        found_und: bool,
        found_under: bool,
        agencies: set[str],
        prioritised: bool = False,
    ) -> bool:
        """Draw and apply the sanctions for one finding in workplace ``b``; True if any was used.

        Args:
            b: The workplace.
            origin: ``nli``, ``centre``, ``tax`` or ``nav``.
            found_und: Undeclared work (or work without the right to work) was established.
            found_under: Underpayment was established.
            agencies: Agencies whose evidence a police report would carry.
            prioritised: The firm belongs to the actor a centre's action was prioritised against.
        """
        m = self.m
        pol, wf, ww = m.policy.sanctions, m.cfg.world.firms, m.cfg.world.workers
        mix = pol.centre if origin == "centre" else pol
        pop = m.pop
        y, region, sector = m.year_idx, int(pop.region[b]), int(pop.sector[b])
        fid, aid = int(pop.firm_id[b]), int(pop.owner[b])
        ident = (fid * 4096 + int(pop.n_insp[b]) % 4096) * 4 + ORIGINS.index(origin)
        u = self.uniforms(ident)
        serious = found_und or found_under
        crim = pop.ftype[b] == CRIMINAL
        who = {"nli": "nli", "centre": "centre", "tax": "tax", "nav": "nav"}[origin]
        used = False

        def log(kind: str, value: float = 0.0, agency: str = who) -> None:
            m.log.add(m.env.now, kind, region, sector, fid, aid, agency=agency, value=value)

        if origin in ("nli", "centre") and u["order"] < mix.p_order:
            used = True
            m.metrics.add(y, "orders", region, sector)
            log("order")
            complies = u["comply"] < (wf.p_comply_order_criminal if crim else wf.p_comply_order)
            if serious and complies:  # only pay / undeclared-work findings restore workers' conditions
                m.schedule(pol.dur_order_delay, remediate, m, b, fid)
            if not complies and u["coercive"] < mix.p_coercive_fine:
                nok = -pol.nok_coercive_fine * float(np.log(max(1.0 - u["coercive_size"], 1e-12)))
                self._count("coercive_fines_count", origin, region, sector)
                log("coercive_fine", nok)
                self.felt(aid, b, nok / 1e6)
        if not serious:
            return used
        if origin in ("nli", "centre") and u["fine"] < mix.p_fine:
            used = True
            sig = pol.fine_log_sd
            nok = pol.nok_fine_mean * float(np.exp(-0.5 * sig**2 + sig * ndtri(min(max(u["fine_size"], 1e-9), 1 - 1e-9))))
            self._count("fines_count", origin, region, sector)
            m.metrics.add(y, "fines_nok", region, sector, nok)
            pop.liab[b] += nok
            log("fine", nok, "nli")
            self.felt(aid, b, nok / 1e6)
        if origin in ("nli", "centre") and found_und and pop.status[b] == ACTIVE and u["suspension"] < mix.p_suspension:
            used = True
            suspend(m, b, fid, origin)
            log("suspension", pol.dur_suspension, "nli")
            self.felt(aid, b, m.cfg.world.actors.felt_suspension_mnok)
            if pol.publish_suspensions:
                log("publication", 0.0, "nli")
                self.felt(aid, b, m.cfg.world.actors.felt_publication_mnok)
        p_tax = {"nli": pol.p_tax_reassess_nli, "centre": pol.centre.p_tax_reassess, "tax": 1.0, "nav": 0.0}[origin]
        if found_und and u["tax"] < p_tax:
            used = True
            share = m.cfg.world.costs.undeclared_wage_share
            nok = float(pop.u[b]) * float(pop.wage_bill(b)) * share * wf.tax_wedge * pol.lookback_years * (1.0 + pol.tax_surcharge)
            m.metrics.add(y, "tax_reassessed_nok", region, sector, nok)
            collected = wf.tax_collected_share
            pop.liab[b] += (1.0 - collected) * nok
            log("tax_reassessment", nok, "tax")
            self.felt(aid, b, collected * nok / 1e6)
        p_claw = {"nli": pol.p_clawback * pol.p_nav_informed_nli, "centre": 0.0, "tax": 0.0, "nav": 1.0}[origin]
        if found_und and pop.n_und[b] > 0 and u["claw"] < p_claw:  # the centres' benefit changes are per person checked
            from sim.quantiles import binom_ppf  # scipy.stats.binom.ppf, without importing scipy.stats

            n_ben = int(binom_ppf(u["claw_n"], int(pop.n_und[b]), ww.p_benefit_while_undeclared))
            if n_ben > 0:
                used = True
                nok = n_ben * ww.benefit_nok_month * ww.benefit_months_found
                m.metrics.add(y, "wrongful_benefits_nok", region, sector, nok)
                if origin == "nli":
                    m.metrics.add(y, "wrongful_benefits_nli_nok", region, sector, nok)
                m.metrics.add(y, "benefit_changes", region, sector, n_ben)
                log("benefit_clawback", nok, "nav")
        if origin == "centre" and prioritised and aid >= 0 and u["seizure"] < pol.centre.p_seizure and m.ta.capacity[aid] > 0:
            used = True
            mnok = pol.centre.seizure_share * float(m.ta.capacity[aid])
            m.metrics.add(y, "assets_seized_nok", region, sector, mnok * 1e6)
            log("asset_seizure", mnok * 1e6, "police")
            self.felt(aid, b, mnok)
        if origin == "centre":
            p_report = pol.centre.p_report if prioritised else pol.centre.p_report_other
        elif origin == "nli":
            p_report = pol.p_report_nli * (pol.report_actor_mult if aid >= 0 else 1.0)
        elif origin == "tax":
            p_report = m.policy.tax.p_report if aid >= 0 else 0.0
        else:
            p_report = 0.0
        if u["report"] < p_report:
            used = True
            m.police.report(b, source=origin, agencies=agencies)
        if origin in ("nli", "centre") and m.approval_active[sector] and u["withdraw"] < pol.p_withdraw_approval:
            used = True
            log("approval_withdrawn", 0.0, "nli")
            pop.approved[b] = False
            if crim and aid >= 0:
                from sim.actors import phoenix

                phoenix(m, m.actor_list[aid], b)
            else:
                m.ordinary_entrant(b)
        return used


def suspend(m: AkrimModel, b: int, fid: int, origin: str = "nli") -> None:
    """Stop order: the firm and its workers stand still for ``dur_suspension`` days."""
    pop = m.pop
    dur = m.policy.sanctions.dur_suspension
    pop.status[b] = SUSPENDED
    pop.susp_until[b] = int(m.env.now + dur)
    m.sanctions._count("suspensions_count", origin, int(pop.region[b]), int(pop.sector[b]))
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
    fw = m.cfg.world.firms
    keep = 1.0 - (fw.remediation_effect_criminal if pop.ftype[b] == CRIMINAL else fw.remediation_effect)
    pop.u[b] *= keep
    pop.w[b] *= keep
    pop.aggregate_blocks(np.array([b]))
    restored = before - int(pop.n_expl[b])
    if restored > 0:  # seed 002 counts every employee of an enterprise that implemented measures
        region, sector = int(pop.region[b]), int(pop.sector[b])
        m.metrics.add(m.year_idx, "workers_remediated", region, sector, float(pop.size[b]))
        m.metrics.add(m.year_idx, "enterprises_remediated", region, sector)
        m.log.add(m.env.now, "remediation", region, sector, fid, int(pop.owner[b]), agency="nli", value=restored)
