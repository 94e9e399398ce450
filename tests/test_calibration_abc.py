"""ABC-SMC machinery: a stopped calibration resumes from its SQLite history (calibration/abc.py).

These tests use a cheap stand-in simulator (a few arithmetic operations per run, sampled in this
process) so that they exercise pyabc, the history and the resume logic in seconds; the same path
with the real model and a Dask cluster is tested by the slow CLI test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration.abc import Budget, CalibrationError, FitSettings, fit, history_summary
from calibration.params import Prior
from calibration.posterior import posterior_sample, summarise, weighted_quantile
from calibration.targets import by_role, load_targets

TARGETS = load_targets()
FIT = by_role(TARGETS, "fit")
PRIORS = [Prior("world.justice.p_convict_base", "uniform", 0.03, 0.2),
          Prior("world.actors.n_initial", "uniform", 600, 2400, is_int=True)]


def toy(params):
    """Stand-in model: convictions and cases follow the two parameters, the rest sits near the data."""
    rng = np.random.default_rng()
    out = {t.id: t.centre() + 0.3 * t.tolerance * rng.normal() for t in FIT}
    out["convictions_ta"] = 140.0 * params["world.justice.p_convict_base"] / 0.1 + 3.0 * rng.normal()
    out["cases_against_ta"] = 941.0 * params["world.actors.n_initial"] / 1200.0
    return out


def settings(db, generations, **kw):
    return FitSettings(db=db, priors=PRIORS, targets=TARGETS, budget=Budget(8, generations, 0.01, 4),
                       address="none", simulator=toy, progress=lambda msg: None, **kw)


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    db = tmp_path_factory.mktemp("abc") / "abc.db"
    first = fit(settings(db, 2))
    pops_before = first.history.get_all_populations()
    particles_before = first.history.get_distribution(m=0, t=1)[0].copy()
    second = fit(settings(db, 3))  # "restart": a new process would do exactly this
    return first, pops_before, particles_before, second


def test_first_call_samples_its_generations(resumed):
    first, _, _, _ = resumed
    assert (first.generations, first.new_generations, first.resumed) == (2, 2, False)


def test_restart_continues_with_the_next_generation(resumed):
    first, pops_before, particles_before, second = resumed
    assert second.resumed and second.run_id == first.run_id
    assert (second.generations, second.new_generations) == (3, 1)
    pops = second.history.get_all_populations()
    assert list(pops["t"]) == [-1, 0, 1, 2]
    # the first two generations are untouched ...
    pd.testing.assert_frame_equal(pops.iloc[:3].reset_index(drop=True), pops_before.reset_index(drop=True))
    again = second.history.get_distribution(m=0, t=1)[0]
    pd.testing.assert_frame_equal(again, particles_before)
    # ... and the third one starts from the second: its threshold is the weighted median distance of
    # generation 2 (a calibration that restarted from scratch would draw from the prior instead)
    dist2 = second.history.get_weighted_distances(t=1)
    eps3 = float(pops.loc[pops["t"] == 2, "epsilon"].iloc[0])
    assert eps3 == pytest.approx(weighted_quantile(dist2["distance"], dist2["w"], 0.5), rel=0.05)
    assert eps3 <= float(pops.loc[pops["t"] == 1, "epsilon"].iloc[0])


def test_complete_history_is_not_resampled(resumed):
    first, _, _, second = resumed
    third = fit(settings(first.db, 3))
    assert (third.generations, third.new_generations) == (3, 0)
    assert third.history.total_nr_simulations == second.history.total_nr_simulations


def test_time_limit_stops_before_a_generation_and_resumes(tmp_path):
    db = tmp_path / "abc.db"
    stopped = fit(settings(db, 2, hours=1e-9))
    assert stopped.generations == 0 and "time limit" in stopped.stopped_because
    done = fit(settings(db, 1))
    assert done.resumed and done.generations == 1


def test_other_settings_are_refused(resumed):
    first, *_ = resumed
    other = settings(first.db, 4)
    other.priors = [Prior("world.justice.p_convict_base", "uniform", 0.05, 0.2), PRIORS[1]]
    with pytest.raises(CalibrationError, match="other settings"):
        fit(other)


def test_posterior_sample_format(resumed):
    _, _, _, second = resumed
    s = posterior_sample(second.history)
    assert list(s.columns) == sorted(p.key for p in PRIORS) + ["weight"]
    assert s["weight"].sum() == pytest.approx(1.0) and (s["weight"] > 0).all()
    for p in PRIORS:
        assert s[p.key].between(p.lo, p.hi).all()
    rows = summarise(s, PRIORS)
    assert all(r["q05"] <= r["median"] <= r["q95"] for r in rows)
    hist = history_summary(second.history)
    assert list(hist["generation"]) == [1, 2, 3] and (hist["particles"] == 8).all()


def test_weighted_quantile_known_case():
    assert weighted_quantile([1, 2, 3], [1, 1, 1], 0.5) == pytest.approx(2.0)
    assert weighted_quantile([1, 2, 3], [0, 0, 1], 0.5) == pytest.approx(3.0)
    assert weighted_quantile([3, 1, 2], [1, 1, 1], 0.5) == pytest.approx(2.0)


def test_defensive_transition_density_matches_its_draws_and_bounds_the_weights():
    """The proposal mixed with the prior: E_q[prior/q] = 1 (density and sampler agree), weights <= 1/alpha."""
    import numpy as np
    import pandas as pd
    from pyabc import RV, Distribution

    from calibration.abc import CalibrationError, defensive_transition

    prior = Distribution(a=RV("uniform", 0, 10), b=RV("uniform", -1, 2))  # density 1/20 on its box
    tr = defensive_transition(prior, 0.25)
    tr.fit(pd.DataFrame({"a": [1.0, 1.2, 9.5], "b": [0.0, 0.1, 0.9]}), np.array([0.1, 0.1, 0.8]))
    np.random.seed(1)
    draws = tr.rvs(6000)
    q = tr.pdf(draws)
    ratio = np.array([prior.pdf(dict(r)) for _, r in draws.iterrows()]) / q
    assert ratio.mean() == pytest.approx(1.0, abs=0.06)
    assert ratio.max() <= 1 / 0.25 + 1e-9
    with pytest.raises(CalibrationError, match="defensive=1.0"):
        defensive_transition(prior, 1.0)
