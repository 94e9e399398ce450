"""The multi-team game: several teams, each in its own browser, play the policy game on the same world and seeds.

One ``Room`` lives in the server process (``ROOM``), shared by every browser session. The
trainer's page (``/trainer``) sets the game up and drives its rounds; each team's page joins it
under a name and submits an allocation for the open round::

    setup --(trainer: create)--> lobby --(open round)--> open --(close round)--> playing --> closed
                                   ^ teams join                                   |           |
                                   +--------------- open the next round <--------------------+  ... over

* Every team gets its own ``PolicyGame`` on the room's seeds and scale, so all teams play the
  same histories (common random numbers): the differences between their scores come from their
  choices. Joining prepares the team's runs in a background thread (a few seconds a seed).
* A team may change its allocation until the trainer closes the round; a team that submitted
  nothing plays the round with no chips (what is in force is then the baseline).
* Closing a round plays it for every team (sequentially, in a background thread) and scores each
  round by what the team's own allocation changed (``experiments.workshop.game``).
* ``version`` goes up on every change; the pages poll it about once a second to redraw.

The room holds no network logic: on a room's network the server is protected by the token that
``akrim workshop`` prints (``experiments.workshop.app``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

from experiments.workshop import game

PHASES = ("setup", "lobby", "open", "playing", "closed", "over")
MAX_TEAMS = 12
TEAM_NAME = re.compile(r"^[\w .'-]{1,24}$")


@dataclass
class Team:
    """A team of the room: its game, its allocation for the open round, and whether its runs are ready."""

    name: str
    game: game.PolicyGame
    alloc: dict[str, int] | None = None  # submitted for the open round (None: nothing yet)
    targeting: str = "mixed"
    ready: bool = False
    error: str = ""
    history: list[tuple[dict[str, int], str]] = field(default_factory=list)  # (allocation, targeting) per round played


class Room:
    """The room's game (see the module docstring); every method is safe to call from any session's thread."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.phase = "setup"
        self.settings: dict[str, Any] = {}
        self.teams: dict[str, Team] = {}
        self.round_no = 0  # the round open or last played (0 before the first)
        self.version = 0
        self.message = ""
        self._make_model: Callable[[int], Any] | None = None

    def _bump(self) -> None:
        self.version += 1

    # ------------------------------------------------------------------ trainer
    def create(self, start_year: int, n_rounds: int, seeds: tuple[int, ...], make_model: Callable[[int], Any],
               budget: int = game.BUDGET_CHIPS) -> None:
        """Set up a new game (teams of an earlier one are dropped); teams may join from now on."""
        game.PolicyGame(start_year, n_rounds, budget, seeds, make_model)  # checks the settings
        probe = make_model(seeds[0])
        if probe.years[-1] < start_year + n_rounds:
            raise ValueError(f"the run ends in {probe.years[-1]}; a game of {n_rounds} rounds from {start_year} "
                             f"needs end >= {start_year + n_rounds} (restart the server with a later end=)")
        with self.lock:
            self.settings = {"start_year": int(start_year), "n_rounds": int(n_rounds), "seeds": tuple(seeds), "budget": int(budget)}
            self._make_model = make_model
            self.teams = {}
            self.round_no = 0
            self.phase = "lobby"
            self.message = ""
            self._bump()

    def open_round(self) -> None:
        """Open the next round: teams may submit allocations."""
        with self.lock:
            if self.phase not in ("lobby", "closed"):
                raise ValueError(f"a round can be opened in the lobby or after a round, not while {self.phase}")
            if not self.teams:
                raise ValueError("no team has joined yet")
            if not all(t.ready for t in self.teams.values()):
                raise ValueError("some teams' runs are still being prepared; wait a few seconds")
            for t in self.teams.values():
                t.alloc, t.targeting = None, "mixed"
            self.round_no += 1
            self.phase = "open"
            self._bump()

    def close_round(self, background: bool = True) -> None:
        """Close the open round and play it for every team (in a background thread if ``background``)."""
        with self.lock:
            if self.phase != "open":
                raise ValueError(f"no round is open (the game is {self.phase})")
            self.phase = "playing"
            self._bump()
        if background:
            threading.Thread(target=self._play, daemon=True, name="room-round").start()
        else:
            self._play()

    def _play(self) -> None:
        for t in list(self.teams.values()):
            alloc, targeting = t.alloc or {}, t.targeting
            try:
                t.game.play_round(alloc, targeting, timeout=600)
                t.history.append((game.validate_allocation(alloc, t.game.budget), targeting))
            except Exception as exc:  # shown on the trainer's page; the other teams still play
                t.error = f"{type(exc).__name__}: {exc}"
        with self.lock:
            self.phase = "over" if self.round_no >= self.settings["n_rounds"] else "closed"
            self._bump()

    def end(self) -> None:
        """End the game now (the trainer may then set up a new one)."""
        with self.lock:
            if self.phase == "playing":
                raise ValueError("a round is being played; end the game when it is done")
            self.phase = "over" if self.phase != "setup" else "setup"
            self._bump()

    # ------------------------------------------------------------------ teams
    def join(self, name: str, background: bool = True) -> Team:
        """Add team ``name`` (or return it if it joined already) and prepare its runs."""
        name = str(name).strip()
        if not TEAM_NAME.match(name):
            raise ValueError(f"team name {name!r}: allowed 1-24 letters, digits, spaces or .'-")
        with self.lock:
            if name in self.teams:
                return self.teams[name]
            if self.phase != "lobby":
                raise ValueError("teams can join before the first round only" if self.phase != "setup"
                                 else "the trainer has not set up a room game yet")
            if len(self.teams) >= MAX_TEAMS:
                raise ValueError(f"the room is full ({MAX_TEAMS} teams)")
            s = self.settings
            team = Team(name, game.PolicyGame(s["start_year"], s["n_rounds"], s["budget"], s["seeds"], self._make_model))
            self.teams[name] = team
            self._bump()
        if background:
            threading.Thread(target=self._prepare, args=(team,), daemon=True, name=f"room-team-{name}").start()
        else:
            self._prepare(team)
        return team

    def _prepare(self, team: Team) -> None:
        try:
            model = self._make_model(team.game.seeds[0], True)  # the team's page shows this run: keep its feed
            team.game.start(model, background=False)
            team.ready = True
        except Exception as exc:
            team.error = f"{type(exc).__name__}: {exc}"
        with self.lock:
            self._bump()

    def submit(self, name: str, alloc: Mapping[str, Any], targeting: str) -> None:
        """Team ``name``'s allocation for the open round (it may change it until the round closes)."""
        with self.lock:
            if name not in self.teams:
                raise ValueError(f"unknown team {name!r}; join first")
            if self.phase != "open":
                raise ValueError(f"no round is open (the game is {self.phase})")
            team = self.teams[name]
            if targeting not in game.TARGETING:
                raise ValueError(f"targeting {targeting!r}: allowed one of {', '.join(game.TARGETING)}")
            team.alloc = game.validate_allocation(alloc, team.game.budget)
            team.targeting = targeting
            self._bump()

    # ------------------------------------------------------------------ views
    def status(self) -> str:
        """One line for every page: what the room is doing."""
        s = self.settings
        if self.phase == "setup":
            return "No room game yet: the trainer sets one up on the trainer's page."
        first = s["start_year"]
        year = first + self.round_no - 1
        if self.phase == "lobby":
            return f"Teams are joining: {len(self.teams)} so far. The first round will be {first}."
        if self.phase == "open":
            n_in = sum(t.alloc is not None for t in self.teams.values())
            return f"Round {self.round_no} of {s['n_rounds']} ({year}) is open: {n_in} of {len(self.teams)} teams have submitted."
        if self.phase == "playing":
            return f"Round {self.round_no} ({year}) is being played for every team."
        if self.phase == "closed":
            return f"Round {self.round_no} of {s['n_rounds']} ({year}) is played. The trainer opens the next round."
        return f"The game is over: {s['n_rounds']} rounds played."

    def table_html(self) -> str:
        """Every team's choices and scores, round by round (the trainer's view)."""
        if not self.teams:
            return "<p class='akrim-room-empty'>No team has joined yet.</p>"
        kpis = [k for k in game.SCORE_KPIS if k[0] != "crime_cost_nok"]
        head = "".join(f"<th>{escape(label)}{' (' + unit + ')' if unit else ''}</th>" for _, label, unit, _ in kpis)
        rows = []
        for t in self.teams.values():
            state = ("ready" if t.ready else "preparing its runs") if not t.error else f"error: {t.error}"
            if self.phase == "open":
                state = "submitted" if t.alloc is not None else "choosing"
            rows.append(f"<tr class='akrim-room-team' data-team='{escape(t.name)}'><td colspan='{len(kpis) + 2}'><b>{escape(t.name)}</b>"
                        f" <small>{escape(state)}</small></td></tr>")
            for r in t.game.results:
                spent = ", ".join(f"{game.GAME_LEVER[k].label}: {n}" for k, n in r.allocation.items() if n) or "no chips spent"
                cells = "".join(game.score_cell(r.effect(key), lower, key) for key, _, _, lower in kpis)
                rows.append(f"<tr><td>{r.year}<br><small>{escape(spent)}; targeting {escape(r.targeting)}</small></td>{cells}"
                            f"{game.score_cell(r.avoided(), False, 'crime_cost_nok')}</tr>")
            if self.phase == "open" and t.alloc is not None:
                chosen = ", ".join(f"{game.GAME_LEVER[k].label}: {n}" for k, n in t.alloc.items() if n) or "no chips"
                rows.append(f"<tr><td colspan='{len(kpis) + 2}'><small>round {self.round_no}: {escape(chosen)}; "
                            f"targeting {escape(t.targeting)}</small></td></tr>")
        n = len(self.settings.get("seeds", ()))
        return (f"<table class='akrim-score akrim-room'><tr><th>Team, round</th>{head}<th>Crime cost avoided (NOK M)</th></tr>"
                f"{''.join(rows)}</table><p class='akrim-score-note'>"
                f"{escape(game.SCORE_NOTE.format(n=n, s='s' if n != 1 else ''))}</p>")


ROOM = Room()  # the server's one room (every browser session sees it)
