"""calibration/targets.yaml: schema, the SPEC section 6 coverage, the fit/validation split, statistics."""

from __future__ import annotations

import pandas as pd
import pytest

from calibration.targets import SEEDS_DIR, TARGETS_FILE, Target, TargetError, by_role, last_year, load_targets, statistics
from sim.metrics import KPI_NAMES

# SPEC section 6, row by row (listed by hand on purpose: dropping a row must break this test).
SPEC6 = {
    "nli_inspections": "fit", "inspections_per_inspector": "check", "cases_against_ta": "fit",
    "convictions_ta": "fit", "dropped_evidence_ta": "fit", "ta_linked_to_inspected": "fit",
    "ta_previously_reported": "fit", "ta_bankruptcy_role": "fit", "fines_nok": "validation",
    "wrongful_benefits_nok": "validation", "police_reports_nli": "validation",
    "enterprises_remediated": "validation", "workers_remediated": "validation",
    "undeclared_level": "validation", "undeclared_trend": "validation", "crime_cost": "fit",
    "lithuania_bilateral": "input",
}


@pytest.fixture(scope="module")
def targets() -> list[Target]:
    return load_targets()


def test_every_spec6_target_with_its_role(targets):
    assert {t.id: t.role for t in targets} == SPEC6


def test_fields_are_complete_and_consistent(targets):
    for t in targets:
        assert t.label and t.reported and t.unit and t.period and t.source.endswith(".txt"), t.id
        if t.role == "input":
            continue
        assert t.kpi and any(k in KPI_NAMES for k in t.kpi), t.id
        assert t.tolerance is not None and t.tolerance > 0, t.id
        assert (t.value is None) == t.is_range, t.id
        assert t.why_tolerance, f"{t.id}: say why the tolerance is what it is"


def test_sources_are_seed_files(targets):
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"seed documents not available at {SEEDS_DIR}")
    for t in targets:
        assert (SEEDS_DIR / t.source).is_file(), t.id


def test_split_fit_2014_2019_validation_2024(targets):
    fit = by_role(targets, "fit")
    assert last_year(targets, "fit") == 2019
    assert all(2014 <= t.years[0] <= t.years[1] <= 2019 for t in fit)
    val = by_role(targets, "validation")
    assert all(t.years[1] == 2024 for t in val)
    assert not {t.id for t in fit} & {t.id for t in val}


def test_cost_range_converted_to_nok(targets):
    cost = next(t for t in targets if t.id == "crime_cost")
    assert cost.is_range and cost.eur_to_nok == pytest.approx(9.33)
    assert cost.lo == pytest.approx(2.4e9 * 9.33) and cost.hi == pytest.approx(9.3e9 * 9.33)
    assert cost.display(cost.lo) == pytest.approx(2.4e9)


def _annual() -> pd.DataFrame:
    years = list(range(2014, 2025))
    df = pd.DataFrame({"year": years})
    for k in KPI_NAMES:
        df[k] = [float(y - 2000) for y in years]  # 14, 15, ..., 24
    return df


def test_statistics_on_a_known_table(targets):
    a = _annual()
    stats = statistics(a, targets, cfg={"policy": {"nli": {"n_inspectors": 2.0}}})
    assert stats["cases_against_ta"] == sum(range(14, 20))          # sum 2014-2019
    assert stats["nli_inspections"] == pytest.approx(18.0)            # mean 2017-2019
    assert stats["inspections_per_inspector"] == pytest.approx(9.0)  # ... divided by n_inspectors
    assert stats["ta_linked_to_inspected"] == 19.0                    # value in 2019
    assert stats["undeclared_trend"] == pytest.approx(24.0 - 19.0)    # 2024 minus 2019
    assert "lithuania_bilateral" not in stats


def test_statistics_skip_targets_beyond_the_run(targets):
    a = _annual()
    stats = statistics(a[a["year"] <= 2019], targets)
    assert "fines_nok" not in stats and "cases_against_ta" in stats


def test_preferred_kpi_column_then_fallback(targets):
    conv = next(t for t in targets if t.id == "convictions_ta")
    a = _annual()
    assert conv.column(a.columns) == ("convictions_ta" if "convictions_ta" in a.columns else "convictions")
    a["convictions_ta"] = 1.0
    assert conv.column(a.columns) == "convictions_ta"
    assert conv.statistic(a) == 6.0


def test_missing_year_is_an_error(targets):
    t = next(t for t in targets if t.id == "cases_against_ta")
    a = _annual()
    with pytest.raises(TargetError, match=r"cases_against_ta.*\[2016\]"):
        t.statistic(a[a["year"] != 2016])


def _write(tmp_path, body: str):
    p = tmp_path / "t.yaml"
    p.write_text(body)
    return p


GOOD = """
targets:
  - id: a
    label: A
    reported: "about 10"
    value: 10
    unit: cases
    tolerance: 2
    period: 2014-2019
    years: [2014, 2019]
    source: 001_b1b2636cf41cbb39.txt
    kpi: [cases_against_ta]
    stat: sum
    role: fit
"""


@pytest.mark.parametrize("old,new,match", [
    ("role: fit", "role: fitted", r"target a: role = 'fitted'"),
    ("stat: sum", "stat: median", r"stat = 'median'"),
    ("years: [2014, 2019]", "years: [2019, 2014]", r"years = \[2019, 2014\]"),
    ("tolerance: 2", "tolerance: 0", r"tolerance = 0"),
    ("kpi: [cases_against_ta]", "kpi: [no_such_kpi]", r"none of the KPIs \['no_such_kpi'\]"),
    ("value: 10", "value: 10\n    range: [1, 2]", r"exactly one of value or range"),
    ("value: 10", "value: 1.0e9", r"write 2.4e\+9"),
    ("    source: 001_b1b2636cf41cbb39.txt\n", "", r"missing field\(s\) \['source'\]"),
    ("role: fit", "role: fit\n    colour: red", r"unknown field\(s\) \['colour'\]"),
])
def test_bad_target_files_are_reported(tmp_path, old, new, match):
    assert old in GOOD
    with pytest.raises(TargetError, match=match):
        load_targets(_write(tmp_path, GOOD.replace(old, new)))


def test_repeated_ids_are_reported(tmp_path):
    body = GOOD + GOOD.split("targets:\n", 1)[1]
    with pytest.raises(TargetError, match=r"repeated id\(s\) \['a'\]"):
        load_targets(_write(tmp_path, body))


def test_good_minimal_file(tmp_path):
    (t,) = load_targets(_write(tmp_path, GOOD))
    assert t.value == 10 and t.tolerance == 2 and t.describe() == "cases_against_ta, sum over 2014-2019"
    assert TARGETS_FILE.is_file()
