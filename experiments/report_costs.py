"""The money side of the comparison report: what each scenario costs, and what its return rests on.

* ``measures_table``: each scenario's measures with their cost: counted by the model (staff,
  campaigns), priced from a source (``experiments.costs.MEASURE_COSTS``), or **unpriced**.
* ``cost_table``: extra enforcement cost, change in crime cost, the return per NOK spent with
  its replicate interval *and* the wider range that the poorly known crime-cost level allows.
* ``return_sentence``: the summary's sentence on the return, in words, with what it rests on.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from experiments import costs

esc = html.escape


def model_crime_cost_level(comp: Any) -> float:
    """The reference's mean annual cost of crime in the reported range's year (else over all its years), NOK."""
    runs = comp.runs
    ref = runs[runs["scenario"] == comp.reference]
    if "crime_cost_nok" not in ref:
        return float("nan")
    at = ref[ref["year"] == costs.CRIME_COST_YEAR]
    return float((at if len(at) else ref)["crime_cost_nok"].mean())


def level_factors(comp: Any, cfgs: dict[str, Any]) -> tuple[float, float]:
    """Multipliers (low, high) from the model's crime-cost level to the bottom and top of the reported range."""
    nok_per_eur = float(cfgs[comp.reference].world.costs.nok_per_eur)
    return costs.level_factors(model_crime_cost_level(comp), nok_per_eur)


def _nok(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    a = abs(x)
    if a >= 1e9:
        return f"NOK {x / 1e9:,.2f} billion"
    if a >= 1e6:
        return f"NOK {x / 1e6:,.1f} million"
    return f"NOK {x:,.0f}"


def _per(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"NOK {x:,.1f}"


def scenario_measures(comp: Any, cfgs: dict[str, Any], lever_changes) -> dict[str, list[costs.PricedMeasure]]:
    """Each scenario's measures (from the levers it changes against the reference) with their cost."""
    ref = cfgs[comp.reference]
    out = {}
    for s in comp.others:
        keys = list(dict.fromkeys(r["lever"] for r in lever_changes(ref, cfgs[s])))
        out[s] = costs.price_measures(keys)
    return out


def measures_table(measures: dict[str, list[costs.PricedMeasure]], table) -> str:
    """HTML: scenario, measure, cost, basis; unpriced measures flagged, never shown as free."""
    rows = []
    for s, ms in measures.items():
        if not ms:
            rows.append([f"<b>{esc(s)}</b>", "no lever differs from the reference", "", ""])
        for m in ms:
            if m.in_model:
                cost = "counted in the enforcement cost"
            elif m.nok_per_year is not None:
                cost = f"{_nok(m.nok_per_year)} a year (not in the model's cost)"
            else:
                cost = "<b class=unpriced>unpriced</b>"
            rows.append([f"<b>{esc(s)}</b>", esc(m.measure), cost, esc(m.basis)])
    return table(["scenario", "measure", "cost", "basis or source"], rows, "small measures")


def cost_table(comp: Any, factors: tuple[float, float], measures: dict[str, list[costs.PricedMeasure]], table, fmt) -> str:
    """HTML: the cost-effectiveness of every scenario, with the crime-cost level's range on the return."""
    header = [
        "scenario",
        "extra enforcement cost (NOK, total)",
        "change in cost of work-related crime (NOK, total) [95% interval]",
        "crime cost avoided per NOK spent, in the model [95% interval]",
        "… over the reported range of the crime-cost level",
        "change in exploited worker-years [95% interval]",
        "net change for society, crime + enforcement (NOK) [95% interval]",
        "what the cost leaves out",
    ]
    rows = []
    for _, c in comp.cost.iterrows():
        s = c["scenario"]

        def rng(m, lo, hi, kind):
            return f"{fmt(m, kind)}<br><small>[{fmt(lo, kind)}, {fmt(hi, kind)}]</small>"

        has_cost = np.isfinite(c["crime_cost_change_per_nok"])
        if has_cost:
            a_lo, a_hi = -c["crime_cost_per_nok_high"], -c["crime_cost_per_nok_low"]
            ret = f"{_per(-c['crime_cost_change_per_nok'])}<br><small>[{_per(a_lo)}, {_per(a_hi)}]</small>"
            wide = costs.return_range(a_lo, a_hi, factors)
            level = f"{_per(wide[0])} to {_per(wide[1])}"
        else:
            ret = level = "not defined: no extra cost counted"
        left_out = [m.measure for m in measures.get(s, []) if not m.priced]
        priced_outside = [m for m in measures.get(s, []) if not m.in_model and m.nok_per_year is not None]
        note = []
        if left_out:
            note.append("unpriced: " + ", ".join(left_out))
        for m in priced_outside:
            note.append(f"{m.measure}: {_nok(m.nok_per_year)} a year, not in the ratio")
        if c.get("enforcement_cost_varies", False):
            note.append("enforcement cost varies across replicates")
        rows.append(
            [
                f"<b>{esc(s)}</b>",
                fmt(c["extra_enforcement_nok"], "nok"),
                rng(c["crime_cost_change_nok"], c["crime_cost_change_low"], c["crime_cost_change_high"], "nok"),
                ret,
                level,
                rng(c["exploited_worker_years_change"], c["exploited_change_low"], c["exploited_change_high"], "flow"),
                rng(c["net_cost_change_nok"], c["net_cost_change_low"], c["net_cost_change_high"], "nok"),
                esc("; ".join(note) or "nothing: every measure is counted"),
            ]
        )
    return table(header, rows, "effects")


def level_paragraph(comp: Any, factors: tuple[float, float]) -> str:
    """Words: what every NOK figure of crime cost rests on, and how far the level is known."""
    level = model_crime_cost_level(comp)
    lo, hi = costs.CRIME_COST_RANGE_EUR
    return (
        f"Every amount of crime cost avoided rests on the model's level of the cost of work-related crime: about "
        f"{_nok(level)} a year in the reference run. The sources give that level only as a range, {costs.CRIME_COST_SOURCE} "
        f"(a factor of {hi / lo:.1f} from bottom to top), and the calibration cannot tell where inside it the truth lies. "
        f"A change in crime cost grows in proportion to the level, so each return below could be {factors[0]:.2f} to "
        f"{factors[1]:.2f} times the model's figure. The column 'over the reported range' combines this with the replicates' "
        "interval. The extra enforcement cost counts staff at the full cost of an FTE and the campaigns at their yearly "
        "cost; measures that add no staff are priced only where a source gives a cost, and marked unpriced otherwise "
        "(see 'What the measures cost'): an unpriced measure is not free."
    )


def return_sentence(s: str, e: pd.Series, factors: tuple[float, float] | None, sig) -> str:
    """The summary's sentence on the return of a scenario that adds cost and lowers crime cost.

    With ``factors`` (``level_factors``) it gives the range the crime-cost level allows; without,
    it still says that the figure rests on that level.
    """
    a_lo, a_hi = -e["crime_cost_per_nok_high"], -e["crime_cost_per_nok_low"]
    text = (f"In the model each NOK it spends avoids about NOK {sig(-e['crime_cost_change_per_nok'])} of crime cost "
            f"(95% interval {sig(a_lo)} to {sig(a_hi)} over the replicates); this rests on the model's level of crime cost, which "
            f"the sources put only between EUR 2.4 and 9.3 billion a year")
    if factors is None or not all(np.isfinite(factors)):
        return text + " (a factor of 4), so read it as an order of magnitude"
    wide = costs.return_range(a_lo, a_hi, factors)
    return text + f", so the return could lie anywhere from NOK {sig(wide[0])} to NOK {sig(wide[1])} per NOK spent"
