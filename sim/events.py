"""The event log: every enforcement event with time, place, firm and actor (SPEC 5).

Rows are appended to plain Python lists (cheap) and turned into a typed table once, at the end.
"""

from __future__ import annotations

import numpy as np

KINDS = (
    "inspection_nli",
    "inspection_joint",
    "violation",
    "signal_shared",
    "signal_lost",
    "tip",
    "analysis_done",
    "meeting_priority",
    "control_target_gone",
    "order",
    "fine",
    "coercive_fine",
    "suspension",
    "publication",
    "approval_withdrawn",
    "tax_reassessment",
    "benefit_clawback",
    "asset_seizure",
    "remediation",
    "police_report",
    "case_started",
    "conviction",
    "dropped_evidence",
    "case_other_outcome",
    "bankruptcy_phoenix",
    "company_opened",
    "actor_new",
    "actor_desisted",
    "actor_incarcerated",
    "actor_released",
    "business_ban",
    "displacement",
    "centre_opened",
    "regulation_in_force",
    "ntaes_assessment",
    "intervention",
    "cross_border_exchange",
    "company_succeeded",  # appended last: the codes of the kinds above stay as they were
    "company_wound_up",
    "actor_identified",
    "file_closed",
)
KIND = {k: i for i, k in enumerate(KINDS)}
AGENCIES = ("none", "nli", "tax", "nav", "police", "centre", "ntaes", "union", "foreign")
AGENCY = {a: i for i, a in enumerate(AGENCIES)}


class EventLog:
    """Append-only columnar log."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.cols: dict[str, list] = {k: [] for k in ("t", "kind", "region", "sector", "firm", "actor", "agency", "value")}

    def add(
        self,
        t: float,
        kind: str,
        region: int = -1,
        sector: int = -1,
        firm: int = -1,
        actor: int = -1,
        agency: str = "none",
        value: float = 0.0,
    ) -> None:
        """Record one event (``kind`` from KINDS, ``agency`` from AGENCIES)."""
        if not self.enabled:
            return
        c = self.cols
        c["t"].append(t)
        c["kind"].append(KIND[kind])
        c["region"].append(region)
        c["sector"].append(sector)
        c["firm"].append(firm)
        c["actor"].append(actor)
        c["agency"].append(AGENCY[agency])
        c["value"].append(value)

    def extend(
        self,
        t: float,
        kind: str,
        region: np.ndarray,
        sector: np.ndarray,
        firm: np.ndarray,
        actor: np.ndarray,
        agency: str = "none",
        value: np.ndarray | None = None,
    ) -> None:
        """Record many events of one kind at time ``t`` (arrays of equal length)."""
        if not self.enabled:
            return
        n = len(region)
        c = self.cols
        c["t"].extend([t] * n)
        c["kind"].extend([KIND[kind]] * n)
        c["region"].extend(np.asarray(region).tolist())
        c["sector"].extend(np.asarray(sector).tolist())
        c["firm"].extend(np.asarray(firm).tolist())
        c["actor"].extend(np.asarray(actor).tolist())
        c["agency"].extend([AGENCY[agency]] * n)
        c["value"].extend([0.0] * n if value is None else np.asarray(value, dtype=float).tolist())

    def __len__(self) -> int:
        return len(self.cols["t"])

    def count(self, kind: str) -> int:
        """How many events of ``kind`` were logged."""
        code = KIND[kind]
        return sum(1 for k in self.cols["kind"] if k == code)

    def to_frame(self, start_year: int, regions: tuple[str, ...], sectors: tuple[str, ...]):
        """The log as a pandas DataFrame with readable categories and calendar dates."""
        import pandas as pd

        c = self.cols
        t = np.asarray(c["t"], dtype=np.float64)
        origin = np.datetime64(f"{start_year}-01-01")
        date = origin + np.floor(t).astype("timedelta64[D]")

        def cat(codes, labels):
            codes = np.asarray(codes, dtype=np.int16)
            return pd.Categorical.from_codes(np.where(codes < 0, -1, codes), categories=list(labels))

        return pd.DataFrame(
            {
                "t_day": t,
                "date": date,
                "kind": cat(c["kind"], KINDS),
                "region": cat(c["region"], regions),
                "sector": cat(c["sector"], sectors),
                "firm": np.asarray(c["firm"], dtype=np.int64),
                "actor": np.asarray(c["actor"], dtype=np.int32),
                "agency": cat(c["agency"], AGENCIES),
                "value": np.asarray(c["value"], dtype=np.float64),
            }
        )
