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


def test_every_miss_of_the_committed_calibration_is_explained_and_no_explanation_is_stale():
    """The committed report must say why it misses what it misses (an adviser reads it), and must
    not explain a miss the calibration no longer has."""
    import json
    from pathlib import Path

    meta = json.loads((Path(__file__).resolve().parents[1] / "calibration/posterior/meta.json").read_text())
    roles = {t.id: t.role for t in load_targets()}
    missed = {k for k, v in meta["verdicts"].items() if v != "inside" and roles.get(k) in ("fit", "validation")}
    explained = set(load_misses())
    assert missed - explained == set(), f"missed without an explanation in calibration/misses.yaml: {sorted(missed - explained)}"
    assert explained - missed == set(), f"explained but not missed (stale): {sorted(explained - missed)}"


def test_the_missed_section_of_a_report_is_rewritten_in_place(tmp_path):
    import json

    from calibration.report import main, rerender_misses

    ids = [t.id for t in load_targets() if t.role == "fit"][:3]
    (tmp_path / "meta.json").write_text(json.dumps({"verdicts": {ids[0]: "inside", ids[1]: "outside", ids[2]: "near"}}))
    (tmp_path / "report.html").write_text(
        "<html><body><h1>r</h1><h2>Fit</h2><p>keep me</p>"
        "<h2>Targets missed, and why</h2><p>old text</p><h2>How to use the result</h2><p>tail</p></body></html>")
    m = tmp_path / "m.yaml"
    m.write_text(f"misses:\n  {ids[1]}: because of X\n")
    missing = rerender_misses(tmp_path, misses_path=m)
    text = (tmp_path / "report.html").read_text()
    assert missing == [ids[2]]
    assert "old text" not in text and "because of X" in text and "no explanation recorded yet" in text
    assert "keep me" in text and text.count("<h2>How to use the result</h2>") == 1 and text.endswith("</body></html>")
    assert main(["misses", str(tmp_path / "nowhere")]) == 2 and main([]) == 2
