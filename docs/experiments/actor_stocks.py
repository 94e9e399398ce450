"""Threat-actor stocks, capacity and portfolios by year, per arm (generation 4 diagnostics; not a test).

    python docs/experiments/actor_stocks.py <scale> <seed,seed,...> 'name=override;override' ...

Each arm runs the seeds to 2030 (two processes, NP=...), stepping week by week and reading the
actor table at every year end: latent (active) and central actors (scaled to national), median
capacity (MNOK), companies per actor, mean intent and the share of insolvent actors, with
undeclared work, harm in actors' companies and cases against actors from the annual table. It
prints the means over seeds for even years and the change of both stocks from 2019-21 to 2028-30.
Results and commands: actor_stocks_2026-12-06.txt.
"""
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, os.environ.get("AKRIM", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

def one(args):
    """One run: (arm, seed, {year: stats at that year's end})."""
    from sim.actors import ACTIVE
    from sim.config import load_config
    from sim.model import AkrimModel

    arm, ov, seed, scale = args
    cfg = load_config([f"scale={scale}", f"seed={seed}", "output.progress=false", "end=2030", "output.events=false", *ov])
    m = AkrimModel(cfg)
    out = {}
    while m.env.now < m.end_day:
        yb = m.year_idx
        m.step()
        if m.env.now >= m.end_day or m.year_idx != yb:
            t = m.ta
            n = t.n
            act = t.status[:n] == ACTIVE
            out[m.years[yb]] = dict(active=act.sum() / scale, central=(t.central[:n] & act).sum() / scale,
                                    cap_med=float(np.median(t.capacity[:n][act])), nf=float(t.n_firms[:n][act].mean()),
                                    intent=float(t.intent[:n][act].mean()), broke=float((t.capacity[:n][act] <= 0).mean()))
    a = m.finish().annual
    for c in ("undeclared_work_share", "exploited_workers_ta", "cases_against_ta"):
        for y, v in zip(a["year"], a[c]):
            out[int(y)][c] = float(v)
    return arm, seed, out


def report(arm: str, outs: list[dict]) -> None:
    """Print an arm's means over seeds, and the change of both stocks from 2019-21 to 2028-30."""
    print("==", arm)
    keys = list(outs[0][2014].keys())
    print("year " + " ".join(f"{k[:10]:>10}" for k in keys))
    for y in sorted(outs[0]):
        if y % 2 == 0 or y == 2019:
            print(y, " ".join(f"{np.mean([o[y][k] for o in outs]):10.3f}" for k in keys))
    for k in ("active", "central"):
        a0 = np.mean([[o[y][k] for y in (2019, 2020, 2021)] for o in outs])
        a1 = np.mean([[o[y][k] for y in (2028, 2029, 2030)] for o in outs])
        print(f"{k}: 2019-21 {a0:.0f} -> 2028-30 {a1:.0f} ({100 * (a1 / a0 - 1):+.1f}%)")


if __name__ == "__main__":
    scale = float(sys.argv[1])
    seeds = [int(s) for s in sys.argv[2].split(",")]
    arms = {}
    for spec in sys.argv[3:]:
        name, _, ov = spec.partition("=")
        arms[name] = [o for o in ov.split(";") if o]
    jobs = [(a, ov, s, scale) for a, ov in arms.items() for s in seeds]
    res = {}
    with ProcessPoolExecutor(int(os.environ.get("NP", 2))) as ex:
        for arm, _seed, out in ex.map(one, jobs):
            res.setdefault(arm, []).append(out)
    for arm, outs in res.items():
        report(arm, outs)
