"""Paired seeds: generation 6's carry-over of two whole jobs against generation 5's one (a diagnostic).

Usage (from the repository root): ``python docs/experiments/carry_pairs.py <scale> <n_seeds>``

Runs the embedded defaults to 2019 with ``pool_carry_jobs=1`` and ``=2`` on seeds 1..n and prints
the 2014-19 sums (national units) of priorities, central actors (sum of year ends), actions on
actors, cases against actors, centre actions and analyses started, with the paired difference and
its standard error. Results: scale_gap_2026-12-06.txt.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from concurrent.futures import ProcessPoolExecutor

COLS = ["actors_prioritised", "central_threat_actors", "actions_on_actors", "cases_against_ta", "centre_actions"]


def one(job):
    """One run to 2019: the 2014-19 sums (national units) for one carry-over and seed."""
    from conftest import run

    carry, seed, sc = job
    m, res = run(f"scale={sc}", "end=2019", f"seed={seed}", f"pool_carry_jobs={carry}", events=False)
    a = res.annual
    return carry, seed, [a[c].sum() for c in COLS] + [sum(c.analysis.n_served for c in m.centres) / sc]


if __name__ == "__main__":
    sc = float(sys.argv[1])
    n = int(sys.argv[2])
    jobs = [(h, s, sc) for s in range(1, n + 1) for h in (1, 2)]
    res = {1: {}, 2: {}}
    with ProcessPoolExecutor(2) as ex:
        for carry, seed, v in ex.map(one, jobs):
            res[carry][seed] = np.array(v)
    a = np.array([res[1][s] for s in sorted(res[1])])
    b = np.array([res[2][s] for s in sorted(res[2])])
    d = b - a
    for i, c in enumerate(COLS + ["analyses"]):
        print(
            f"{c:22s} carry1 {a[:, i].mean():8.1f} carry2 {b[:, i].mean():8.1f} diff {d[:, i].mean():+7.1f} ± {d[:, i].std(ddof=1) / np.sqrt(len(d)):.1f}"
        )
