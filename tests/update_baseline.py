#!/usr/bin/env python
"""Regenerate the committed fixed-seed baseline summary, ``tests/baseline/baseline_summary.json``.

Usage (from the repository root)::

    python tests/update_baseline.py

Runs ``policy=baseline`` at a fixed seed, population scale 0.02, 2014-2025, and writes per year a
set of headline KPIs plus metadata (seed, scale, horizon, code version). ``tests/test_baseline.py``
re-runs the same configuration and compares. Regenerate only when a change of model output is
intended (new defaults, a fixed bug, a new mechanism), and say so in CHANGELOG.md.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import platform
import sys
from pathlib import Path

BASELINE_FILE = Path(__file__).resolve().parent / "baseline" / "baseline_summary.json"

SEED = 20140101
SCALE = 0.02
START, END = 2014, 2025
POLICY = "baseline"
OVERRIDES = [f"policy={POLICY}", f"seed={SEED}", f"scale={SCALE}", f"start={START}", f"end={END}",
             "output.progress=false", "output.events=false"]

# Headline KPIs: one or more from each part of the model (NLI, centres, sanctions, police,
# threat actors, workers, money). SPEC 5 names.
KPIS = (
    "inspections_nli", "inspections_joint", "firms_controlled", "violations_found",
    "orders", "fines_count", "fines_nok", "wrongful_benefits_nok", "tax_reassessed_nok",
    "police_reports", "police_reports_nli", "cases_against_ta", "convictions", "cases_dropped_evidence",
    "case_days_mean", "active_threat_actors", "ta_capacity_total", "ta_linked_to_inspected_share",
    "ta_previously_reported_share", "ta_bankruptcy_role_share", "companies_per_ta", "phoenix_bankruptcies",
    "undeclared_work_share", "exploited_workers", "workers_remediated", "enterprises_remediated", "tips",
    "crime_cost_nok", "enforcement_cost_nok",
)


def compute() -> dict:
    """Run the baseline configuration and return the summary (without metadata that varies)."""
    from sim.config import load_config
    from sim.model import AkrimModel

    cfg = load_config(OVERRIDES)
    annual = AkrimModel(cfg).run().annual
    years = {}
    for _, row in annual.iterrows():
        vals = {}
        for k in KPIS:
            v = float(row[k])
            vals[k] = None if math.isnan(v) else v
        years[str(int(row["year"]))] = vals
    return {"kpis": list(KPIS), "years": years}


def metadata() -> dict:
    import numpy as np
    import pandas as pd

    from sim.runner import code_version

    return {
        "seed": SEED, "scale": SCALE, "start": START, "end": END, "policy": POLICY, "world": "default",
        "overrides": OVERRIDES, "code_version": code_version(),
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__,
    }


def main() -> int:
    summary = {"metadata": metadata(), **compute()}
    BASELINE_FILE.parent.mkdir(parents=True, exist_ok=True)
    BASELINE_FILE.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {BASELINE_FILE} (code version {summary['metadata']['code_version']})")
    print("Flag the change of model output in CHANGELOG.md.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
