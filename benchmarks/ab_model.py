"""Old code against new, interleaved: model time of two checkouts in alternating fresh processes.

On a shared machine the load changes from minute to minute, so two versions measured one after
the other (``bench.py --code``) can differ by more than the change being measured. This runs
build + run of ``AkrimModel`` (the embedded defaults, ``policy=baseline``, seed 1000) in a fresh
interpreter per run, alternating the two checkouts (ABBA order), and prints the medians and the
median of the paired CPU-time ratios (a benchmark, not a test).

Usage:
    git archive main | tar -x -C /tmp/old                     # the old code
    python benchmarks/ab_model.py 0.1 8 /tmp/old .            # 1:10, 8 pairs
    python benchmarks/ab_model.py 1.0 3 /tmp/old . --end 2019 --set output.events=false
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

MODEL = r"""
import json, sys, time
import sim
from sim.config import load_config
from sim.model import AkrimModel
cfg = load_config(json.loads(sys.argv[1]))
t0, c0 = time.perf_counter(), time.process_time()
AkrimModel(cfg).run()
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "file": sim.__file__}))
"""


def run_once(code: Path, overrides: list[str]) -> dict:
    """One build + run of the model from checkout ``code`` in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=str(code))
    out = subprocess.run([sys.executable, "-c", MODEL, json.dumps(overrides)], capture_output=True, text=True, cwd=code, env=env)
    if out.returncode:
        raise RuntimeError(out.stderr.strip()[-500:])
    r = json.loads(out.stdout.strip().splitlines()[-1])
    if not Path(r["file"]).resolve().is_relative_to(code):
        raise RuntimeError(f"imported {r['file']}, not the code in {code}")
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scale", type=float)
    ap.add_argument("pairs", type=int)
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--end", default=None, help="last year (default: the configuration's)")
    ap.add_argument("--set", nargs="*", default=[], help="more key=value overrides")
    args = ap.parse_args(argv)
    old, new = args.old.resolve(), args.new.resolve()
    overrides = [f"scale={args.scale}", "seed=1000", "output.progress=false", *([f"end={args.end}"] if args.end else []), *args.set]
    res: dict[Path, list[dict]] = {old: [], new: []}
    for i in range(args.pairs):
        for code in (old, new) if i % 2 == 0 else (new, old):
            r = run_once(code, overrides)
            res[code].append(r)
            print(f"{'old' if code == old else 'new'}  wall {r['wall']:7.2f} s  cpu {r['cpu']:7.2f} s", flush=True)
    ratios = [o["cpu"] / n["cpu"] for o, n in zip(res[old], res[new])]
    for k in ("wall", "cpu"):
        mo, mn = statistics.median(r[k] for r in res[old]), statistics.median(r[k] for r in res[new])
        print(f"median {k}: old {mo:.2f} s, new {mn:.2f} s, old/new {mo / mn:.3f}")
    print(f"paired CPU ratios old/new: {' '.join(f'{x:.3f}' for x in ratios)}; median {statistics.median(ratios):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
