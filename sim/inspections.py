"""Inspections: ordinary NLI inspections and the centres' joint actions (SPEC 3 step 5, 4.5).

Ordinary NLI inspections arrive as a Poisson stream at the configured national rate
(``n_inspectors x inspections_per_inspector``, scaled), drawn once a week and split by the
targeting mix:

* **random** - any active workplace, uniformly;
* **risk-based** - by sector priority (NTAES re-weights it; ``nli.sector_weights`` and
  ``nli.region_weights`` multiply it: a sector- or region-focused campaign), the firm's size to
  ``size_exponent``, and the visibility of an actor's front company;
* **intelligence-led** - proportional to the NLI's intelligence about the firm (tips, shared
  signals, register data); falls back to risk-based when the NLI knows of nothing.

An inspection sees undeclared work and underpayment with probabilities that grow with how much
of it there is and shrink with a threat actor's camouflage. A **joint action** of a centre
(``joint_action``) controls several businesses and checks ``persons_per_firm`` workers in each:
a checked worker who works undeclared (or without the right to work) is found with
``p_identify_person``, so what an action finds grows with the persons it checks; the agencies'
documents show underpayment as in an inspection (``joint_detect_mult``). Findings go to the
sanction mix of their origin (``sim.sanctions``).

Draws are keyed uniforms of (purpose, firm id, the firm's inspection count): a finding does not
depend on which other firms were inspected that week.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.population import ACTIVE, CRIMINAL
from sim.quantiles import hypergeom_ppf
from sim.rng import keyed_uniform
from sim.units import WEEK_YEARS

if TYPE_CHECKING:
    from sim.centres import Centre
    from sim.model import AkrimModel


class Inspections:
    """Targeting and carrying out inspections and joint actions for one model."""

    def __init__(self, model: AkrimModel) -> None:
        self.m = model
        self._risk_w: np.ndarray | None = None
        self._risk_stale = True
        self._risk_key: tuple | None = None  # the global factors the weights were computed with
        self._risk_in: tuple = ()  # each workplace's size, status and owned flag they were computed with
        self._risk_cdf: np.ndarray | None = None
        self._pow_key: float | None = None
        self._pow = np.empty(0)
        st = model.streams
        self.keys = np.array([st.key(f"inspections.{p}") for p in ("und", "under", "other", "persons", "benefit")], dtype=np.uint64)
        self.week_expected = np.zeros(model.pop.n_cells)  # expected ordinary NLI inspections per cell this week
        self.week_joint = np.zeros(model.pop.n_cells)  # businesses controlled in joint actions per cell this week
        self.week_actor_joint = np.zeros(model.pop.n_cells)  # of which threat actors' companies

    def invalidate_weights(self) -> None:
        """Sector priorities, weights or sizes changed: rebuild the risk-based sampling weights."""
        self._risk_cdf = None
        self._risk_stale = True

    def risk_weights(self) -> np.ndarray:
        """Risk-based targeting weight of every workplace (0 for a suspended one).

        After an invalidation only the workplaces whose size, status or owner changed are
        recomputed (found by comparing with the values last used), unless a per-cell factor, the
        size exponent or the front companies' visibility changed: then all are. Each weight is
        the same product either way, so the numbers are those of a full rebuild.
        """
        if self._risk_stale:
            self._update_weights()
            self._risk_stale = False
        return self._risk_w

    def _update_weights(self) -> None:
        m = self.m
        pop, tb, nli = m.pop, m.tables, m.policy.nli
        fv = m.cfg.world.actors.firm_visibility  # front companies look ordinary
        sw = np.array([nli.sector_weights.get(s, 1.0) for s in tb.sectors])
        rw = np.array([nli.region_weights.get(r, 1.0) for r in tb.regions])
        # Per cell first, then spread (the same products, left to right, as per workplace).
        cell = (m.sector_priority[:, None] * sw[:, None] * rw[None, :]).ravel()
        power = self._size_power(nli.size_exponent)
        key = (cell.tobytes(), float(nli.size_exponent), float(fv))
        owned = pop.owner >= 0
        if self._risk_w is None or key != self._risk_key:
            w = cell[pop.cell] * power[pop.size] * np.where(owned, fv, 1.0)
            self._risk_w = np.where(pop.status == ACTIVE, w, 0.0)
            self._risk_key, self._risk_in = key, (pop.size.copy(), pop.status.copy(), owned)
            return
        size0, status0, owned0 = self._risk_in
        ch = np.flatnonzero((pop.size != size0) | (pop.status != status0) | (owned != owned0))
        if ch.size:
            w = cell[pop.cell[ch]] * power[pop.size[ch]] * np.where(owned[ch], fv, 1.0)
            self._risk_w[ch] = np.where(pop.status[ch] == ACTIVE, w, 0.0)
            size0[ch], status0[ch] = pop.size[ch], pop.status[ch]
            self._risk_in = (size0, status0, owned)

    def _size_power(self, exponent: float) -> np.ndarray:
        """``np.power(size, exponent)`` for every possible firm size, as a lookup table (cached)."""
        key = float(exponent)
        if self._pow_key != key:
            self._pow = np.power(np.arange(int(self.m.pop.cap.max()) + 1, dtype=np.int32), exponent)
            self._pow_key = key
        return self._pow

    def _cdf(self) -> np.ndarray:
        if self._risk_cdf is None:
            self._risk_cdf = np.cumsum(self.risk_weights())
        return self._risk_cdf

    def weekly(self) -> None:
        """Draw and carry out this week's ordinary NLI inspections."""
        m = self.m
        nli = m.policy.nli
        rng = m.streams.get("nli.count")
        lam = nli.n_inspectors * nli.inspections_per_inspector * m.scale * WEEK_YEARS
        weights = np.array([nli.w_random, nli.w_risk_based, nli.w_intelligence_led], dtype=float)
        weights = weights / weights.sum()
        if m.national_actors:  # every firm at its national rate: picks per block scaled by blocks / national firms
            f_rand, f_risk = self.national_factors()
            shares = weights * np.array([f_rand, f_risk, f_risk])
            n = rng.poisson(lam * shares.sum())
            n_rand, n_risk, n_intel = rng.multinomial(n, shares / shares.sum())
        else:
            n = rng.poisson(lam)
            n_rand, n_risk, n_intel = rng.multinomial(n, weights)
        pop = m.pop
        targets = [m.streams.get("nli.random").integers(0, pop.n, n_rand)]
        cdf = self._cdf()
        r = m.streams.get("nli.risk").random(n_risk)
        targets.append(np.minimum(np.searchsorted(cdf, r * cdf[-1], side="right"), pop.n - 1))
        # Intelligence-led: distinct flagged firms, most-flagged first in expectation (weighted
        # sampling without replacement via exponential keys); any shortfall goes risk-based.
        flagged = np.flatnonzero((pop.flag_nli > 0) & (pop.status == ACTIVE))
        r = m.streams.get("nli.intel").random(n_intel)
        k = min(n_intel, flagged.size)
        if k:
            uk = keyed_uniform(m.intel_key, (flagged.astype(np.uint64) << 16) + m.week)  # keyed by (workplace, week)
            keys = -np.log(np.maximum(uk, 1e-300)) / pop.flag_nli[flagged]
            targets.append(flagged[np.argpartition(keys, k - 1)[:k]])
        if n_intel > k:
            targets.append(np.minimum(np.searchsorted(cdf, r[k:] * cdf[-1], side="right"), pop.n - 1))
        self.week_expected += self.expected_per_cell(lam, weights)
        b = np.unique(np.concatenate(targets))
        self.inspect_many(b[pop.status[b] == ACTIVE])

    def expected_per_cell(self, lam: float | None = None, weights: np.ndarray | None = None) -> np.ndarray:
        """Expected ordinary inspections per sector x region cell in a week (the targeting's odds).

        What firms can see of the NLI's effort: the random and risk-based shares of the rate (the
        intelligence-led share counted as risk-based), not a week's few realised visits, so
        perceived detection does not depend on the population scale.
        """
        m = self.m
        pop, nli = m.pop, m.policy.nli
        if lam is None:
            lam = nli.n_inspectors * nli.inspections_per_inspector * m.scale * WEEK_YEARS
        if weights is None:
            weights = np.array([nli.w_random, nli.w_risk_based, nli.w_intelligence_led], dtype=float)
            weights = weights / weights.sum()
        w = self.risk_weights()
        tot = max(m.mass(w), 1e-12)
        firms = float(m.wblk.sum()) if m.national_actors else pop.n  # national firms, in units of 1/scale
        per_block = lam * (weights[0] / firms + (weights[1] + weights[2]) * w / tot)
        return pop.cell_float_sums(per_block)

    def national_factors(self) -> tuple[float, float]:
        """Workplaces per national firm in the random and the risk-based draws (actors at national count).

        A run's blocks stand for different numbers of national firms (``wblk``: ``scale`` in a risk
        sector built at 1:1, 1 elsewhere, in units of ``1/scale`` firms), so the NLI's scaled
        capacity, drawn among blocks as it is, would visit a risk-sector firm ``1/scale`` times too
        seldom. Drawing ``lam x factor`` picks in proportion to the weights keeps each firm at its
        national rate and the capacity's expected national firms at ``lam``.
        """
        m = self.m
        w = self.risk_weights()
        return float(m.pop.n) / float(m.wblk.sum()), float(w.sum()) / max(m.mass(w), 1e-12)

    def _register(self, b: np.ndarray, joint: bool) -> None:
        """Counts, memories and records common to every inspection or control of ``b``."""
        m = self.m
        pop = m.pop
        y = m.year_idx
        region, sector = pop.region[b], pop.sector[b]
        ones = np.ones(b.size)
        m.metrics.add_arrays(y, "inspections_joint" if joint else "inspections_nli", region, sector, ones)
        new = pop.ctrl_year[b] != y
        pop.ctrl_year[b] = y
        m.metrics.add_arrays(y, "firms_controlled", region[new], sector[new], ones[new])
        m.log.extend(m.env.now, "inspection_joint" if joint else "inspection_nli", region, sector, pop.firm_id[b], pop.owner[b], "centre" if joint else "nli")
        pop.t_last_insp[b] = int(m.env.now)
        pop.n_insp[b] += 1
        pop.p_hat[b] += m.cfg.world.firms.learn_own * (1.0 - pop.p_hat[b])
        pop.flag_nli[b] = 0.0
        if joint:
            np.add.at(self.week_joint, pop.cell[b], 1.0)
        aid = pop.owner[b]
        owned = aid >= 0
        if owned.any():
            ob, oa = b[owned], aid[owned]
            pop.heat[ob] += m.cfg.world.actors.heat_per_inspection
            # NTAES links an actor to an inspected business through the registers: only where the
            # actor holds a formal role (not a front man's company). Joint actions are the NLI's too.
            m.ta.nli_linked[oa[m.formal_role(pop.firm_id[ob])]] = True
            if joint:
                np.add.at(self.week_actor_joint, pop.cell[ob], 1.0)

    def _uniforms(self, b: np.ndarray) -> np.ndarray:
        """Keyed uniforms (5 purposes x firms) for the current inspection of each firm in ``b``."""
        pop = self.m.pop
        ident = (pop.firm_id[b] * 4096 + pop.n_insp[b] % 4096).astype(np.uint64)
        return keyed_uniform(self.keys[:, None], ident[None, :])

    def inspect(self, b: int, agencies: set[str] | None = None) -> None:
        """Inspect the firm in workplace ``b`` now (an ordinary NLI inspection)."""
        self.inspect_many(np.array([b], dtype=np.int64), agencies)

    def inspect_many(self, b: np.ndarray, agencies: set[str] | None = None) -> None:
        """Ordinary NLI inspections of the firms in workplaces ``b`` (distinct) now."""
        if b.size == 0:
            return
        m = self.m
        pop, det = m.pop, m.cfg.world.detection
        self._register(b, joint=False)
        u = self._uniforms(b)
        aid = pop.owner[b]
        cam = np.where(aid >= 0, m.ta.camouflage[np.maximum(aid, 0)], 0.0)
        sat = det.detect_saturation
        p_und = np.minimum(1.0, det.p_detect_undeclared * np.minimum(1.0, sat * pop.u[b])) * (1.0 - cam)
        p_under = np.minimum(1.0, det.p_detect_underpay * np.minimum(1.0, sat * pop.w[b])) * (1.0 - cam)
        found_und, found_under = u[0] < p_und, u[1] < p_under
        viol = found_und | found_under | (u[2] < det.p_other_violation)
        self._findings(b, viol, found_und, found_under, "nli", agencies or {"nli"}, prioritised=set())

    def _findings(self, b, viol, found_und, found_under, origin, agencies, prioritised) -> None:
        m = self.m
        pop = m.pop
        if not viol.any():
            return
        y = m.year_idx
        region, sector, fid, aid = pop.region[b], pop.sector[b], pop.firm_id[b], pop.owner[b]
        m.metrics.add_arrays(y, "violations_found", region[viol], sector[viol], np.ones(int(viol.sum())))
        who = "centre" if origin == "centre" else "nli"
        m.log.extend(m.env.now, "violation", region[viol], sector[viol], fid[viol], aid[viol], who, found_und[viol] + 2.0 * found_under[viol])
        m.sanctions.prefetch(b[viol], origin)
        try:
            self._sanction_each(b, viol, found_und, found_under, origin, agencies, prioritised, fid, aid, region, sector, y)
        finally:
            m.sanctions.clear_prefetch()

    def _sanction_each(self, b, viol, found_und, found_under, origin, agencies, prioritised, fid, aid, region, sector, y) -> None:
        m = self.m
        pop = m.pop
        for i in np.flatnonzero(viol):
            bi = int(b[i])
            if pop.firm_id[bi] != fid[i]:
                continue  # an earlier sanction in this batch replaced the firm
            if aid[i] >= 0 and (found_und[i] or found_under[i]):
                m.signals.about_firm("nli", bi, 1.0)  # the finding is shared with the centre
            reacted = m.sanctions.apply(
                bi,
                origin,
                found_und=bool(found_und[i]),
                found_under=bool(found_under[i]),
                agencies=agencies,
                prioritised=bool(int(aid[i]) in prioritised and pop.ftype[bi] == CRIMINAL),
            )
            if reacted and origin == "nli":
                m.metrics.add(y, "inspections_nli_reaction", int(region[i]), int(sector[i]))

    def joint_action(self, centre: Centre, b: np.ndarray, prioritised: set[int], agencies: set[str]) -> None:
        """A centre's joint action: control the businesses ``b`` and check their workers."""
        m = self.m
        pop, det = m.pop, m.cfg.world.detection
        b = np.unique(b[pop.status[b] == ACTIVE])
        y = m.year_idx
        m.metrics.add(y, "centre_actions", centre.region)
        if b.size == 0:
            return
        self._register(b, joint=True)
        region, sector = pop.region[b], pop.sector[b]
        m.metrics.add_arrays(y, "centre_firms_controlled", region, sector, np.ones(b.size))
        u = self._uniforms(b)
        # Persons checked: up to persons_per_firm of those at work; how many of them work undeclared
        # is hypergeometric (keyed inverse transform); each is found with p_identify_person.
        at_work = pop.size[b].astype(np.int64)
        n_chk = np.minimum(at_work, int(round(m.policy.centres.persons_per_firm)))
        m.metrics.add_arrays(y, "centre_persons_controlled", region, sector, n_chk.astype(float))
        n_und = np.minimum(pop.n_und[b].astype(np.int64), at_work)
        und_chk = hypergeom_ppf(u[3], at_work, n_und, n_chk).astype(np.int64)
        und_chk = np.clip(np.nan_to_num(und_chk), 0, n_chk)
        found_n = np.floor(und_chk * det.p_identify_person + u[0]).astype(np.int64)  # stochastic rounding (keyed)
        found_und = found_n > 0
        aid = pop.owner[b]
        cam = np.where(aid >= 0, m.ta.camouflage[np.maximum(aid, 0)] * det.joint_camouflage_factor, 0.0)
        sat = det.detect_saturation
        p_under = np.minimum(1.0, det.p_detect_underpay * det.joint_detect_mult * np.minimum(1.0, sat * pop.w[b])) * (1.0 - cam)
        found_under = u[1] < p_under
        viol = found_und | found_under | (u[2] < det.p_other_violation)
        # NAV at the action: checked persons found working while on benefits have them changed.
        ww = m.cfg.world.workers
        p_ben = ww.p_benefit_while_undeclared * m.policy.sanctions.centre.p_benefit_change
        n_ben = np.floor(found_n * p_ben + u[4]).astype(np.int64)
        if n_ben.sum() > 0:
            m.metrics.add_arrays(y, "centre_benefit_changes", region, sector, n_ben.astype(float))
            m.metrics.add_arrays(y, "benefit_changes", region, sector, n_ben.astype(float))
            m.metrics.add_arrays(y, "wrongful_benefits_nok", region, sector, n_ben * ww.benefit_nok_month * ww.benefit_months_found)
        self._findings(b, viol, found_und, found_under, "centre", agencies, prioritised)
