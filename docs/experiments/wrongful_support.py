"""Wrongful financial support identified, by origin (a diagnostic, not a test).

    python docs/experiments/wrongful_support.py <scale> <seed,seed,...> [year]

Runs the default (calibrated) world to ``year`` (default 2024) and splits that year's
``wrongful_benefits_nok`` by where it was found: claw-backs after an ordinary NLI finding, benefits
changed at the centres' joint actions, and NAV's own controls (ODD 8.11). Seed 002's NOK 24 M is
what the Labour Inspection Authority identified. It wraps ``Metrics.add`` and ``Metrics.add_arrays``
to read the caller's ``origin``; nothing else changes. Results: wrongful_support_2026-12-06.txt.
"""
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, os.environ.get("AKRIM", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))


def one(args):
    """One run: (seed, {origin: NOK in the year, national}, the annual column)."""
    scale, seed, year = args
    import sim.metrics as metrics
    from sim.config import load_config
    from sim.model import AkrimModel

    by: dict[str, float] = {}
    add, add_arrays = metrics.Metrics.add, metrics.Metrics.add_arrays

    def w_add(self, y, name, region=-1, sector=-1, value=1.0):
        if name == "wrongful_benefits_nok" and self.years[y] == year:
            origin = sys._getframe(1).f_locals.get("origin", "?")
            by[origin] = by.get(origin, 0.0) + float(value)
        return add(self, y, name, region, sector, value)

    def w_add_arrays(self, y, name, region, sector, values):
        if name == "wrongful_benefits_nok" and self.years[y] == year:
            by["centre (joint action)"] = by.get("centre (joint action)", 0.0) + float(np.sum(values))
        return add_arrays(self, y, name, region, sector, values)

    metrics.Metrics.add, metrics.Metrics.add_arrays = w_add, w_add_arrays
    cfg = load_config([f"scale={scale}", f"seed={seed}", "output.progress=false", f"end={year}", "output.events=false"])
    m = AkrimModel(cfg)
    res = m.run()
    col = float(res.annual.set_index("year").loc[year, "wrongful_benefits_nok"])
    return seed, {k: v / scale for k, v in by.items()}, col


if __name__ == "__main__":
    scale, seeds = float(sys.argv[1]), [int(s) for s in sys.argv[2].split(",")]
    year = int(sys.argv[3]) if len(sys.argv) > 3 else 2024
    with ProcessPoolExecutor(int(os.environ.get("NP", "2"))) as ex:
        rows = list(ex.map(one, [(scale, s, year) for s in seeds]))
    keys = sorted({k for _, d, _ in rows for k in d})
    print(f"wrongful support identified in {year}, NOK million (national), by origin")
    print("seed  " + "  ".join(f"{k:>22s}" for k in keys) + "   sum   annual column")
    for seed, d, col in rows:
        print(f"{seed:4d}  " + "  ".join(f"{d.get(k, 0) / 1e6:22.1f}" for k in keys) + f"  {sum(d.values()) / 1e6:5.1f}   {col / 1e6:5.1f}")
    print("mean  " + "  ".join(f"{np.mean([d.get(k, 0) for _, d, _ in rows]) / 1e6:22.1f}" for k in keys))
