"""Sourced input tables: employment by sector and region (every row names its source)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Tables:
    """Sector and region tables as arrays (row order = code order used everywhere)."""

    sectors: tuple[str, ...]
    sector_labels: tuple[str, ...]
    regions: tuple[str, ...]
    region_labels: tuple[str, ...]
    employment: np.ndarray  # by sector, 2023, persons
    mean_size: np.ndarray
    migrant_share: np.ndarray
    posted_share: np.ndarray
    evasion_propensity: np.ndarray
    underpay_propensity: np.ndarray
    consumer_sensitivity: np.ndarray
    wage: np.ndarray  # NOK per year
    risk_sector: np.ndarray  # bool
    region_share: np.ndarray

    def sector_index(self, name: str) -> int:
        """Code of a sector by name (ValueError naming the allowed names otherwise)."""
        try:
            return self.sectors.index(name)
        except ValueError:
            raise ValueError(f"unknown sector {name!r}; allowed: {', '.join(self.sectors)}") from None


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_tables(sectors_file: str = "sectors.csv", regions_file: str = "regions.csv") -> Tables:
    """Read the sector and region tables (names relative to ``sim/data/`` or absolute)."""
    sp = Path(sectors_file) if Path(sectors_file).is_absolute() else DATA_DIR / sectors_file
    rp = Path(regions_file) if Path(regions_file).is_absolute() else DATA_DIR / regions_file
    srows, rrows = _read(sp), _read(rp)
    for row in srows:
        if not row.get("employment_source"):
            raise ValueError(f"{sp.name}: row {row.get('sector')!r} has no source (write one or 'assumption')")

    def col(name: str, dtype=float) -> np.ndarray:
        return np.array([dtype(r[name]) for r in srows])

    share = np.array([float(r["employment_share"]) for r in rrows])
    if abs(share.sum() - 1.0) > 1e-6:
        raise ValueError(f"{rp.name}: employment_share sums to {share.sum():.4f}, must be 1")
    return Tables(
        sectors=tuple(r["sector"] for r in srows),
        sector_labels=tuple(r["label"] for r in srows),
        regions=tuple(r["region"] for r in rrows),
        region_labels=tuple(r["centre_city"] for r in rrows),
        employment=col("employment_2023"),
        mean_size=col("mean_firm_size"),
        migrant_share=col("migrant_share"),
        posted_share=col("posted_share"),
        evasion_propensity=col("evasion_propensity"),
        underpay_propensity=col("underpay_propensity"),
        consumer_sensitivity=col("consumer_sensitivity"),
        wage=col("wage_nok_year"),
        risk_sector=np.array([r["risk_sector"].strip().lower() == "true" for r in srows]),
        region_share=share,
    )
