"""The calibration distance on known cases (calibration/distance.py)."""

from __future__ import annotations

import math

import pytest

from calibration.distance import TargetDistance
from calibration.targets import Target, by_role, load_targets


def _t(tid, value=None, lo=None, hi=None, tol=1.0):
    return Target(id=tid, label=tid, reported="", unit="u", period="", years=(2014, 2019), source="s",
                  kpi=("x",), stat="sum", role="fit", value=value, lo=lo, hi=hi, tolerance=tol)


TARGETS = [_t("a", value=100.0, tol=10.0), _t("b", lo=10.0, hi=20.0, tol=5.0), _t("c", value=0.5, tol=0.05)]


def test_residuals_known_case():
    d = TargetDistance(TARGETS)
    r = d.residuals({"a": 115.0, "b": 0.0, "c": 0.5})
    assert r == pytest.approx({"a": 1.5, "b": -2.0, "c": 0.0})
    assert d.residuals({"a": 100.0, "b": 14.0, "c": 0.6})["b"] == 0.0        # inside the range
    assert d.residuals({"a": 100.0, "b": 27.5, "c": 0.6})["b"] == pytest.approx(1.5)  # above it


def test_distance_known_case():
    d = TargetDistance(TARGETS)
    assert d({"a": 115.0, "b": 0.0, "c": 0.5}) == pytest.approx(math.sqrt((1.5**2 + 2.0**2 + 0.0) / 3))
    assert d({"a": 100.0, "b": 12.0, "c": 0.5}) == 0.0


def test_weights():
    d = TargetDistance(TARGETS, weights={"a": 2.0, "c": 0.0})
    # (2 * 1.5^2 + 1 * 2^2 + 0) / (2 + 1 + 0)
    assert d({"a": 115.0, "b": 0.0, "c": 9.0}) == pytest.approx(math.sqrt((2 * 2.25 + 4.0) / 3.0))
    with pytest.raises(ValueError, match="unknown target"):
        TargetDistance(TARGETS, weights={"zz": 1.0})


def test_missing_or_nan_statistic_rejects_the_run():
    d = TargetDistance(TARGETS)
    assert d({"a": 100.0, "b": 12.0}) == math.inf
    assert d({"a": float("nan"), "b": 12.0, "c": 0.5}) == math.inf


def test_pyabc_call_signature_ignores_observed():
    d = TargetDistance(TARGETS)
    stats = {"a": 110.0, "b": 15.0, "c": 0.5}
    assert d(stats, {"a": -1e9}) == d(stats) == pytest.approx(math.sqrt(1.0 / 3))
    assert d.observed() == {"a": 100.0, "b": 15.0, "c": 0.5}


def test_reported_values_have_distance_zero_and_one_tolerance_gives_one():
    fit = by_role(load_targets(), "fit")
    d = TargetDistance(fit)
    exact = {t.id: t.centre() for t in fit}
    assert d(exact) == 0.0
    off = {t.id: (t.hi + t.tolerance if t.is_range else t.value + t.tolerance) for t in fit}
    assert d(off) == pytest.approx(1.0)


def test_fresh_run_distance_is_the_fit_distance_of_each_predictive_run():
    """The report's noise floor: quantiles of the fit distance over fresh runs, share below epsilon."""
    import dataclasses

    import numpy as np
    import pandas as pd

    from calibration.report import fresh_run_distance, fresh_run_sentence

    val = dataclasses.replace(_t("v", value=1.0), role="validation")  # not part of the distance
    # a = 100 + 10 k, b inside its range, c exact: distance = |k| / sqrt(3)
    ks = np.arange(11, dtype=float)
    pred = pd.DataFrame({"a": 100.0 + 10.0 * ks, "b": 15.0, "c": 0.5, "v": 99.0})
    d = ks / math.sqrt(3)
    floor = fresh_run_distance([*TARGETS, val], pred, last_epsilon=d[4] + 1e-9)
    assert floor["runs"] == 11 and floor["missing"] == 0
    assert floor["median"] == pytest.approx(np.median(d), abs=1e-4)
    assert floor["q10"] == pytest.approx(np.quantile(d, 0.1), abs=1e-4)
    assert floor["q90"] == pytest.approx(np.quantile(d, 0.9), abs=1e-4)
    assert floor["share_below_last_epsilon"] == pytest.approx(5 / 11, abs=1e-4)  # k = 0..4
    assert "45% of them are closer" in fresh_run_sentence(floor)
    # a missing statistic is an infinite distance: counted, not in the quantiles
    pred.loc[0, "c"] = float("nan")
    assert fresh_run_distance(TARGETS, pred)["missing"] == 1
    # no predictive runs, or a fit statistic absent: no floor
    assert fresh_run_distance(TARGETS, pred.iloc[:0]) is None
    assert fresh_run_distance(TARGETS, pred.drop(columns="a")) is None
    assert fresh_run_sentence(None) == ""
