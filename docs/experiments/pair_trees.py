"""Paired seeds of two checkouts: the centres' 2014-19 sums at one scale (a diagnostic).

Usage: ``python docs/experiments/pair_trees.py <checkout A> <checkout B> <scale> <n_seeds>``

Runs the embedded defaults to 2019 (no event log) on seeds 1..n with each checkout's code (a fresh
process each, two at a time) and prints the 2014-19 sums (national units) with the paired
difference B - A and its standard error. Used to measure prototypes kept on side branches against
``main`` (results: scale_gap_2026-12-06.txt).
"""

import sys, json, subprocess, os
import numpy as np
from concurrent.futures import ThreadPoolExecutor
COLS = ["actors_prioritised", "central_threat_actors", "actions_on_actors", "actions_target_gone", "cases_against_ta", "centre_actions", "convictions_ta"]
CODE = r'''
import sys, json
from sim.config import load_config
from sim.model import AkrimModel
sc, seed = float(sys.argv[1]), int(sys.argv[2])
res = AkrimModel(load_config([f"scale={sc}", "end=2019", f"seed={seed}", "output.progress=false", "output.events=false"])).run()
a = res.annual
print(json.dumps([float(a[c].sum()) for c in %r]))
''' % COLS
def one(job):
    tree, sc, seed = job
    out = subprocess.run([sys.executable, "-c", CODE, str(sc), str(seed)], capture_output=True, text=True, cwd=tree, env=dict(os.environ, PYTHONPATH=tree))
    return tree, seed, json.loads(out.stdout.strip().splitlines()[-1])
A, B, sc, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
jobs = [(t, sc, s) for s in range(1, n + 1) for t in (A, B)]
res = {A: {}, B: {}}
with ThreadPoolExecutor(2) as ex:
    for t, s, v in ex.map(one, jobs):
        res[t][s] = np.array(v)
a = np.array([res[A][s] for s in range(1, n + 1)]); b = np.array([res[B][s] for s in range(1, n + 1)])
d = b - a
print(f"scale {sc}, seeds 1-{n}, 2014-19 sums (national units); A={A} B={B}")
for i, c in enumerate(COLS):
    print(f"  {c:22s} A {a[:, i].mean():8.1f}  B {b[:, i].mean():8.1f}  B-A {d[:, i].mean():+7.1f} ± {d[:, i].std(ddof=1) / np.sqrt(n):.1f}  ({100 * d[:, i].mean() / a[:, i].mean():+.1f}%)")
