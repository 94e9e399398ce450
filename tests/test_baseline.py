"""Fixed-seed regression baseline: ``policy=baseline``, seed 20140101, scale 0.02, 2014-2025.

The run is deterministic, so the same code must give the same numbers. Tolerance: every value is
compared with a relative tolerance of 1e-9 (and an absolute one of 1e-9 for zeros). Exact
equality would also work on one machine, but a different numpy/BLAS build may change the last
bits of summed floats; 1e-9 absorbs that and nothing else - any real change of model output
(defaults, mechanisms, random draws) moves some KPI by far more.

When this test fails and the change is intended: run ``python tests/update_baseline.py``, commit
the new ``tests/baseline/baseline_summary.json`` and flag the change in CHANGELOG.md.
"""

from __future__ import annotations

import json
import math

import pytest
import update_baseline as ub

REL_TOL = 1e-9
ABS_TOL = 1e-9
HOW_TO_UPDATE = ("If this change of model output is intended, run `python tests/update_baseline.py`, "
                 "commit tests/baseline/baseline_summary.json and flag the change in CHANGELOG.md.")


@pytest.fixture(scope="module")
def stored():
    assert ub.BASELINE_FILE.is_file(), f"{ub.BASELINE_FILE} is missing. {HOW_TO_UPDATE}"
    return json.loads(ub.BASELINE_FILE.read_text(encoding="utf-8"))


def test_baseline_file_matches_the_script(stored):
    """The stored file was made by the current script's configuration."""
    meta = stored["metadata"]
    assert (meta["seed"], meta["scale"], meta["start"], meta["end"], meta["policy"]) == (
        ub.SEED, ub.SCALE, ub.START, ub.END, ub.POLICY), f"baseline metadata differs from the script. {HOW_TO_UPDATE}"
    assert meta["code_version"]
    assert stored["kpis"] == list(ub.KPIS), f"KPI list changed. {HOW_TO_UPDATE}"
    assert sorted(stored["years"]) == [str(y) for y in range(ub.START, ub.END + 1)]


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def test_baseline_output_unchanged(stored):
    now = ub.compute()
    diffs = []
    for year, vals in stored["years"].items():
        for k in stored["kpis"]:
            old, new = vals.get(k), now["years"].get(year, {}).get(k)
            if not _same(old, new):
                rel = abs(new - old) / max(abs(old), 1e-12) if old is not None and new is not None else float("nan")
                diffs.append(f"  {year} {k}: baseline {old!r}, now {new!r} (rel. diff {rel:.2e})")
    assert not diffs, (
        f"Model output changed against the committed baseline (seed {ub.SEED}, scale {ub.SCALE}, "
        f"{ub.START}-{ub.END}, made with code {stored['metadata']['code_version']}); "
        f"{len(diffs)} values differ, first ones:\n" + "\n".join(diffs[:25]) + f"\n{HOW_TO_UPDATE}")
