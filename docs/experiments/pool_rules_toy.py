"""A shared pool alone at scales 1, 0.1 and 0.05 under rules for its unused capacity (issue 11, scale).

A small centre's analysts: 12 jobs a year at 1:1 (``12 x scale`` in a run at ``scale``), Poisson
arrivals at ``rho`` times that, and a waiting job goes stale (leaves unserved) after 8 weeks. Prints
the share of jobs served in steady state (rho 0.5, 1.0, 1.5) and, through a surge (rho 0.9 for five
years, then 3.0), the jobs served in the first 26 and 52 weeks, in years of the pool's national
capacity. Results and reading: ``pool_rules_2026-12-06.txt``, part 2.

    python docs/experiments/pool_rules_toy.py stale      # (a) bank rules, share served
    python docs/experiments/pool_rules_toy.py surge      # (b) bank, longer bank, credit; steady and surge
    python docs/experiments/pool_rules_toy.py shadow     # (c) shadow jobs

Rules: ``bank(K, D)`` carries unused capacity up to ``max(K, D/7 x amount)`` (generation 7:
K=2, D=28); ``hyst(K, D)`` caps the bank at D days of capacity and lends up to K whole jobs, the
credit reopening only once the debt is repaid and the bank is full; ``shadow(W)`` runs the pool at
national size, each real job bringing ``1/scale - 1`` shadow jobs that take capacity and go stale
like it, arriving over W weeks after it (W = "cap": the weeks the scaled pool takes for one job).
"""

from __future__ import annotations

import sys

import numpy as np

from sim.capacity import SharedCapacity, water_fill

STALE_WEEKS = 8
RATE = 12.0


class BankPool(SharedCapacity):
    """Generation 7's rule with K whole jobs and D days of carry-over."""

    def __init__(self, key: int, rate: float, k: float, d: float) -> None:
        super().__init__("toy", np.uint64(key), rate, carry_jobs=k)
        self.d = d

    def allocate(self, amount: float) -> list:
        """Add this week's capacity, capped at max(K, D/7 x amount), then serve."""
        self.budget = min(self.budget + amount, max(self.carry_jobs, self.d / 7.0 * amount))
        return super_allocate(self, amount, self.budget)


class CreditPool(SharedCapacity):
    """A bank of D days of capacity, and up to K whole jobs of credit reopened only when repaid and full."""

    def __init__(self, key: int, rate: float, k: float, d: float) -> None:
        super().__init__("toy", np.uint64(key), rate, carry_jobs=k)
        self.d, self.owed, self.open = d, 0.0, True

    def allocate(self, amount: float) -> list:
        """Repay, bank, lend if the credit is open, serve."""
        cap = self.d / 7.0 * amount
        pay = min(self.owed, amount)
        self.owed -= pay
        self.budget = min(self.budget + amount - pay, cap)
        credit = max(0.0, self.carry_jobs - cap)
        if not self.open and self.owed <= 1e-12 and self.budget >= cap - 1e-12:
            self.open = True
        out = super_allocate(self, amount, self.budget + (credit - self.owed if self.open else 0.0), charge=False)
        m = float(len(out))
        from_bank = min(m, max(self.budget, 0.0))
        self.budget -= from_bank
        self.owed += m - from_bank
        if self.owed > 0 and self.owed >= credit - 1e-9:
            self.open = False
        return out


def super_allocate(pool: SharedCapacity, amount: float, available: float, charge: bool = True) -> list:
    """Serve an expected ``min(available, waiting)`` jobs by water-filling with keyed draws."""
    from sim.rng import keyed_uniform

    pool.n_allocations += 1
    if not pool.waiting or available <= 0:
        return []
    jobs = np.fromiter(pool.waiting.keys(), dtype=np.int64, count=len(pool.waiting))
    w = np.fromiter((v[0] for v in pool.waiting.values()), dtype=float, count=jobs.size)
    p = water_fill(w, min(available, float(jobs.size)))
    u = keyed_uniform(pool.key, jobs * np.int64(1 << 16) + (pool.n_allocations & 0xFFFF))
    out = [(int(j), pool.waiting.pop(int(j))[1]) for j in jobs[u < p]]
    if charge:
        pool.budget -= len(out)
    return out


class ShadowPool:
    """The pool at national size: each real job brings 1/scale - 1 shadow jobs spread over W weeks."""

    def __init__(self, scale: float, seed: int, w_mode: str, k: float = 2.0) -> None:
        self.s, self.amount = scale, RATE * 7 / 365.25
        self.rng = np.random.default_rng(10_000 + seed)
        self.real: dict[int, int] = {}
        self.pending: list[float] = []
        self.active: list[float] = []
        self.budget, self.k, self.w_mode = 0.0, k, w_mode

    def add(self, job: int, week: int) -> None:
        """A real job arrives, and its shadows are scheduled."""
        self.real[job] = week
        r = 1.0 / self.s - 1.0
        n = int(r) + int(self.rng.random() < r - int(r))
        if n:
            width = 1.0 / (self.amount * self.s) if self.w_mode == "cap" else float(self.w_mode)
            self.pending.extend((week + np.floor(self.rng.random(n) * width)).tolist())

    def allocate(self, week: int) -> int:
        """Serve real and shadow jobs alike; return the real jobs served."""
        arr = np.array(self.pending)
        due = arr <= week
        self.active.extend(arr[due].tolist())
        self.pending = arr[~due].tolist()
        self.active = [t for t in self.active if week - t <= STALE_WEEKS]
        for j in [j for j, t in self.real.items() if week - t > STALE_WEEKS]:
            del self.real[j]
        self.budget = min(self.budget + self.amount, max(self.k, 4 * self.amount))
        n_r, n_s = len(self.real), len(self.active)
        if n_r + n_s == 0 or self.budget <= 0:
            return 0
        p = min(self.budget, n_r + n_s) / (n_r + n_s)
        hit_r = self.rng.random(n_r) < p
        hit_s = self.rng.random(n_s) < p
        for j, hit in zip(list(self.real), hit_r):
            if hit:
                del self.real[j]
        self.active = [t for t, hit in zip(self.active, hit_s) if not hit]
        self.budget -= hit_r.sum() + hit_s.sum()
        return int(hit_r.sum())


def run(make, scale: float, rhos: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Weekly real jobs served and arrived for a pool made by ``make(scale, seed)``."""
    rng = np.random.default_rng(seed)
    pool = make(scale, seed)
    served, arrived, n = np.zeros(rhos.size), np.zeros(rhos.size), 0
    for week, rho in enumerate(rhos):
        k = rng.poisson(rho * RATE * scale * 7 / 365.25)
        for _ in range(k):
            if isinstance(pool, ShadowPool):
                pool.add(n, week)
            else:
                pool.add(n)
                pool.born = getattr(pool, "born", {})
                pool.born[n] = week
            n += 1
        arrived[week] = k
        if isinstance(pool, ShadowPool):
            served[week] = pool.allocate(week)
        else:
            for j in [j for j in pool.waiting if week - pool.born[j] > STALE_WEEKS]:
                pool.discard(j)
            served[week] = len(pool.allocate(pool.weekly_amount()))
    return served, arrived


def steady(make, rho: float, scale: float, reps: int, weeks: int) -> float:
    """Share of the jobs served at a steady ``rho``."""
    s = a = 0.0
    for seed in range(reps):
        sv, ar = run(make, scale, np.full(weeks, rho), seed)
        s, a = s + sv.sum(), a + ar.sum()
    return s / a


def surge(make, scale: float, reps: int) -> tuple[float, float]:
    """Jobs served in the 26 and 52 weeks after rho steps from 0.9 to 3.0, in years of national capacity."""
    rhos = np.where(np.arange(312) < 260, 0.9, 3.0)
    t26 = t52 = 0.0
    for seed in range(reps):
        sv, _ = run(make, scale, rhos, seed)
        t26, t52 = t26 + sv[260:286].sum(), t52 + sv[260:312].sum()
    return t26 / reps / scale / RATE, t52 / reps / scale / RATE


def makers(kind: str) -> list[tuple[str, object]]:
    """The rules a part compares: (label, make(scale, seed))."""
    if kind == "stale":
        grid = [(2, 28), (1, 28), (0, 28), (0, 91), (0, 182), (0, 365)]
        return [(f"bank K={k} D={d}", lambda s, seed, k=k, d=d: BankPool(11 + seed, RATE * s, k, d)) for k, d in grid]
    if kind == "surge":
        return [("bank K=2 D=28", lambda s, seed: BankPool(11 + seed, RATE * s, 2, 28)),
                ("hyst K=2 D=28", lambda s, seed: CreditPool(11 + seed, RATE * s, 2, 28)),
                ("bank K=2 D=182", lambda s, seed: BankPool(11 + seed, RATE * s, 2, 182))]
    return [(f"shadow W={w}", lambda s, seed, w=w: ShadowPool(s, seed, w)) for w in ("cap", "8")]


def main(kind: str) -> None:
    """Print part ``kind`` of the results file."""
    for label, make in makers(kind):
        line = [label]
        for rho in (0.5, 1.0, 1.5):
            line.append(f"rho={rho}: " + " ".join(f"{steady(make, rho, sc, int(3 / sc), 520):.3f}" for sc in (1.0, 0.1, 0.05)))
        if kind != "stale":
            line.append("surge 26w/52w: " + "  ".join("{:.3f}/{:.3f}".format(*surge(make, sc, int(10 / sc))) for sc in (1.0, 0.1, 0.05)))
        print(" | ".join(line), flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "surge")
