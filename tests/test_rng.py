"""sim.rng: named random streams, and common random numbers across scenarios (SPEC 8)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import make_cfg

from sim.config.policy import REGIONS
from sim.model import AkrimModel
from sim.rng import Streams, replicate_seeds, stable_hash

# --------------------------------------------------------------------------- unit tests


def test_stable_hash_is_a_fixed_value():
    # Computed once (BLAKE2b, 8 bytes, little endian). If this changes, every stream of every
    # run changes: old results can no longer be reproduced.
    assert stable_hash("firms.exit.bergen") == 16066260981686210851
    assert stable_hash("") == 13020603013274838756


def test_stable_hash_does_not_depend_on_python_hash_seed():
    code = "from sim.rng import stable_hash; print(stable_hash('police.cases'))"
    outs = set()
    for hs in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hs}
        outs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.strip())
    assert outs == {str(stable_hash("police.cases"))}


def test_stable_hash_is_64_bit_and_distinguishes_names():
    names = ["firms.exit.oslo", "firms.exit.bergen", "firms.entry.oslo", "police.cases", "sanctions"]
    hashes = [stable_hash(n) for n in names]
    assert len(set(hashes)) == len(names)
    assert all(0 <= h < 2**64 for h in hashes)


def test_same_name_same_seed_gives_identical_draws():
    a, b = Streams(42), Streams(42)
    np.testing.assert_array_equal(a.get("x.y").random(100), b.get("x.y").random(100))
    assert a.position("x.y") == b.position("x.y")


def test_different_names_give_different_draws():
    s = Streams(42)
    assert not np.array_equal(s.get("firms.exit.oslo").random(50), s.get("firms.exit.bergen").random(50))


def test_different_seeds_give_different_draws():
    assert not np.array_equal(Streams(1).get("a").random(50), Streams(2).get("a").random(50))


def test_a_stream_is_created_once_and_continues():
    s = Streams(7)
    g = s.get("a")
    first = g.random(3)
    assert s.get("a") is g and s["a"] is g
    # Continuing the same generator, not restarting it.
    assert not np.array_equal(s.get("a").random(3), first)
    assert s.names() == ["a"]


def test_draws_of_one_stream_do_not_depend_on_other_streams_use():
    a, b = Streams(3), Streams(3)
    a.get("other").random(1000)  # heavy use of another purpose in run a only
    np.testing.assert_array_equal(a.get("mine").random(20), b.get("mine").random(20))


def test_negative_seed_rejected():
    with pytest.raises(ValueError, match="seed"):
        Streams(-1)


def test_replicate_seeds_distinct_deterministic_and_prefix_stable():
    seeds = replicate_seeds(20140101, 20)
    assert len(seeds) == 20 and len(set(seeds)) == 20
    assert all(isinstance(s, int) and s >= 0 for s in seeds)
    assert replicate_seeds(20140101, 20) == seeds
    # SeedSequence.spawn: asking for more replicates does not change the first ones.
    assert replicate_seeds(20140101, 5) == seeds[:5]
    assert set(replicate_seeds(20140102, 20)).isdisjoint(seeds)


# --------------------------------------------------------------------------- common random numbers

BERGEN_STREAMS = ("firms.exit.bergen", "firms.entry.bergen", "firms.resize.bergen", "firms.review.bergen")
ALTA_EARLY = "policy.centres.by_region.alta.open=2014-01-01"  # a lever that touches one region only
# Regions legitimately interact through the national police capacity (a case from Alta's centre
# changes when a Bergen case is investigated) and through threat actors moving between regions;
# so workplaces ever owned by an actor, suspended, or reported to the police are left out.
CRN_RUN = ("world=default", "scale=0.02", "start=2014", "end=2015")


def _run_tracking(*overrides: str):
    """Run week by week; mark workplaces ever owned by an actor or suspended (state-dependent)."""
    m = AkrimModel(make_cfg(*CRN_RUN, *overrides, events=False))
    touched = (m.pop.owner >= 0) | (m.pop.status != 0)
    while m.env.now < m.end_day:
        m.step()
        touched |= (m.pop.owner >= 0) | (m.pop.status != 0)
    touched[list(m.police.reported_blocks)] = True
    res = m.finish()
    return m, res, touched


@pytest.fixture(scope="module")
def alta_pair():
    return _run_tracking(), _run_tracking(ALTA_EARLY)


def test_alta_lever_changes_the_run(alta_pair):
    """The lever must change something, or the CRN test below would pass trivially."""
    (ma, ra, _), (mb, rb, _) = alta_pair
    alta = REGIONS.index("alta")
    assert ma.centres[alta].n_meetings == 0 and mb.centres[alta].n_meetings > 0
    assert not ra.annual.equals(rb.annual), "opening the Alta centre in 2014 changed nothing at all"


def test_alta_lever_leaves_bergen_firm_streams_unchanged(alta_pair):
    (ma, _, _), (mb, _, _) = alta_pair
    for name in BERGEN_STREAMS:
        assert name in ma.streams.names() and name in mb.streams.names()
        assert ma.streams.position(name) == mb.streams.position(name), (
            f"stream {name} was consumed differently when only Alta's centre changed (CRN broken)")


def test_alta_lever_leaves_bergen_ordinary_entry_and_exit_pattern_unchanged(alta_pair):
    (ma, _, ta), (mb, _, tb) = alta_pair
    bergen = ma.region_blocks[REGIONS.index("bergen")]
    clean = bergen[~(ta[bergen] | tb[bergen])]  # never an actor's company, never suspended
    assert clean.size > 0.8 * bergen.size
    entered = clean[ma.pop.t_born[clean] > 0]
    assert entered.size >= 20, "too few ordinary entries in Bergen for the test to mean anything"
    for arr in ("t_born", "ftype", "honesty", "u_base"):
        np.testing.assert_array_equal(getattr(ma.pop, arr)[clean], getattr(mb.pop, arr)[clean],
                                      err_msg=f"Bergen ordinary firms' {arr} differ between scenarios")
    np.testing.assert_array_equal(ma.pop.size[clean], mb.pop.size[clean])


# Purposes whose number of draws must never depend on the model state (sim/firms.py). Workplaces
# released by threat actors go to entrants drawn from firms.takeover.<region>, whose use does
# depend on what happens to actors, so it is not among them.
STATE_FREE = ("firms.exit.", "firms.entry.", "firms.resize.", "firms.review.")


def test_one_region_lever_leaves_every_other_regions_firm_streams_unchanged():
    """Over several seeds and four years, a lever in Alta leaves the state-free firm streams of all
    other regions where they would have been. (Before the takeover stream existed this failed: actor
    releases drew from firms.entry.<region>, e.g. seed 1 -> firms.entry.oslo and .stavanger.)"""
    leaks = {}
    n_checked = 0
    for seed in (20140101, 1, 2):
        a = AkrimModel(make_cfg("scale=0.02", "start=2014", "end=2017", f"seed={seed}", events=False))
        ra = a.run()
        b = AkrimModel(make_cfg("scale=0.02", "start=2014", "end=2017", f"seed={seed}", ALTA_EARLY, events=False))
        rb = b.run()
        assert not ra.annual.equals(rb.annual)
        names = [n for n in a.streams.names() if n.startswith(STATE_FREE) and not n.endswith(".alta")]
        n_checked += len(names)
        bad = [n for n in names if a.streams.position(n) != b.streams.position(n)]
        if bad:
            leaks[seed] = bad
    assert n_checked == 3 * 4 * (len(REGIONS) - 1)
    assert not leaks, f"firm streams of regions other than Alta diverged: {leaks}"


def test_releasing_an_actors_company_does_not_consume_the_regions_entry_stream():
    """Direct form of the same property: a state-dependent event (an actor losing a company) must
    not take draws from the streams that decide ordinary market entry and exit in that region."""
    from sim.actors import release_company

    m = AkrimModel(make_cfg("scale=0.02", "start=2014", "end=2014", events=False))
    m.step()
    b = int(np.flatnonzero(m.pop.owner >= 0)[0])
    region = REGIONS[m.pop.region[b]]
    names = [p + region for p in STATE_FREE]
    before = {n: m.streams.position(n) for n in names}
    release_company(m, m.actor_list[m.pop.owner[b]], b)
    assert m.pop.owner[b] == -1  # the release happened
    for n in names:
        assert m.streams.position(n) == before[n], f"{n} was consumed by release_company"


def test_a_stream_restarts_every_week_so_extra_draws_shift_only_that_week():
    """One extra draw in week 3 shifts the rest of week 3's draws, and none of week 4's (issue 11).

    Without the weekly restart one more signal, or one company fewer, in one week re-shuffled
    every later draw of the purpose for the rest of the run.
    """
    a, b = Streams(7), Streams(7)
    a.week = b.week = 3
    wa = a.get("actors.open").random(5)
    b.get("actors.open").random()  # the extra draw
    wb = b.get("actors.open").random(5)
    assert not np.array_equal(wa, wb)
    a.week = b.week = 4
    assert np.array_equal(a.get("actors.open").random(8), b.get("actors.open").random(8))
    # A week's draws are a fixed function of (seed, name, week): going back gives them again.
    c = Streams(7)
    c.week = 4
    a.week = 5
    a.get("actors.open").random(3)
    a.week = 4
    assert np.array_equal(a.get("actors.open").random(8), c.get("actors.open").random(8))
    c.week = 5
    assert not np.array_equal(c.get("actors.open").random(8), Streams(7).get("actors.open").random(8))
