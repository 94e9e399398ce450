"""What the measures cost, and how sure the money side of a comparison is.

Two things the report needs besides the model's own enforcement cost (staff at the cost of an
FTE, the campaign at its yearly cost):

* ``MEASURE_COSTS``: the measures that add no staff (access to a register, a regulation, a
  ban, an approval scheme...). Each is priced where a cost is known, with its source, and
  otherwise marked **unpriced** (``nok_per_year=None``) - never given a made-up number, and
  never shown as free. A scenario's measures are found by the policy keys it changes.
* ``CRIME_COST_RANGE_EUR``: the reported range of the cost of work-related crime. The model's
  cost of crime is calibrated to lie inside it, but where inside is barely identified (the range
  spans a factor of about 4), and every NOK of crime cost "avoided" scales with that level. So a
  return per NOK spent is given as a range that carries both the replicates' interval and the
  level: ``return_range``.
"""

from __future__ import annotations

from dataclasses import dataclass

# Seed 001 (001_b1b2636cf41cbb39.txt, NTAES 2017): "between EUR 2.4 billion and EUR 9.3 billion, the
# former representing 1.2% of GDP" - the same figure as calibration/targets.yaml, target crime_cost
# (tests/test_compare_report.py checks that the two agree).
CRIME_COST_RANGE_EUR: tuple[float, float] = (2.4e9, 9.3e9)
CRIME_COST_YEAR = 2017
CRIME_COST_SOURCE = "seed 001 (NTAES, 2017): between EUR 2.4 billion and EUR 9.3 billion a year"


@dataclass(frozen=True)
class MeasureCost:
    """The cost of one kind of measure.

    Attributes:
        measure: Its name in plain words.
        keys: Policy keys (dotted, without ``policy.``) that a scenario changes for it; a key
            ending in ``.`` or ``_`` matches every key that starts with it.
        nok_per_year: Extra cost per year, NOK, or None when no sourced cost is known (unpriced).
        basis: The source of the cost, how it is derived, or why it is unpriced.
        in_model: True when the model's enforcement cost already counts it (staff, campaigns).
    """

    measure: str
    keys: tuple[str, ...]
    nok_per_year: float | None
    basis: str
    in_model: bool = False

    def matches(self, key: str) -> bool:
        """Whether policy key ``key`` belongs to this measure."""
        return any(key == k or (k.endswith((".", "_")) and key.startswith(k)) for k in self.keys)


# Seed 004: the Norway-Lithuania agreement of 2017-18 (10 exchanges, 4 joint inspections) cost EUR
# 20,000 in all, EUR 10,000 a year. scenarios/policy/bilateral_cooperation.yaml multiplies that
# activity by 4, so it adds three times it: EUR 30,000 a year, at world.costs.nok_per_eur (9.33,
# Norges Bank 2017). Assumption: the cost grows in proportion to the activity.
_BILATERAL_NOK_YEAR = 3 * 10_000 * 9.33

MEASURE_COSTS: tuple[MeasureCost, ...] = (
    MeasureCost("NLI inspectors", ("nli.n_inspectors",), None, "counted by the model: inspectors x cost of an FTE", True),
    MeasureCost("Police investigators", ("police.n_investigators",), None, "counted by the model: investigators x cost of an FTE", True),
    MeasureCost("Centre staff", ("centres.by_region.",), None,
                "counted by the model: analysts, joint teams and agency staff x cost of an FTE (opening or closing a centre changes them)", True),
    MeasureCost("'Know your rights' campaign", ("campaigns.",), None,
                "counted by the model at the campaign's yearly cost (policy.campaigns.nok_cost_year)", True),
    MeasureCost("NTAES analysts", ("ntaes.",), None, "counted by the model: NTAES staff x cost of an FTE", True),
    MeasureCost("Bilateral cooperation with sending countries", ("sharing.cross_border_",), _BILATERAL_NOK_YEAR,
                "seed 004: the Norway-Lithuania agreement cost EUR 20,000 over 2017-18; the scenario's fourfold activity adds "
                "three times EUR 10,000 a year (assumption: cost in proportion to activity), at NOK 9.33 per EUR"),
    MeasureCost("Information-sharing regulation", ("sharing.regulation",), None,
                "unpriced: seed 002 calls the legal and systems work 'complex and costly' but gives no amount"),
    MeasureCost("Faster sharing between the agencies", ("sharing.latency_multiplier", "sharing.before.", "sharing.after.", "sharing.no_centre."), None,
                "unpriced: no sourced cost of the systems and routines"),
    MeasureCost("Direct NLI access to the posted-worker register", ("sharing.posted_register_",), None,
                "unpriced: no sourced cost (seed 003, measure 33, digital sharing of supervisory data)"),
    MeasureCost("Targeting of NLI inspections", ("nli.w_",), None,
                "no extra cost assumed: the same inspectors choose other firms (the analysis behind intelligence-led targeting is unpriced)"),
    MeasureCost("Sanctions (fines, bans, stop orders, publication)", ("sanctions.",), None,
                "unpriced: the case-handling cost of more or different sanctions is not sourced"),
    MeasureCost("Approval schemes and buyer pressure", ("consumers.",), None,
                "unpriced: no sourced cost of running an approval scheme or Norgesmodellen"),
    MeasureCost("Police case handling", ("police.",), None, "unpriced: shorter case times need resources the sources do not price"),
)


def measure_of(key: str) -> MeasureCost | None:
    """The measure a policy key belongs to (the first that matches), or None."""
    key = key[len("policy."):] if key.startswith("policy.") else key
    return next((m for m in MEASURE_COSTS if m.matches(key)), None)


@dataclass(frozen=True)
class PricedMeasure:
    """One measure of a scenario and what is known of its cost."""

    measure: str
    keys: tuple[str, ...]
    nok_per_year: float | None
    basis: str
    in_model: bool

    @property
    def priced(self) -> bool:
        """A cost is known (counted by the model, or sourced here)."""
        return self.in_model or self.nok_per_year is not None


def price_measures(keys: list[str]) -> list[PricedMeasure]:
    """Group the policy keys a scenario changes into measures, each with its cost or 'unpriced'."""
    groups: dict[str, tuple[MeasureCost | None, list[str]]] = {}
    for key in keys:
        m = measure_of(key)
        name = m.measure if m else f"Other change ({key})"
        groups.setdefault(name, (m, []))[1].append(key)
    out = []
    for name, (m, ks) in groups.items():
        if m is None:
            out.append(PricedMeasure(name, tuple(ks), None, "unpriced: no cost known", False))
        else:
            out.append(PricedMeasure(name, tuple(ks), m.nok_per_year, m.basis, m.in_model))
    return out


def level_factors(model_crime_cost_nok_year: float, nok_per_eur: float) -> tuple[float, float]:
    """How far the reported range lets the true crime-cost level sit from the model's: (low, high) multipliers."""
    if not model_crime_cost_nok_year > 0:
        return float("nan"), float("nan")
    lo, hi = (v * nok_per_eur / model_crime_cost_nok_year for v in CRIME_COST_RANGE_EUR)
    return lo, hi


def return_range(low: float, high: float, factors: tuple[float, float]) -> tuple[float, float]:
    """A return's interval ``[low, high]`` widened by the crime-cost level's multipliers (the extremes of the products)."""
    prods = [v * f for v in (low, high) for f in factors]
    return min(prods), max(prods)
