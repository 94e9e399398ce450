"""Tax audits and NAV controls: the agencies' own work against work-related crime (issue 11).

Outside the centres' joint actions, the Tax Administration audits businesses and NAV controls the
employers of benefit recipients. Each is a capacity (``policy.tax.n_audits_year``,
``policy.nav.n_controls_year``, scaled), drawn weekly as a Poisson number and targeted where the
agency's own registers point:

* **Tax** - in proportion to the firm's undeclared wage bill, hidden by an actor's camouflage
  (income that does not match the registers); an audit establishes undeclared work with
  ``policy.tax.p_detect`` (more of it, more likely); the finding brings a tax reassessment with
  surcharge (``sim.sanctions``, origin ``tax``), may bring a police report, and is a signal to the
  NLI and, for an actor's company, the centre;
* **NAV** - in proportion to the firm's undeclared workers who also draw benefits; a control
  establishes it with ``policy.nav.p_detect`` and claws back the wrongful benefits (origin
  ``nav``), also a signal to the NLI and the centre.

Draws: counts from streams ``tax.audits`` / ``nav.controls``, exactly that many uniforms from
``tax.targets`` / ``nav.targets`` (so the draws never depend on the model state), findings keyed
on the firm and the week (``tax.findings``, ``nav.findings``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.population import ACTIVE
from sim.rng import keyed_uniform
from sim.sampling import inverse_cdf
from sim.units import WEEK_YEARS

if TYPE_CHECKING:
    from sim.model import AkrimModel


def _sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Up to ``k`` distinct workplaces drawn in proportion to ``weights`` (inverse transform).

    Exactly ``k`` uniforms are drawn whatever the weights, and ``k`` comes from the agency's
    count stream: how many firms have a weight never shifts another draw.
    """
    u = rng.random(k)
    total = float(weights.sum())
    if k == 0 or total <= 0:
        return np.empty(0, dtype=np.int64)
    return np.unique(inverse_cdf(weights, u).clip(0, weights.size - 1))


def _factor(m, v: np.ndarray) -> float:
    """Workplaces per national firm among draws in proportion to ``v`` (1 unless actors are at national count)."""
    if not m.national_actors:
        return 1.0
    return float(v.sum()) / max(m.mass(v), 1e-12)


class Agencies:
    """The Tax Administration's audits and NAV's controls for one model."""

    def __init__(self, model: AkrimModel) -> None:
        self.m = model
        self.key_tax = model.streams.key("tax.findings")
        self.key_nav = model.streams.key("nav.findings")

    def _hidden(self) -> np.ndarray:
        m = self.m
        pop = m.pop
        cam = np.zeros(pop.n)
        owned = pop.owner >= 0
        cam[owned] = m.ta.camouflage[pop.owner[owned]]
        return np.where(pop.status == ACTIVE, 1.0 - cam, 0.0)

    def weekly(self) -> None:
        """This week's Tax audits and NAV controls."""
        m = self.m
        pop, sat = m.pop, m.cfg.world.detection.detect_saturation
        hide = self._hidden()
        # Tax: undeclared wage bill the registers do not show.
        v = pop.u * pop.wage_bill() * hide
        n = m.streams.get("tax.audits").poisson(m.policy.tax.n_audits_year * m.scale * WEEK_YEARS * _factor(m, v))
        b = _sample(m.streams.get("tax.targets"), v, n)
        if b.size:
            m.metrics.add_arrays(m.year_idx, "tax_audits", pop.region[b], pop.sector[b], np.ones(b.size))
            u = keyed_uniform(self.key_tax, (pop.firm_id[b] * 4096 + m.week % 4096).astype(np.uint64))
            found = u < m.policy.tax.p_detect * np.minimum(1.0, sat * pop.u[b]) * hide[b]
            self._act(b[found], "tax")
        # NAV: undeclared workers drawing benefits.
        ww = m.cfg.world.workers
        v = pop.n_und * ww.p_benefit_while_undeclared * hide
        n = m.streams.get("nav.controls").poisson(m.policy.nav.n_controls_year * m.scale * WEEK_YEARS * _factor(m, v))
        b = _sample(m.streams.get("nav.targets"), v, n)
        if b.size:
            m.metrics.add_arrays(m.year_idx, "nav_controls", pop.region[b], pop.sector[b], np.ones(b.size))
            u = keyed_uniform(self.key_nav, (pop.firm_id[b] * 4096 + m.week % 4096).astype(np.uint64))
            found = u < m.policy.nav.p_detect * np.minimum(1.0, pop.n_und[b] * ww.p_benefit_while_undeclared) * hide[b]
            self._act(b[found], "nav")

    def _act(self, b: np.ndarray, agency: str) -> None:
        m = self.m
        for bi in b:
            bi = int(bi)
            m.pop.n_insp[bi] += 1  # an audit is a control of the firm (keys its sanction draws)
            m.metrics.add(m.year_idx, f"{agency}_findings", int(m.pop.region[bi]), int(m.pop.sector[bi]))
            m.signals.about_firm(agency, bi, 1.0)
            m.sanctions.apply(bi, agency, found_und=True, found_under=False, agencies={agency})
