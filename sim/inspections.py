"""Inspections: ordinary NLI inspections and joint centre controls (SPEC 3 step 5, 4.5).

Ordinary NLI inspections arrive as a Poisson stream at the configured national rate
(``n_inspectors x inspections_per_inspector``, scaled), drawn once a week and split by the
targeting mix:

* **random** - any active workplace, uniformly;
* **risk-based** - by sector priority (NTAES re-weights it) and the square root of firm size;
* **intelligence-led** - proportional to the NLI's intelligence about the firm (tips, shared
  signals, register data); falls back to risk-based when the NLI knows of nothing.

An inspection sees undeclared work and underpayment with probabilities that grow with how much
of it there is and shrink with a threat actor's camouflage; joint controls see more
(``joint_detect_mult``). Findings go to the sanction mix (``sim.sanctions``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.population import ACTIVE, CRIMINAL
from sim.sanctions import apply_sanctions
from sim.units import WEEK_YEARS

if TYPE_CHECKING:
    from sim.model import AkrimModel


class Inspections:
    """Targeting and carrying out inspections for one model."""

    def __init__(self, model: AkrimModel) -> None:
        self.m = model
        self._risk_cdf: np.ndarray | None = None
        self.rng = model.streams.get("inspections.findings")
        self.week_counts = np.zeros(model.pop.n_cells)  # controls per cell this week
        self.week_actor_counts = np.zeros(model.pop.n_cells)  # controls of actor firms

    def invalidate_weights(self) -> None:
        """Sector priorities or sizes changed: rebuild the risk-based sampling weights."""
        self._risk_cdf = None

    def _risk_weights(self) -> np.ndarray:
        if self._risk_cdf is None:
            pop = self.m.pop
            vis = np.where(pop.owner >= 0, self.m.cfg.world.actors.firm_visibility, 1.0)  # front companies look ordinary
            w = self.m.sector_priority[pop.sector] * np.power(pop.size, self.m.policy.nli.size_exponent) * vis
            self._risk_cdf = np.cumsum(w)
        return self._risk_cdf

    def weekly(self) -> None:
        """Draw and carry out this week's ordinary NLI inspections."""
        m = self.m
        nli = m.policy.nli
        rng = m.streams.get("nli.count")
        lam = nli.n_inspectors * nli.inspections_per_inspector * m.scale * WEEK_YEARS
        n = rng.poisson(lam)
        weights = np.array([nli.w_random, nli.w_risk_based, nli.w_intelligence_led], dtype=float)
        n_rand, n_risk, n_intel = rng.multinomial(n, weights / weights.sum())
        pop = m.pop
        targets = [m.streams.get("nli.random").integers(0, pop.n, n_rand)]
        cdf = self._risk_weights()
        r = m.streams.get("nli.risk").random(n_risk)
        targets.append(np.searchsorted(cdf, r * cdf[-1], side="right").clip(0, pop.n - 1))
        # Intelligence-led: distinct flagged firms, most-flagged first in expectation (weighted
        # sampling without replacement via exponential keys); any shortfall goes risk-based.
        flagged = np.flatnonzero((pop.flag_nli > 0) & (pop.status == ACTIVE))
        r = m.streams.get("nli.intel").random(n_intel)
        k = min(n_intel, flagged.size)
        if k:
            keys = -np.log(m.streams.get("nli.intel_keys").random(flagged.size)) / pop.flag_nli[flagged]
            targets.append(flagged[np.argpartition(keys, k - 1)[:k]])
        if n_intel > k:
            targets.append(np.searchsorted(cdf, r[k:] * cdf[-1], side="right").clip(0, pop.n - 1))
        b = np.unique(np.concatenate(targets))
        self.inspect_many(b[pop.status[b] == ACTIVE], joint=False)

    def inspect(self, b: int, joint: bool, agencies: set[str] | None = None, prioritised: bool = False) -> None:
        """Inspect (or jointly control) the firm in workplace ``b`` now, and sanction findings."""
        self.inspect_many(np.array([b], dtype=np.int64), joint, agencies, prioritised)

    def inspect_many(self, b: np.ndarray, joint: bool, agencies: set[str] | None = None, prioritised: bool = False) -> None:
        """Inspect the firms in workplaces ``b`` (distinct) now; sanction what is found."""
        if b.size == 0:
            return
        m = self.m
        pop, det = m.pop, m.cfg.world.detection
        y = m.year_idx
        region, sector = pop.region[b], pop.sector[b]
        fid, aid = pop.firm_id[b], pop.owner[b]
        ones = np.ones(b.size)
        m.metrics.add_arrays(y, "inspections_joint" if joint else "inspections_nli", region, sector, ones)
        new = pop.ctrl_year[b] != y
        pop.ctrl_year[b] = y
        m.metrics.add_arrays(y, "firms_controlled", region[new], sector[new], ones[new])
        who = "centre" if joint else "nli"
        m.log.extend(m.env.now, "inspection_joint" if joint else "inspection_nli", region, sector, fid, aid, who)
        pop.t_last_insp[b] = int(m.env.now)
        pop.n_insp[b] += 1
        pop.p_hat[b] += m.cfg.world.firms.learn_own * (1.0 - pop.p_hat[b])
        pop.flag_nli[b] = 0.0
        np.add.at(self.week_counts, pop.cell[b], 1.0)
        owned = aid >= 0
        cam = np.zeros(b.size)
        if owned.any():
            ob, oa = b[owned], aid[owned]
            pop.heat[ob] += m.cfg.world.actors.heat_per_inspection
            # NTAES links an actor to an inspected business through the registers: only where the
            # actor holds a formal role (not a front man's company).
            m.ta.nli_linked[oa[m.formal_role(fid[owned])]] = True
            np.add.at(self.week_actor_counts, pop.cell[ob], 1.0)
            cam[owned] = m.ta.camouflage[oa] * (det.joint_camouflage_factor if joint else 1.0)
        mult = det.joint_detect_mult if joint else 1.0
        r = self.rng.random((3, b.size))
        sat = det.detect_saturation
        p_und = np.minimum(1.0, det.p_detect_undeclared * mult * np.minimum(1.0, sat * pop.u[b])) * (1.0 - cam)
        p_under = np.minimum(1.0, det.p_detect_underpay * mult * np.minimum(1.0, sat * pop.w[b])) * (1.0 - cam)
        found_und, found_under = r[0] < p_und, r[1] < p_under
        viol = found_und | found_under | (r[2] < det.p_other_violation)
        if not viol.any():
            return
        m.metrics.add_arrays(y, "violations_found", region[viol], sector[viol], ones[viol])
        m.log.extend(
            m.env.now, "violation", region[viol], sector[viol], fid[viol], aid[viol], who, found_und[viol] + 2.0 * found_under[viol]
        )
        crim = pop.ftype[b] == CRIMINAL
        for i in np.flatnonzero(viol):
            bi = int(b[i])
            if pop.firm_id[bi] != fid[i]:
                continue  # an earlier sanction in this batch replaced the firm
            if aid[i] >= 0 and (found_und[i] or found_under[i]):
                m.signals.about_firm("nli", bi, 1.0)  # the finding is shared with the centre
            apply_sanctions(
                m,
                bi,
                joint=joint,
                found_und=bool(found_und[i]),
                found_under=bool(found_under[i]),
                agencies=agencies or {"nli"},
                prioritised=prioritised and bool(crim[i]),
            )
