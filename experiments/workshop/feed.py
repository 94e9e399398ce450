"""Notable events from the model's event log, phrased in plain language for the workshop feed.

The event log (``sim.events.EventLog``) is append-only, so the feed keeps a cursor and reads only
the rows added since the last step. Most rows (inspections, shared signals, orders...) are too
many and too small for a room to follow; ``NOTABLE`` lists the kinds that make the feed, and
``phrase`` turns one row into one sentence.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass
from typing import Any

from sim.config.policy import REGIONS
from sim.events import KINDS

# Display names of the centre regions (the centre's city, as in sim/data/regions.csv).
REGION_LABELS: dict[str, str] = {
    "oslo": "Oslo", "bergen": "Bergen", "stavanger": "Stavanger", "kristiansand": "Kristiansand",
    "trondheim": "Trondheim", "tonsberg": "Tønsberg", "bodo": "Bodø", "alta": "Alta",
}
SECTOR_LABELS: dict[str, str] = {
    "construction": "construction", "cleaning": "cleaning", "hospitality": "hospitality",
    "transport": "transport", "car_valeting": "car-valeting", "agriculture": "agriculture",
    "fisheries": "fisheries", "temp_agencies": "temporary-work agency", "other": "",
}

# How lever changes made on the page are phrased (``experiments.workshop.levers.describe``); it is also
# the note of the intervention ``AkrimModel.set_levers`` queues for them, which the feed does
# not repeat when the change comes into force at the next tick (the page noted it already).
LEVER_NOTE = "Lever changed"

# Kinds that make the feed, with a severity used for colour and filtering ("key" items are the
# ones the trainer's guide points at: a leader group prioritises an actor, a phoenix bankruptcy,
# a conviction).
NOTABLE: dict[str, str] = {
    "meeting_priority": "key", "bankruptcy_phoenix": "key", "conviction": "key",
    "dropped_evidence": "info", "business_ban": "key", "asset_seizure": "info",
    "actor_new": "info", "actor_desisted": "info", "actor_released": "info", "displacement": "info",
    "centre_opened": "system", "regulation_in_force": "system", "ntaes_assessment": "system",
    "intervention": "system", "suspension": "info",
}


def actor_label(aid: int) -> str:
    """How the page names a threat actor (seed 002 calls one 'TA10')."""
    return f"TA{aid}"


def _region(code: int) -> str:
    return REGION_LABELS[REGIONS[code]] if 0 <= code < len(REGIONS) else "an unknown region"


def _company(sectors: tuple[str, ...], code: int) -> str:
    label = SECTOR_LABELS.get(sectors[code], sectors[code]) if 0 <= code < len(sectors) else ""
    return f"{label} company" if label else "company"


def phrase(kind: str, *, region: int = -1, sector: int = -1, actor: int = -1, value: float = 0.0,
           sectors: tuple[str, ...] = (), notes: tuple[str, ...] = ()) -> str | None:
    """One sentence for one event, or ``None`` if the event does not make the feed.

    Args:
        kind: Event kind (``sim.events.KINDS``).
        region: Region code, -1 if none.
        sector: Sector code, -1 if none.
        actor: Threat actor id, -1 if the event is not about an actor.
        value: The event's value column (its meaning depends on the kind).
        sectors: Sector names of the model (to name a company's sector).
        notes: Notes of the policy's dated interventions (for ``intervention`` events).
    """
    ta = actor_label(actor) if actor >= 0 else ""
    where = _region(region)
    company = _company(sectors, sector)
    if kind == "meeting_priority":
        return f"The {where} leader group prioritises threat actor {ta}: joint controls of its companies are planned."
    if kind == "bankruptcy_phoenix":
        return f"{ta} runs a planned bankruptcy of its {company} in {where}; a new company takes over the workers (phoenix)."
    if kind == "conviction":
        who = f"Threat actor {ta}" if ta else f"The owner of a {company}"
        return f"{who} is convicted in {where}, {value / 30.4:.0f} months after the police report."
    if kind == "dropped_evidence":
        if not ta:
            return None
        return f"The case against {ta} in {where} is dropped for lack of evidence."
    if kind == "business_ban":
        return f"{ta} is banned from running businesses."
    if kind == "asset_seizure":
        return f"Assets of {ta} worth NOK {value / 1e6:.1f} million are seized after a joint control in {where}." if ta else None
    if kind == "actor_new":
        return f"A new threat actor, {ta}, starts registering companies in {where}."
    if kind == "actor_desisted":
        return f"{ta} gives up work-related crime; its companies pass to ordinary owners."
    if kind == "actor_released":
        return f"{ta} is released after serving a sentence and returns to the market."
    if kind == "displacement":
        target = SECTOR_LABELS.get(sectors[sector], "") if 0 <= sector < len(sectors) else ""
        what = f"{target} in {where}" if target else where
        return f"{ta} moves its activity to {what}, where controls are rarer."
    if kind == "suspension":
        if not ta:
            return None
        return f"Stop order: {ta}'s {company} in {where} is suspended for {value:.0f} days."
    if kind == "centre_opened":
        return f"The {where} a-krim centre opens: the four agencies now work side by side there."
    if kind == "regulation_in_force":
        return "The regulation on sharing confidential information between the agencies comes into force."
    if kind == "ntaes_assessment":
        return "NTAES delivers its national threat assessment; inspection priorities across sectors are re-weighted."
    if kind == "intervention":
        i = int(value)
        note = notes[i] if 0 <= i < len(notes) and notes[i] else "a dated policy change"
        if note.startswith(LEVER_NOTE):
            return None
        return f"Policy change in force: {note}."
    return None


@dataclass(frozen=True)
class FeedItem:
    """One line of the feed."""

    t: float
    date: dt.date
    kind: str
    severity: str
    actor: int
    text: str


class Feed:
    """Reads new event-log rows after each step and keeps the latest notable items.

    Args:
        origin: Calendar date of day 0 of the model.
        sectors: Sector names of the model.
        maxlen: How many items to keep (oldest dropped first).
    """

    def __init__(self, origin: dt.date, sectors: tuple[str, ...], maxlen: int = 200) -> None:
        self.origin = origin
        self.sectors = tuple(sectors)
        self.items: deque[FeedItem] = deque(maxlen=maxlen)
        self.cursor = 0
        self.version = 0  # bumped on every item added (the page redraws the feed when it changes)
        self.counts: dict[str, int] = {k: 0 for k in NOTABLE}
        self._notable_codes = {KINDS.index(k): k for k in NOTABLE}

    def update(self, log: Any, notes: tuple[str, ...] = ()) -> list[FeedItem]:
        """Phrase the notable rows added to ``log`` since the last call; return the new items."""
        cols = log.cols
        n = len(cols["t"])
        kinds = cols["kind"]
        new: list[FeedItem] = []
        for i in range(self.cursor, n):
            kind = self._notable_codes.get(kinds[i])
            if kind is None:
                continue
            text = phrase(kind, region=cols["region"][i], sector=cols["sector"][i], actor=cols["actor"][i],
                          value=cols["value"][i], sectors=self.sectors, notes=notes)
            if text is None:
                continue
            t = float(cols["t"][i])
            item = FeedItem(t, self.origin + dt.timedelta(days=int(t)), kind, NOTABLE[kind], int(cols["actor"][i]), text)
            self.items.append(item)
            self.version += 1
            self.counts[kind] += 1
            new.append(item)
        self.cursor = n
        return new

    def note(self, t: float, key: str, text: str) -> FeedItem:
        """Add a lever change made on the page (a repeat of the same lever at the same time replaces it)."""
        item = FeedItem(t, self.origin + dt.timedelta(days=int(t)), f"lever:{key}", "lever", -1, text)
        if self.items and self.items[-1].kind == item.kind and self.items[-1].t == t:
            self.items.pop()
        self.items.append(item)
        self.version += 1
        return item

    def latest(self, n: int = 12, severities: tuple[str, ...] = ("key", "info", "system", "lever")) -> list[FeedItem]:
        """The ``n`` newest items of the given severities, newest first."""
        out = []
        for item in reversed(self.items):
            if item.severity in severities:
                out.append(item)
                if len(out) == n:
                    break
        return out
