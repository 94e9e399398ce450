"""The distance between a run and the reported figures, as ABC-SMC and the screening use it.

For each fit target *i* with reported value ``v_i`` (or range ``[lo_i, hi_i]``) and tolerance
``tol_i`` the run's statistic ``s_i`` gives a normalised residual

    r_i = (s_i - v_i) / tol_i                      (value target)
    r_i = 0 inside the range, else (s_i - nearest bound) / tol_i     (range target)

so one tolerance away is a residual of 1 whatever the unit (NOK, counts, shares). The distance
is the weighted root mean square

    d = sqrt( sum_i w_i r_i^2 / sum_i w_i )

(weights 1 by default), i.e. "how many tolerances off, on average". A run that misses a target
statistic (NaN, e.g. a share with no active actors) gets an infinite distance and is rejected.
``d <= 1`` means the run is, on average, within the reported tolerances.

Why fixed tolerances rather than pyabc's adaptive scales: the tolerances say what the *report*
allows (see ``why_tolerance`` in targets.yaml), they do not drift between generations, and a
distance value means the same thing in every run and in the report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from calibration.targets import Target


class TargetDistance:
    """Normalised RMS distance over the fit targets (callable as pyabc expects: ``d(x, x0)``).

    Args:
        targets: The targets to use (normally the ``fit`` ones).
        weights: Optional weight per target id (default 1 for every target).
    """

    def __init__(self, targets: list[Target], weights: Mapping[str, float] | None = None) -> None:
        if not targets:
            raise ValueError("a distance needs at least one target")
        self.targets = list(targets)
        weights = dict(weights or {})
        unknown = sorted(set(weights) - {t.id for t in self.targets})
        if unknown:
            raise ValueError(f"weights for unknown target(s) {unknown}")
        self.weights = {t.id: float(weights.get(t.id, 1.0)) for t in self.targets}
        if any(w < 0 for w in self.weights.values()) or sum(self.weights.values()) <= 0:
            raise ValueError("weights must be non-negative and not all zero")

    def residuals(self, stats: Mapping[str, float]) -> dict[str, float]:
        """Normalised residual per target (``inf`` if the statistic is missing or not finite)."""
        out = {}
        for t in self.targets:
            s = stats.get(t.id)
            out[t.id] = t.residual(float(s)) if s is not None else math.inf
        return out

    def __call__(self, stats: Mapping[str, float], observed: Mapping[str, float] | None = None) -> float:
        """Distance of a run's statistics from the reported figures.

        ``observed`` is ignored: the reported values live in the targets (pyabc passes its copy).
        """
        res = self.residuals(stats)
        total = sum(self.weights.values())
        acc = 0.0
        for tid, r in res.items():
            w = self.weights[tid]
            if w == 0:
                continue
            if not math.isfinite(r):
                return math.inf
            acc += w * r * r
        return math.sqrt(acc / total)

    def observed(self) -> dict[str, float]:
        """The reported values as a statistics dict (range targets: the midpoint)."""
        return {t.id: t.centre() for t in self.targets}
