"""Signals and information sharing (SPEC 3 step 3, 4.4).

Each agency observes its own kind of signal about firms and actors:

* NLI - inspection findings and workers' tips (directly or through a union);
* Tax - register and tax anomalies, at a rate that grows with a firm's undeclared work and falls
  with its camouflage; the posted-worker register (reaching the NLI only through Tax unless the
  lever gives the NLI direct access); the registration of a phoenix successor;
* NAV - benefit anomalies from undeclared workers who also draw benefits;
* Police - intelligence about active threat actors.

Sharing a signal with a partner (the region's centre, or the NLI for its own targeting) succeeds
with the link's *completeness* and arrives after the link's *latency*; both depend on the legal
regime at the time the signal is made: no centre in the region yet, before the June 2022
regulation, or after it. Signals travel as SimPy timeouts with plain callbacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.rng import keyed_uniform
from sim.sampling import inverse_cdf
from sim.units import WEEK_YEARS

if TYPE_CHECKING:
    from sim.actors import ThreatActor
    from sim.model import AkrimModel


class Signals:
    """Generation and sharing of signals for one model."""

    def __init__(self, model: AkrimModel) -> None:
        self.m = model

    @property
    def share_rng(self) -> np.random.Generator:
        """The ``signals.share`` stream (restarted every week: fetched at each use)."""
        return self.m.streams.get("signals.share")

    # ------------------------------------------------------------------ sharing
    def link(self, region: int, pair: str):
        """The Link (latency, completeness) for ``pair`` in ``region`` right now."""
        m = self.m
        sh = m.policy.sharing
        if not m.centres[region].is_open:
            return sh.no_centre[pair]
        if m.regulation_in_force:
            return sh.after[pair]
        return sh.before[pair]

    def send(self, pair: str, region: int, block: int, fid: int, aid: int, weight: float = 1.0) -> None:
        """Share one signal along ``pair`` (e.g. ``"tax_to_centre"``); deliver later or lose it."""
        m = self.m
        src, dst = pair.split("_to_")
        if dst == "centre" and not m.centres[region].is_open:
            return  # no centre in the region: nothing to share with
        if dst == "centre" and aid >= 0 and m.ta.phoenix_at_first_signal[aid] < 0:
            m.ta.phoenix_at_first_signal[aid] = m.ta.n_phoenix[aid]  # an agency knows of the actor from now on
            m.ta.t_first_signal[aid] = m.env.now
        ln = self.link(region, pair)
        r = self.share_rng.random(2)
        if r[0] >= ln.completeness:
            m.metrics.add(m.year_idx, "signals_lost", region)
            m.log.add(m.env.now, "signal_lost", region=region, firm=fid, actor=aid, agency=src)
            return
        delay = ln.latency_days * m.policy.sharing.latency_multiplier * (0.5 + r[1])  # uniform on [0.5, 1.5] x mean
        m.metrics.add(m.year_idx, "signals_shared", region)
        if dst == "centre":
            weight *= 0.5 ** (delay / m.cfg.world.detection.evidence_half_life_days)  # stale on arrival
            m.schedule(delay, self._to_centre, region, aid, block, fid, src, weight, m.env.now)
        else:
            # To the NLI's targeting pool at face value: there a late signal loses out by arriving
            # late and by finding its firm replaced (_to_nli), not by weighing less than the NLI's
            # own fresh tips (that re-mixed the pool towards tips, so slower sharing could *lower* harm).
            m.schedule(delay, self._to_nli, block, fid, weight)

    def _to_centre(self, region: int, aid: int, block: int, fid: int, agency: str, weight: float, sent: float) -> None:
        m = self.m
        if aid < 0:
            return
        centre = m.centres[region]
        if centre.is_open:
            centre.receive(aid, block, fid, agency, weight, sent=sent)
            if m.cfg.output.events:
                m.log.add(m.env.now, "signal_shared", region=region, firm=fid, actor=aid, agency=agency)

    def _to_nli(self, block: int, fid: int, weight: float) -> None:
        m = self.m
        if block >= 0 and m.pop.firm_id[block] == fid:
            m.pop.flag_nli[block] += weight

    def about_firm(self, agency: str, block: int, weight: float = 1.0) -> None:
        """An agency's own signal about the firm in ``block``: to the NLI and, for actors, the centre."""
        pop = self.m.pop
        region, fid, aid = int(pop.region[block]), int(pop.firm_id[block]), int(pop.owner[block])
        if agency == "nli":
            pop.flag_nli[block] += weight
        else:
            self.send(f"{agency}_to_nli", region, block, fid, aid, weight)
        if aid >= 0:
            self.send(f"{agency}_to_centre", region, block, fid, aid, weight)

    def successor_registered(self, a: ThreatActor, block: int, fid: int, old_fid: int) -> None:
        """A phoenix successor appears in the company register; Tax may link it to the actor."""
        m = self.m
        if self.share_rng.random() < m.cfg.world.detection.p_link_successor:
            self.send("tax_to_centre", int(m.pop.region[block]), block, fid, a.aid, 0.5)

    # ------------------------------------------------------------------ generation
    def _sparse(self, rates: np.ndarray, stream: str) -> np.ndarray:
        """Draw how many events, then which workplaces (proportional to ``rates``)."""
        rng = self.m.streams.get(stream)
        total = float(rates.sum())
        k = rng.poisson(total)
        if k == 0 or total <= 0:
            return np.empty(0, dtype=np.int64)
        return np.minimum(inverse_cdf(rates, rng.random(k)), rates.size - 1)

    def weekly(self) -> None:
        """Generate this week's tax, NAV, police, tip, register and cross-border signals."""
        m = self.m
        pop, det, ww = m.pop, m.cfg.world.detection, m.cfg.world.workers
        active = pop.status == 0
        cam = np.zeros(pop.n, dtype=np.float32)
        owned = pop.owner >= 0
        cam[owned] = m.ta.camouflage[pop.owner[owned]]
        hide = np.where(active, 1.0 - cam, 0.0)
        rng_r = m.streams.get("signals.report")
        for b in self._sparse(det.rate_tax_signal_year * WEEK_YEARS * pop.u * hide, "signals.tax"):
            self.about_firm("tax", int(b))
            if pop.owner[b] >= 0 and rng_r.random() < det.p_report_agency_signal:
                m.police.report(int(b), source="tax", agencies={"tax"})
        nav_rate = det.rate_nav_signal_year * WEEK_YEARS * np.minimum(1.0, pop.n_und * ww.p_benefit_while_undeclared) * hide
        for b in self._sparse(nav_rate, "signals.nav"):
            self.about_firm("nav", int(b))
        # Police intelligence on active actors (about the actor, through one of its companies).
        act = np.flatnonzero(m.ta.active_mask())  # keyed by (actor, week): another actor's exit shifts nothing
        u = keyed_uniform(m.police_signal_key, (act.astype(np.uint64) << 16) + m.week)
        hits = act[u < det.rate_police_signal_year * WEEK_YEARS]
        for aid in hits:
            a = m.actor_list[aid]
            if a.firms:
                self.about_firm("police", min(a.firms))
        self._tips()
        self._posted_register()
        self._cross_border()

    def _tips(self) -> None:
        """Exploited workers tip the NLI, directly or through a union (seed 003 measure 5)."""
        m = self.m
        pop, ww = m.pop, m.cfg.world.workers
        rate = np.where(pop.status == 0, pop.tip_w, 0.0) * ww.rate_tip_year * WEEK_YEARS
        rng = m.streams.get("workers.tip_route")
        for b in self._sparse(rate, "workers.tips"):
            b = int(b)
            r = rng.random(2)
            if r[0] < ww.p_tip_union:
                if r[1] < ww.p_union_forward:
                    m.schedule(
                        ww.dur_union_forward * 2 * r[1] / max(ww.p_union_forward, 1e-9), self._tip_arrives, b, int(pop.firm_id[b]), "union"
                    )
            else:
                self._tip_arrives(b, int(pop.firm_id[b]), "nli")

    def _tip_arrives(self, b: int, fid: int, route: str) -> None:
        m = self.m
        pop = m.pop
        m.metrics.add(m.year_idx, "tips", int(pop.region[b]), int(pop.sector[b]))
        m.log.add(
            m.env.now,
            "tip",
            region=int(pop.region[b]),
            sector=int(pop.sector[b]),
            firm=fid,
            actor=int(pop.owner[b]) if pop.firm_id[b] == fid else -1,
            agency=route,
        )
        if pop.firm_id[b] == fid:
            self.about_firm("nli", b, 1.0)

    def _posted_register(self) -> None:
        """The NLI's look-ups in the posted-worker register, which Tax keeps (seed 002)."""
        m = self.m
        pop, sh = m.pop, m.policy.sharing
        rate = pop.n_posted * (0.2 + pop.u)
        rate = rate * (sh.rate_posted_register_checks_year * m.scale * WEEK_YEARS) / max(m.mass(rate), 1e-9)
        delay = 2.0 if sh.posted_register_direct_nli else sh.posted_register_latency_days
        for b in self._sparse(rate, "signals.posted_register"):
            m.schedule(delay, self._to_nli, int(b), int(pop.firm_id[b]), 1.0 + 2.0 * float(pop.u[b] > 0.2))

    def _cross_border(self) -> None:
        """Bilateral exchanges and joint inspections with sending countries (seed 004)."""
        m = self.m
        sh = m.policy.sharing
        if sh.cross_border_from is None or m.today < m.date_of(sh.cross_border_from):
            return
        pop = m.pop
        w = pop.n_posted * (0.1 + pop.u)
        total = m.mass(w)
        if total <= 0:
            return
        rate = w * (sh.cross_border_exchanges_year * m.scale * WEEK_YEARS) / total
        for b in self._sparse(rate, "signals.cross_border"):
            m.log.add(
                m.env.now,
                "cross_border_exchange",
                region=int(pop.region[b]),
                sector=int(pop.sector[b]),
                firm=int(pop.firm_id[b]),
                agency="foreign",
            )
            m.schedule(sh.cross_border_latency_days, self._to_nli, int(b), int(pop.firm_id[b]), 2.0)
        rate_j = w * (sh.cross_border_joint_inspections_year * m.scale * WEEK_YEARS) / total
        for b in self._sparse(rate_j, "signals.cross_border_joint"):
            if pop.status[b] == 0:
                m.inspections.inspect(int(b), agencies={"nli", "foreign"})
