"""Paired seeds of two checkouts: the centres' 2014-19 sums at one scale (a diagnostic).

Usage: ``python docs/experiments/pair_trees.py <checkout A> <checkout B> <scale> <n_seeds>``

Runs the embedded defaults to 2019 (no event log) on seeds 1..n with each checkout's code (a fresh
process each, two at a time) and prints the 2014-19 sums (national units) with the paired
difference B - A and its standard error. Used to measure prototypes kept on side branches against
``main`` (results: scale_gap_2026-12-06.txt).
"""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

COLS = ["actors_prioritised", "central_threat_actors", "actions_on_actors", "actions_target_gone", "cases_against_ta",
        "centre_actions", "convictions_ta"]
CODE = r"""
import sys, json
from sim.config import load_config
from sim.model import AkrimModel
sc, seed, cols = float(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
res = AkrimModel(load_config([f"scale={sc}", "end=2019", f"seed={seed}", "output.progress=false", "output.events=false"])).run()
print(json.dumps([float(res.annual[c].sum()) for c in cols]))
"""


def one(job: tuple[str, float, int]) -> tuple[str, int, list[float]]:
    """One run to 2019 with checkout ``tree``'s code: the 2014-19 sums of COLS."""
    tree, sc, seed = job
    out = subprocess.run([sys.executable, "-c", CODE, str(sc), str(seed), json.dumps(COLS)], capture_output=True, text=True,
                         cwd=tree, env=dict(os.environ, PYTHONPATH=tree))
    if out.returncode != 0:
        raise RuntimeError(f"{tree} seed {seed}: {out.stderr[-500:]}")
    return tree, seed, json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    A, B, sc, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    jobs = [(t, sc, s) for s in range(1, n + 1) for t in (A, B)]
    res: dict[str, dict[int, np.ndarray]] = {A: {}, B: {}}
    with ThreadPoolExecutor(2) as ex:
        for t, s, v in ex.map(one, jobs):
            res[t][s] = np.array(v)
    a = np.array([res[A][s] for s in range(1, n + 1)])
    b = np.array([res[B][s] for s in range(1, n + 1)])
    d = b - a
    print(f"scale {sc}, seeds 1-{n}, 2014-19 sums (national units); A={A} B={B}")
    for i, c in enumerate(COLS):
        print(f"  {c:22s} A {a[:, i].mean():8.1f}  B {b[:, i].mean():8.1f}  B-A {d[:, i].mean():+7.1f} ± "
              f"{d[:, i].std(ddof=1) / np.sqrt(n):.1f}  ({100 * d[:, i].mean() / a[:, i].mean():+.1f}%)")
