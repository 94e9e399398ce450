"""Generation 7: one against two whole jobs of carry-over (pool_carry_jobs) at a small scale (ODD 2.10).

Runs the calibrated default world to 2025 at the given scales, seeds and carry-overs, and prints per
(scale, carry) the mean and standard error of: cases against actors 2014-19, priorities 2014-19,
central actors (mean of year ends) 2019-21 and 2022-25, and central actors at the end of 2022.
Compare with the national runs of docs/validation.md section 6 (same seeds 1-6).

    python docs/experiments/carry_scale.py 0.1 6 1,2 out.csv
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from sim.config import load_config
from sim.model import AkrimModel


def one(args: tuple[float, int, float]) -> dict:
    """One run's sums and means (see the module docstring)."""
    scale, seed, carry = args
    ov = [f"scale={scale}", "end=2025", f"seed={seed}", "output.progress=false", "output.events=false", f"pool_carry_jobs={carry}"]
    a = AkrimModel(load_config(ov)).run().annual.set_index("year")
    return {"scale": scale, "seed": seed, "carry": carry,
            "cases1419": a.loc[2014:2019, "cases_against_ta"].sum(),
            "prio1419": a.loc[2014:2019, "actors_prioritised"].sum(),
            "c1921": a.loc[2019:2021, "central_threat_actors"].mean(),
            "c2225": a.loc[2022:2025, "central_threat_actors"].mean(),
            "c2022": a.loc[2022, "central_threat_actors"]}


def main(argv: list[str]) -> None:
    """Run the grid of the command line (scales, seeds, carries, output CSV) and print the table."""
    scales = [float(x) for x in argv[0].split(",")]
    seeds = range(1, int(argv[1]) + 1)
    carries = [float(x) for x in argv[2].split(",")]
    jobs = [(sc, s, c) for sc in scales for s in seeds for c in carries]
    with ProcessPoolExecutor(1) as ex:
        rows = list(ex.map(one, jobs))
    df = pd.DataFrame(rows)
    df.to_csv(argv[3], index=False)
    print(df.groupby(["scale", "carry"]).agg(["mean", "sem"]).round(1).drop(columns="seed").to_string())


if __name__ == "__main__":
    main(sys.argv[1:])
