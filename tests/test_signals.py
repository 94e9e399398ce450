"""sim.signals: information sharing; latency must visibly change outcomes (SPEC 4.4)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import horizon_mean, make_cfg, run_model

from sim.config.policy import AGENCY_LINKS, PolicyConfig
from sim.rng import replicate_seeds

SEEDS = replicate_seeds(20140101, 4)
RUN = ("scale=0.03", "start=2014", "end=2019")
REGIMES = ("before", "after", "no_centre")


def latency_overrides(factor: float) -> list[str]:
    """Hydra overrides multiplying the latency of every link in every regime by ``factor``."""
    sh = PolicyConfig().sharing
    return [f"policy.sharing.{regime}.{link}.latency_days={ln.latency_days * factor!r}"
            for regime in REGIMES for link, ln in getattr(sh, regime).items()]


def _cfg_with_latency(seed: int, factor: float):
    return make_cfg(*RUN, f"seed={seed}", *latency_overrides(factor), events=False)


def test_latency_overrides_reach_every_link():
    cfg = make_cfg("end=2014", *latency_overrides(4.0))
    ref = PolicyConfig().sharing
    n = 0
    for regime in REGIMES:
        links = getattr(cfg.policy.sharing, regime)
        assert set(links) <= set(AGENCY_LINKS) and set(links) == set(getattr(ref, regime))
        for link, ln in links.items():
            assert ln.latency_days == 4.0 * getattr(ref, regime)[link].latency_days
            n += 1
    assert n >= 10


@pytest.fixture(scope="module")
def paired():
    out = []
    for s in SEEDS:
        fast = run_model(_cfg_with_latency(s, 0.25))[0]
        slow = run_model(_cfg_with_latency(s, 4.0))[0]
        out.append((fast, slow))
    return out


def test_slower_sharing_lets_actors_run_more_phoenix_cycles_before_targeting(paired):
    """Latency x4 vs x0.25 on every link and regime: more planned bankruptcies per actor before a
    leader group first prioritises it (KPI phoenix_before_target_mean over 2014-2019, pooled over
    four paired seeds; few actors are prioritised per run, so the pooled mean carries the test)."""
    tot = {"fast": np.zeros(2), "slow": np.zeros(2)}
    per_seed = []
    for fast, slow in paired:
        f = np.array(horizon_mean(fast, "phoenix_before_target_mean"))
        s = np.array(horizon_mean(slow, "phoenix_before_target_mean"))
        assert f[1] >= 3 and s[1] >= 3, "too few prioritised actors to compare"
        tot["fast"] += f
        tot["slow"] += s
        per_seed.append((f[0] / f[1], s[0] / s[1]))
    fast_mean = tot["fast"][0] / tot["fast"][1]
    slow_mean = tot["slow"][0] / tot["slow"][1]
    assert tot["fast"][1] >= 20 and tot["slow"][1] >= 15, tot
    assert slow_mean > 1.15 * fast_mean, f"fast {fast_mean:.2f} vs slow {slow_mean:.2f} ({per_seed})"
    assert sum(s > f for f, s in per_seed) >= len(per_seed) / 2, per_seed


def test_slower_sharing_delays_signals(paired):
    """Signals reach the centres later: the first actor is prioritised no earlier, and on average
    more than a month later, with slow sharing."""
    firsts = []
    for fast, slow in paired:
        tf = min((a.t_first_prioritised for a in fast.actor_list if a.t_first_prioritised is not None), default=np.inf)
        ts = min((a.t_first_prioritised for a in slow.actor_list if a.t_first_prioritised is not None), default=np.inf)
        firsts.append((tf, ts))
    assert all(ts >= tf for tf, ts in firsts), firsts
    assert np.mean([ts - tf for tf, ts in firsts]) > 30.0, firsts


def test_link_regime_follows_centre_and_regulation():
    from sim.model import AkrimModel

    m = AkrimModel(make_cfg("scale=0.01", "start=2014", "end=2023"))
    alta, oslo = 7, 0
    m.step()
    sh = m.policy.sharing
    assert m.signals.link(oslo, "tax_to_nli") is sh.before["tax_to_nli"]
    assert m.signals.link(alta, "tax_to_nli") is sh.no_centre["tax_to_nli"]  # Alta's centre opens autumn 2022
    while m.today.year < 2023:
        m.step()
    assert m.regulation_in_force
    assert m.signals.link(oslo, "tax_to_nli") is sh.after["tax_to_nli"]
    assert m.signals.link(alta, "tax_to_nli") is sh.after["tax_to_nli"]


def test_latency_multiplier_lever_equals_scaling_every_link():
    """policy.sharing.latency_multiplier is the one-number form of the latency lever."""
    from pandas.testing import assert_frame_equal

    s = SEEDS[0]
    lever = run_model(make_cfg("scale=0.02", "start=2014", "end=2016", f"seed={s}", "policy.sharing.latency_multiplier=4.0",
                               events=False))[1]
    links = run_model(make_cfg("scale=0.02", "start=2014", "end=2016", f"seed={s}", *latency_overrides(4.0), events=False))[1]
    plain = run_model(make_cfg("scale=0.02", "start=2014", "end=2016", f"seed={s}", events=False))[1]
    assert_frame_equal(lever.annual, links.annual, check_exact=True)
    assert not lever.annual.equals(plain.annual)
