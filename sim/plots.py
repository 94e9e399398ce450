"""The overview figure of a run: the main KPIs over time, for a non-specialist reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# The figure is built on matplotlib's object-oriented API with the Agg canvas, not pyplot: pyplot
# also imports the interactive machinery (widgets, backend selection), 0.03-0.08 s more at the
# start of a run (measured 2026-12-06), and keeps a registry of open figures the run does not need.
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

# Whole years on the x axis, at most this many labels: on a short run the default locator puts
# ticks at half years and prints them as "2014.0 2014.5 ..." that run into each other.
MAX_YEAR_TICKS = 8


def year_axis(ax: Any) -> None:
    """Label the x axis with whole calendar years only ("2014", never "2014.5")."""
    ax.xaxis.set_major_locator(MaxNLocator(nbins=MAX_YEAR_TICKS, integer=True, min_n_ticks=1))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}"))

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
    """Draw the six-panel overview of ``annual`` (the annual table) to ``path`` (PNG)."""
    # A fixed layout (no constrained layout: it measured every text twice, half of the figure's
    # cost); the margins leave room for the titles, tick labels and the two-line suptitle.
    fig = Figure(figsize=(15, 8.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 3)
    fig.subplots_adjust(left=0.055, right=0.99, bottom=0.055, top=0.9, wspace=0.2, hspace=0.28)
    years = annual["year"].to_numpy()
    reg = cfg.policy.sharing.regulation
    reg_year = int(str(reg)[:4]) + (int(str(reg)[5:7]) - 1) / 12 if reg else None
    for ax, (title, series, unit) in zip(axes.ravel(), PANELS):
        for col, label, factor in series:
            if col in annual:
                ax.plot(years, annual[col].to_numpy() * factor, marker="o", ms=3, lw=1.8, label=label)
        if reg_year is not None and years.min() <= reg_year <= years.max():
            ax.axvline(reg_year, color="grey", ls=":", lw=1)
        ax.set_title(title, fontsize=11)
        year_axis(ax)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
        if unit == "bn NOK":  # crime costs ~100x enforcement: a log axis shows both
            ax.set_yscale("log")
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
