"""The report's 'targets missed, and why' section (calibration/report.py, calibration/misses.yaml)."""

from __future__ import annotations

import pytest

from calibration.report import load_misses, misses_section
from calibration.targets import Target, load_targets


def _t(tid, role="fit"):
    return Target(id=tid, label=f"label {tid}", reported="", unit="u", period="", years=(2014, 2019), source="s",
                  kpi=("x",), stat="sum", role=role, value=1.0, tolerance=0.1)


def test_missed_targets_are_listed_with_their_explanation_and_unexplained_ones_are_flagged():
    targets = [_t("a"), _t("b"), _t("c", role="validation"), _t("d", role="check")]
    verdicts = {"a": "inside", "b": "outside", "c": "near", "d": "outside"}
    html = misses_section(targets, verdicts, {"b": "the mechanism lacks X"})
    assert "label b" in html and "the mechanism lacks X" in html
    assert "label c" in html and "no explanation recorded yet" in html
    assert "label a" not in html and "label d" not in html  # inside, and checks, are not misses


def test_no_misses_says_so():
    assert "None: every fit and validation target is inside" in misses_section([_t("a")], {"a": "inside"}, {})


def test_misses_file_is_checked(tmp_path):
    p = tmp_path / "m.yaml"
    p.write_text("misses:\n  a: >-\n    two\n    lines\n")
    assert load_misses(p) == {"a": "two lines"}
    p.write_text("misses: [a, b]\n")
    with pytest.raises(ValueError, match="expected a mapping"):
        load_misses(p)
    assert load_misses(tmp_path / "absent.yaml") == {}


def test_committed_misses_name_real_targets():
    ids = {t.id for t in load_targets()}
    assert set(load_misses()) <= ids


def test_markdown_summary_lists_fit_and_validation_targets_with_verdicts():
    import pandas as pd

    from calibration.report import markdown_summary

    targets = [_t("a"), _t("b", role="validation"), _t("d", role="check")]
    pred = pd.DataFrame({"a": [0.95, 1.0, 1.05] * 10, "b": [5.0, 6.0, 7.0] * 10, "d": [1.0] * 30})
    md = markdown_summary(targets, pred, {"budget": "full", "generations": 6, "populations": 120, "scale": 0.1})
    lines = [ln for ln in md.splitlines() if ln.startswith("| label")]
    assert len(lines) == 2
    assert lines[0].endswith("| inside |") and "| fit |" in lines[0]
    assert lines[1].endswith("| outside |") and "| validation |" in lines[1]
