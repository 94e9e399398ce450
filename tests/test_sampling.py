"""``sim.sampling.inverse_cdf`` against the full cumulative sum it replaces (bit for bit)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.sampling import inverse_cdf


def reference(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(weights)
    return np.searchsorted(cdf, u * cdf[-1], side="right")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("share", [0.0005, 0.01, 0.2, 0.5, 0.7, 1.0])
def test_same_indices_as_the_full_cumsum(dtype, share):
    rng = np.random.default_rng(7)
    for n in (1, 2, 17, 5_000, 200_000):
        w = (rng.random(n) * rng.lognormal(0, 2, n)).astype(dtype)
        w[rng.random(n) >= share] = 0
        if not w.any():
            w[rng.integers(n)] = dtype(0.3)
        u = rng.random(2_000)
        u[:4] = [0.0, np.nextafter(1.0, 0.0), 0.5, 1e-300]
        assert np.array_equal(inverse_cdf(w, u), reference(w, u))


def test_targets_on_the_sums_and_integer_weights():
    """Targets that fall exactly on a cumulative sum (ties), with zeros before, between and after."""
    w = np.array([0, 0, 1, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], dtype=np.float64)
    u = np.array([0.0, 0.25, 0.5, 0.75, 0.999999, 1.0])  # 1.0 reaches the total: index n
    assert np.array_equal(inverse_cdf(w, u), reference(w, u))
    assert inverse_cdf(w, np.array([1.0]))[0] == w.size


def test_negative_or_nan_weights_fall_back_to_the_full_sum():
    rng = np.random.default_rng(3)
    w = np.zeros(1_000)
    w[rng.integers(0, 1_000, 50)] = rng.random(50)
    w[10] = -0.01
    u = rng.random(500)
    assert np.array_equal(inverse_cdf(w, u), reference(w, u))
    w[10] = np.nan
    assert np.array_equal(inverse_cdf(w, u), reference(w, u))
