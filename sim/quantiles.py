"""Quantiles of the hypergeometric and binomial distributions without importing ``scipy.stats``.

``import scipy.stats`` costs about a second of start-up (it builds the docstrings of every
distribution), and the model needs only two quantile functions from it. These are the same
computations as ``scipy.stats.hypergeom.ppf`` and ``scipy.stats.binom.ppf`` (SciPy 1.15-1.16):
the same Boost kernels of ``scipy.special._ufuncs`` and, for the hypergeometric, SciPy's own
bisection (``_drv2_ppfsingle``) step for step, so they return the same numbers bit for bit
(``tests/test_speed_equivalence.py`` compares them with SciPy).
"""

from __future__ import annotations

import numpy as np
from scipy.special import _ufuncs as _scu

__all__ = ["hypergeom_ppf", "binom_ppf"]


def _isintegral(x):
    return x == np.round(x)


def _hypergeom_ppf_one(q: float, M: int, n: int, N: int) -> float:
    """SciPy's ``_drv2_ppfsingle`` for the hypergeometric distribution (finite support)."""
    a, b = np.maximum(N - (M - n), 0), np.minimum(n, N)
    qb = 1.0
    qa = _scu._hypergeom_cdf(a, n, N, M)
    for _ in range(2046):
        if qa == q:
            return a
        if qb == q:
            return b
        if b <= a + 1:
            return a if qa > q else b
        c = int((a + b) / 2.0)
        qc = _scu._hypergeom_cdf(c, n, N, M)
        if qc < q:
            if a == c:
                raise RuntimeError("updating stopped, endless loop")
            a, qa = c, qc
        elif qc > q:
            if b == c:
                raise RuntimeError("updating stopped, endless loop")
            b, qb = c, qc
        else:
            return c
    return np.nan  # as SciPy: no return after the last bisection


def hypergeom_ppf(q, M, n, N) -> np.ndarray:
    """``scipy.stats.hypergeom.ppf(q, M, n, N)``: population ``M``, ``n`` successes, ``N`` draws."""
    q, M, n, N = (np.asarray(x) for x in (q, M, n, N))
    q, M, n, N = np.broadcast_arrays(q, M, n, N)
    lo, hi = np.maximum(N - (M - n), 0), np.minimum(n, N)
    cond0 = (M > 0) & (n >= 0) & (N >= 0) & (n <= M) & (N <= M) & _isintegral(M) & _isintegral(n) & _isintegral(N)
    cond = cond0 & (q > 0) & (q < 1)
    out = np.full(q.shape, np.nan, dtype="d")
    c2, c3 = (q == 0) & cond0, (q == 1) & cond0
    out[c2] = (lo - 1)[c2]
    out[c3] = hi[c3]
    idx = np.flatnonzero(cond.ravel())
    if idx.size:
        qf, Mf, nf, Nf = (x.ravel()[idx].tolist() for x in (q, M, n, N))  # Python numbers, as np.vectorize passes them
        flat = out.reshape(-1)
        flat[idx] = [_hypergeom_ppf_one(*args) for args in zip(qf, Mf, nf, Nf)]
    return out[()] if out.ndim == 0 else out


def binom_ppf(q, n, p):
    """``scipy.stats.binom.ppf(q, n, p)``."""
    q, n, p = (np.asarray(x) for x in (q, n, p))
    q, n, p = np.broadcast_arrays(q, n, p)
    cond0 = (n >= 0) & _isintegral(n) & (p >= 0) & (p <= 1)
    cond = cond0 & (q > 0) & (q < 1)
    out = np.full(q.shape, np.nan, dtype="d")
    c2, c3 = (q == 0) & cond0, (q == 1) & cond0
    out[c2] = -1.0
    out[c3] = n[c3]
    if cond.any():
        out[cond] = _scu._binom_ppf(q[cond], n[cond], p[cond])
    return out[()] if out.ndim == 0 else out
