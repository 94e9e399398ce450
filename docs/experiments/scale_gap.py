"""Where the centres' scale gap comes from: 2014-19 sums of the centres' KPIs by population scale.

Usage (from the repository root):
``python docs/experiments/scale_gap.py [--seeds N] [--seeds-national M] [--scales 0.05,0.1,1.0] [override ...]``

Runs the embedded defaults to 2019 (no event log) at each scale with seeds 1..N (M at scale 1.0),
two processes, and prints per scale the mean and standard error over seeds of the 2014-19 sums of
the centres' KPIs (national units), and each scale's mean relative to scale 1.0. Extra arguments
are Hydra overrides applied to every run (e.g. a lever under test).
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

COLS = [
    "cases_against_ta",
    "actors_prioritised",
    "actions_on_actors",
    "actions_target_gone",
    "centre_actions",
    "central_threat_actors",
    "inspections_joint",
    "convictions_ta",
    "police_reports",
]


def one(job: tuple[float, int, tuple[str, ...]]) -> tuple[float, int, dict[str, float]]:
    """One run to 2019: the 2014-19 sums of COLS (central stock: mean of year ends)."""
    scale, seed, overrides = job
    from sim.config import load_config
    from sim.model import AkrimModel

    cfg = load_config([f"scale={scale}", f"seed={seed}", "output.progress=false", "end=2019", "output.events=false", *overrides])
    a = AkrimModel(cfg).run().annual
    out = {c: float(a[c].sum()) for c in COLS}
    out["central_threat_actors"] = float(a["central_threat_actors"].mean())
    return scale, seed, out


def main(argv: list[str] | None = None) -> None:
    """Run the scales and print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--seeds-national", type=int, default=4)
    p.add_argument("--scales", default="0.05,0.1,0.2,1.0")
    p.add_argument("overrides", nargs="*")
    a = p.parse_args(argv)
    scales = [float(s) for s in a.scales.split(",")]
    jobs = [
        (s, seed, tuple(a.overrides))
        for s in sorted(scales, reverse=True)
        for seed in range(1, (a.seeds_national if s >= 1.0 else a.seeds) + 1)
    ]
    res: dict[float, list[dict[str, float]]] = {}
    with ProcessPoolExecutor(2) as ex:
        for s, _seed, d in ex.map(one, jobs):
            res.setdefault(s, []).append(d)
    ref = res.get(max(scales))
    print("overrides:", " ".join(a.overrides) or "(none)")
    for s in sorted(res):
        rows = res[s]
        parts = []
        for c in COLS:
            v = np.array([r[c] for r in rows])
            rel = v.mean() / np.mean([r[c] for r in ref]) - 1 if ref else float("nan")
            parts.append(f"{c}={v.mean():.0f}±{v.std(ddof=1) / np.sqrt(v.size):.0f} ({rel:+.0%})")
        print(f"scale {s} (n={len(rows)}): " + ", ".join(parts), flush=True)


if __name__ == "__main__":
    main()
