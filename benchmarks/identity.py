"""Bit-identity check of model output across code changes (for speed work; not a test).

Runs the model for a few (seed, scale, overrides) cases over the full horizon with the event log
on, and writes a SHA-256 of every output table (annual, by region, by sector, monthly, events) per
case to a JSON file. Run it before a change (``--write``) and after (``--check``): any table whose
hash differs is reported, and the exit code is 1.

Usage:
    python benchmarks/identity.py --write benchmarks/identity_ref.json
    python benchmarks/identity.py --check benchmarks/identity_ref.json
    python benchmarks/identity.py --check ref.json --national     # also seed 4 at scale 1.0 (slow)
    python benchmarks/identity.py --check ref.json --only s1_003  # one case

The hash covers column names, dtypes and the raw bytes of every column (object columns through
their ``repr``), so a change in the last bit of one float is caught.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time

CASES = {
    "s1_003": (1, 0.03, []),
    "s2_003": (2, 0.03, []),
    "s3_010": (3, 0.1, []),
    "s5_003_more_inspectors": (5, 0.03, ["policy=more_inspectors"]),
    "s6_003_calibrated": (6, 0.03, ["world=calibrated"]),
}
NATIONAL = {"s4_100": (4, 1.0, [])}


def table_hash(df) -> str:
    """SHA-256 of a DataFrame's column names, dtypes and values."""
    import numpy as np

    h = hashlib.sha256()
    if df is None:
        return "none"
    h.update(repr(list(df.columns)).encode())
    h.update(str(len(df)).encode())
    for c in df.columns:
        col = df[c]
        h.update(str(col.dtype).encode())
        v = col.to_numpy()
        if v.dtype == object or not isinstance(v, np.ndarray):
            h.update(repr(list(map(repr, v))).encode())
        else:
            h.update(np.ascontiguousarray(v).tobytes())
    return h.hexdigest()


def run_case(seed: int, scale: float, extra: list[str]) -> dict[str, str]:
    from sim.config import load_config
    from sim.model import AkrimModel

    cfg = load_config([*extra, f"scale={scale}", f"seed={seed}", "output.progress=false", "output.events=true"])
    res = AkrimModel(cfg).run()
    return {
        "annual": table_hash(res.annual),
        "by_region": table_hash(res.by_region),
        "by_sector": table_hash(res.by_sector),
        "monthly": table_hash(res.monthly),
        "events": table_hash(res.events),
        "streams": hashlib.sha256(repr(res.streams_used).encode()).hexdigest(),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", help="write the hashes to this JSON file")
    g.add_argument("--check", help="compare with the hashes in this JSON file")
    ap.add_argument("--national", action="store_true", help="also the scale-1.0 case (slow)")
    ap.add_argument("--only", nargs="+", default=None, help="case names to run")
    args = ap.parse_args()
    cases = dict(CASES)
    if args.national:
        cases.update(NATIONAL)
    if args.only:
        cases = {k: v for k, v in {**CASES, **NATIONAL}.items() if k in args.only}
    ref = {}
    if args.check:
        with open(args.check) as fh:
            ref = json.load(fh)
    out, bad = {}, []
    for name, (seed, scale, extra) in cases.items():
        t0 = time.perf_counter()
        out[name] = run_case(seed, scale, extra)
        dt = time.perf_counter() - t0
        if args.check:
            if name not in ref:
                print(f"{name}: no reference ({dt:.1f} s)")
                continue
            diff = [k for k, v in out[name].items() if ref[name].get(k) != v]
            bad += [f"{name}.{k}" for k in diff]
            print(f"{name}: {'IDENTICAL' if not diff else 'DIFFERS in ' + ', '.join(diff)} ({dt:.1f} s)", flush=True)
        else:
            print(f"{name}: done ({dt:.1f} s)", flush=True)
    if args.write:
        try:
            with open(args.write) as fh:
                old = json.load(fh)
        except (OSError, ValueError):
            old = {}
        old.update(out)
        with open(args.write, "w") as fh:
            json.dump(old, fh, indent=2, sort_keys=True)
        return 0
    print("all identical" if not bad else f"DIFFERENT: {', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
