"""sim.centres: the a-krim centres' pipeline and joint controls, against the no-centres counterfactual."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run

from sim.rng import replicate_seeds

SEEDS = replicate_seeds(20140101, 4)
# Scale 0.05: the leader groups' attention is scaled with the population, so at smaller scales
# a few prioritised actors per run make the centres' effect on cases too noisy to test per seed.
RUN = ("scale=0.05", "start=2014", "end=2019")


@pytest.fixture(scope="module")
def paired():
    out = []
    for s in SEEDS:
        base = run(*RUN, f"seed={s}")
        none = run(*RUN, f"seed={s}", "policy=no_centres")
        out.append((base, none))
    return out


def test_no_centres_means_no_joint_controls(paired):
    for (_, base), (nm, none) in paired:
        assert base.annual["inspections_joint"].sum() > 0  # the baseline has joint controls
        assert (none.annual["inspections_joint"] == 0).all()
        assert not any(c.is_open for c in nm.centres)
        kinds = set(none.events["kind"].astype(str))
        assert not kinds & {"inspection_joint", "meeting_priority", "centre_opened", "analysis_done",
                            "regulation_in_force"}, kinds
        assert none.annual["actors_prioritised"].sum() == 0


def test_no_centres_fewer_cases_against_threat_actors(paired):
    base = np.array([b.annual["cases_against_ta"].sum() for (_, b), _ in paired])
    none = np.array([n.annual["cases_against_ta"].sum() for _, (_, n) in paired])
    assert (none < base).all(), (base, none)
    assert none.sum() < 0.8 * base.sum(), (base, none)


def test_centre_meetings_every_14_days(paired):
    (bm, base), _ = paired[0]
    ev = base.events
    # Centres open 2014 (oslo, bergen, stavanger): about 26 meetings a year each; meetings
    # are only logged when they prioritise someone, so check the meeting counter.
    oslo = bm.centres[0]
    years_open = 6.0
    assert oslo.n_meetings == pytest.approx(365.25 * years_open / 14.0, abs=2)
    alta = bm.centres[7]
    assert alta.n_meetings == 0  # opens 2022
    assert (ev["kind"] == "centre_opened").sum() == 7


def test_joint_controls_involve_prioritised_actors_firms(paired):
    (_, base), _ = paired[0]
    ev = base.events
    joint = ev[ev["kind"] == "inspection_joint"]
    assert len(joint) > 0
    assert (joint["actor"] >= 0).mean() > 0.9
    prioritised = set(ev.loc[ev["kind"] == "meeting_priority", "actor"])
    assert set(joint["actor"][joint["actor"] >= 0]) <= prioritised
