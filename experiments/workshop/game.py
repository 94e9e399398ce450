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
* Staff are bought in whole people (a chip at NOK 1.2 M per FTE buys 8.33 FTE; ten chips on
  inspectors buy 83 inspectors), and centre staff are shared over the open centres in whole
  analysts and half teams, the remainder going to the first centres in ``REGIONS`` order.
* **Each round is credited only with what its own allocation changed.** The game plays on
  several seeds at once (``Lane``: one game run per seed). Before a round, every seed also has a
  *counterfactual* run at exactly the same state (the same seed replayed through the earlier
  rounds' allocations, so it shares the game run's luck and history); it plays the round's year
  on the baseline levers. The round's effect in one seed is game minus counterfactual for that
  year, so what earlier rounds left behind (staff-driven deterrence, cases in the pipeline) is
  not credited again. A model cannot be copied (its SimPy clock is a generator), hence the
  replay, which runs in the background while the room discusses the next round.
* Scores are the mean effect over the seeds with a 95% t-interval
  (``experiments.effects.t_interval``). A difference whose interval includes zero is *within
  noise*: it is shown in grey, never coloured as a win or a loss, and never counted in "better
  in N rounds". With a single seed no interval exists, so nothing is ever coloured.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np

from experiments.effects import t_interval
from experiments.workshop.levers import TARGETING
from sim.config import apply_intervention
from sim.config.fields import walk_fields
from sim.config.policy import Intervention

NOK_PER_CHIP = 10_000_000.0  # assumption: a unit a room can reason about (NOK 10M a year)
BUDGET_CHIPS = 10  # assumption: NOK 100M a year, about a fifth on top of the modelled enforcement cost (~NOK 550M)
SHARING_CUT_PER_CHIP = 0.85  # assumption: each NOK 10M (systems, legal work) cuts sharing delays by 15%
FINE_STEP_PER_CHIP = 0.03  # assumption: case-handling for 3 more fines per 100 violations per NOK 10M
CAMPAIGN_MAX_REACH = 0.9
DEFAULT_SEEDS = 3  # paired seeds a game plays on: 3 gives a (wide) interval; each seed costs ~0.5 s a round at scale 0.02
MAX_SEEDS = 8


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
        out["nli.n_inspectors"] = base.nli.n_inspectors + round(alloc["inspectors"] * fte)
    if alloc.get("police", 0):
        out["police.n_investigators"] = base.police.n_investigators + round(alloc["police"] * fte)
    # Centre staff in whole analysts and half teams (one inspector of a two-person team), shared out evenly.
    for key, field_name, fte_per_unit, unit in (("analysts", "analysts", 1.0, 1.0), ("teams", "inspection_teams", 2.0, 0.5)):
        chips = alloc.get(key, 0)
        if chips and open_centres:
            for r, add in zip(open_centres, share_out(chips * fte / fte_per_unit, len(open_centres), unit)):
                if add:
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


def share_out(total: float, n: int, unit: float = 1.0) -> list[float]:
    """``total`` rounded to whole ``unit`` s and shared over ``n`` places as evenly as possible (first ones get the rest)."""
    k = int(round(total / unit))
    q, rest = divmod(k, n)
    return [(q + (1 if i < rest else 0)) * unit for i in range(n)]


def apply_round_levers(policy: Any, base: Any, changes: Mapping[str, Any]) -> None:
    """Reset ``policy``'s game levers to ``base``, then apply ``changes`` (in place)."""
    for name in ("nli", "police", "sharing", "campaigns", "sanctions"):
        setattr(policy, name, copy.deepcopy(getattr(base, name)))
    for r, lv in base.centres.by_region.items():
        policy.centres.by_region[r].analysts = lv.analysts
        policy.centres.by_region[r].inspection_teams = lv.inspection_teams
    apply_intervention(policy, Intervention(set=dict(changes)), where="policy game")


def lever_values(policy: Any, prefix: str = "") -> dict[str, Any]:
    """Every single lever of ``policy`` by dotted key under policy (sections and interventions flattened away).

    A mapping lever (``nli.sector_weights``) gives one entry per key (``nli.sector_weights.transport``).
    """
    out: dict[str, Any] = {}
    for key, _, value in walk_fields(policy, prefix):
        if not prefix and key.split(".")[0] in ("name", "description", "source", "interventions"):
            continue
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
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
class Effect:
    """One KPI's effect in one round over the game's seeds: mean and 95% interval."""

    key: str
    values: tuple[float, ...]  # per seed, game minus counterfactual, in display units
    mean: float
    low: float
    high: float

    @property
    def n(self) -> int:
        """Seeds the effect is estimated from."""
        return len(self.values)

    @property
    def within_noise(self) -> bool:
        """True when chance alone could give this difference (the interval includes zero, or one seed)."""
        if self.n < 2 or not (np.isfinite(self.low) and np.isfinite(self.high)):
            return True
        return self.low <= 0.0 <= self.high


def effect(key: str, values: list[float] | tuple[float, ...]) -> Effect:
    """Mean and 95% t-interval of per-seed differences ``values``."""
    _, m, _, lo, hi, _ = t_interval(np.asarray(values, dtype=float))
    return Effect(key, tuple(float(v) for v in values), m, lo, hi)


def display(key: str, d: float) -> float:
    """A difference in the scoreboard's unit: shares in percentage points, money in NOK M."""
    if key == "undeclared_work_share":
        return 100.0 * d
    if key.endswith("_nok"):
        return d / 1e6
    return d


@dataclass
class RoundResult:
    """What one round's allocation changed, seed by seed, against its counterfactual."""

    round_no: int
    year: int
    allocation: dict[str, int]
    targeting: str
    spent_nok: float
    game: list[dict[str, float]]  # per seed: annual KPIs of SCORE_KPIS, game run
    counterfactual: list[dict[str, float]]  # per seed: the same, same state played on the baseline levers

    @property
    def seeds(self) -> int:
        """How many paired seeds scored the round."""
        return len(self.game)

    def effect(self, key: str) -> Effect:
        """Game minus counterfactual for KPI ``key`` over the seeds (display units)."""
        return effect(key, [display(key, g[key] - c[key]) for g, c in zip(self.game, self.counterfactual)])

    def delta(self, key: str) -> float:
        """The mean effect on ``key`` (shares in percentage points, money in NOK M)."""
        return self.effect(key).mean

    def better(self, key: str) -> bool | None:
        """Whether the allocation did better on ``key``; None when the difference is within noise."""
        e = self.effect(key)
        if e.within_noise:
            return None
        lower = next(k[3] for k in SCORE_KPIS if k[0] == key)
        return (e.mean < 0) == lower

    def avoided_per_seed(self) -> list[float]:
        """Crime cost avoided in the round's year, NOK, per seed (counterfactual minus game)."""
        return [c["crime_cost_nok"] - g["crime_cost_nok"] for g, c in zip(self.game, self.counterfactual)]

    @property
    def crime_cost_avoided_nok(self) -> float:
        """Mean crime cost avoided over the seeds, NOK."""
        return float(np.mean(self.avoided_per_seed()))

    def avoided(self) -> Effect:
        """Crime cost avoided in the round's year over the seeds, NOK M (the scoreboard's last column)."""
        return effect("crime_cost_nok", [v / 1e6 for v in self.avoided_per_seed()])


def score_round(round_no: int, year: int, alloc: Mapping[str, int], targeting: str, game_rows: list[Mapping[str, float]],
                cf_rows: list[Mapping[str, float]], nok_per_chip: float = NOK_PER_CHIP) -> RoundResult:
    """Score one round from the annual rows (one per seed) of the game runs and their counterfactuals for ``year``."""
    if len(game_rows) != len(cf_rows) or not game_rows:
        raise ValueError(f"need one counterfactual row per game row, got {len(game_rows)} and {len(cf_rows)}")
    keys = [k[0] for k in SCORE_KPIS]
    missing = sorted({k for row in [*game_rows, *cf_rows] for k in keys if k not in row})
    if missing:
        raise KeyError(f"annual rows lack {', '.join(missing)}")
    return RoundResult(round_no, year, dict(alloc), targeting, sum(alloc.values()) * nok_per_chip,
                       [{k: float(r[k]) for k in keys} for r in game_rows], [{k: float(r[k]) for k in keys} for r in cf_rows])


@dataclass
class Totals:
    """The game so far: money spent, crime cost avoided (with its interval over seeds), rounds won per KPI."""

    rounds: int = 0
    spent_nok: float = 0.0
    avoided: Effect | None = None  # crime cost avoided over all rounds, NOK, per seed summed over rounds
    wins: dict[str, int] = field(default_factory=dict)  # KPI -> rounds clearly better (not within noise)

    @property
    def crime_cost_avoided_nok(self) -> float:
        """Mean crime cost avoided over the rounds, NOK."""
        return self.avoided.mean if self.avoided is not None else 0.0

    @property
    def net_nok(self) -> float:
        """Crime cost avoided minus money spent (mean over seeds)."""
        return self.crime_cost_avoided_nok - self.spent_nok


def totals(results: list[RoundResult]) -> Totals:
    """Add up the rounds played (the crime cost avoided per seed summed over rounds, then its interval)."""
    t = Totals(wins={k[0]: 0 for k in SCORE_KPIS})
    per_seed: np.ndarray | None = None
    for r in results:
        t.rounds += 1
        t.spent_nok += r.spent_nok
        a = np.asarray(r.avoided_per_seed())
        per_seed = a if per_seed is None or per_seed.size != a.size else per_seed + a
        for k in t.wins:
            if r.better(k):
                t.wins[k] += 1
    if per_seed is not None:
        t.avoided = effect("crime_cost_nok", per_seed.tolist())
    return t


def fmt_delta(key: str, d: float) -> str:
    """A signed, rounded difference for the scoreboard."""
    if not np.isfinite(d):
        return "n/a"
    if key == "undeclared_work_share":
        return f"{d:+.2f} pp"
    if key.endswith("_nok"):
        return f"NOK {d:+,.0f} M"
    return f"{d:+,.0f}"


@dataclass
class Lane:
    """One seed of a game: its game run and, before each round, a counterfactual run at the same state."""

    seed: int
    model: Any
    spare: Any = None  # replayed to the start of the next round; plays it on the baseline levers


class PolicyGame:
    """State of one game: its seeds, the baseline levers it starts from, the rounds played.

    Args:
        start_year: First round's year.
        n_rounds: Rounds to play.
        budget: Chips per round.
        seeds: Paired seeds (the first is the page's; each more seed adds a game run and a counterfactual).
        make_model: ``make_model(seed)`` returns a fresh model on the baseline policy (the page passes
            ``WorkshopModel`` with its scale and horizon); needed for more than one seed and for the
            counterfactual replays.
    """

    def __init__(self, start_year: int = 2026, n_rounds: int = 5, budget: int = BUDGET_CHIPS, seeds: tuple[int, ...] = (1,),
                 make_model: Callable[[int], Any] | None = None) -> None:
        if n_rounds < 1:
            raise ValueError(f"n_rounds = {n_rounds}: allowed 1 or more")
        if budget < 0:
            raise ValueError(f"budget = {budget}: allowed 0 or more chips")
        if not 1 <= len(seeds) <= MAX_SEEDS or len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds = {list(seeds)}: allowed 1 to {MAX_SEEDS} different seeds")
        self.start_year = start_year
        self.n_rounds = n_rounds
        self.budget = budget
        self.seeds = tuple(int(s) for s in seeds)
        self.make_model = make_model
        self.base_policy: Any = None
        self.lanes: list[Lane] = []
        self.results: list[RoundResult] = []
        self._ready = threading.Event()
        self._error: str | None = None

    @property
    def year(self) -> int:
        """The year the next round plays."""
        return self.start_year + len(self.results)

    @property
    def over(self) -> bool:
        """All rounds played."""
        return len(self.results) >= self.n_rounds

    @property
    def on(self) -> bool:
        """A game is being played: the page locks its run controls and levers."""
        return self.base_policy is not None and not self.over

    @property
    def preparing(self) -> bool:
        """The counterfactual runs of the next round are still being replayed."""
        return self.on and not self._ready.is_set()

    def start(self, m: Any, background: bool = True) -> None:
        """Bring the game runs to 1 January of the first round's year, then replay the counterfactuals.

        ``m`` is a fresh model on the baseline policy with the first seed; one more run is made per
        further seed. The counterfactuals are replayed in a background thread if ``background``.
        """
        if m.years[-1] < self.start_year + self.n_rounds:
            raise ValueError(f"the run ends in {m.years[-1]}; a game of {self.n_rounds} rounds from {self.start_year} "
                             f"needs end >= {self.start_year + self.n_rounds}")
        last = m.last_tick_month
        if m.today.year > self.start_year or (last is not None and last >= (self.start_year, 2)):
            raise ValueError(f"the model is already past 1 January {self.start_year}; reset it first")
        if int(m.cfg.seed) != self.seeds[0]:
            raise ValueError(f"the model's seed {m.cfg.seed} is not the game's first seed {self.seeds[0]}")
        if self.make_model is None:
            raise ValueError("a game needs make_model(seed) for its counterfactual runs")
        m.advance_past_new_year(self.start_year)
        self.base_policy = copy.deepcopy(m.policy)
        self.results = []
        self.lanes = [Lane(self.seeds[0], m)]
        for s in self.seeds[1:]:
            other = self.make_model(s)
            other.advance_past_new_year(self.start_year)
            self.lanes.append(Lane(s, other))
        self._prepare(background)

    def _prepare(self, background: bool) -> None:
        self._ready.clear()
        self._error = None
        if background:
            threading.Thread(target=self._replay_all, daemon=True, name="game-counterfactuals").start()
        else:
            self._replay_all()

    def _replay_all(self) -> None:
        try:
            for lane in self.lanes:
                lane.spare = self.replay(lane.seed, len(self.results))
        except Exception as exc:  # reported by play_round
            self._error = f"{type(exc).__name__}: {exc}"
        finally:
            self._ready.set()

    def replay(self, seed: int, n_played: int) -> Any:
        """A fresh run of ``seed`` through the first ``n_played`` rounds' allocations, at 1 January of the next round."""
        r = self.make_model(seed)
        r.advance_past_new_year(self.start_year)
        for res in self.results[:n_played]:
            self._put_in_force(r, res.allocation, res.targeting, res.year, res.round_no)
            r.advance_past_new_year(res.year + 1)
        return r

    def _put_in_force(self, m: Any, alloc: Mapping[str, int], targeting: str, year: int, round_no: int) -> None:
        open_centres = [c.name for c in m.centres if c.is_open]
        changes = allocation_to_levers(alloc, self.base_policy, m.cfg.world.costs.nok_per_fte_year, open_centres,
                                       m.today.isoformat(), targeting=targeting)
        lock = getattr(m, "lock", None) or threading.RLock()
        with lock:  # in force from the next tick, the year's second (the previous advance ran its first)
            m.set_levers(round_lever_changes(m.planned_policy(), self.base_policy, changes),
                         note=f"the policy game's levers for round {round_no} ({year})")

    def check_position(self) -> None:
        """Raise ValueError unless every game run stands at the start of the next round's year (nothing moved it)."""
        for lane in self.lanes:
            m = lane.model
            if m.last_tick_month != (self.year, 1) or m.today.year != self.year:
                raise ValueError(f"the game's run (seed {lane.seed}) is at {m.today:%d %b %Y}, not at the start of {self.year}: "
                                 "it was moved outside the game; start a new game")

    def play_round(self, alloc: Mapping[str, Any], targeting: str, timeout: float | None = None) -> RoundResult:
        """Play the next round: the allocation in every game run, the baseline levers in its counterfactual.

        Both run the year; the round is scored on their difference, and the next round's
        counterfactuals start replaying in the background.
        """
        if self.base_policy is None:
            raise ValueError("start the game first")
        if self.over:
            raise ValueError(f"the game is over ({self.n_rounds} rounds played); start a new one")
        alloc = validate_allocation(alloc, self.budget)
        if targeting not in TARGETING:
            raise ValueError(f"targeting {targeting!r}: allowed one of {', '.join(TARGETING)}")
        self.check_position()
        if not self._ready.wait(timeout):
            raise ValueError("the counterfactual runs are still being prepared; try again in a few seconds")
        if self._error:
            raise RuntimeError(f"preparing the counterfactual runs failed: {self._error}")
        year, no = self.year, len(self.results) + 1
        game_rows, cf_rows = [], []
        for lane in self.lanes:
            self._put_in_force(lane.model, alloc, targeting, year, no)
            self._put_in_force(lane.spare, {}, "mixed", year, no)
            lane.model.advance_past_new_year(year + 1)
            lane.spare.advance_past_new_year(year + 1)
            game_rows.append(lane.model.annual_row(year))
            cf_rows.append(lane.spare.annual_row(year))
            lane.spare = None
        res = score_round(no, year, alloc, targeting, game_rows, cf_rows)
        self.results.append(res)
        if not self.over:
            self._prepare(background=True)
        return res


def score_cell(e: Effect, lower_is_better: bool, key: str) -> str:
    """One scoreboard cell: the mean, its interval, coloured only when outside the noise."""
    if e.within_noise:
        cls, word = "noise", "within noise"
    else:
        good = (e.mean < 0) == lower_is_better
        cls, word = ("good", "better") if good else ("bad", "worse")
    iv = f"{fmt_delta(key, e.low)} to {fmt_delta(key, e.high)}" if e.n >= 2 and np.isfinite(e.low) else "one seed: no interval"
    return f"<td class='{cls}' data-kpi='{key}'>{fmt_delta(key, e.mean)}<br><small>{escape(iv)}</small><br><small>{word}</small></td>"


SCORE_NOTE = ("Each cell is what that round's allocation changed in its own year: the game run minus a counterfactual run "
              "at the same state on the baseline levers (same seed, same history), averaged over {n} paired seed{s}, with its "
              "95% interval. Within noise (grey): chance alone could give the difference; only the others are coloured and "
              "counted. The money rests on the model's cost of work-related crime, whose level is poorly known (the 2017 "
              "estimate ranges from EUR 2.4 to 9.3 billion, a factor of 4): read 'net for society' as an order of magnitude.")


def scoreboard_html(results: list[RoundResult]) -> str:
    """The scoreboard as an HTML table: one row per round, the allocation's effects with intervals, totals."""
    kpis = [k for k in SCORE_KPIS if k[0] != "crime_cost_nok"]  # crime cost has its own column, in NOK M
    head = "".join(f"<th>{escape(label)}{' (' + unit + ')' if unit else ''}</th>" for _, label, unit, _ in kpis)
    rows = []
    for r in results:
        spent = ", ".join(f"{GAME_LEVER[k].label}: {n}" for k, n in r.allocation.items() if n) or "no chips spent"
        cells = "".join(score_cell(r.effect(key), lower, key) for key, _, _, lower in kpis)
        rows.append(f"<tr><td><b>{r.year}</b><br><small>{escape(spent)}; targeting {escape(r.targeting)}</small></td>{cells}"
                    f"{score_cell(r.avoided(), False, 'crime_cost_nok')}</tr>")
    t = totals(results)
    n = results[0].seeds if results else 0
    foot = (f"<tr><td><b>Total, {t.rounds} round{'s' if t.rounds != 1 else ''}</b></td>"
            + "".join(f"<td>clearly better in {t.wins[k]}</td>" for k, *_ in kpis)
            + f"<td><b>{fmt_delta('crime_cost_nok', t.crime_cost_avoided_nok / 1e6)}</b></td></tr>")
    a = t.avoided
    if a is not None and a.n >= 2 and np.isfinite(a.low):
        net = (f"net for society NOK {(a.mean - t.spent_nok) / 1e6:+,.0f} M (95% interval {(a.low - t.spent_nok) / 1e6:+,.0f} "
               f"to {(a.high - t.spent_nok) / 1e6:+,.0f} M)")
    else:
        net = f"net for society NOK {t.net_nok / 1e6:+,.0f} M (one seed: no interval)"
    return (f"<table class='akrim-score'><tr><th>Round</th>{head}<th>Crime cost avoided (NOK M)</th></tr>{''.join(rows)}{foot}</table>"
            f"<p class='akrim-net'>Spent NOK {t.spent_nok / 1e6:,.0f} M; crime cost avoided NOK {t.crime_cost_avoided_nok / 1e6:,.0f} M; "
            f"{net}.</p><p class='akrim-score-note'>{escape(SCORE_NOTE.format(n=n, s='s' if n != 1 else ''))}</p>")
