"""Speed and memory of `akrim run` on the baseline, 2014-2025 (a benchmark, not a test).

Each measurement runs in a fresh subprocess so peak memory is that run's own. Prints, per
scale, the median of ``--reps`` runs of: wall time (build + run), peak resident memory, and
agent-weeks per second = (employers + employed workers) x weeks / run seconds. Targets on a
2-core machine (issue 2): scale 0.1 in <= 5 s; scale 1.0 in <= 60 s and <= 1.5 GB.

Usage:
    python benchmarks/bench_run.py                 # scales 0.1 and 1.0, 3 runs each
    python benchmarks/bench_run.py --scales 0.1 --reps 5
    python benchmarks/bench_run.py --json benchmarks/last.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

TARGETS = {0.1: (5.0, None), 1.0: (60.0, 1536.0)}  # seconds, MB

CHILD = r"""
import json, resource, sys, time
from sim.config import load_config
from sim.model import AkrimModel
scale, seed = float(sys.argv[1]), int(sys.argv[2])
cfg = load_config([f"scale={scale}", f"seed={seed}", "output.progress=false"])
t0 = time.perf_counter()
m = AkrimModel(cfg)
t1 = time.perf_counter()
m.run()
t2 = time.perf_counter()
weeks = m.week
print(json.dumps({
    "scale": scale, "seed": seed, "build_s": t1 - t0, "run_s": t2 - t1, "total_s": t2 - t0,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    "employers": int(m.pop.n), "workers": int(m.pop.size.sum()), "weeks": weeks,
    "agent_weeks_per_s": (int(m.pop.n) + int(m.pop.size.sum())) * weeks / (t2 - t1),
}))
"""


def measure(scale: float, seed: int) -> dict:
    """One run in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(scale), str(seed)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=float, nargs="+", default=[0.1, 1.0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", default=None, help="also write the raw measurements here")
    args = ap.parse_args()
    rows, raw = [], []
    for scale in args.scales:
        runs = []
        for rep in range(args.reps):
            t = time.perf_counter()
            r = measure(scale, 1000 + rep)
            runs.append(r)
            print(f"  scale {scale:g} run {rep + 1}/{args.reps}: {r['total_s']:.1f} s, {r['peak_mb']:.0f} MB "
                  f"({time.perf_counter() - t:.1f} s incl. start-up)", flush=True)
        raw += runs
        med = {k: statistics.median(r[k] for r in runs) for k in ("build_s", "run_s", "total_s", "peak_mb", "agent_weeks_per_s")}
        rows.append((scale, runs[0]["employers"], runs[0]["workers"], runs[0]["weeks"], med))
    print()
    print(f"{'scale':>6} {'employers':>10} {'workers':>10} {'weeks':>6} {'build s':>8} {'run s':>7} {'total s':>8} {'peak MB':>8} {'agent-weeks/s':>14}  target")
    for scale, ne, nw, wk, med in rows:
        tgt = TARGETS.get(scale)
        verdict = ""
        if tgt:
            ok = med["total_s"] <= tgt[0] and (tgt[1] is None or med["peak_mb"] <= tgt[1])
            verdict = f"<= {tgt[0]:g} s" + (f", <= {tgt[1]:g} MB" if tgt[1] else "") + (": met" if ok else ": MISSED")
        print(f"{scale:>6g} {ne:>10,d} {nw:>10,d} {wk:>6d} {med['build_s']:>8.2f} {med['run_s']:>7.2f} {med['total_s']:>8.2f} "
              f"{med['peak_mb']:>8.0f} {med['agent_weeks_per_s']:>14,.0f}  {verdict}")
    print(f"(median of {args.reps} runs each, seeds 1000..)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(raw, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
