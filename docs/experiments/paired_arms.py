"""Paired-arm experiments behind numbers quoted in the README and the session notes (not a test).

    python docs/experiments/paired_arms.py <scale> <seed,seed,...> <end> 'name=override;override' ...

The first arm is the reference. Every arm runs the same seeds (common random numbers), two
processes at a time (NP=...), no event log; the table prints each arm's mean over seeds and its
paired difference from the reference with a 95% interval (1.96 x the standard error of the
per-seed differences). ARMS_JSON=path also writes the annual columns of every run. Overrides are
the model's ``key=value`` strings; YAML flow needs spaces, e.g.
``policy.interventions=[{start: "2026-01-01", set: {sharing.latency_multiplier: 4}}]``.
"""
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, os.environ.get("AKRIM", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

COLS = [
    "central_threat_actors", "active_threat_actors", "actors_prioritised", "centre_actions", "actions_target_gone",
    "cases_against_ta", "cases_against_latent_actors", "phoenix_before_target_mean", "days_to_first_priority_mean",
    "exploited_workers", "exploited_workers_ta", "undeclared_work_share", "phoenix_bankruptcies", "centre_firms_controlled",
    "centre_suspensions_count", "centre_coercive_fines_count", "ta_linked_to_inspected_share", "ta_previously_reported_share",
    "ta_bankruptcy_role_share", "actions_on_actors", "actor_moves", "ta_capacity_total", "companies_opened", "police_reports",
    "suspensions_count", "signals_shared", "phoenix_before_target", "convictions_ta", "cases_dropped_evidence_ta",
]


def one(args):
    """One run: (arm, seed, {column: annual values}, years)."""
    from sim.config import load_config
    from sim.model import AkrimModel

    arm, ov, seed, scale, end = args
    cfg = load_config([f"scale={scale}", f"seed={seed}", "output.progress=false", f"end={end}", "output.events=false", *ov])
    a = AkrimModel(cfg).run().annual
    return arm, seed, {c: a[c].tolist() for c in COLS if c in a.columns}, a["year"].tolist()


USAGE = "usage: python docs/experiments/paired_arms.py <scale> <seed,seed,...> <end> 'name=override;override' ..."


def parse(argv: list[str]) -> tuple[float, list[int], int, dict[str, list[str]]]:
    """(scale, seeds, end, arms) from the command line; every arm's configuration is checked before any run."""
    from sim.config import load_config
    from sim.config.validate import ConfigError

    if len(argv) < 4:
        raise SystemExit(f"paired_arms: needs scale, seeds, end and at least one arm\n{USAGE}")
    try:
        scale, seeds, end = float(argv[0]), [int(s) for s in argv[1].split(",")], int(argv[2])
    except ValueError:
        raise SystemExit(f"paired_arms: scale {argv[0]!r}, seeds {argv[1]!r} or end {argv[2]!r} is not a number "
                         f"(allowed: e.g. 0.1 1,2,3 2030)\n{USAGE}") from None
    arms: dict[str, list[str]] = {}
    for spec in argv[3:]:
        name, eq, ov = spec.partition("=")
        if not eq or not name or name in arms:
            raise SystemExit(f"paired_arms: arm {spec!r}: allowed 'name=override;...' with a new name (the first arm may be 'base=')")
        arms[name] = [o for o in ov.split(";") if o]
        try:
            load_config([f"scale={scale}", f"seed={seeds[0]}", f"end={end}", *arms[name]])
        except ConfigError as exc:
            raise SystemExit(f"paired_arms: arm {name!r}: {exc}") from None
    return scale, seeds, end, arms


def main() -> None:
    """Run the arms and print the paired table."""
    scale, seeds, end, arms = parse(sys.argv[1:])
    jobs = [(a, ov, s, scale, end) for a, ov in arms.items() for s in seeds]
    t0, res, years = time.time(), {}, None
    with ProcessPoolExecutor(int(os.environ.get("NP", "2"))) as ex:
        for arm, seed, d, yrs in ex.map(one, jobs):
            res.setdefault(arm, {})[seed] = d
            years = yrs
    print(f"# {len(jobs)} runs in {time.time() - t0:.0f}s")
    year = np.array(years)

    def agg(arm, c, y0, y1, how):
        v = []
        for s in seeds:
            x = np.array(res[arm][s][c], dtype=float)[(year >= y0) & (year <= y1)]
            v.append(np.nansum(x) if how == "sum" else (np.nanmean(x) if how == "mean" else x[-1]))
        return np.array(v)

    rows = [
        ("central_threat_actors", 2019, 2019, "last"), ("central_threat_actors", 2020, 2020, "last"),
        ("central_threat_actors", 2025, 2025, "last"), ("central_threat_actors", end, end, "last"),
        ("active_threat_actors", 2020, 2020, "last"), ("active_threat_actors", end, end, "last"),
        ("cases_against_ta", 2014, 2019, "sum"), ("cases_against_ta", 2026, end, "sum"),
        ("phoenix_before_target_mean", 2026, end, "mean"), ("days_to_first_priority_mean", 2026, end, "mean"),
        ("exploited_workers_ta", 2026, end, "mean"), ("exploited_workers", 2026, end, "mean"),
        ("undeclared_work_share", 2019, 2024, "mean"), ("undeclared_work_share", 2026, end, "mean"),
        ("actions_target_gone", 2026, end, "sum"), ("centre_actions", 2026, end, "sum"), ("actions_on_actors", 2026, end, "sum"),
        ("phoenix_before_target", 2026, end, "sum"), ("convictions_ta", 2026, end, "sum"),
        ("cases_dropped_evidence_ta", 2026, end, "sum"), ("convictions_ta", 2014, 2019, "sum"),
        ("cases_dropped_evidence_ta", 2014, 2019, "sum"), ("actor_moves", 2026, end, "sum"), ("ta_capacity_total", 2026, end, "mean"),
        ("actors_prioritised", 2026, end, "sum"), ("companies_opened", 2026, end, "sum"), ("suspensions_count", 2026, end, "sum"),
        ("police_reports", 2026, end, "sum"), ("phoenix_bankruptcies", 2026, end, "sum"), ("active_threat_actors", 2026, end, "mean"),
        ("ta_linked_to_inspected_share", 2019, 2019, "last"), ("ta_previously_reported_share", 2019, 2019, "last"),
        ("ta_bankruptcy_role_share", 2019, 2019, "last"),
    ]
    base = next(iter(arms))
    for c, y0, y1, how in rows:
        if c not in res[base][seeds[0]] or y1 > end or y0 > y1:
            continue
        line = f"{c[:28]:28s} {y0}-{y1} {how:4s}"
        b = agg(base, c, y0, y1, how)
        for arm in arms:
            v = agg(arm, c, y0, y1, how)
            d = v - b
            se = np.nanstd(d, ddof=1) / np.sqrt(len(d)) if len(d) > 1 else np.nan
            line += f" | {arm}: {np.nanmean(v):9.4g}" + ("" if arm == base else f" (d {np.nanmean(d):+.3g}±{1.96 * se:.2g})")
        print(line)
    if os.environ.get("ARMS_JSON"):
        with open(os.environ["ARMS_JSON"], "w") as fh:
            json.dump({"years": years, "res": res}, fh)


if __name__ == "__main__":
    main()
