"""sim.police: a capacity-limited investigation queue (more investigators, shorter cases)."""

from __future__ import annotations

import pytest
from conftest import horizon_mean, run

from sim.rng import replicate_seeds

SEEDS = replicate_seeds(20140101, 3)
RUN = ("scale=0.02", "start=2014", "end=2017")
N_INVESTIGATORS = 80.0  # schema default


@pytest.fixture(scope="module")
def paired():
    out = []
    for s in SEEDS:
        many = run(*RUN, f"seed={s}", f"policy.police.n_investigators={N_INVESTIGATORS * 5}", events=False)[0]
        few = run(*RUN, f"seed={s}", f"policy.police.n_investigators={N_INVESTIGATORS / 3}")
        out.append((many, few))
    return out


def test_more_investigators_shorten_cases(paired):
    """x5 vs /3 investigators: mean case time over 2014-2017, paired seeds."""
    pooled = {"many": [0.0, 0.0], "few": [0.0, 0.0]}
    for many, (few, _) in paired:
        nm, dm = horizon_mean(many, "case_days_mean")
        nf, df = horizon_mean(few, "case_days_mean")
        assert dm >= 3 and df >= 3, "too few finished cases to compare"
        assert nm / dm < nf / df, f"cases not shorter with more investigators: {nm / dm:.0f} vs {nf / df:.0f} days"
        pooled["many"][0] += nm
        pooled["many"][1] += dm
        pooled["few"][0] += nf
        pooled["few"][1] += df
    many_days = pooled["many"][0] / pooled["many"][1]
    few_days = pooled["few"][0] / pooled["few"][1]
    assert many_days < 0.8 * few_days, f"{many_days:.0f} vs {few_days:.0f} days"
    # With ample capacity a case takes about its investigation time (world.justice.dur_case_mean).
    assert many_days == pytest.approx(240.0, rel=0.35)


def test_case_events_are_consistent(paired):
    _, (few, res) = paired[0]
    ev = res.events
    reports = (ev["kind"] == "police_report").sum()
    started = (ev["kind"] == "case_started").sum()
    ended = ev["kind"].isin(["conviction", "dropped_evidence", "case_other_outcome"]).sum()
    assert reports >= started >= ended > 0
    assert reports - started == len(few.police.queue)  # the rest are waiting for an investigator
    assert few.police.open_cases == reports - ended
