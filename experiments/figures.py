"""Figures of a comparison, as PNG bytes for embedding in the report (matplotlib, Agg).

* ``forest``: the effect of every scenario on each headline KPI over the effects window, as a
  percentage of the reference, with its 95% interval (filled = distinguishable from noise).
* ``timeseries``: one KPI over the years - left the level in each scenario (mean over
  replicates; the reference with the 95% interval of its mean), right the paired difference
  from the reference (band = 95% interval), with the effects window shaded.
* ``cost_plane``: extra enforcement cost against the change in crime cost, with the break-even
  line: scenarios below it save more crime cost than they cost.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from experiments.effects import KPI_KIND, Comparison, t_interval
from experiments.labels import kpi_label, kpi_unit

REF_COLOUR = "#222222"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {"font.size": 9, "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 10, "axes.titleweight": "bold"}
    )
    return plt


def png(fig) -> bytes:
    """Render and close a figure; return PNG bytes."""
    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def colours(scenarios: list[str]) -> dict[str, str]:
    """A fixed colour per scenario (the reference in near-black)."""
    out = {scenarios[0]: REF_COLOUR}
    out.update({s: PALETTE[i % len(PALETTE)] for i, s in enumerate(scenarios[1:])})
    return out


def kpi_title(kpi: str) -> str:
    """A panel title in plain words (never the column name)."""
    return kpi_label(kpi)


def forest(comp: Comparison, kpis: list[str]) -> bytes:
    """Forest plot: relative effect (%) with 95% interval, one panel per KPI."""
    plt = _plt()
    h = comp.horizon()
    kpis = [k for k in kpis if k in set(h["kpi"])]
    ncol = 2
    nrow = int(np.ceil(len(kpis) / ncol))
    others = comp.others
    fig, axes = plt.subplots(nrow, ncol, figsize=(10, 0.4 * len(others) * nrow + 1.3 * nrow + 0.6), squeeze=False)
    col = colours(comp.scenarios)
    for ax, k in zip(axes.flat, kpis):
        r = h[h["kpi"] == k].set_index("scenario").reindex(others)
        y = np.arange(len(others))[::-1]
        for yi, s in zip(y, others):
            row = r.loc[s]
            m, lo, hi = (100 * row[c] for c in ("rel_diff", "rel_ci_low", "rel_ci_high"))
            if not np.isfinite(m):
                ax.text(0, yi, "  n/a (reference is 0)", va="center", fontsize=8, color="#777")
                continue
            filled = bool(row["distinguishable"])
            ax.plot([lo, hi], [yi, yi], color=col[s], lw=2)
            ax.plot([m], [yi], "o", ms=7, color=col[s], mfc=col[s] if filled else "white", mew=1.6)
        ax.axvline(0, color="#888", lw=1, ls="--")
        ax.set_yticks(y, others)
        ax.set_title(kpi_title(k), loc="left", fontsize=9.5)
        ax.set_xlabel(f"relative change, % of {comp.reference}", fontsize=8.5)
        ax.grid(axis="x", color="#eee")
    for ax in list(axes.flat)[len(kpis) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"Effects over {comp.window[0]}-{comp.window[1]} with 95% intervals (filled: distinguishable from noise; hollow: not)",
        x=0.01, ha="left", fontsize=11, fontweight="bold",
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()), h_pad=1.6, w_pad=2.0)  # room for the title; panels apart
    return png(fig)


def _band(values: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per year (columns = replicates): mean and 95% t-interval of the mean."""
    stats_ = [t_interval(values.loc[y].to_numpy()) for y in values.index]
    return (np.array([s[1] for s in stats_]), np.array([s[3] for s in stats_]), np.array([s[4] for s in stats_]))


def _yformat(ax, kind: str, difference: bool = False) -> None:
    """Readable y ticks: NOK in millions or billions, shares in % (a difference of shares in pp), counts with separators."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    def nok(v, _):
        if v == 0:
            return "0"
        return f"{v / 1e9:,.1f}bn" if abs(v) >= 1e9 else f"{v / 1e6:,.0f}M"

    share = (lambda v, _: f"{100 * v:+.2f} pp" if v else "0") if difference else (lambda v, _: f"{100 * v:.1f}%")
    fmt = {"nok": nok, "cost": nok, "share": share}.get(
        kind, lambda v, _: f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:,.2f}"
    )
    ax.yaxis.set_major_formatter(FuncFormatter(fmt))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def timeseries(comp: Comparison, kpi: str) -> bytes:
    """Level per scenario and paired difference from the reference over the years, with bands.

    Left: the reference's mean level with its 95% band (grey) and each scenario's mean level.
    Right: each scenario's paired difference from the reference with its 95% band.
    """
    plt = _plt()
    runs = comp.runs
    kind = KPI_KIND.get(kpi, "")
    col = colours(comp.scenarios)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.4))
    ref = runs[runs["scenario"] == comp.reference].pivot(index="year", columns="replicate", values=kpi)
    m, lo, hi = _band(ref)
    ax1.fill_between(
        ref.index,
        np.where(np.isfinite(lo), lo, m),
        np.where(np.isfinite(hi), hi, m),
        color="#999",
        alpha=0.25,
        lw=0,
        label=f"{comp.reference}: 95% interval of its average",
    )
    for s in comp.others:
        v = runs[runs["scenario"] == s].pivot(index="year", columns="replicate", values=kpi)
        ax1.plot(v.index, v.mean(axis=1), color=col[s], lw=1.6, label=s)
        d = v - ref.reindex(index=v.index, columns=v.columns)
        dm, dlo, dhi = _band(d)
        ax2.plot(d.index, dm, color=col[s], lw=1.6)
        ax2.fill_between(d.index, np.where(np.isfinite(dlo), dlo, dm), np.where(np.isfinite(dhi), dhi, dm), color=col[s], alpha=0.2, lw=0)
    ax1.plot(ref.index, m, color=REF_COLOUR, lw=1.6, ls=(0, (4, 2)), label=comp.reference, zorder=5)
    ax2.axhline(0, color=REF_COLOUR, lw=1, ls=(0, (4, 2)))
    for ax, diff in ((ax1, False), (ax2, True)):
        ax.axvspan(comp.window[0] - 0.5, comp.window[1] + 0.5, color="#f6f1dc", zorder=-5, lw=0)
        ax.grid(color="#e8e8e8")
        ax.set_xlabel("year (shaded: effects window)")
        _yformat(ax, kind, difference=diff)
    ax1.set_title(f"{kpi_label(kpi)} ({kpi_unit(kpi, window=False)})", loc="left")
    ax2.set_title(f"Difference from {comp.reference} (band: 95% interval)", loc="left")
    handles, labels = ax1.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), frameon=False, bbox_to_anchor=(0.5, -0.1))
    fig.tight_layout()
    return png(fig)


def cost_plane(comp: Comparison) -> bytes:
    """Extra enforcement cost vs change in crime cost (MNOK over the window), break-even line."""
    plt = _plt()
    c = comp.cost
    col = colours(comp.scenarios)
    fig, ax = plt.subplots(figsize=(8, 4.6))
    x = c["extra_enforcement_nok"].to_numpy() / 1e6
    y = c["crime_cost_change_nok"].to_numpy() / 1e6
    lo = c["crime_cost_change_low"].to_numpy() / 1e6
    hi = c["crime_cost_change_high"].to_numpy() / 1e6
    x0, x1 = min(0.0, np.nanmin(x)), max(0.0, np.nanmax(x))
    xr = max(x1 - x0, 1.0)
    xlim = (x0 - 0.1 * xr, x1 + 0.4 * xr)  # room for the labels on the right
    ys = np.r_[y, lo, hi, 0.0, -np.array(xlim)]
    ys = ys[np.isfinite(ys)]
    yr = max(ys.max() - ys.min(), 1.0)
    ylim = (ys.min() - 0.1 * yr, ys.max() + 0.1 * yr)
    line = np.array(xlim)
    ax.fill_between(line, -line, ylim[0], color="#e8f4e8", lw=0, zorder=-5)
    ax.plot(line, -line, color="#2a7a2a", lw=1, ls="--")
    ax.text(
        0.98,
        0.04,
        "below the dashed line: crime cost falls by more than enforcement costs",
        transform=ax.transAxes,
        ha="right",
        fontsize=8,
        color="#2a7a2a",
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
    )
    ax.axhline(0, color="#999", lw=0.8)
    ax.axvline(0, color="#999", lw=0.8)
    for xi, yi, low, high, s in zip(x, y, lo, hi, c["scenario"]):
        err = np.array([[yi - low], [high - yi]]) if np.isfinite(low) else None
        ax.errorbar([xi], [yi], yerr=err, fmt="o", color=col[s], ms=7, capsize=3, lw=1.6)
        ax.annotate(s, (xi, yi), xytext=(6, 4), textcoords="offset points", fontsize=8, color=col[s])
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(f"extra enforcement cost, NOK million, total {comp.window[0]}-{comp.window[1]}")
    ax.set_ylabel("change in crime cost,\nNOK million")
    ax.set_title(f"Cost-effectiveness against {comp.reference} (95% intervals)", loc="left")
    ax.grid(color="#eee")
    fig.tight_layout()
    return png(fig)
