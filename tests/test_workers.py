"""sim.workers: awareness campaigns raise awareness and so tips (SPEC 4.3)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run

from sim.rng import replicate_seeds

SEEDS = replicate_seeds(20140101, 3)
RUN = ("scale=0.02", "start=2014", "end=2018")  # the campaign runs from 2015 (schema default)


@pytest.fixture(scope="module")
def paired():
    out = []
    for s in SEEDS:
        hi_m, hi = run(*RUN, f"seed={s}", "policy.campaigns.reach_year=1.0", events=False)
        lo_m, lo = run(*RUN, f"seed={s}", "policy.campaigns.reach_year=0", events=False)
        out.append((hi_m, hi.annual, lo_m, lo.annual))
    return out


def test_campaign_raises_migrant_awareness(paired):
    for hi_m, _, lo_m, _ in paired:
        wk_hi, wk_lo = hi_m.pop.workers, lo_m.pop.workers
        assert wk_hi.aware[wk_hi.migrant].mean() > wk_lo.aware[wk_lo.migrant].mean() + 0.05


def test_campaign_brings_more_tips(paired):
    """reach_year 1.0 vs 0 (paired seeds): more tips from 2015 on, pooled by at least 5%."""
    hi = np.array([h["tips"].iloc[1:].sum() for _, h, _, _ in paired])
    lo = np.array([lo["tips"].iloc[1:].sum() for _, _, _, lo in paired])
    assert (hi >= lo).sum() >= 2, (hi, lo)
    assert hi.sum() > 1.05 * lo.sum(), (hi, lo)
    # Before the campaign starts (2014) the two runs are the same.
    for _, h, _, lo_ in paired:
        assert h["tips"].iloc[0] == lo_["tips"].iloc[0]
