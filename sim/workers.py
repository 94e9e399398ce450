"""Worker submodels, vectorised and sparse (SPEC 4.3): turnover, campaigns, awareness decay.

* **Turnover** - each week a binomial number of job slots get a new holder, with attributes
  drawn for the sector (migrant/posted status, vulnerability, awareness). New migrant hires are
  informed at the Tax Administration's ID check when that lever is on (seed 003, measure 15).
* **Campaigns** - 'Know your rights' (seed 003, measure 14) reaches a share of migrant workers
  a year; a reached worker's awareness rises by ``boost``.
* **Awareness decay** - awareness falls slowly without reinforcement.

Tips and remediation live with signals and sanctions; moves on bankruptcy are the workplace
passing to a successor (see ``sim.population``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.units import WEEK_YEARS

if TYPE_CHECKING:
    from sim.model import AkrimModel


def workers_weekly(m: AkrimModel) -> None:
    """Turnover, campaign reach and awareness decay for this week."""
    pop, ww = m.pop, m.cfg.world.workers
    wk = pop.workers
    rng = m.streams.get("workers.turnover")
    k = rng.binomial(wk.n, ww.rate_turnover_year * WEEK_YEARS)
    pop.turnover(rng.integers(0, wk.n, k), rng, informed=m.p_informed_at_hire)
    if m.campaign_active:
        c = m.policy.campaigns
        rng = m.streams.get("workers.campaign")
        k = rng.binomial(wk.n, c.reach_year * WEEK_YEARS)
        idx = rng.integers(0, wk.n, k)
        idx = idx[wk.migrant[idx]]
        wk.aware[idx] = np.minimum(1.0, wk.aware[idx] + c.boost)
    # Decay (sparse): a few workers each week lose a step of awareness.
    rng = m.streams.get("workers.decay")
    k = rng.binomial(wk.n, ww.awareness_decay_year * WEEK_YEARS)
    idx = rng.integers(0, wk.n, k)
    wk.aware[idx] *= 0.7
