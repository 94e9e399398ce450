"""calibration/targets.yaml: schema, the SPEC section 6 coverage, the fit/validation split, statistics."""

from __future__ import annotations

import pandas as pd
import pytest

from calibration.targets import (
    ANNOUNCED_KPIS,
    PUBLIC_FIGURES,
    SEEDS_DIR,
    TARGETS_FILE,
    Target,
    TargetError,
    by_role,
    columns_used,
    last_year,
    load_targets,
    record_statistics,
    statistics,
)
from sim.metrics import KPI_BREAKDOWN, KPI_NAMES

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

# ../shared/data/public_figures.md, row by row: (year, start of the figure's text) -> the targets
# that compare it, or why it is not compared. A row added to that file, or a target dropped, breaks
# test_every_public_figure_is_a_target_or_explained.
PUBLIC = {
    ("~2014", "ordinary NLI inspections"): ["nli_inspections_2014"],
    ("~2014", "share of those inspections"): ["nli_reaction_share_2014"],
    ("2015", "businesses controlled"): ["centre_firms_2015"],
    ("2015", "persons checked"): ["centre_persons_2015"],
    ("2016", "businesses controlled"): ["centre_firms_2016"],
    ("2016", "persons checked"): ["centre_persons_2016"],
    ("2016", "stop orders"): ["centre_stop_orders_2016"],
    ("2016", "coercive"): ["centre_coercive_fines_2016"],
    ("2016–17", "Oslo centre: businesses controlled"): [
        "oslo_centre_firms_2016_17", "oslo_centre_networks_2016_17", "oslo_centre_police_reports_2016_17"],
    ("2016–17", "Oslo centre: undeclared income"): "no column: tax_reassessed_nok counts every reassessment in the region",
    ("2017", "joint actions"): ["centre_actions_2017"],
    ("2017", "businesses controlled"): ["centre_firms_2017"],
    ("2017", "NLI stop orders"): ["centre_stop_orders_2017", "centre_coercive_fines_2017"],
    ("2017", "NAV"): ["centre_benefit_changes_2017"],
    ("2017", "Tax Administration"): "no column for the Tax Administration's detection controls",
    ("2017", "police: removals"): "the model has no immigration-law outcomes",
    ("2018", "Oslo centre staff"): ["oslo_centre_staff_2018"],
}
PUBLIC_ROLES = {t: ("input" if t == "oslo_centre_staff_2018" else "fit")
                for v in PUBLIC.values() if isinstance(v, list) for t in v}
PUBLIC_ROLES["central_threat_actors"] = "fit"  # seed 001 note viii, read with public_figures.md


def _public_rows() -> list[tuple[str, str, str]]:
    """(year, figure, source) of each row of the table in public_figures.md."""
    rows = []
    for line in PUBLIC_FIGURES.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("year", "---") and not set(cells[0]) <= {"-"}:
            rows.append((cells[0], cells[1], cells[3]))
    return rows


@pytest.fixture(scope="module")
def targets() -> list[Target]:
    return load_targets()


def test_every_spec6_and_public_target_with_its_role(targets):
    assert {t.id: t.role for t in targets} == {**SPEC6, **PUBLIC_ROLES}


def test_every_public_figure_is_a_target_or_explained(targets):
    if not PUBLIC_FIGURES.is_file():
        pytest.skip(f"public figures not available at {PUBLIC_FIGURES}")
    rows = _public_rows()
    assert len(rows) == len(PUBLIC)
    ids = {t.id: t for t in targets}
    for year, figure, source in rows:
        match = [v for (y, start), v in PUBLIC.items() if y == year and figure.startswith(start)]
        assert len(match) == 1, (year, figure)
        if isinstance(match[0], list):
            for tid in match[0]:
                t = ids[tid]
                src = source if source != "same" else None
                assert src is None or t.source in src, (tid, t.source, source)


def test_public_figure_sources_are_verbatim(targets):
    if not PUBLIC_FIGURES.is_file():
        pytest.skip(f"public figures not available at {PUBLIC_FIGURES}")
    sources = {src for _, _, src in _public_rows()}
    for t in targets:
        if not t.source.endswith(".txt"):
            assert any(t.source in s for s in sources), t.id


def test_regional_targets_read_a_regional_column(targets):
    reg = [t for t in targets if t.region]
    assert {t.id for t in reg} == {"oslo_centre_firms_2016_17", "oslo_centre_networks_2016_17",
                                   "oslo_centre_police_reports_2016_17"}
    for t in reg:
        col = next(k for k in t.kpi if k in KPI_NAMES or k in ANNOUNCED_KPIS)
        assert col in ANNOUNCED_KPIS or "r" in KPI_BREAKDOWN[col], t.id


@pytest.mark.skipif(not ANNOUNCED_KPIS <= set(KPI_NAMES),
                    reason=f"the model does not have the SPEC 5 columns {sorted(ANNOUNCED_KPIS - set(KPI_NAMES))} yet (issue 11)")
def test_every_target_column_is_in_the_model(targets):
    for t in targets:
        if t.compared:
            assert any(k in KPI_NAMES for k in t.kpi), t.id
            assert not t.per or any(k in KPI_NAMES for k in t.per), t.id
            if t.region:
                assert "r" in KPI_BREAKDOWN[t.column(KPI_NAMES)], t.id


def test_fields_are_complete_and_consistent(targets):
    for t in targets:
        assert t.label and t.reported and t.unit and t.period and t.source, t.id
        if t.role == "input":
            continue
        assert t.kpi and any(k in KPI_NAMES or k in ANNOUNCED_KPIS for k in t.kpi), t.id
        assert t.tolerance is not None and t.tolerance > 0, t.id
        assert (t.value is None) == t.is_range, t.id
        assert t.why_tolerance, f"{t.id}: say why the tolerance is what it is"


def test_sources_are_seed_files(targets):
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"seed documents not available at {SEEDS_DIR}")
    for t in targets:
        if t.source.endswith(".txt"):
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
    for k in sorted(set(KPI_NAMES) | ANNOUNCED_KPIS):
        df[k] = [float(y - 2000) for y in years]  # 14, 15, ..., 24
    return df


def _by_region() -> pd.DataFrame:
    """A regional table: every column is 1 in Oslo and 100 elsewhere, in every year."""
    rows = []
    for y in range(2014, 2025):
        for r in ("oslo", "bergen"):
            rows.append({"year": y, "region": r, **{k: 1.0 if r == "oslo" else 100.0 for k in sorted(set(KPI_NAMES) | ANNOUNCED_KPIS)}})
    return pd.DataFrame(rows)


def test_public_figure_statistics_on_a_known_table(targets):
    a = _annual()
    a["inspections_nli_reaction"] = a["inspections_nli"] * 0.5
    stats = statistics(a, targets, by_region=_by_region())
    assert stats["nli_inspections_2014"] == 14.0
    assert stats["nli_reaction_share_2014"] == pytest.approx(0.5)      # reactions per inspection
    assert stats["centre_firms_2016"] == 16.0 and stats["centre_benefit_changes_2017"] == 17.0
    assert stats["oslo_centre_firms_2016_17"] == 2.0                   # Oslo rows only, sum 2016-2017
    assert stats["central_threat_actors"] == 19.0                      # year-end 2019
    assert "oslo_centre_staff_2018" not in stats                       # an input


def test_regional_targets_skipped_without_the_regional_table(targets):
    stats = statistics(_annual(), targets)
    assert "oslo_centre_firms_2016_17" not in stats and "centre_firms_2016" in stats
    t = next(t for t in targets if t.id == "oslo_centre_firms_2016_17")
    with pytest.raises(TargetError, match="needs the run's regional table"):
        t.statistic(_annual())
    reg = _by_region()
    with pytest.raises(TargetError, match="no rows for region 'oslo'"):
        t.statistic(_annual(), by_region=reg[reg["region"] != "oslo"])


def test_record_statistics_reads_the_regional_rows_of_a_long_record(targets):
    a, reg = _annual(), _by_region()
    long = pd.concat([a.assign(table="annual", unit=""), reg.rename(columns={"region": "unit"}).assign(table="region")],
                     ignore_index=True)
    stats = record_statistics(long, targets)
    assert stats["oslo_centre_firms_2016_17"] == 2.0 and stats["centre_firms_2016"] == 16.0
    plain = record_statistics(a, targets)                              # a plain annual record: no regional targets
    assert "oslo_centre_firms_2016_17" not in plain and plain["centre_firms_2016"] == 16.0


def test_targets_without_their_column_are_skipped_not_guessed(targets):
    a = _annual().drop(columns=sorted(ANNOUNCED_KPIS))
    stats = statistics(a, targets, by_region=_by_region().drop(columns=sorted(ANNOUNCED_KPIS)))
    assert "centre_firms_2016" not in stats and "central_threat_actors" not in stats
    assert "oslo_centre_networks_2016_17" in stats                     # actors_prioritised exists
    assert "centre_actions_2017" not in columns_used(targets, a.columns)
    assert columns_used(targets, a.columns)["nli_reaction_share_2014"] == "inspections_nli_reaction"


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
    ("role: fit", "role: fit\n    region: narvik", r"region = 'narvik' \(allowed: one of \['oslo'"),
    ("role: fit", "role: fit\n    per: [no_such_kpi]", r"none of the per KPIs \['no_such_kpi'\]"),
    ("role: fit", "role: fit\n    per: inspections_nli", r"per = 'inspections_nli' \(allowed: a list"),
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
