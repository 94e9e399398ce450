"""sim.inspections: ordinary NLI inspections at the configured rate, and their deterrent effect."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run

from sim.rng import replicate_seeds

SEEDS = replicate_seeds(20140101, 3)
RUN = ("scale=0.02", "start=2014", "end=2016")
N_INSPECTORS = 215.0  # schema default (seed 002); x3 below


@pytest.fixture(scope="module")
def paired():
    out = []
    for s in SEEDS:
        base = run(*RUN, f"seed={s}", events=False)[1].annual
        more = run(*RUN, f"seed={s}", f"policy.nli.n_inspectors={3 * N_INSPECTORS}", events=False)[1].annual
        out.append((base, more))
    return out


def test_default_inspectors_give_about_15000_inspections(paired):
    for base, _ in paired:
        assert base["inspections_nli"].mean() == pytest.approx(15_000, rel=0.15)


def test_tripling_inspectors_triples_inspections(paired):
    ratio = np.mean([m["inspections_nli"].sum() / b["inspections_nli"].sum() for b, m in paired])
    assert ratio == pytest.approx(3.0, rel=0.1)


def test_more_inspections_lower_undeclared_work(paired):
    """Paired seeds: x3 NLI inspectors from the start lowers undeclared work in every replicate."""
    diffs = []
    for base, more in paired:
        b = base["undeclared_work_share"].iloc[1:].mean()  # 2015-2016: firms have had time to learn
        m = more["undeclared_work_share"].iloc[1:].mean()
        diffs.append((b, m))
        assert m < b, f"undeclared share did not fall with x3 inspectors: {b:.4f} -> {m:.4f}"
    rel = np.mean([(b - m) / b for b, m in diffs])
    assert rel > 0.10, f"mean relative fall only {rel:.1%} ({diffs})"


@pytest.mark.slow
def test_national_scale_inspections_match_seed_002():
    """Scale 1.0, two years: ~15,000 NLI inspections a year (seed 002) within 10%."""
    res = run("scale=1.0", "start=2014", "end=2015", events=False)[1]
    for v in res.annual["inspections_nli"]:
        assert v == pytest.approx(15_000, rel=0.10)
