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
            w = self.m.sector_priority[pop.sector] * np.sqrt(pop.size)
            self._risk_cdf = np.cumsum(w)
        return self._risk_cdf

    def weekly(self) -> None:
        """Draw and carry out this week's ordinary NLI inspections."""
        m = self.m
        nli = m.policy.nli
        rng = m.streams.get("nli.count")
        lam = nli.n_inspectors * nli.inspections_per_inspector * m.scale / 52.0
        n = rng.poisson(lam)
        weights = np.array([nli.w_random, nli.w_risk_based, nli.w_intelligence_led], dtype=float)
        n_rand, n_risk, n_intel = rng.multinomial(n, weights / weights.sum())
        pop = m.pop
        targets = [m.streams.get("nli.random").integers(0, pop.n, n_rand)]
        cdf = self._risk_weights()
        r = m.streams.get("nli.risk").random(n_risk)
        targets.append(np.searchsorted(cdf, r * cdf[-1], side="right").clip(0, pop.n - 1))
        flagged = np.flatnonzero(pop.flag_nli > 0)
        r = m.streams.get("nli.intel").random(n_intel)
        if flagged.size:
            fc = np.cumsum(pop.flag_nli[flagged])
            targets.append(flagged[np.searchsorted(fc, r * fc[-1], side="right").clip(0, flagged.size - 1)])
        else:
            targets.append(np.searchsorted(cdf, r * cdf[-1], side="right").clip(0, pop.n - 1))
        for b in np.unique(np.concatenate(targets)):
            if pop.status[b] == ACTIVE:
                self.inspect(int(b), joint=False)

    def inspect(self, b: int, joint: bool, agencies: set[str] | None = None, prioritised: bool = False) -> None:
        """Inspect (or jointly control) the firm in workplace ``b`` now, and sanction findings."""
        m = self.m
        pop, det = m.pop, m.cfg.world.detection
        y, region, sector = m.year_idx, int(pop.region[b]), int(pop.sector[b])
        fid, aid = int(pop.firm_id[b]), int(pop.owner[b])
        m.metrics.add(y, "inspections_joint" if joint else "inspections_nli", region, sector)
        if pop.ctrl_year[b] != y:
            pop.ctrl_year[b] = y
            m.metrics.add(y, "firms_controlled", region, sector)
        m.log.add(m.env.now, "inspection_joint" if joint else "inspection_nli", region, sector, fid, aid,
                  agency="centre" if joint else "nli")
        pop.t_last_insp[b] = int(m.env.now)
        pop.n_insp[b] += 1
        pop.p_hat[b] += m.cfg.world.firms.learn_own * (1.0 - pop.p_hat[b])
        pop.flag_nli[b] = 0.0
        self.week_counts[pop.cell[b]] += 1.0
        cam = 0.0
        if aid >= 0:
            pop.heat[b] += 0.5
            m.ta.nli_linked[aid] = True
            self.week_actor_counts[pop.cell[b]] += 1.0
            cam = float(m.ta.camouflage[aid]) * (0.5 if joint else 1.0)
        mult = det.joint_detect_mult if joint else 1.0
        r = self.rng.random(3)
        p_und = min(1.0, det.p_detect_undeclared * mult * min(1.0, 3.0 * float(pop.u[b]))) * (1.0 - cam)
        p_under = min(1.0, det.p_detect_underpay * mult * min(1.0, 3.0 * float(pop.w[b]))) * (1.0 - cam)
        found_und, found_under = r[0] < p_und, r[1] < p_under
        other = r[2] < det.p_other_violation
        if not (found_und or found_under or other):
            return
        m.metrics.add(y, "violations_found", region, sector)
        m.log.add(m.env.now, "violation", region, sector, fid, aid, agency="centre" if joint else "nli",
                  value=float(found_und) + 2.0 * float(found_under))
        if aid >= 0 and (found_und or found_under):
            m.signals.about_firm("nli", b, 1.0)  # the finding is shared with the centre
        apply_sanctions(m, b, joint=joint, found_und=found_und, found_under=found_under,
                        agencies=agencies or {"nli"}, prioritised=prioritised and pop.ftype[b] == CRIMINAL)
