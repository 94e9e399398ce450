"""sim.metrics: KPI tables are complete, never negative, and breakdowns add up to the nation."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.policy import REGIONS
from sim.metrics import KPI_BREAKDOWN, KPI_DEFS, KPI_KIND, KPI_NAMES, Metrics

COUNT_KINDS = ("flow", "nok", "cost", "stock", "level")
ADDITIVE_KINDS = ("flow", "nok", "stock", "level")  # kinds whose breakdown cells sum to the national value


def test_kpi_definitions_are_well_formed():
    assert len(set(KPI_NAMES)) == len(KPI_NAMES)
    for name, kind, breakdown, meaning in KPI_DEFS:
        assert kind in ("flow", "nok", "cost", "stock", "level", "share", "mean"), name
        assert breakdown in ("", "r", "rs"), name
        assert meaning.strip(), f"{name} has no definition"


def test_annual_table_has_one_row_per_year_and_every_kpi(baseline_run):
    a = baseline_run.annual
    assert list(a.columns) == ["year", *KPI_NAMES]
    assert a["year"].tolist() == list(range(2014, 2019))


def test_breakdown_tables_shape(baseline_run):
    r, s = baseline_run.by_region, baseline_run.by_sector
    assert len(r) == 5 * len(REGIONS) and set(r["region"]) == set(REGIONS)
    assert list(r.columns[:2]) == ["year", "region"]
    assert [c for c in r.columns[2:]] == [k for k in KPI_NAMES if "r" in KPI_BREAKDOWN[k]]
    assert list(s.columns[:2]) == ["year", "sector"]
    assert [c for c in s.columns[2:]] == [k for k in KPI_NAMES if "s" in KPI_BREAKDOWN[k]]
    assert len(s) == 5 * s["sector"].nunique() and s["sector"].nunique() >= 9


@pytest.mark.parametrize("table", ["annual", "by_region", "by_sector"])
def test_no_negative_counts_and_shares_in_range(baseline_run, table):
    df = getattr(baseline_run, table)
    for col in df.columns:
        if col not in KPI_KIND:
            continue
        v = df[col].to_numpy(dtype=float)
        kind = KPI_KIND[col]
        if kind in COUNT_KINDS:
            assert not np.isnan(v).any(), f"{table}.{col} has NaN"
            assert (v >= 0).all(), f"{table}.{col} has negative values: {v[v < 0][:5]}"
        elif kind == "share":
            f = v[~np.isnan(v)]
            assert ((f >= 0) & (f <= 1)).all(), f"{table}.{col} outside [0, 1]: {f[(f < 0) | (f > 1)][:5]}"
        else:  # mean
            f = v[~np.isnan(v)]
            assert (f >= 0).all(), f"{table}.{col} negative"


def test_run_produces_activity_in_every_main_kpi(baseline_run):
    """The invariants above would be empty on an all-zero table."""
    a = baseline_run.annual
    for col in ("inspections_nli", "violations_found", "orders", "police_reports", "tips",
                "phoenix_bankruptcies", "active_threat_actors", "exploited_workers", "crime_cost_nok",
                "enforcement_cost_nok", "inspections_joint", "cases_against_ta"):
        assert a[col].sum() > 0, col
    assert (a["undeclared_work_share"] > 0).all()


@pytest.mark.parametrize("table,label,code", [("by_region", "region", "r"), ("by_sector", "sector", "s")])
def test_breakdowns_sum_to_national_totals(baseline_run, table, label, code):
    nat = baseline_run.annual.set_index("year")
    parts = getattr(baseline_run, table).drop(columns=[label]).groupby("year").sum()
    checked = []
    for k in KPI_NAMES:
        if code in KPI_BREAKDOWN[k] and KPI_KIND[k] in ADDITIVE_KINDS:
            np.testing.assert_allclose(parts[k].to_numpy(), nat[k].to_numpy(), rtol=1e-9, atol=1e-6,
                                       err_msg=f"{table}: {k} does not add up to the national total")
            checked.append(k)
    assert "inspections_nli" in checked and "phoenix_bankruptcies" in checked and len(checked) >= 15


def test_flow_totals_match_the_event_log(baseline_run):
    """Flow KPIs and the event log are two records of the same events (scaled by 1/scale)."""
    ev = baseline_run.events
    a = baseline_run.annual
    scale = 0.02
    year = ev["date"].dt.year
    pairs = {
        "inspections_nli": "inspection_nli",
        "inspections_joint": "inspection_joint",
        "violations_found": "violation",
        "orders": "order",
        "fines_count": "fine",
        "suspensions_count": "suspension",
        "police_reports": "police_report",
        "convictions": "conviction",
        "cases_dropped_evidence": "dropped_evidence",
        "phoenix_bankruptcies": "bankruptcy_phoenix",
        "tips": "tip",
    }
    for kpi, kind in pairs.items():
        n = (ev["kind"] == kind).groupby(year).sum().reindex(a["year"], fill_value=0).to_numpy()
        np.testing.assert_allclose(a[kpi].to_numpy() * scale, n, atol=1e-6, err_msg=f"{kpi} vs events '{kind}'")


def test_metrics_scaling_and_ratio_logic():
    mt = Metrics([2020, 2021], 2, 3, scale=0.5)
    mt.add(0, "inspections_nli", 0, 2, 3.0)
    mt.add(1, "inspections_nli", 1, 0, 1.0)
    mt.ratio(0, "case_days_mean", 300.0, 2.0)
    mt.set_stock(1, "active_threat_actors", 4.0, by_r=np.array([1.0, 3.0]))
    a = mt.annual()
    assert a["inspections_nli"].tolist() == [6.0, 2.0]  # flows scaled by 1/scale
    assert a["case_days_mean"].iloc[0] == 150.0 and np.isnan(a["case_days_mean"].iloc[1])  # means not scaled
    assert a["active_threat_actors"].tolist() == [0.0, 8.0]
    r = mt.by_region(("x", "y"))
    assert r.loc[(r.year == 2021) & (r.region == "y"), "active_threat_actors"].item() == 6.0
    s = mt.by_sector(("a", "b", "c"))
    assert s.loc[(s.year == 2020) & (s.sector == "c"), "inspections_nli"].item() == 6.0
