"""The policy game: each round the room spends a fixed enforcement budget, the model runs a year.

Rules (the trainer's guide, docs/workshop_guide.md, explains them to a room):

* The game plays on the ``baseline`` policy with the page's seed and scale, from ``start_year``
  (default 2026, the first year after the history) for ``n_rounds`` rounds of one calendar year.
* Each round the room has ``budget`` chips of ``NOK_PER_CHIP`` (default 10 chips = NOK 100
  million a year, on top of today's enforcement) to spread over the ``GAME_LEVERS``, and picks a
  targeting strategy (free). Allocations do not accumulate: every round starts again from the
  baseline levers, so a round's choice is what is in force that year.
* Chips buy staff at the model's own full cost of an FTE (``world.costs.nok_per_fte_year``), so
  the scoreboard's costs match the model's ``enforcement_cost_nok``; the non-staff levers use the
  conversion rates below, each marked as an assumption or derived from a documented default.
* After the year the scoreboard compares that year's KPIs with the baseline run of the same
  seed (common random numbers: the difference is due to the choice, up to the model's chance),
  and totals crime cost avoided against money spent.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

from experiments.workshop.levers import TARGETING
from sim.config import apply_intervention
from sim.config.policy import Intervention

NOK_PER_CHIP = 10_000_000.0  # assumption: a unit a room can reason about (NOK 10M a year)
BUDGET_CHIPS = 10  # assumption: NOK 100M a year, about a fifth on top of the modelled enforcement cost (~NOK 550M)
SHARING_CUT_PER_CHIP = 0.85  # assumption: each NOK 10M (systems, legal work) cuts sharing delays by 15%
FINE_STEP_PER_CHIP = 0.03  # assumption: case-handling for 3 more fines per 100 violations per NOK 10M
CAMPAIGN_MAX_REACH = 0.9


@dataclass(frozen=True)
class GameLever:
    """One thing a chip can buy."""

    key: str
    label: str
    effect: str  # what one chip buys, in words (shown on the page)
    source: str


GAME_LEVERS: tuple[GameLever, ...] = (
    GameLever("inspectors", "NLI inspectors", "about 8 inspectors (~580 inspections a year)",
              "FTE cost world.costs.nok_per_fte_year; seed 002: ~70 inspections per inspector"),
    GameLever("analysts", "Centre analysts", "about 8 analysts, shared over the open centres",
              "FTE cost; seed 000/001: analysis teams run the knowledge process"),
    GameLever("teams", "Joint inspection teams", "about 4 two-person teams, shared over the open centres",
              "FTE cost (2 FTE a team, as sim.model.enforcement_cost_year counts them); seed 000"),
    GameLever("police", "Police investigators", "about 8 investigators",
              "FTE cost; seed 003, measure 32 (quick and noticeable sanctions)"),
    GameLever("sharing", "Faster information sharing", "sharing delays 15% shorter",
              "assumption (systems and legal work); seed 002: sharing was slow before June 2022"),
    GameLever("campaign", "'Know your rights' campaign", "10% more migrant workers reached a year",
              "policy.campaigns defaults: NOK 10M a year reaches 10% (seed 003, measure 14)"),
    GameLever("fines", "Fines applied more liberally", "3 more fines per 100 pay/undeclared violations",
              "assumption (case-handling capacity); seed 003, measure 32"),
)
GAME_LEVER = {g.key: g for g in GAME_LEVERS}

# Scoreboard KPIs: annual column (sim.metrics), label, unit shown, True if lower is better.
SCORE_KPIS: tuple[tuple[str, str, str, bool], ...] = (
    ("undeclared_work_share", "Undeclared work", "pp", True),
    ("exploited_workers", "Exploited workers", "", True),
    ("active_threat_actors", "Active threat actors", "", True),
    ("phoenix_bankruptcies", "Phoenix bankruptcies", "", True),
    ("convictions", "Convictions", "", False),
    ("crime_cost_nok", "Cost of work-related crime", "NOK M", True),
)


def validate_allocation(alloc: Mapping[str, Any], budget: int = BUDGET_CHIPS) -> dict[str, int]:
    """Check a round's allocation: known levers, whole non-negative chips, within the budget.

    Returns:
        The allocation with every lever present (missing ones 0).

    Raises:
        ValueError: naming the lever and what is allowed.
    """
    out = {g.key: 0 for g in GAME_LEVERS}
    for key, chips in alloc.items():
        if key not in GAME_LEVER:
            raise ValueError(f"unknown game lever {key!r}; known: {', '.join(GAME_LEVER)}")
        if isinstance(chips, bool) or not isinstance(chips, (int, float)) or chips != int(chips) or chips < 0:
            raise ValueError(f"game lever {key} = {chips!r}: allowed a whole number of chips >= 0")
        out[key] = int(chips)
    spent = sum(out.values())
    if spent > budget:
        raise ValueError(f"allocation spends {spent} chips but the budget is {budget}; take {spent - budget} off")
    return out


def allocation_to_levers(alloc: Mapping[str, int], base: Any, nok_per_fte: float, open_centres: list[str], today: str,
                         nok_per_chip: float = NOK_PER_CHIP, targeting: str = "mixed") -> dict[str, Any]:
    """The lever values (dotted keys under ``policy``) a round's allocation puts in force.

    Args:
        alloc: Chips per game lever (validated).
        base: The baseline policy the round starts from (not changed).
        nok_per_fte: Full cost of one FTE a year (``world.costs.nok_per_fte_year``).
        open_centres: Regions whose centre is open (centre staff go there, evenly).
        today: ISO date the round starts (a campaign that has not started starts then).
        nok_per_chip: NOK a chip is worth.
        targeting: A strategy of ``experiments.workshop.levers.TARGETING``.
    """
    if targeting not in TARGETING:
        raise ValueError(f"targeting {targeting!r}: allowed one of {', '.join(TARGETING)}")
    if nok_per_fte <= 0:
        raise ValueError(f"nok_per_fte = {nok_per_fte!r}: allowed a cost > 0")
    fte = nok_per_chip / nok_per_fte
    out: dict[str, Any] = {}
    w = dict(zip(("nli.w_random", "nli.w_risk_based", "nli.w_intelligence_led"), TARGETING[targeting]))
    out.update(w)
    if alloc.get("inspectors", 0):
        out["nli.n_inspectors"] = base.nli.n_inspectors + alloc["inspectors"] * fte
    if alloc.get("police", 0):
        out["police.n_investigators"] = base.police.n_investigators + alloc["police"] * fte
    for key, field_name, fte_per_unit in (("analysts", "analysts", 1.0), ("teams", "inspection_teams", 2.0)):
        chips = alloc.get(key, 0)
        if chips and open_centres:
            add = chips * fte / fte_per_unit / len(open_centres)
            for r in open_centres:
                out[f"centres.by_region.{r}.{field_name}"] = getattr(base.centres.by_region[r], field_name) + add
    if alloc.get("sharing", 0):
        out["sharing.latency_multiplier"] = base.sharing.latency_multiplier * SHARING_CUT_PER_CHIP ** alloc["sharing"]
    if alloc.get("campaign", 0):
        c = base.campaigns
        per_nok = c.reach_year / c.nok_cost_year if c.nok_cost_year > 0 and c.reach_year > 0 else 0.1 / 10e6
        out["campaigns.reach_year"] = min(CAMPAIGN_MAX_REACH, c.reach_year + alloc["campaign"] * nok_per_chip * per_nok)
        if c.know_your_rights_from is None or str(c.know_your_rights_from) > today:
            out["campaigns.know_your_rights_from"] = today
    if alloc.get("fines", 0):
        out["sanctions.p_fine"] = min(1.0, base.sanctions.p_fine + alloc["fines"] * FINE_STEP_PER_CHIP)
    return out


def apply_round_levers(policy: Any, base: Any, changes: Mapping[str, Any]) -> None:
    """Reset ``policy``'s game levers to ``base``, then apply ``changes`` (in place)."""
    for name in ("nli", "police", "sharing", "campaigns", "sanctions"):
        setattr(policy, name, copy.deepcopy(getattr(base, name)))
    for r, lv in base.centres.by_region.items():
        policy.centres.by_region[r].analysts = lv.analysts
        policy.centres.by_region[r].inspection_teams = lv.inspection_teams
    apply_intervention(policy, Intervention(set=dict(changes)), where="policy game")


def lever_values(policy: Any, prefix: str = "") -> dict[str, Any]:
    """Every single lever of ``policy`` by dotted key under policy (sections and interventions flattened away)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(policy):
        if not prefix and f.name in ("name", "description", "source", "interventions"):
            continue
        key, value = prefix + f.name, getattr(policy, f.name)
        if dataclasses.is_dataclass(value):
            out.update(lever_values(value, key + "."))
        elif isinstance(value, dict):
            for k, v in value.items():
                if dataclasses.is_dataclass(v):
                    out.update(lever_values(v, f"{key}.{k}."))
                else:
                    out[f"{key}.{k}"] = v
        else:
            out[key] = value
    return out


def round_lever_changes(policy: Any, base: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The lever changes (dotted keys) that take ``policy`` to what ``apply_round_levers`` makes of it.

    ``policy`` is not changed; only levers whose value differs are listed (none: the round
    changes nothing).
    """
    after = copy.deepcopy(policy)
    apply_round_levers(after, base, changes)
    now = lever_values(policy)
    return {k: v for k, v in lever_values(after).items() if now.get(k) != v}


@dataclass
class RoundResult:
    """What one round achieved against the baseline."""

    round_no: int
    year: int
    allocation: dict[str, int]
    targeting: str
    spent_nok: float
    game: dict[str, float]  # annual KPIs of SCORE_KPIS, game run
    base: dict[str, float]  # the same, baseline run

    def delta(self, key: str) -> float:
        """Game minus baseline for KPI ``key`` (shares in percentage points, money in NOK M)."""
        d = self.game[key] - self.base[key]
        if key == "undeclared_work_share":
            return 100.0 * d
        if key.endswith("_nok"):
            return d / 1e6
        return d

    def better(self, key: str) -> bool | None:
        """Whether the game did better than the baseline on ``key`` (None if equal)."""
        lower = next(k[3] for k in SCORE_KPIS if k[0] == key)
        d = self.delta(key)
        if abs(d) < 1e-9:
            return None
        return (d < 0) == lower

    @property
    def crime_cost_avoided_nok(self) -> float:
        """Baseline minus game cost of work-related crime in the round's year."""
        return self.base["crime_cost_nok"] - self.game["crime_cost_nok"]


def score_round(round_no: int, year: int, alloc: Mapping[str, int], targeting: str, game_row: Mapping[str, float],
                base_row: Mapping[str, float], nok_per_chip: float = NOK_PER_CHIP) -> RoundResult:
    """Score one round from the annual rows of the game run and the baseline run for ``year``."""
    keys = [k[0] for k in SCORE_KPIS]
    missing = [k for k in keys if k not in game_row or k not in base_row]
    if missing:
        raise KeyError(f"annual rows lack {', '.join(missing)}")
    return RoundResult(round_no, year, dict(alloc), targeting, sum(alloc.values()) * nok_per_chip,
                       {k: float(game_row[k]) for k in keys}, {k: float(base_row[k]) for k in keys})


@dataclass
class Totals:
    """The game so far."""

    rounds: int = 0
    spent_nok: float = 0.0
    crime_cost_avoided_nok: float = 0.0
    wins: dict[str, int] = field(default_factory=dict)  # KPI -> rounds better than the baseline

    @property
    def net_nok(self) -> float:
        """Crime cost avoided minus money spent."""
        return self.crime_cost_avoided_nok - self.spent_nok


def totals(results: list[RoundResult]) -> Totals:
    """Add up the rounds played."""
    t = Totals(wins={k[0]: 0 for k in SCORE_KPIS})
    for r in results:
        t.rounds += 1
        t.spent_nok += r.spent_nok
        t.crime_cost_avoided_nok += r.crime_cost_avoided_nok
        for k in t.wins:
            if r.better(k):
                t.wins[k] += 1
    return t


def fmt_delta(key: str, d: float) -> str:
    """A signed, rounded difference for the scoreboard."""
    if key == "undeclared_work_share":
        return f"{d:+.2f} pp"
    if key.endswith("_nok"):
        return f"{d:+,.0f} M"
    return f"{d:+,.0f}"


class PolicyGame:
    """State of one game: the baseline levers it starts from, the rounds played.

    Args:
        start_year: First round's year.
        n_rounds: Rounds to play.
        budget: Chips per round.
    """

    def __init__(self, start_year: int = 2026, n_rounds: int = 5, budget: int = BUDGET_CHIPS) -> None:
        if n_rounds < 1:
            raise ValueError(f"n_rounds = {n_rounds}: allowed 1 or more")
        if budget < 0:
            raise ValueError(f"budget = {budget}: allowed 0 or more chips")
        self.start_year = start_year
        self.n_rounds = n_rounds
        self.budget = budget
        self.base_policy: Any = None
        self.results: list[RoundResult] = []

    @property
    def year(self) -> int:
        """The year the next round plays."""
        return self.start_year + len(self.results)

    @property
    def over(self) -> bool:
        """All rounds played."""
        return len(self.results) >= self.n_rounds

    def start(self, m: Any) -> None:
        """Bring model ``m`` (fresh, baseline policy) to 1 January of the first round's year."""
        if m.years[-1] < self.start_year + self.n_rounds:
            raise ValueError(f"the run ends in {m.years[-1]}; a game of {self.n_rounds} rounds from {self.start_year} "
                             f"needs end >= {self.start_year + self.n_rounds}")
        last = m.last_tick_month
        if m.today.year > self.start_year or (last is not None and last >= (self.start_year, 2)):
            raise ValueError(f"the model is already past 1 January {self.start_year}; reset it first")
        m.advance_past_new_year(self.start_year)
        self.base_policy = copy.deepcopy(m.policy)
        self.results = []

    def play_round(self, m: Any, alloc: Mapping[str, Any], targeting: str, base_annual: Any) -> RoundResult:
        """Put the allocation in force, run the year, score it against ``base_annual`` (a DataFrame)."""
        if self.base_policy is None:
            raise ValueError("start the game first")
        if self.over:
            raise ValueError(f"the game is over ({self.n_rounds} rounds played); start a new one")
        alloc = validate_allocation(alloc, self.budget)
        year = self.year
        open_centres = [c.name for c in m.centres if c.is_open]
        changes = allocation_to_levers(alloc, self.base_policy, m.cfg.world.costs.nok_per_fte_year, open_centres,
                                       m.today.isoformat(), targeting=targeting)
        with m.lock:  # in force from the next tick, the year's second (start() and the last round ran its first)
            m.set_levers(round_lever_changes(m.planned_policy(), self.base_policy, changes),
                         note=f"the policy game's levers for round {len(self.results) + 1} ({year})")
        m.advance_past_new_year(year + 1)
        base_row = base_annual[base_annual["year"] == year]
        if base_row.empty:
            raise ValueError(f"the baseline run has no year {year}")
        res = score_round(len(self.results) + 1, year, alloc, targeting, m.annual_row(year), base_row.iloc[0].to_dict())
        self.results.append(res)
        return res


def scoreboard_html(results: list[RoundResult]) -> str:
    """The scoreboard as an HTML table: one row per round, deltas against the baseline, totals."""
    head = "".join(f"<th>{escape(label)}{' (' + unit + ')' if unit else ''}</th>" for _, label, unit, _ in SCORE_KPIS)
    rows = []
    for r in results:
        spent = ", ".join(f"{GAME_LEVER[k].label}: {n}" for k, n in r.allocation.items() if n) or "no chips spent"
        cells = []
        for key, _, _, _ in SCORE_KPIS:
            better = r.better(key)
            cls = "" if better is None else ("good" if better else "bad")
            cells.append(f"<td class='{cls}'>{fmt_delta(key, r.delta(key))}</td>")
        rows.append(f"<tr><td><b>{r.year}</b><br><small>{escape(spent)}; targeting {escape(r.targeting)}</small></td>{''.join(cells)}"
                    f"<td>{r.crime_cost_avoided_nok / 1e6:+,.0f} M</td></tr>")
    t = totals(results)
    foot = (f"<tr><td><b>Total, {t.rounds} round{'s' if t.rounds != 1 else ''}</b></td>"
            + "".join(f"<td>better in {t.wins[k]}</td>" for k, *_ in SCORE_KPIS)
            + f"<td><b>{t.crime_cost_avoided_nok / 1e6:+,.0f} M</b></td></tr>")
    return (f"<table class='akrim-score'><tr><th>Round</th>{head}<th>Crime cost avoided (NOK)</th></tr>{''.join(rows)}{foot}</table>"
            f"<p class='akrim-net'>Spent NOK {t.spent_nok / 1e6:,.0f} M; crime cost avoided NOK {t.crime_cost_avoided_nok / 1e6:,.0f} M; "
            f"net for society NOK {t.net_nok / 1e6:+,.0f} M. Differences are against the baseline run with the same seed.</p>")
