"""Runs that record the regional and sectoral tables too, as one long record per run.

``experiments.runs.run_spec`` stores a run's national annual table. Some analyses need the
breakdowns: the calibration targets of one centre region (``calibration/targets.yaml``,
``region:``) and the displacement check of ``docs/validation.md``. A record here stacks

* the annual table (``table="annual"``, ``unit=""``),
* the regional table (``table="region"``, ``unit`` = the region's name),
* the sectoral table (``table="sector"``, ``unit`` = the sector's name),

followed by the spec's tags and the provenance columns of ``experiments.runs``, under the same key
as ``run_spec`` (the resolved configuration). Pass ``run_tables_safe`` (or
``run_tables_events_safe``, which also counts threat actors' new registrations from the event log)
as ``runner`` to ``experiments.execute.execute``, and keep such records in a store of their own.
``split`` turns a record back into its tables.
"""

from __future__ import annotations

import json
import time
import traceback
from typing import Any

import numpy as np
import pandas as pd

# Kinds of event that are a threat actor's new company registration: a new front company, and a
# phoenix successor of a bankrupt one. Kinds the model version does not log are left out and
# named (``registration_kinds``).
REGISTRATION_EVENTS = ("company_opened", "company_succeeded")


def run_tables(spec: Any, key: str | None = None, events: bool = False) -> pd.DataFrame:
    """Run ``spec`` (the simulator) and return its long record (see the module docstring).

    With ``events``, the event log is kept during the run and every row gets ``registrations``
    (threat actors' new companies in that year and unit, 1:1 like the flows; see
    ``REGISTRATION_EVENTS``) and ``registration_kinds`` (the event kinds counted).
    """
    from experiments.runs import resolve
    from sim.model import AkrimModel

    if spec.model != "akrim":
        raise ValueError(f"run_tables runs the simulator only, not {spec.model!r}")
    cfg = resolve(spec)
    cfg.output.events = events  # output switches are not part of the key
    t0, c0 = time.perf_counter(), time.process_time()
    res = AkrimModel(cfg).run()
    return tables_record(spec, cfg, res, key, events, time.perf_counter() - t0, time.process_time() - c0)


def tables_record(spec: Any, cfg: Any, res: Any, key: str | None, events: bool, wall_s: float, cpu_s: float) -> pd.DataFrame:
    """The long record of a finished run ``res`` of ``spec`` (resolved to ``cfg``): see ``run_tables``.

    Shared by ``run_tables`` and the branched runs of ``experiments.branch``, so both store the
    same record for the same run (``wall_s`` and ``cpu_s`` are the caller's measurement).
    """
    from experiments.runs import _code_version, config_dict, key_of

    parts = [res.annual.assign(table="annual", unit=""),
             res.by_region.rename(columns={"region": "unit"}).assign(table="region"),
             res.by_sector.rename(columns={"sector": "unit"}).assign(table="sector")]
    df = pd.concat(parts, ignore_index=True)
    df["unit"] = df["unit"].astype(str)
    if events:
        df = add_registrations(df, res.events, cfg.scale, _sector_weights(cfg))
    extra = {k: v for k, v in spec.tags}
    extra.update({
        "run_key": key or key_of(cfg), "seed": cfg.seed, "scale": cfg.scale, "policy": cfg.policy.name,
        "world": cfg.world.name, "code_version": _code_version(), "wall_s": wall_s,
        "cpu_s": cpu_s, "config_json": json.dumps(config_dict(cfg), sort_keys=True, default=str),
    })
    df = df.drop(columns=[c for c in extra if c in df.columns])
    return df.assign(**extra)


def run_tables_safe(spec: Any, key: str | None = None) -> tuple[str, Any, str | None]:
    """``run_tables`` without the event log, never raising (``execute``'s runner interface)."""
    try:
        return "ok", run_tables(spec, key), None
    except Exception:  # recorded with the run, never stops the other runs
        return "failed", None, traceback.format_exc()


def run_tables_events_safe(spec: Any, key: str | None = None) -> tuple[str, Any, str | None]:
    """``run_tables`` with the registrations from the event log, never raising."""
    try:
        return "ok", run_tables(spec, key, events=True), None
    except Exception:  # recorded with the run, never stops the other runs
        return "failed", None, traceback.format_exc()


def split(record: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """``(annual, by_region, by_sector)`` of one run's record; a plain annual record gives ``(record, None, None)``.

    The breakdowns get back their ``region`` / ``sector`` column, as in a run folder.
    """
    if "table" not in record.columns:
        return record, None, None
    annual = record[record["table"] == "annual"].drop(columns=["table", "unit"]).sort_values("year").reset_index(drop=True)
    reg = record[record["table"] == "region"].rename(columns={"unit": "region"}).drop(columns=["table"]).reset_index(drop=True)
    sec = record[record["table"] == "sector"].rename(columns={"unit": "sector"}).drop(columns=["table"]).reset_index(drop=True)
    return annual, reg, sec


def _sector_weights(cfg: Any) -> dict[str, float] | None:
    """National firms per event by sector when actors are at national count (risk sectors at 1:1), else None."""
    if not getattr(cfg, "national_actors", False) or cfg.scale >= 1.0:
        return None
    from sim.data import load_tables

    tb = load_tables(cfg.world.population.sectors_file, cfg.world.population.regions_file)
    return {s: (cfg.scale if r else 1.0) for s, r in zip(tb.sectors, tb.risk_sector)}


def add_registrations(df: pd.DataFrame, events: pd.DataFrame | None, scale: float, sector_weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Add ``registrations`` per (table, year, unit) from the event log (NaN without a log).

    ``sector_weights`` (actors at national count): what one event in a sector counts before the
    division by the scale (``scale`` in a risk sector built at 1:1, 1 elsewhere).
    """
    df = df.copy()
    kinds: list[str] = []
    if events is not None:
        col = events["kind"]
        known = set(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else set(col.astype(str))
        kinds = [k for k in REGISTRATION_EVENTS if k in known]
    df["registration_kinds"] = ",".join(kinds)
    if events is None or not kinds:
        df["registrations"] = np.nan
        return df
    ev = events[events["kind"].astype(str).isin(kinds)]
    year = pd.to_datetime(ev["date"]).dt.year
    ev = pd.DataFrame({"year": year.to_numpy(), "region": ev["region"].astype(str).to_numpy(),
                       "sector": ev["sector"].astype(str).to_numpy()})
    ev["w"] = 1.0 if sector_weights is None else ev["sector"].map(sector_weights).fillna(1.0)
    counts = {"annual": ev.groupby("year")["w"].sum().rename("n").reset_index().assign(unit=""),
              "region": ev.groupby(["year", "region"])["w"].sum().rename("n").reset_index().rename(columns={"region": "unit"}),
              "sector": ev.groupby(["year", "sector"])["w"].sum().rename("n").reset_index().rename(columns={"sector": "unit"})}
    allc = pd.concat([c.assign(table=t) for t, c in counts.items()], ignore_index=True)
    df = df.merge(allc, on=["table", "year", "unit"], how="left")
    df["registrations"] = df.pop("n").fillna(0.0) / scale
    return df
