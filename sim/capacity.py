"""Capacity shared among waiting jobs: how the centres, the police and the analysis teams work.

A centre's analysts, its operations staff, a leader group's attention and the police
investigators all have a finite *throughput*: so many analyses, joint actions, priorities or
cases a year. ``SharedCapacity`` holds the jobs waiting for one such capacity and, at each
allocation (a week, or a leader-group meeting), serves each waiting job ``i`` with probability

    p_i = min(1, lambda * w_i),   lambda chosen so that sum(p_i) = min(capacity, n_waiting)

("water-filling"): the expected number served equals the capacity available, jobs with a larger
weight (a higher risk score, an older case) are served first in expectation, and no job is
served twice. The capacity available is a *budget*: each allocation adds its amount, what is
served is taken off, and what is not used carries over up to ``max(carry_jobs, 4 x amount)``
(about a month of work at a weekly allocation, and at least ``carry_jobs`` whole jobs), so a pool
that was idle can take the next jobs at once - at 1:20 as at 1:1 - and capacity is not lost in the
weeks a queue happens to be empty.

Why at least two whole jobs (``AkrimConfig.pool_carry_jobs``, default 2; model generation 6)? In
a run at scale ``s`` one waiting job stands for ``1/s`` national ones that arrive together. A
national pool with a month's carry-over absorbs the few jobs that arrive close together; a scaled
pool whose carry-over was one job served the first and made the next wait about ``1/amount``
allocations (a year and more for a small centre's analysts at 1:10) while its file went stale.
With two whole jobs the centres' analysts at 1:10 complete 4% more analyses and the leader
groups make 6% more priorities (16 paired seeds, 2014-19; ODD 2.10 gives the measurement and what
still differs from 1:1).

Why not a first-come-first-served desk (as before)? A desk with throughput ``r`` serves one job
every ``1/r`` days, and a population run at scale ``s`` has throughput ``r * s``: at 1:20 every
job waited twenty times longer at the desk than at national scale, so cases, controls and
priorities came later and fewer of them fell in a year (issue 11 measured 958 cases against threat
actors 2014-19 at scale 0.05 against ~1,190 at 1.0). Under sharing, a waiting job's chance of
being served, ``capacity / demand``, is a ratio of two quantities that both scale with ``s``, so
waiting times do not depend on the population scale.

Draws are keyed uniforms of ``(job id, allocation number)`` (``sim.rng.keyed_uniform``): no
stream is consumed, so a lever that changes one pool's demand never shifts another's luck.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.rng import keyed_uniform


def water_fill(weights: np.ndarray, amount: float) -> np.ndarray:
    """Service probabilities ``min(1, lam * w)`` summing to ``min(amount, n)`` (``n`` = jobs).

    Args:
        weights: Non-negative weights of the waiting jobs (a zero weight is never served unless
            every weight is zero, when all are equal).
        amount: Expected number of jobs to serve.
    """
    w = np.asarray(weights, dtype=float)
    return water_fill_costs(w, np.ones(w.size), amount)


def water_fill_costs(weights: np.ndarray, costs: np.ndarray, amount: float) -> np.ndarray:
    """``water_fill`` for jobs of unequal cost: ``p_i = min(1, lam * w_i)`` with ``sum(p_i * c_i) = min(amount, sum(c_i))``.

    With every cost 1 it is ``water_fill``. Used where one capacity serves jobs that stand for
    different numbers of national jobs (the police's cases with threat actors at national count).
    """
    w = np.asarray(weights, dtype=float)
    c = np.asarray(costs, dtype=float)
    n = w.size
    if n == 0 or amount <= 0:
        return np.zeros(n)
    if amount >= float(c.sum()):
        return np.ones(n)
    if not np.any(w > 0):
        w = np.ones(n)
    order = np.argsort(-w, kind="stable")
    ws, cs = w[order], c[order]
    tail = np.cumsum((ws * cs)[::-1])[::-1]  # weighted cost from position k on
    head = np.concatenate(([0.0], np.cumsum(cs)[:-1]))  # cost of the k largest
    p = np.empty(n)
    for k in range(n):
        lam = (amount - head[k]) / tail[k] if tail[k] > 0 else np.inf
        if lam * ws[k] <= 1.0:
            p[order[:k]] = 1.0
            p[order[k:]] = lam * ws[k:]
            return np.minimum(p, 1.0)
    return np.ones(n)


class SharedCapacity:
    """Jobs waiting for a capacity, and the capacity's allocations among them.

    Args:
        name: For messages (e.g. ``"oslo.analysis"``).
        key: Key of the pool's keyed uniforms (``Streams.key(name)``).
        rate_per_year: Jobs served per year (already scaled to the population).
        carry_jobs: Whole jobs of unused capacity the budget may hold at least.
    """

    def __init__(self, name: str, key: np.uint64, rate_per_year: float = 0.0, carry_jobs: float = 1.0) -> None:
        self.name = name
        self.key = key
        self.rate_per_year = float(rate_per_year)
        self.carry_jobs = float(carry_jobs)
        self.waiting: dict[int, tuple[float, Any]] = {}
        self.costs: dict[int, float] = {}  # jobs whose cost is not 1 (``add(..., cost=)``)
        self.n_served = 0
        self.n_allocations = 0
        self.budget = 0.0

    def set_rate(self, rate_per_year: float) -> None:
        """Change the throughput (a lever changed by the policy calendar)."""
        self.rate_per_year = float(rate_per_year)

    def __len__(self) -> int:
        return len(self.waiting)

    def __contains__(self, job: int) -> bool:
        return job in self.waiting

    def add(self, job: int, payload: Any = None, weight: float = 1.0, cost: float = 1.0) -> None:
        """Queue ``job`` (a non-negative integer id, unique in this pool) with a weight and a cost in jobs of capacity."""
        self.waiting[int(job)] = (float(weight), payload)
        if cost != 1.0:
            self.costs[int(job)] = float(cost)

    def discard(self, job: int) -> None:
        """Remove ``job`` if it is waiting."""
        self.waiting.pop(int(job), None)
        self.costs.pop(int(job), None)

    def reweight(self, job: int, weight: float) -> None:
        """Change a waiting job's weight."""
        if job in self.waiting:
            self.waiting[job] = (float(weight), self.waiting[job][1])

    def allocate(self, amount: float) -> list[tuple[int, Any]]:
        """Serve an expected ``amount`` of the waiting jobs now; return ``(job, payload)`` served.

        The served jobs leave the pool, in the order they were queued.
        """
        self.n_allocations += 1
        self.budget = min(self.budget + max(amount, 0.0), max(self.carry_jobs, 4.0 * amount))
        if not self.waiting or self.budget <= 0:
            return []
        jobs = np.fromiter(self.waiting.keys(), dtype=np.int64, count=len(self.waiting))
        w = np.fromiter((v[0] for v in self.waiting.values()), dtype=float, count=jobs.size)
        if self.costs:
            c = np.fromiter((self.costs.get(int(j), 1.0) for j in jobs), dtype=float, count=jobs.size)
            p = water_fill_costs(w, c, self.budget)
        else:
            p = water_fill(w, min(self.budget, float(jobs.size)))
        u = keyed_uniform(self.key, jobs * np.int64(1 << 16) + (self.n_allocations & 0xFFFF))
        served = jobs[u < p]
        out = [(int(j), self.waiting.pop(int(j))[1]) for j in served]
        self.n_served += len(out)
        if self.costs:
            self.budget -= sum(self.costs.pop(int(j), 1.0) for j in served)
        else:
            self.budget -= len(out)
        return out

    def weekly_amount(self, days: float = 7.0) -> float:
        """Expected jobs the capacity serves in ``days``."""
        return self.rate_per_year * days / 365.25
