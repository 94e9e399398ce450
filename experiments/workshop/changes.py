"""The "changes in force" panel: every lever that differs from the baseline today, each with its own reset.

The reference is the ``baseline`` policy as it stands at the model's date (its dated
interventions up to today laid on in the calendar's order: date, then list order, as
``AkrimModel`` applies them), so the June 2022 regulation is not a "change" after June 2022.
The live side is ``planned_policy()`` (what is in force from the next tick, lever changes made on
the page included).

A difference on a lever of the page (``experiments.workshop.levers``) is listed once under the
page's label (one line for "analysts per centre", not eight) and reset through ``set_lever``;
any other difference (a scenario's or a game round's) is listed under its policy key's meaning
(``sim.config`` field metadata) and reset through ``AkrimModel.set_levers``.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

from experiments.workshop import levers
from experiments.workshop.game import lever_values
from sim.config import apply_intervention, load_config

# Policy fields that the page's levers stand for (their differences are shown under the page's label).
COVERED_PREFIXES = ("nli.n_inspectors", "nli.w_", "sharing.latency_multiplier", "sharing.regulation", "sanctions.p_fine",
                    "sanctions.p_suspension", "sanctions.p_report_nli", "campaigns.reach_year", "campaigns.know_your_rights_from")
PAGE_CENTRE_FIELDS = ("analysts", "inspection_teams")  # the page's per-centre sliders, when every centre has the same value


@dataclass(frozen=True)
class Change:
    """One lever in force that differs from the baseline."""

    key: str  # a page lever (levers.SLIDER / levers.CHOICES) or a dotted policy key
    label: str
    now: str
    base: str
    page_lever: bool  # True: reset with levers.set_lever(key, reset_value); False: set_levers({key: reset_value})
    reset_value: Any


_REFERENCE: dict[tuple, Any] = {}


def reference_policy(m: Any) -> Any:
    """The ``baseline`` policy as in force at ``m``'s date (same world, seed and horizon; cached per date)."""
    key = (m.cfg.seed, m.years[0], m.years[-1], m.today)
    if key not in _REFERENCE:
        if len(_REFERENCE) > 256:
            _REFERENCE.clear()
        cfg = load_config(["policy=baseline", f"seed={m.cfg.seed}", f"start={m.years[0]}", f"end={m.years[-1]}"])
        plan = copy.deepcopy(cfg.policy)
        order = sorted(range(len(plan.interventions)), key=lambda i: (str(plan.interventions[i].start), i))
        for i in order:
            if dt.date.fromisoformat(str(plan.interventions[i].start)) <= m.today:
                apply_intervention(plan, plan.interventions[i])
        _REFERENCE[key] = plan
    return _REFERENCE[key]


def _shown(key: str, v: Any) -> str:
    if isinstance(v, float):
        if key in levers.SLIDER and (key.startswith("p_") or key == "campaign_reach"):
            return f"{v:.0%}"
        return f"{round(v, 2):g}"
    return "none" if v is None else str(v)


def _covered(dotted: str, plan: Any, extra: str | None) -> bool:
    """Whether a page lever already lists this difference."""
    if dotted.startswith(COVERED_PREFIXES):
        return True
    parts = dotted.split(".")
    if len(parts) != 4 or parts[:2] != ["centres", "by_region"]:
        return False
    if parts[2] == extra:  # the new-centre lever
        return True
    if parts[3] in PAGE_CENTRE_FIELDS:
        vals = {getattr(lv, parts[3]) for r, lv in plan.centres.by_region.items() if r != extra}
        return len(vals) == 1
    return False


def _label(policy: Any, dotted: str) -> str:
    from experiments.report import field_meta

    doc = str(field_meta(policy, dotted).get("doc", "") or "")
    return f"{doc} ({dotted})" if doc else dotted


def changes_in_force(m: Any) -> list[Change]:
    """Every lever of ``m`` that differs from the baseline at its date, the page's levers first."""
    ref = reference_policy(m)
    now = levers.read_levers(m)
    base = levers.levers_of(ref)
    out = []
    for key, label in levers.LABELS.items():
        if key in levers.SLIDER:
            differs = abs(float(now[key]) - float(base[key])) > 1e-9
        else:
            differs = now[key] != base[key]
        if differs:
            out.append(Change(key, label, _shown(key, now[key]), _shown(key, base[key]), True, base[key]))
    plan = m.planned_policy()
    plan_v, ref_v = lever_values(plan), lever_values(ref)
    extra = getattr(m, "extra_centre", None)
    for dotted, v in plan_v.items():
        if ref_v.get(dotted) == v or _covered(dotted, plan, extra):
            continue
        out.append(Change(dotted, _label(ref, dotted), _shown(dotted, v), _shown(dotted, ref_v.get(dotted)), False, ref_v.get(dotted)))
    return out


def reset(m: Any, change: Change) -> str:
    """Put one lever back to its baseline value (from the next tick); return the feed's line."""
    if change.page_lever:
        return levers.set_lever(m, change.key, change.reset_value)
    text = f"{levers.LEVER_NOTE}: {change.label} back to the baseline ({change.base})."
    with m.lock:
        m.set_levers({change.key: change.reset_value}, note=text)
    return text
