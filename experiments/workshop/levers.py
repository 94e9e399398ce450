"""The live levers on the workshop page: what each reads from and writes to the running policy.

Every lever here is a lever of ``sim.config.policy`` (SPEC 4.7); the page changes them between
weekly steps through the model's public ``set_levers``, which validates them as the
configuration would and applies them at the start of the next weekly tick like a dated
intervention (capacities, the expected sanction and targeting weights follow then).
``read_levers`` reads them back from the model's ``planned_policy()`` (the levers in force from
the next tick), so a change shows on the page at once and a scenario's dated interventions show
when they come into force.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from experiments.workshop.feed import LEVER_NOTE, REGION_LABELS
from sim.config.policy import REGIONS

HISTORY_REGULATION = "2022-06-01"  # seed 002: the regulation came into force in June 2022

# Targeting strategies (SPEC 4.5): shares of ordinary NLI inspections chosen at random, by sector
# risk and from intelligence. "mixed" is the schema default; "intelligence-led" is the split of
# scenarios/policy/intelligence_led.yaml.
TARGETING: dict[str, tuple[float, float, float]] = {
    "mixed": (0.2, 0.7, 0.1),
    "random": (1.0, 0.0, 0.0),
    "risk-based": (0.0, 1.0, 0.0),
    "intelligence-led": (0.1, 0.3, 0.6),
}
REGULATION_CHOICES = ("June 2022 (history)", "in force now", "never")


@dataclass(frozen=True)
class Slider:
    """A numeric lever: key, label, range, step and the policy field it maps to (for the docs)."""

    key: str
    label: str
    lo: float
    hi: float
    step: float
    field: str


SLIDERS: tuple[Slider, ...] = (
    Slider("n_inspectors", "NLI inspectors (ordinary inspections, ~70 each a year)", 0, 800, 5, "nli.n_inspectors"),
    Slider("analysts", "Analysts per centre", 0, 20, 1, "centres.by_region.*.analysts"),
    Slider("inspection_teams", "Joint inspection teams per centre", 0, 10, 0.5, "centres.by_region.*.inspection_teams"),
    Slider("latency_multiplier", "Sharing delay (x today's latency)", 0.1, 3.0, 0.1, "sharing.latency_multiplier"),
    Slider("p_fine", "Fine after a pay/undeclared violation (probability)", 0.0, 0.5, 0.01, "sanctions.p_fine"),
    Slider("p_suspension", "Stop order after undeclared work found (probability)", 0.0, 0.3, 0.01, "sanctions.p_suspension"),
    Slider("p_report_nli", "NLI police report after a serious violation (probability)", 0.0, 0.3, 0.01, "sanctions.p_report_nli"),
    Slider("campaign_reach", "'Know your rights' campaign: migrant workers reached a year", 0.0, 0.8, 0.05, "campaigns.reach_year"),
)
SLIDER = {s.key: s for s in SLIDERS}
CHOICES: dict[str, tuple[str, ...]] = {
    "targeting": tuple(TARGETING),
    "regulation": REGULATION_CHOICES,
    "new_centre": ("none", *REGIONS),
}


def _other_region(extra: str | None) -> str:
    return next(r for r in REGIONS if r != extra)


# Labels of the choice levers (the sliders carry theirs): with SLIDERS and CHOICES this is the page's
# one list of levers; the lever panel, the changes-in-force panel and the docs read it from here.
CHOICE_LABELS: dict[str, str] = {
    "targeting": "NLI targeting",
    "regulation": "Information-sharing regulation",
    "new_centre": "A new centre in",
}
LABELS: dict[str, str] = {"targeting": CHOICE_LABELS["targeting"], **{s.key: s.label.split(" (")[0] for s in SLIDERS},
                          "regulation": CHOICE_LABELS["regulation"], "new_centre": CHOICE_LABELS["new_centre"]}


def read_levers(m: Any) -> dict[str, Any]:
    """The value of every live lever of model ``m`` from its next tick (changes made since included)."""
    extra = getattr(m, "extra_centre", None) if getattr(m, "extra_centre_doubled", False) else None
    out = levers_of(m.planned_policy(), extra)
    out["new_centre"] = getattr(m, "extra_centre", None) or "none"
    return out


def levers_of(p: Any, extra: str | None = None) -> dict[str, Any]:
    """The page's levers as they read on policy ``p`` (``extra``: a region whose centre staff are doubled)."""
    ref = p.centres.by_region[_other_region(extra)]
    w = (p.nli.w_random, p.nli.w_risk_based, p.nli.w_intelligence_led)
    total = sum(w) or 1.0
    targeting = next((k for k, v in TARGETING.items() if all(abs(a / total - b) < 1e-6 for a, b in zip(v, w))), "custom")
    reg = p.sharing.regulation
    if reg is None:
        regulation = "never"
    elif str(reg) == HISTORY_REGULATION:
        regulation = REGULATION_CHOICES[0]
    else:
        regulation = f"from {reg}"
    return {
        "n_inspectors": float(p.nli.n_inspectors),
        "analysts": float(ref.analysts),
        "inspection_teams": float(ref.inspection_teams),
        "latency_multiplier": float(p.sharing.latency_multiplier),
        "p_fine": float(p.sanctions.p_fine),
        "p_suspension": float(p.sanctions.p_suspension),
        "p_report_nli": float(p.sanctions.p_report_nli),
        "campaign_reach": float(p.campaigns.reach_year),
        "targeting": targeting,
        "regulation": regulation,
        "new_centre": "none",
    }


def _check(key: str, value: Any) -> Any:
    if key in SLIDER:
        s = SLIDER[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (s.lo <= float(value) <= s.hi):
            raise ValueError(f"lever {key} = {value!r}: allowed a number in [{s.lo:g}, {s.hi:g}]")
        return float(value)
    if key in CHOICES:
        if value not in CHOICES[key]:
            raise ValueError(f"lever {key} = {value!r}: allowed one of {', '.join(CHOICES[key])}")
        return value
    raise ValueError(f"unknown lever {key!r}; known: {', '.join([*SLIDER, *CHOICES])}")


def _opens_by_next_tick(m: Any, plan: Any, region: str) -> bool:
    centre = next(c for c in m.centres if c.name == region)
    return centre.is_open or m.date_of(plan.centres.by_region[region].open) <= m.today


def _extra_centre_changes(m: Any, plan: Any, region: str) -> tuple[dict[str, Any], str | None, bool]:
    """A new centre: a second centre's staff in ``region`` (as scenarios/policy/new_centre.yaml).

    If the region's centre has not opened yet, the new centre opens it from today instead; that
    cannot be undone during a run (Reset does), so choosing another region later only moves the
    doubled staff, never closes a centre.

    Returns:
        The lever changes, and the page's new ``extra_centre`` and ``extra_centre_doubled``.
    """
    by = plan.centres.by_region
    old = m.extra_centre
    doubled = bool(getattr(m, "extra_centre_doubled", False))
    if old == region or (old is None and region == "none"):
        return {}, old, doubled
    out: dict[str, Any] = {}
    if old is not None and doubled:
        lv, k = by[old], f"centres.by_region.{old}."
        out[k + "analysts"] = lv.analysts / 2.0
        out[k + "inspection_teams"] = lv.inspection_teams / 2.0
        out[k + "staff_per_agency"] = lv.staff_per_agency / 2.0
        out[k + "priorities_per_meeting"] = max(int(lv.priorities_per_meeting) // 2, 1)
    if region == "none":
        return out, None, False
    k = f"centres.by_region.{region}."
    if not _opens_by_next_tick(m, plan, region):
        out[k + "open"] = m.today.isoformat()  # the policy calendar opens it at the next tick
        return out, region, False
    lv = by[region]
    out[k + "analysts"] = lv.analysts * 2.0
    out[k + "inspection_teams"] = lv.inspection_teams * 2.0
    out[k + "staff_per_agency"] = lv.staff_per_agency * 2.0
    out[k + "priorities_per_meeting"] = int(lv.priorities_per_meeting) * 2
    return out, region, True


def lever_changes(m: Any, key: str, value: Any) -> dict[str, Any]:
    """The policy changes (dotted keys, for ``AkrimModel.set_levers``) that live lever ``key = value`` makes.

    ``value`` must already be checked. The ``new_centre`` lever's bookkeeping on the model
    (``extra_centre``) is not changed here: ``set_lever`` does that once the model took the change.
    """
    p = m.planned_policy()
    if key == "n_inspectors":
        return {"nli.n_inspectors": value}
    if key in ("analysts", "inspection_teams"):
        extra = getattr(m, "extra_centre", None) if getattr(m, "extra_centre_doubled", False) else None
        return {f"centres.by_region.{r}.{key}": value * (2.0 if r == extra else 1.0) for r in p.centres.by_region}
    if key == "latency_multiplier":
        return {"sharing.latency_multiplier": value}
    if key in ("p_fine", "p_suspension", "p_report_nli"):
        return {f"sanctions.{key}": value}
    if key == "campaign_reach":
        out: dict[str, Any] = {"campaigns.reach_year": value}
        start = p.campaigns.know_your_rights_from
        if value > 0 and (start is None or dt.date.fromisoformat(str(start)) > m.today):
            out["campaigns.know_your_rights_from"] = m.today.isoformat()
        return out
    if key == "targeting":
        return dict(zip(("nli.w_random", "nli.w_risk_based", "nli.w_intelligence_led"), TARGETING[value]))
    if key == "regulation":
        return {"sharing.regulation": {REGULATION_CHOICES[0]: HISTORY_REGULATION, REGULATION_CHOICES[1]: m.today.isoformat(),
                                       REGULATION_CHOICES[2]: None}[value]}
    if key == "new_centre":
        return _extra_centre_changes(m, p, value)[0]
    raise ValueError(f"unknown lever {key!r}; known: {', '.join([*SLIDER, *CHOICES])}")


def set_lever(m: Any, key: str, value: Any) -> str:
    """Set live lever ``key`` of model ``m`` to ``value`` from its next tick; return a one-line description for the feed.

    The change goes through ``m.set_levers`` (noted as ``describe(key, value)``, which the feed
    does not repeat when the intervention comes into force).

    Raises:
        ValueError: unknown lever or a value outside its range (the message names both); a
            ``ConfigError`` (a ValueError) if the model rejects the resulting policy.
    """
    value = _check(key, value)
    text = describe(key, value)
    lock = getattr(m, "lock", None)
    with lock if lock is not None else _NoLock():
        if key == "new_centre":
            changes, extra, doubled = _extra_centre_changes(m, m.planned_policy(), value)
        else:
            changes = lever_changes(m, key, value)
        m.set_levers(changes, note=text)
        if key == "new_centre":
            m.extra_centre, m.extra_centre_doubled = extra, doubled
    return text


def describe(key: str, value: Any) -> str:
    """Plain-language description of a lever change, for the feed."""
    if key in SLIDER:
        label = SLIDER[key].label.split(" (")[0]
        shown = f"{value:.0%}" if key.startswith("p_") or key == "campaign_reach" else f"{value:g}"
        return f"{LEVER_NOTE}: {label} = {shown}."
    if key == "targeting":
        r, k, i = TARGETING[value]
        return f"{LEVER_NOTE}: NLI targeting {value} ({r:.0%} random, {k:.0%} by sector risk, {i:.0%} from intelligence)."
    if key == "regulation":
        return f"{LEVER_NOTE}: information-sharing regulation {value}."
    if value == "none":
        return f"{LEVER_NOTE}: no extra centre."
    return f"{LEVER_NOTE}: a new centre's staff in the {REGION_LABELS[value]} region."


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
