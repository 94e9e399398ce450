"""Plain-language names and units of the KPIs, for readers who do not read code (the comparison report).

``kpi_label("crime_cost_nok")`` is "Cost of work-related crime"; ``kpi_unit`` says what the
number is (a count per year, NOK, a share in % or a difference in percentage points). Every
KPI of ``sim.metrics`` has a name: the ones a report shows first are written out here, the
others are taken from the KPI's own description (``sim.metrics.KPI_DEFS``), so a KPI the model
adds later still reads as words, never as its column name.

Conventions (the report's legend states them): a share's level is in %, a difference between
two shares in percentage points (pp), and a relative change in % of the reference.
"""

from __future__ import annotations

from sim.metrics import KPI_DEFS, KPI_KIND

NAMES: dict[str, str] = {
    "exploited_workers": "Exploited workers",
    "undeclared_work_share": "Undeclared work",
    "crime_cost_nok": "Cost of work-related crime",
    "enforcement_cost_nok": "Cost of enforcement",
    "active_threat_actors": "Active threat actors",
    "cases_against_ta": "Police cases against threat actors",
    "convictions": "Convictions",
    "convictions_ta": "Convictions of threat actors",
    "phoenix_bankruptcies": "Phoenix bankruptcies",
    "inspections_nli": "NLI inspections",
    "inspections_joint": "Joint centre controls",
    "fines_nok": "Administrative fines",
    "fines_count": "Administrative fines (number)",
    "workers_remediated": "Workers whose conditions were restored",
    "enterprises_remediated": "Enterprises that put things right",
    "police_reports": "Reports to the police",
    "police_reports_nli": "NLI reports to the police",
    "wrongful_benefits_nok": "Wrongful benefits found by NAV",
    "tax_reassessed_nok": "Tax reassessed",
    "assets_seized_nok": "Assets seized",
    "actors_prioritised": "Threat actors prioritised by leader groups",
    "case_days_mean": "Days from police report to outcome",
    "ta_capacity_total": "Capacity of active threat actors",
    "tips": "Tips from workers",
}

# What the number of each kind of KPI is over a comparison's effects window.
WINDOW_UNITS: dict[str, str] = {
    "flow": "number, total over the years",
    "nok": "NOK, total over the years",
    "cost": "NOK, total over the years",
    "stock": "number at year end, average over the years",
    "level": "number, average over the years",
    "share": "%",
    "mean": "average over the years",
}
YEAR_UNITS: dict[str, str] = {
    "flow": "per year",
    "nok": "NOK per year",
    "cost": "NOK per year",
    "stock": "at year end",
    "level": "average over the year",
    "share": "%",
    "mean": "average in the year",
}
_MEANING = {k[0]: k[3] for k in KPI_DEFS}


def kpi_label(kpi: str) -> str:
    """The KPI's name in plain words (its own description, shortened, when not written out here)."""
    if kpi in NAMES:
        return NAMES[kpi]
    meaning = _MEANING.get(kpi, "")
    for cut in (":", " (", ", NOK", ", MNOK", ", mean of"):
        meaning = meaning.split(cut)[0]
    meaning = meaning.strip()
    if not meaning:  # not a KPI of the model at all: make its name readable rather than show it raw
        meaning = kpi.replace("_nok", "").replace("_", " ")
    return meaning[:1].upper() + meaning[1:]


def kpi_unit(kpi: str, *, window: bool = True, difference: bool = False) -> str:
    """What the number of ``kpi`` is: over an effects window (``window``) or one year; a share's difference is in pp."""
    kind = KPI_KIND.get(kpi, "")
    if kind == "share":
        return "percentage points (pp)" if difference else "%"
    table = WINDOW_UNITS if window else YEAR_UNITS
    return table.get(kind, "")


def kpi_heading(kpi: str, *, window: bool = True, difference: bool = False) -> str:
    """Name and unit together, e.g. "Cost of work-related crime (NOK, total over the years)"."""
    unit = kpi_unit(kpi, window=window, difference=difference)
    return f"{kpi_label(kpi)} ({unit})" if unit else kpi_label(kpi)


KIND_WORDS: dict[str, str] = {
    "flow": "count per year",
    "nok": "money",
    "cost": "money",
    "stock": "count at year end",
    "level": "average count",
    "share": "share",
    "mean": "average",
}
