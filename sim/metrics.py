"""KPIs (SPEC 5): their definitions, accumulation during a run, and the annual tables.

Kinds of KPI:
    flow   counted or summed over the calendar year (scaled back to 1:1 by ``1 / scale``)
    nok    money summed over the year, NOK (scaled back to 1:1)
    cost   money computed from 1:1 levers (not scaled)
    stock  a count at year end (scaled back to 1:1)
    level  a count averaged over the year's monthly observations (scaled back to 1:1)
    share  a ratio at year end or over the year's monthly observations (not scaled)
    mean   an average (not scaled)
"""

from __future__ import annotations

import numpy as np

# name, kind, breakdown ("rs" = by region and sector, "r" = by region only, "" = national), meaning
KPI_DEFS: tuple[tuple[str, str, str, str], ...] = (
    ("inspections_nli", "flow", "rs", "ordinary NLI inspections completed"),
    ("inspections_joint", "flow", "rs", "joint (>=2 agencies) centre controls completed"),
    ("firms_controlled", "flow", "rs", "distinct firms inspected or controlled in the year"),
    ("violations_found", "flow", "rs", "inspections or controls that found at least one violation"),
    ("orders", "flow", "rs", "orders to rectify"),
    ("fines_count", "flow", "rs", "administrative fines (overtredelsesgebyr)"),
    ("coercive_fines_count", "flow", "rs", "daily coercive fines"),
    ("suspensions_count", "flow", "rs", "suspensions (stop orders)"),
    ("fines_nok", "nok", "rs", "administrative fines imposed, NOK"),
    ("wrongful_benefits_nok", "nok", "rs", "wrongful financial support identified by NAV, NOK"),
    ("tax_reassessed_nok", "nok", "rs", "tax reassessed incl. surcharge, NOK"),
    ("assets_seized_nok", "nok", "rs", "assets seized or confiscated, NOK"),
    ("police_reports", "flow", "rs", "cases reported to the police by any agency"),
    (
        "police_reports_nli",
        "flow",
        "rs",
        "cases reported to the police by the NLI after its ordinary inspections (joint-control reports count as the centre's)",
    ),
    ("cases_against_ta", "flow", "rs", "police cases opened against threat actors"),
    ("convictions", "flow", "rs", "cases ending in conviction"),
    ("cases_dropped_evidence", "flow", "rs", "cases dropped because of the evidence"),
    ("convictions_ta", "flow", "rs", "convictions in cases against threat actors (seed 001 counts these)"),
    ("cases_dropped_evidence_ta", "flow", "rs", "cases against threat actors dropped because of the evidence"),
    ("case_days_mean", "mean", "", "mean days from police report to outcome, cases ending in the year"),
    ("active_threat_actors", "stock", "rs", "threat actors active (not incarcerated or desisted) at year end"),
    ("ta_capacity_total", "stock", "r", "total capacity of active actors at year end, MNOK"),
    ("ta_capacity_reduced_share", "share", "", "share of active actors whose capacity fell over the year"),
    ("ta_linked_to_inspected_share", "share", "", "share of active actors with a company inspected by the NLI since the start of the run"),
    ("ta_previously_reported_share", "share", "", "share of active actors previously reported to the police"),
    ("ta_bankruptcy_role_share", "share", "", "share of active actors who have led a company into bankruptcy"),
    ("companies_per_ta", "mean", "", "active companies per active threat actor at year end"),
    ("phoenix_bankruptcies", "flow", "rs", "planned (phoenix) bankruptcies"),
    (
        "undeclared_work_share",
        "share",
        "rs",
        "share of employees in the risk sectors (sectors.csv risk_sector) working wholly or partly undeclared, mean of monthly observations",
    ),
    ("exploited_workers", "level", "rs", "employees undeclared or underpaid, mean of monthly observations"),
    (
        "workers_remediated",
        "flow",
        "rs",
        "employees of the enterprises that implemented measures restoring workers' conditions after an inspection (as seed 002 counts them)",
    ),
    ("enterprises_remediated", "flow", "rs", "enterprises that implemented measures after an inspection"),
    ("tips", "flow", "rs", "tips from workers reaching the NLI (directly or via a union)"),
    (
        "crime_cost_nok",
        "nok",
        "rs",
        "cost of work-related crime: evaded tax and contributions, wage theft, wrongful benefits, phoenix losses and harm, NOK",
    ),
    ("enforcement_cost_nok", "cost", "", "cost of enforcement: NLI inspectors, centre staff, police investigators, NTAES, campaigns, NOK"),
    # Beyond SPEC 5: diagnostics used by tests and reports.
    ("actors_prioritised", "flow", "r", "threat actors newly prioritised by a leader group"),
    ("phoenix_before_target_mean", "mean", "", "mean phoenix bankruptcies an actor had run when first prioritised"),
    ("signals_shared", "flow", "r", "signals that reached a partner or a centre"),
    ("signals_lost", "flow", "r", "signals never shared (incomplete sharing)"),
    ("employers_active", "stock", "rs", "active workplaces at year end"),
    ("workers_employed", "level", "rs", "employed workers, mean of monthly observations"),
    ("perceived_detection_mean", "share", "", "mean perceived annual detection probability of opportunistic firms at year end"),
)
KPI_NAMES = tuple(k[0] for k in KPI_DEFS)
KPI_KIND = {k[0]: k[1] for k in KPI_DEFS}
KPI_BREAKDOWN = {k[0]: k[2] for k in KPI_DEFS}
SCALED = {"flow", "nok", "stock", "level"}


class Metrics:
    """Accumulates KPIs by year, and by year x region and year x sector.

    Args:
        years: Calendar years of the run.
        n_regions: Number of regions.
        n_sectors: Number of sectors.
        scale: Population scale factor (results are divided by it where the kind says so).
    """

    def __init__(self, years: list[int], n_regions: int, n_sectors: int, scale: float) -> None:
        self.years = list(years)
        self.scale = scale
        ny, nk = len(years), len(KPI_NAMES)
        self.idx = {k: i for i, k in enumerate(KPI_NAMES)}
        self.nat = np.zeros((ny, nk))
        self.reg = np.zeros((ny, n_regions, nk))
        self.sec = np.zeros((ny, n_sectors, nk))
        # Numerators/denominators for means and shares, by year.
        self.num = np.zeros((ny, nk))
        self.den = np.zeros((ny, nk))
        self.num_r = np.zeros((ny, n_regions, nk))
        self.den_r = np.zeros((ny, n_regions, nk))
        self.num_s = np.zeros((ny, n_sectors, nk))
        self.den_s = np.zeros((ny, n_sectors, nk))

    def add(self, y: int, name: str, region: int = -1, sector: int = -1, value: float = 1.0) -> None:
        """Add ``value`` to flow KPI ``name`` in year index ``y`` (and its region/sector cell)."""
        k = self.idx[name]
        self.nat[y, k] += value
        if region >= 0:
            self.reg[y, region, k] += value
        if sector >= 0:
            self.sec[y, sector, k] += value

    def add_arrays(self, y: int, name: str, region: np.ndarray, sector: np.ndarray, value: np.ndarray) -> None:
        """Vectorised ``add`` for many events at once."""
        k = self.idx[name]
        self.nat[y, k] += float(np.sum(value))
        np.add.at(self.reg[y, :, k], region, value)
        np.add.at(self.sec[y, :, k], sector, value)

    def ratio(
        self,
        y: int,
        name: str,
        num: float,
        den: float,
        num_r: np.ndarray | None = None,
        den_r: np.ndarray | None = None,
        num_s: np.ndarray | None = None,
        den_s: np.ndarray | None = None,
    ) -> None:
        """Accumulate numerator and denominator of a share/mean/level KPI."""
        k = self.idx[name]
        self.num[y, k] += num
        self.den[y, k] += den
        if num_r is not None:
            self.num_r[y, :, k] += num_r
            self.den_r[y, :, k] += den_r
        if num_s is not None:
            self.num_s[y, :, k] += num_s
            self.den_s[y, :, k] += den_s

    def set_stock(self, y: int, name: str, value: float, by_r: np.ndarray | None = None, by_s: np.ndarray | None = None) -> None:
        """Set a year-end stock KPI (national and optional breakdowns)."""
        k = self.idx[name]
        self.nat[y, k] = value
        if by_r is not None:
            self.reg[y, :, k] = by_r
        if by_s is not None:
            self.sec[y, :, k] = by_s

    def _finish(self, flows: np.ndarray, num: np.ndarray, den: np.ndarray) -> np.ndarray:
        out = flows.copy()
        ratio_kpis = [k for k in KPI_NAMES if KPI_KIND[k] in ("share", "mean", "level")]
        for name in ratio_kpis:  # no observation in a year (or cell) -> NaN, never 0
            k = self.idx[name]
            with np.errstate(invalid="ignore", divide="ignore"):
                out[..., k] = np.where(den[..., k] > 0, num[..., k] / den[..., k], np.nan)
        for name in KPI_NAMES:
            if KPI_KIND[name] in SCALED:
                out[..., self.idx[name]] /= self.scale
        return out

    def annual(self):
        """National annual table: one row per year, every KPI a column."""
        import pandas as pd

        vals = self._finish(self.nat, self.num, self.den)
        df = pd.DataFrame(vals, columns=list(KPI_NAMES))
        df.insert(0, "year", self.years)
        return df

    def _long(self, flows, num, den, names: tuple[str, ...], label: str, allowed: str):
        import pandas as pd

        vals = self._finish(flows, num, den)
        ny, ng, _ = vals.shape
        cols = [k for k in KPI_NAMES if allowed in KPI_BREAKDOWN[k]]
        df = pd.DataFrame(
            {
                "year": np.repeat(self.years, ng),
                label: np.tile(np.array(names, dtype=object), ny),
            }
        )
        for k in cols:
            df[k] = vals[:, :, self.idx[k]].ravel()
        return df

    def by_region(self, regions: tuple[str, ...]):
        """Per-region annual table (KPIs with a regional breakdown)."""
        return self._long(self.reg, self.num_r, self.den_r, regions, "region", "r")

    def by_sector(self, sectors: tuple[str, ...]):
        """Per-sector annual table (KPIs with a sector breakdown)."""
        return self._long(self.sec, self.num_s, self.den_s, sectors, "sector", "s")
