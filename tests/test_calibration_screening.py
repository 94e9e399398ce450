"""Morris screening helpers on known functions (calibration/screening.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from calibration.params import Prior, load_priors
from calibration.screening import CANDIDATES_FILE, analyse, design, noise_floor, select, to_params

CANDS = [Prior("world.firms.beta", "uniform", 1.0, 10.0), Prior("world.firms.z0", "uniform", -2.5, 0.5),
         Prior("world.actors.n_initial", "uniform", 600, 2400, is_int=True)]


def test_design_maps_to_parameter_ranges():
    unit = design(CANDS, r=3, levels=4, seed=1)
    assert unit.shape == (3 * (len(CANDS) + 1), len(CANDS))
    for row in unit:
        p = to_params(CANDS, row)
        assert 1.0 <= p["world.firms.beta"] <= 10.0 and -2.5 <= p["world.firms.z0"] <= 0.5
        assert p["world.actors.n_initial"] == round(p["world.actors.n_initial"])


def test_morris_indices_of_a_linear_function():
    unit = design(CANDS, r=6, levels=4, seed=2)
    y = 3.0 * unit[:, 0] - 1.0 * unit[:, 1]  # the third parameter has no effect
    t = analyse(CANDS, unit, {"y": y}, levels=4).set_index("param")
    assert t.loc["world.firms.beta", "mu_star"] == pytest.approx(3.0)
    assert t.loc["world.firms.z0", "mu"] == pytest.approx(-1.0)
    assert t.loc["world.actors.n_initial", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert t.loc["world.firms.beta", "sigma"] == pytest.approx(0.0, abs=1e-9)


def test_noise_floor_matches_simulated_pure_noise():
    rng = np.random.default_rng(3)
    delta = 4 / (2 * 3)
    ee = np.abs(rng.normal(0, 0.5, 200_000) - rng.normal(0, 0.5, 200_000)) / delta
    assert noise_floor(0.5, 4) == pytest.approx(ee.mean(), rel=0.01)
    assert noise_floor(0.5, 4) == pytest.approx(2 * 0.5 / math.sqrt(math.pi) / delta)


def test_selection_rule():
    rows = [
        ("distance", "a", 2.0), ("distance", "b", 0.3), ("distance", "c", 0.2), ("distance", "d", 0.1),
        ("t1", "a", 1.0), ("t1", "b", 0.2), ("t1", "c", 5.0), ("t1", "d", 0.9),
    ]
    table = pd.DataFrame([{"output": o, "param": p, "mu_star": m} for o, p, m in rows])
    sel, why = select(table, floors={"distance": 0.5, "t1": 1.0})
    assert sel == ["a", "c"]                     # a: distance; c: strongest driver of t1
    assert "distance" in why["a"] and "top 3 for t1" in why["c"]
    sel, _ = select(table, floors={"distance": 0.1, "t1": 1.0})
    assert sel == ["a", "b", "c"]                # a lower noise floor (threshold 0.2) lets b through, not d


def test_candidates_file_is_valid_and_priors_are_a_subset():
    cands = {c.key: c for c in load_priors(CANDIDATES_FILE, section="candidates")}
    for p in load_priors():
        assert p.key in cands, f"{p.key} is fitted but was never screened"
        assert cands[p.key].lo <= p.lo < p.hi <= cands[p.key].hi
