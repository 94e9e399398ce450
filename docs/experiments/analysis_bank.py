"""The analysts' pools just before and after the June 2022 sharing regulation, at 1:10 and 1:1 (ODD 2.10).

For each open centre: the unused capacity its analysis pool holds (jobs, and weeks of its capacity)
and the files waiting, on 30 May and 26 December 2022 (calibrated world, seeds 1-2).

    python docs/experiments/analysis_bank.py
"""

from __future__ import annotations

import sys

from sim.branch import branchable, run_trunk
from sim.config import load_config


def main() -> None:
    """Print one line per (scale, seed, date): every open centre's bank and queue."""
    for scale in (0.1, 1.0):
        for seed in (1, 2):
            for date in ("2022-05-30", "2022-12-26"):
                cfg = load_config([f"scale={scale}", f"seed={seed}", "end=2023", "output.progress=false", "output.events=false"])
                m = run_trunk(cfg, branchable([cfg], date))
                rows = []
                for c in m.centres:
                    if not c.is_open:
                        continue
                    a = c.analysis
                    wk = a.rate_per_year / 52.18
                    rows.append(f"{c.name}: bank {a.budget:.2f} jobs = {a.budget / wk if wk else 0:.0f} wk, waiting {len(a)}")
                print(scale, seed, date, "; ".join(rows))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
