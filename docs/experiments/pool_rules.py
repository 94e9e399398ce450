"""Pool rules against scale (issue 11, 6 December 2026, evening): the centres' KPIs at 1:1, 1:10 and 1:20.

Can any rule for the shared pools' unused capacity make them agree across population scales?

Apply ``pool_rules_2026-12-06.patch`` to a throwaway worktree of generation 7 (it makes
``sim/capacity.py`` read the rule from the environment: AKRIM_RULE=bank|hyst, AKRIM_CARRY_K whole
jobs, AKRIM_CARRY_D days of capacity), then, from that worktree:

    AKRIM_RULE=bank AKRIM_CARRY_K=2 AKRIM_CARRY_D=182 python pool_rules.py K2D182 1.0,0.1,0.05 6

Prints per scale the mean and standard error over seeds 1..n (calibrated default world, 2014-2025)
of cases against actors 2014-19 and 2022-25, priorities 2014-19, central actors (mean of year ends)
2019-21 and 2022-25, and central actors at the end of 2022. Results: pool_rules_2026-12-06.txt.
"""
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from sim.config import load_config
from sim.model import AkrimModel


def one(args: tuple[float, int]) -> dict:
    """One run's sums and means (see the module docstring)."""
    scale, seed = args
    ov = [f"scale={scale}", "end=2025", f"seed={seed}", "output.progress=false", "output.events=false"]
    a = AkrimModel(load_config(ov)).run().annual.set_index("year")
    return {"scale": scale, "seed": seed,
            "cases1419": a.loc[2014:2019, "cases_against_ta"].sum(),
            "cases2225": a.loc[2022:2025, "cases_against_ta"].sum(),
            "prio1419": a.loc[2014:2019, "actors_prioritised"].sum(),
            "c1921": a.loc[2019:2021, "central_threat_actors"].mean(),
            "c2225": a.loc[2022:2025, "central_threat_actors"].mean(),
            "c2022": a.loc[2022, "central_threat_actors"]}

if __name__ == "__main__":
    tag, scales, n = sys.argv[1], [float(x) for x in sys.argv[2].split(",")], int(sys.argv[3])
    jobs = [(sc, s) for sc in scales for s in range(1, n + 1)]
    jobs.sort(key=lambda j: -j[0])
    with ProcessPoolExecutor(2) as ex:
        rows = list(ex.map(one, jobs))
    df = pd.DataFrame(rows)
    df["tag"] = tag
    df.to_csv(f"res_{tag}.csv", index=False)
    print(tag, os.environ.get("AKRIM_CARRY_K"), os.environ.get("AKRIM_CARRY_D"))
    print(df.drop(columns=["seed","tag"]).groupby("scale").agg(["mean", "sem"]).round(1).to_string())
