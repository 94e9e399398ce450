"""Calibration targets: the reported figures of SPEC section 6 and how a run is compared with them.

Core objects:
    Target - one reported figure (value or range, tolerance, years, KPI, statistic, role).
    load_targets(path) - read and check ``calibration/targets.yaml``; raises TargetError naming
        the target and the field.
    statistics(annual, targets, cfg, by_region) - one number per target from a run's annual table
        (and its regional table, for the targets of one centre region); record_statistics - the
        same from a stored run (``experiments.tables`` records carry the regional rows).

Roles: ``fit`` targets enter the ABC distance; ``validation`` targets (the 2024 figures) are only
compared with the posterior predictive; ``check`` and ``input`` are reported figures the model
takes as levers (shown, never fitted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TARGETS_FILE = Path(__file__).resolve().parent / "targets.yaml"
ROLES = ("fit", "validation", "check", "input")
STATS = ("sum", "mean", "last", "change")
REQUIRED = ("id", "label", "reported", "unit", "period", "years", "source", "kpi", "stat", "role")
OPTIONAL = ("value", "range", "tolerance", "why_tolerance", "divide_by", "per", "region", "note")
SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"
PUBLIC_FIGURES = Path(__file__).resolve().parents[2] / "shared" / "data" / "public_figures.md"
# SPEC 5 columns that the mechanisms rebuild (issue 11) adds to sim/metrics.py. Targets may name
# them before the model has them: the loader accepts them as known columns, and a run without
# them gives no statistic for those targets (``statistics`` skips them; the ABC distance of such a
# run is infinite, so fitting needs the model that has them). Harmless once the model has them.
ANNOUNCED_KPIS = frozenset({
    "centre_actions", "centre_firms_controlled", "centre_persons_controlled", "centre_fines_count",
    "centre_coercive_fines_count", "centre_suspensions_count", "centre_police_reports",
    "centre_benefit_changes", "central_threat_actors",
})


class TargetError(ValueError):
    """A malformed targets file: names the target, the field and what is allowed."""


@dataclass(frozen=True)
class Target:
    """One reported figure and how the model is compared with it.

    ``value``/``lo``/``hi``/``tolerance`` are in *model* units (EUR converted to NOK).
    """

    id: str
    label: str
    reported: str
    unit: str
    period: str
    years: tuple[int, int]
    source: str
    kpi: tuple[str, ...]
    stat: str
    role: str
    value: float | None = None
    lo: float | None = None
    hi: float | None = None
    tolerance: float | None = None
    why_tolerance: str = ""
    divide_by: str | None = None
    per: tuple[str, ...] = ()
    region: str | None = None
    note: str = ""
    eur_to_nok: float | None = field(default=None, compare=False)

    @property
    def is_range(self) -> bool:
        """True for a range target (``[lo, hi]`` instead of a value)."""
        return self.value is None and self.lo is not None

    @property
    def compared(self) -> bool:
        """True if the model produces a number to compare (fit, validation, check)."""
        return self.role in ("fit", "validation", "check")

    def centre(self) -> float:
        """The reported value, or the midpoint of the range (model units)."""
        if self.is_range:
            return 0.5 * (self.lo + self.hi)  # type: ignore[operator]
        return float(self.value)  # type: ignore[arg-type]

    def residual(self, sim: float) -> float:
        """Signed distance of ``sim`` from the reported figure, in tolerances (0 inside a range)."""
        if sim is None or not math.isfinite(sim):
            return math.inf
        if self.is_range:
            if sim < self.lo:
                return (sim - self.lo) / self.tolerance  # type: ignore[operator]
            if sim > self.hi:
                return (sim - self.hi) / self.tolerance  # type: ignore[operator]
            return 0.0
        return (sim - self.value) / self.tolerance  # type: ignore[operator]

    def column(self, columns: Any, among: tuple[str, ...] | None = None) -> str:
        """The first of ``kpi`` (or of ``among``) present in ``columns`` (raises TargetError if none is)."""
        names = self.kpi if among is None else among
        for k in names:
            if k in columns:
                return k
        raise TargetError(f"target {self.id}: none of the KPI columns {list(names)} is in the annual table")

    def describe(self) -> str:
        """How the model value is computed, in words (for reports)."""
        y0, y1 = self.years
        span = f"{y0}" if y0 == y1 else f"{y0}-{y1}"
        how = {"sum": f"sum over {span}", "mean": f"mean of the yearly values {span}",
               "last": f"value in {y1}", "change": f"{y1} value minus {y0} value"}[self.stat]
        text = f"{' or '.join(self.kpi) or '(no KPI)'}"
        if self.per:
            text += f" per {' or '.join(self.per)}"
        if self.region:
            text += f" in region {self.region}"
        text += f", {how}"
        if self.divide_by:
            text += f", divided by {self.divide_by}"
        return text

    def display(self, x: float | None) -> float | None:
        """A model-unit number in the target's reported unit (NOK back to EUR)."""
        if x is None or self.eur_to_nok is None:
            return x
        return x / self.eur_to_nok

    def statistic(self, annual: Any, cfg: Any = None, by_region: Any = None) -> float:
        """This target's model value from a run's annual table (pandas DataFrame, one row per year).

        A target with a ``region`` reads the run's regional table ``by_region`` (one row per year
        and region, column ``region``) instead. A target with ``per`` divides the statistic of its
        KPI by the same statistic of the ``per`` column (a ratio of sums for ``sum``, of values for
        ``last``).
        """
        table = annual
        if self.region:
            if by_region is None:
                raise TargetError(f"target {self.id}: needs the run's regional table (region {self.region})")
            table = by_region[by_region["region"] == self.region]
            if table.empty:
                raise TargetError(f"target {self.id}: the regional table has no rows for region {self.region!r}")
        out = self._reduce(table, self.column(table.columns))
        if self.per:
            den = self._reduce(table, self.column(table.columns, self.per))
            out = out / den if den != 0 else math.nan
        if self.divide_by:
            if cfg is None:
                raise TargetError(f"target {self.id}: needs the run's configuration to read {self.divide_by}")
            out /= float(config_value(cfg, self.divide_by))
        return out

    def _reduce(self, table: Any, col: str) -> float:
        """The ``stat`` of column ``col`` over this target's years."""
        y0, y1 = self.years
        rows = table[(table["year"] >= y0) & (table["year"] <= y1)]
        years = set(int(y) for y in rows["year"])
        missing = [y for y in range(y0, y1 + 1) if y not in years]
        if missing:
            raise TargetError(f"target {self.id}: the run has no rows for years {missing} (run to at least {y1})")
        x = rows.set_index("year")[col].astype(float)
        if self.stat == "sum":
            return float(x.sum())
        if self.stat == "mean":
            return float(x.mean())
        if self.stat == "last":
            return float(x.loc[y1])
        return float(x.loc[y1] - x.loc[y0])  # change

    def available(self, columns: Any) -> bool:
        """True if ``columns`` hold one of ``kpi`` (and of ``per``, if given)."""
        return any(k in columns for k in self.kpi) and (not self.per or any(k in columns for k in self.per))


def config_value(cfg: Any, dotted: str) -> Any:
    """Value of a dotted key (``policy.nli.n_inspectors``) in a configuration object."""
    obj = cfg
    for part in dotted.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


def _fail(tid: str, msg: str) -> TargetError:
    return TargetError(f"targets file: target {tid}: {msg}")


def _number(tid: str, name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        hint = ""
        if isinstance(v, str) and "e" in v.lower():
            hint = "; YAML reads 2.4e9 as text, write 2.4e+9"
        raise _fail(tid, f"{name} = {v!r} (allowed: a finite number{hint})")
    return float(v)


def _parse(raw: dict[str, Any], known_kpis: set[str] | None, eur_to_nok: float) -> Target:
    tid = str(raw.get("id", "?"))
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise _fail(tid, f"missing field(s) {missing}")
    unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise _fail(tid, f"unknown field(s) {unknown} (allowed: {list(REQUIRED + OPTIONAL)})")
    role, stat = raw["role"], raw["stat"]
    if role not in ROLES:
        raise _fail(tid, f"role = {role!r} (allowed: {list(ROLES)})")
    if stat not in STATS:
        raise _fail(tid, f"stat = {stat!r} (allowed: {list(STATS)})")
    years = raw["years"]
    if (not isinstance(years, list) or len(years) != 2 or not all(isinstance(y, int) for y in years)
            or not 2014 <= years[0] <= years[1] <= 2100):
        raise _fail(tid, f"years = {years!r} (allowed: [first, last] calendar years, 2014 <= first <= last)")
    kpi = raw["kpi"] or []
    if not isinstance(kpi, list) or not all(isinstance(k, str) for k in kpi):
        raise _fail(tid, f"kpi = {kpi!r} (allowed: a list of annual-table column names)")
    if known_kpis is not None:
        # the first KPI may be a column the model does not have yet (a preferred, more exact
        # one); at least one must exist so that the target can be computed today
        if kpi and not any(k in known_kpis for k in kpi):
            raise _fail(tid, f"none of the KPIs {kpi} is a column of sim.metrics.KPI_DEFS")
    per = raw.get("per") or []
    if not isinstance(per, list) or not all(isinstance(k, str) for k in per):
        raise _fail(tid, f"per = {per!r} (allowed: a list of annual-table column names, the denominator)")
    if per and known_kpis is not None and not any(k in known_kpis for k in per):
        raise _fail(tid, f"none of the per KPIs {per} is a column of sim.metrics.KPI_DEFS")
    region = raw.get("region")
    if region is not None:
        from sim.config.policy import REGIONS

        if region not in REGIONS:
            raise _fail(tid, f"region = {region!r} (allowed: one of {list(REGIONS)})")
    value, rng, tol = raw.get("value"), raw.get("range"), raw.get("tolerance")
    factor = eur_to_nok if "EUR" in str(raw["unit"]) else 1.0
    lo = hi = None
    if role in ("fit", "validation", "check"):
        if not kpi:
            raise _fail(tid, f"a {role} target needs at least one KPI column")
        if (value is None) == (rng is None):
            raise _fail(tid, "give exactly one of value or range")
        if rng is not None:
            if not isinstance(rng, list) or len(rng) != 2:
                raise _fail(tid, f"range = {rng!r} (allowed: [low, high])")
            lo, hi = (_number(tid, "range", r) * factor for r in rng)
            if not lo < hi:
                raise _fail(tid, f"range = {rng!r} (allowed: low < high)")
        else:
            value = _number(tid, "value", value) * factor
        tol = _number(tid, "tolerance", tol) * factor if tol is not None else None
        if tol is None or tol <= 0:
            raise _fail(tid, f"tolerance = {raw.get('tolerance')!r} (allowed: a positive number, target units)")
    return Target(
        id=tid, label=str(raw["label"]), reported=str(raw["reported"]), unit=str(raw["unit"]),
        period=str(raw["period"]), years=(years[0], years[1]), source=str(raw["source"]),
        kpi=tuple(kpi), stat=stat, role=role, value=None if value is None else float(value), lo=lo, hi=hi,
        tolerance=tol, why_tolerance=str(raw.get("why_tolerance", "") or ""), divide_by=raw.get("divide_by"),
        per=tuple(per), region=region, note=str(raw.get("note", "") or ""), eur_to_nok=factor if factor != 1.0 else None,
    )


def default_nok_per_eur() -> float:
    """``world.costs.nok_per_eur`` of the schema default (EUR targets are converted with it)."""
    from sim.config.world import CostWorld

    return float(CostWorld().nok_per_eur)


def load_targets(path: str | Path | None = None, nok_per_eur: float | None = None,
                 check_kpis: bool = True) -> list[Target]:
    """Read and check the targets file.

    Args:
        path: The YAML file (default: ``calibration/targets.yaml``).
        nok_per_eur: Exchange rate for EUR targets (default: the schema's ``world.costs.nok_per_eur``).
        check_kpis: Check that every target's KPI list names at least one existing column.

    Raises:
        TargetError: A field is missing, unknown or out of range; ids repeat; a KPI is unknown.
    """
    import yaml

    path = Path(path or TARGETS_FILE)
    if not path.is_file():
        raise TargetError(f"targets file not found: {path}")
    doc = yaml.safe_load(path.read_text())
    if not isinstance(doc, dict) or not isinstance(doc.get("targets"), list) or not doc["targets"]:
        raise TargetError(f"targets file {path}: expected a mapping with a non-empty list 'targets'")
    known = None
    if check_kpis:
        from sim.metrics import KPI_NAMES

        known = set(KPI_NAMES) | ANNOUNCED_KPIS
    rate = float(nok_per_eur) if nok_per_eur is not None else default_nok_per_eur()
    out = [_parse(t, known, rate) for t in doc["targets"]]
    ids = [t.id for t in out]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise TargetError(f"targets file {path}: repeated id(s) {dup}")
    return out


def by_role(targets: list[Target], *roles: str) -> list[Target]:
    """The targets with one of ``roles``, in file order."""
    return [t for t in targets if t.role in roles]


def last_year(targets: list[Target], *roles: str) -> int:
    """The last calendar year any of the targets with ``roles`` needs."""
    sel = by_role(targets, *roles) if roles else targets
    return max(t.years[1] for t in sel)


def statistics(annual: Any, targets: list[Target], cfg: Any = None, by_region: Any = None) -> dict[str, float]:
    """One model value per compared target (``fit``, ``validation``, ``check``) whose years the run covers.

    Skipped: targets that divide by a configuration value when ``cfg`` is None, targets of one
    region when ``by_region`` (the run's regional table) is None, and targets whose KPI columns
    the run's table does not have (a model older than the column; see ``ANNOUNCED_KPIS``).
    """
    have = set(int(y) for y in annual["year"])
    out = {}
    for t in targets:
        if t.divide_by and cfg is None:
            continue
        table = annual
        if t.region:
            if by_region is None:
                continue
            table = by_region
        if not t.available(table.columns):
            continue
        if t.compared and all(y in have for y in range(t.years[0], t.years[1] + 1)):
            out[t.id] = t.statistic(annual, cfg, by_region)
    return out


def record_statistics(record: Any, targets: list[Target], cfg: Any = None) -> dict[str, float]:
    """``statistics`` of one stored run (a plain annual record, or a long record).

    A long record of ``experiments.tables`` holds annual, regional and sectoral rows; its regional
    rows feed the targets of one region.
    """
    from experiments.tables import split

    annual, by_region, _ = split(record)
    return statistics(annual, targets, cfg, by_region)


def columns_used(targets: list[Target], columns: Any) -> dict[str, str]:
    """Which annual-table column each compared target reads, given the model's columns.

    Targets none of whose columns the model has are left out.
    """
    return {t.id: t.column(columns) for t in targets if t.compared and t.available(columns)}
