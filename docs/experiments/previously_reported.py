"""Is "actors previously reported" (seed 001: 72%) a definitional gap (a diagnostic, not a test).

    python docs/experiments/previously_reported.py <scale> <seed,seed,...>

Runs the default (calibrated) world to 2019 and, for the central threat actors at the end of 2019,
compares the model's statistic (``ta_previously_reported_share``: any police record by then,
including reports made after the centres identified the actor) with the share that had a record
*when a centre identified them* (the first ``analysis_done`` that kept the actor). It wraps
``Centre._analysed`` to note ``record`` at that moment; nothing else changes.
Results: previously_reported_2026-12-06.txt.
"""
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, os.environ.get("AKRIM", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))


def one(args):
    """One run to 2019: (seed, central actors, identified in the run, statistic, any record, record at identification)."""
    scale, seed = args
    import sim.centres as centres
    from sim.config import load_config
    from sim.model import AkrimModel

    at_id: dict[int, int] = {}
    orig = centres.Centre._analysed

    def wrapped(self, aid):
        before = aid in at_id
        rec = int(self.model.ta.record[aid])
        orig(self, aid)
        f = self.files.get(aid)
        if not before and f is not None and f.state == centres.IDENTIFIED:
            at_id[aid] = rec

    centres.Centre._analysed = wrapped
    cfg = load_config([f"scale={scale}", f"seed={seed}", "output.progress=false", "end=2019", "output.events=false"])
    m = AkrimModel(cfg)
    res = m.run()
    t = m.ta
    cen = np.flatnonzero(t.central[: t.n])
    any_record = float(np.mean(t.record[cen] > 0)) if cen.size else np.nan
    known = [aid for aid in cen if aid in at_id]
    before_id = float(np.mean([at_id[a] > 0 for a in known])) if known else np.nan
    stat = float(res.annual.set_index("year").loc[2019, "ta_previously_reported_share"])
    return seed, cen.size, len(known), stat, any_record, before_id


if __name__ == "__main__":
    scale = float(sys.argv[1])
    seeds = [int(s) for s in sys.argv[2].split(",")]
    with ProcessPoolExecutor(int(os.environ.get("NP", "2"))) as ex:
        rows = list(ex.map(one, [(scale, s) for s in seeds]))
    print("seed  central  identified_in_run  statistic_2019  any_record  record_at_identification")
    for r in rows:
        print(f"{r[0]:4d}  {r[1]:7d}  {r[2]:17d}  {r[3]:14.3f}  {r[4]:10.3f}  {r[5]:24.3f}")
    arr = np.array([r[3:] for r in rows], dtype=float)
    print("mean  " + " " * 26 + "  ".join(f"{v:.3f}" for v in np.nanmean(arr, axis=0)))
