"""Drawing workplaces in proportion to weights by inverse transform, cheaply when few weigh anything.

The model draws rare events "how many, then which" (``signals``, ``agencies``): ``k`` uniforms
``u`` are placed on the cumulative sum of the weights,
``np.searchsorted(np.cumsum(w), u * cdf[-1], side="right")``. A cumulative sum is sequential,
about 3.3 ns per element on this project's machine against about 0.6 ns to find the non-zero elements,
and several weight vectors (undeclared workers, tip weights, posted workers) are zero for most
workplaces. ``inverse_cdf`` gives the same indices, bit for bit, from the non-zero weights only.

Why the numbers are the same: ``np.cumsum`` adds left to right, and adding ``0.0`` to a finite
sum leaves it unchanged, so the running sum at each non-zero weight (and the total) is the same
floating-point number whether the zeros are there or not. Where the weights are non-negative,
the cumulative sum only rises at non-zero weights, so the first position whose sum exceeds a
target is always a non-zero weight's. With a negative or NaN weight, or when most weights are
non-zero, the full cumulative sum is used, as before.
"""

from __future__ import annotations

import numpy as np

#: Use the non-zero weights only when at most this share of them is non-zero. Measured on 200k
#: float64 weights (2026-12-06): the sparse path costs about 0.6 ns + 4.2 ns x share per element
#: against 3.3 ns for the full cumulative sum (0.14 ns to find that it is dense), so it wins below
#: a share of about 0.6.
SPARSE_SHARE = 0.5


def inverse_cdf(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``np.searchsorted(cdf, u * cdf[-1], side="right")`` with ``cdf = np.cumsum(weights)``, bit for bit.

    Args:
        weights: One-dimensional weights, at least one of them non-zero.
        u: Uniforms in [0, 1).

    Returns:
        Indices into ``weights`` (int64); ``weights.size`` where the target reaches the total, as
        ``searchsorted`` gives it (callers clip).
    """
    mask = weights != 0  # NaN counts as non-zero
    n_nz = np.count_nonzero(mask)
    if 0 < n_nz <= SPARSE_SHARE * weights.size:
        nz = np.flatnonzero(mask)  # from a boolean mask: ~10x faster than from the floats themselves
        w = weights[nz]
        if w.min() > 0:  # False with a NaN too
            cdf = np.cumsum(w)
            pos = np.searchsorted(cdf, u * cdf[-1], side="right")
            return np.append(nz, weights.size)[pos]
    cdf = np.cumsum(weights)
    return np.searchsorted(cdf, u * cdf[-1], side="right")
