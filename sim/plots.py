"""The overview figure of a run: the main KPIs over time, for a non-specialist reader.

``overview(annual, cfg, path)`` draws it. ``OverviewProcess`` draws it in a helper process that
is started before the model runs: matplotlib's import (~0.35 s) then happens on the other core
while the model runs, and the drawing (~0.4 s) while the run writes its tables, instead of after
them (``sim.runner``). This module imports matplotlib only when a figure is drawn, so the run
itself never pays for it.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

# Whole years on the x axis, at most this many labels: on a short run the default locator puts
# ticks at half years and prints them as "2014.0 2014.5 ..." that run into each other.
MAX_YEAR_TICKS = 8


def _mpl() -> tuple[Any, Any, Any]:
    """Return matplotlib's Agg canvas, Figure and ticker module, imported on first use.

    The object-oriented API with the Agg canvas, not pyplot: pyplot also imports the interactive
    machinery (widgets, backend selection), 0.03-0.08 s more (measured 2026-12-06), and keeps a
    registry of open figures a run does not need.
    """
    from matplotlib import ticker
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    return FigureCanvasAgg, Figure, ticker


def year_axis(ax: Any) -> None:
    """Label the x axis with whole calendar years only ("2014", never "2014.5")."""
    ticker = _mpl()[2]
    ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=MAX_YEAR_TICKS, integer=True, min_n_ticks=1))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:.0f}"))


def plain_log_axis(ax: Any) -> None:
    """A log y axis labelled in plain numbers at 1, 2 and 5 of each decade ("0.5 1 2 5 10 20 50").

    Matplotlib's default log labels are mathtext ("10^1"), whose parser is built on first use:
    ~0.15 s of a run's overview (measured 2026-12-06), and harder to read for the figure's reader.
    """
    ticker = _mpl()[2]
    ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_locator(ticker.NullLocator())

PANELS = (
    (
        "Inspections and controls per year",
        (("inspections_nli", "ordinary NLI inspections", 1.0), ("inspections_joint", "joint centre controls", 1.0)),
        "count",
    ),
    (
        "Police and courts per year",
        (
            ("police_reports", "reports to the police", 1.0),
            ("cases_against_ta", "cases against threat actors", 1.0),
            ("convictions", "convictions", 1.0),
        ),
        "count",
    ),
    ("Undeclared work", (("undeclared_work_share", "share of employees in risk sectors, %", 100.0),), "%"),
    (
        "Threat actors",
        (("active_threat_actors", "active threat actors", 1.0), ("phoenix_bankruptcies", "planned (phoenix) bankruptcies / year", 1.0)),
        "count",
    ),
    (
        "Money recovered or imposed, million NOK / year",
        (
            ("fines_nok", "NLI fines", 1e-6),
            ("wrongful_benefits_nok", "wrongful benefits found", 1e-6),
            ("assets_seized_nok", "assets seized", 1e-6),
        ),
        "MNOK",
    ),
    (
        "Cost to society vs cost of enforcement, billion NOK / year",
        (("crime_cost_nok", "cost of work-related crime", 1e-9), ("enforcement_cost_nok", "cost of enforcement", 1e-9)),
        "bn NOK",
    ),
)


def overview(annual: Any, cfg: Any, path: Path) -> None:
    """Draw the six-panel overview of ``annual`` (the annual table) to ``path`` (PNG).

    ``annual`` is the annual table or a mapping of its columns to arrays; ``cfg`` needs
    ``policy.name``, ``policy.sharing.regulation``, ``world.name``, ``scale`` and ``seed``.
    """
    FigureCanvasAgg, Figure, _ticker = _mpl()
    # A fixed layout (no constrained layout: it measured every text twice, half of the figure's
    # cost); the margins leave room for the titles, tick labels and the two-line suptitle.
    fig = Figure(figsize=(15, 8.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 3)
    fig.subplots_adjust(left=0.055, right=0.99, bottom=0.055, top=0.9, wspace=0.2, hspace=0.28)
    years = np.asarray(annual["year"])
    reg = cfg.policy.sharing.regulation
    reg_year = int(str(reg)[:4]) + (int(str(reg)[5:7]) - 1) / 12 if reg else None
    for ax, (title, series, unit) in zip(axes.ravel(), PANELS):
        for col, label, factor in series:
            if col in annual:
                ax.plot(years, np.asarray(annual[col], dtype=float) * factor, marker="o", ms=3, lw=1.8, label=label)
        if reg_year is not None and years.min() <= reg_year <= years.max():
            ax.axvline(reg_year, color="grey", ls=":", lw=1)
        ax.set_title(title, fontsize=11)
        year_axis(ax)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
        if unit == "bn NOK":  # crime costs ~100x enforcement: a log axis shows both
            ax.set_yscale("log")
            plain_log_axis(ax)
            ax.set_ylabel("bn NOK (log scale)")
        else:
            ax.set_ylim(bottom=0)
        ax.legend(fontsize=8, loc="best", frameon=False)
    note = "dotted line: information-sharing regulation in force" if reg_year else "no information-sharing regulation"
    fig.suptitle(
        f"A-krim simulator - policy '{cfg.policy.name}', world '{cfg.world.name}', "
        f"population scale {cfg.scale:g}, seed {cfg.seed}  ({note}; national totals at 1:1)",
        fontsize=11,
    )
    # zlib level 1: the same pixels, 10% larger file, 17 ms less than the default level 6.
    fig.savefig(path, dpi=110, format="png", pil_kwargs={"compress_level": 1})


# ------------------------------------------------------------------------------ the helper process
def _payload(annual: Any, cfg: Any, path: Path) -> dict[str, Any]:
    """What the helper needs to draw: the panels' columns as arrays and five fields of the config."""
    cols = ["year", *(c for _t, series, _u in PANELS for c, _l, _f in series)]
    reg = cfg.policy.sharing.regulation
    return {
        "annual": {c: np.asarray(annual[c]) for c in cols if c in annual},
        "cfg": {"policy": cfg.policy.name, "regulation": None if reg is None else str(reg), "world": cfg.world.name,
                "scale": cfg.scale, "seed": cfg.seed},
        "path": str(path),
    }


def _draw_payload(data: dict[str, Any]) -> None:
    from sim.files import atomic_write

    c = data["cfg"]
    cfg = SimpleNamespace(policy=SimpleNamespace(name=c["policy"], sharing=SimpleNamespace(regulation=c["regulation"])),
                          world=SimpleNamespace(name=c["world"]), scale=c["scale"], seed=c["seed"])
    atomic_write(data["path"], lambda p: overview(data["annual"], cfg, p))


def _serve() -> int:
    """The helper's main: import matplotlib at once, then draw the one figure sent on stdin.

    Exit code 0 after the figure is written; 3 if the parent went away before sending it (stdin
    closed: nothing to do); an exception's traceback goes to stderr (the parent then draws itself).
    """
    _mpl()
    import matplotlib.font_manager  # noqa: F401  (the font cache, read before the data arrive)

    raw = sys.stdin.buffer.read()
    if not raw:
        return 3
    _draw_payload(pickle.loads(raw))
    return 0


class OverviewProcess:
    """``overview.png`` drawn by a helper process started before the model runs.

    ``start()`` launches ``python -c "...sim.plots._serve()"``, which imports matplotlib while the
    model runs; ``send(annual, cfg, path)`` hands it the table once the model is done; ``wait()``
    returns True once the figure is written. Anything that goes wrong (the helper cannot start,
    dies, or takes longer than ``timeout`` seconds) makes ``wait()`` return False with the reason in
    ``error``, and the caller draws the figure itself: the run never loses its figure. ``close()``
    (also on an exception in the run) stops a helper that is still running; a helper whose parent
    was killed reads the end of its input and exits.
    """

    def __init__(self, timeout: float = 120.0) -> None:
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None
        self.error = ""
        self._err: Any = None
        self._sent = False

    def start(self) -> OverviewProcess:
        """Launch the helper (it starts importing matplotlib at once); return self."""
        import tempfile

        env = dict(os.environ)
        root = str(Path(__file__).resolve().parent.parent)  # the package's parent, for a checkout without install
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            self._err = tempfile.TemporaryFile()  # a file, not a pipe: a chatty helper cannot block on it
            self.proc = subprocess.Popen([sys.executable, "-c", "import sys, sim.plots as p; sys.exit(p._serve())"],
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._err, env=env)
        except OSError as exc:
            self.error = f"could not start the helper ({exc})"
            self.proc = None
        return self

    def send(self, annual: Any, cfg: Any, path: Path) -> None:
        """Hand the helper the run's annual table, its configuration and the figure's path."""
        if self.proc is None:
            return
        try:
            self.proc.stdin.write(pickle.dumps(_payload(annual, cfg, path), protocol=pickle.HIGHEST_PROTOCOL))
            self.proc.stdin.close()
            self._sent = True
        except OSError as exc:  # the helper died before reading (a broken pipe)
            self.error = f"the helper did not take the data ({exc})"
            self.close()

    def wait(self) -> bool:
        """Wait for the figure; True once it is written, False (reason in ``error``) otherwise."""
        if self.proc is None or not self._sent:
            self.error = self.error or "nothing was sent to the helper"
            self.close()
            return False
        try:
            rc = self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.error = f"the helper took longer than {self.timeout:g} s"
            self.close()
            return False
        if rc != 0:
            self._err.seek(0)
            tail = self._err.read().decode(errors="replace").strip().splitlines()
            self.error = f"the helper exited with code {rc}" + (f": {tail[-1]}" if tail else "")
            self.close()
            return False
        self.close()
        return True

    def close(self) -> None:
        """Stop the helper if it still runs, and release its pipe and error file."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stdin and not self.proc.stdin.closed:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
        if self._err is not None:
            self._err.close()
            self._err = None
