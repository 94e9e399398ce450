"""Global sensitivity analysis of a sweep: Morris screening and Sobol indices (SALib).

Core objects:
    point_means(summary, kpi, n_points) - the KPI per design point (mean over replicates) and
        how much of its variance is seed noise.
    sobol_table / morris_table - SALib's indices with confidence intervals as tables.
    analyse(out, ...) - read a sweep from its result store, analyse every chosen KPI, write
        tables (CSV), charts (PNG) and a plain-language summary (``summary.txt``).
    main(argv) - ``akrim sensitivity``: run the sweep file if given (resuming), then analyse.

The sweep must have a ``sobol`` (Saltelli) or ``morris`` design; see ``docs/sweeps.md``. The
analysis reads results back from the store by run key, in design order, so it works the same for
the simulator and for the test models (``experiments.testmodels``), which is how it is tested:
Sobol indices of the Ishigami function against their analytical values.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.cliargs import (
    MAX_SEED,
    MAX_WORKERS,
    UsageError,
    arg,
    check_address,
    check_workers,
    closest,
    fail,
    help_text,
    keys_help,
    parse,
)
from experiments.sweep import Outputs, SweepError, load_recorded, load_sweep, run_sweep, summarise
from sim.config.validate import MISSING_VALUE

METHODS = ("sobol", "morris")
DRIVER = 0.05  # a total Sobol index clearly above this (CI included) makes a parameter a driver


class SensitivityError(ValueError):
    """The sweep cannot be analysed as asked (wrong design, missing results, unknown KPI)."""


# ----------------------------------------------------------------------------------- data
def point_means(summary: Any, kpi: str, n_points: int) -> tuple[Any, float | None, int]:
    """KPI value per design point (mean over the replicates that finished).

    Returns:
        ``(Y, noise_share, n_partial)``: ``Y`` in design order; ``noise_share`` is the share of
        the variance of ``Y`` that is seed noise (within-point variance / replicates, over the
        variance of the point means; None with one replicate); ``n_partial`` counts points with
        some but not all replicates.

    Raises:
        SensitivityError: if a design point has no finished run.
    """
    import numpy as np

    ok = summary[summary["status"] == "ok"]
    g = ok.groupby("point")[kpi]
    means, counts, var = g.mean(), g.count(), g.var(ddof=1)
    missing = sorted(set(range(n_points)) - set(means.index[counts > 0]))
    if missing:
        st = summary[summary["point"].isin(missing)]["status"].value_counts().to_dict()
        raise SensitivityError(f"{len(missing)} of {n_points} design points have no finished run (e.g. point {missing[0]}; "
                               f"their runs: {st}); re-run the sweep to retry, the indices need every point")
    Y = means.reindex(range(n_points)).to_numpy(dtype=float)
    if np.isnan(Y).any():
        bad = int(np.flatnonzero(np.isnan(Y))[0])
        raise SensitivityError(f"{kpi} is NaN at design point {bad} (an empty ratio in the model, e.g. no cases "
                               "in the chosen years); choose other years or another KPI")
    reps = int(summary["rep"].max()) + 1
    n_partial = int((counts < reps).sum())
    noise = None
    if reps > 1 and np.var(Y) > 0:
        noise = float(np.nanmean(var.to_numpy()) / reps / np.var(Y, ddof=1))
    return Y, noise, n_partial


def _rank_corr(x: Any, y: Any) -> float:
    from scipy.stats import spearmanr

    r = spearmanr(x, y).statistic
    return float(r) if r == r else 0.0


def sobol_table(problem: dict[str, Any], X: Any, Y: Any, second_order: bool, conf: float = 0.95, resamples: int = 1000,
                seed: int = 1) -> tuple[Any, Any]:
    """First-order and total Sobol indices with confidence intervals (SALib ``sobol.analyze``).

    ``seed`` (>= 1) seeds the bootstrap; SALib 1.6 ignores a seed of 0 and would draw from
    numpy's global generator, so the intervals would change from call to call.

    Returns:
        ``(table, second)``: one row per parameter with ``S1, S1_conf, ST, ST_conf`` and
        ``rank_corr`` (Spearman correlation of the parameter with the KPI over the design, for the
        direction of the effect); ``second`` has the second-order indices (None without them).
    """
    import numpy as np
    import pandas as pd
    from SALib.analyze import sobol

    if seed < 1:
        raise ValueError(f"seed = {seed}: the bootstrap seed must be >= 1 (SALib ignores 0)")
    res = sobol.analyze(problem, np.asarray(Y, dtype=float), calc_second_order=second_order, num_resamples=resamples,
                        conf_level=conf, seed=seed)
    names = problem["names"]
    tab = pd.DataFrame({"parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"], "ST_conf": res["ST_conf"],
                        "rank_corr": [_rank_corr(X[:, j], Y) for j in range(len(names))]})
    second = None
    if second_order:
        rows = [{"parameter_1": names[i], "parameter_2": names[j], "S2": res["S2"][i, j], "S2_conf": res["S2_conf"][i, j]}
                for i in range(len(names)) for j in range(i + 1, len(names))]
        second = pd.DataFrame(rows)
    return tab, second


def _shape(ratio: float) -> str:
    # sigma / mu* classes of Garcia Sanchez et al. (2014), Energy and Buildings 68, 741-750.
    if ratio != ratio:
        return "no effect"
    if ratio < 0.1:
        return "linear"
    if ratio < 0.5:
        return "monotonic"
    if ratio < 1.0:
        return "almost monotonic"
    return "non-linear or interacting"


def morris_table(problem: dict[str, Any], X: Any, Y: Any, levels: int, conf: float = 0.95, resamples: int = 1000,
                 seed: int = 1) -> Any:
    """Morris elementary-effect statistics with a confidence interval on ``mu_star`` (SALib)."""
    import numpy as np
    import pandas as pd
    from SALib.analyze import morris

    res = morris.analyze(problem, np.asarray(X, dtype=float), np.asarray(Y, dtype=float), num_resamples=resamples,
                         conf_level=conf, num_levels=levels, seed=seed)
    tab = pd.DataFrame({"parameter": problem["names"], "mu": np.asarray(res["mu"], dtype=float),
                        "mu_star": np.asarray(res["mu_star"], dtype=float), "mu_star_conf": np.asarray(res["mu_star_conf"], dtype=float),
                        "sigma": np.asarray(res["sigma"], dtype=float)})
    with np.errstate(divide="ignore", invalid="ignore"):
        tab["sigma_over_mu_star"] = tab["sigma"] / tab["mu_star"]
    tab["shape"] = [_shape(r) for r in tab["sigma_over_mu_star"]]
    return tab


# ----------------------------------------------------------------------------------- words
def _fmt(v: float) -> str:
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e9:
        return f"{v / 1e9:.3g}bn"
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _direction(r: float) -> str:
    if r > 0.2:
        return "higher values raise it"
    if r < -0.2:
        return "higher values lower it"
    return "no clear direction"


def describe_sobol(kpi: str, tab: Any, noise: float | None, conf: float) -> str:
    """A short paragraph on what drives ``kpi`` according to its Sobol indices."""
    if tab["ST"].isna().all():
        return f"{kpi}: does not vary across the design; its Sobol indices are undefined."
    t = tab.sort_values("ST", ascending=False)
    ci = f"{conf:.0%} CI"
    drivers = t[t["ST"] - t["ST_conf"] > DRIVER]
    minor = t[t["ST"] + t["ST_conf"] < DRIVER]
    parts = []
    if len(drivers):
        lead = [f"{r.parameter} (total effect {r.ST:.2f} ± {r.ST_conf:.2f}, alone {r.S1:.2f} ± {r.S1_conf:.2f}; {_direction(r.rank_corr)})"
                for r in drivers.itertuples()]
        parts.append(f"{kpi} is driven by " + "; then ".join(lead) + f" [± = {ci}].")
    else:
        parts.append(f"{kpi}: no parameter has a total effect clearly above {DRIVER:g} [{ci}].")
    if len(minor):
        parts.append(f"Negligible (total effect below {DRIVER:g} with its CI): {', '.join(minor['parameter'])}.")
    unsure = t[~t["parameter"].isin(drivers["parameter"]) & ~t["parameter"].isin(minor["parameter"])]
    if len(unsure):
        parts.append(f"Not resolved at this sample size: {', '.join(unsure['parameter'])}.")
    inter = 1.0 - float(t["S1"].clip(lower=0).sum())
    if inter > 0.1:
        parts.append(f"Interactions matter: first-order effects explain {1 - inter:.0%} of the variance, interactions the rest.")
    else:
        parts.append(f"Effects are nearly additive (first-order effects sum to {1 - inter:.0%}).")
    if noise is not None and noise > 0.1:
        parts.append(f"Caution: seed noise is {noise:.0%} of the variance of the point means; it inflates total effects "
                     "of weak parameters - add replicates.")
    elif noise is not None:
        parts.append(f"Seed noise is {noise:.0%} of the variance of the point means.")
    return " ".join(parts)


def describe_morris(kpi: str, tab: Any, conf: float) -> str:
    """A short paragraph on what drives ``kpi`` according to Morris screening."""
    top = float(tab["mu_star"].max())
    if not top > 0:
        return f"{kpi}: no parameter changes it in this design."
    t = tab.sort_values("mu_star", ascending=False)
    lead = t[t["mu_star"] - t["mu_star_conf"] > 0.1 * top]
    minor = t[t["mu_star"] + t["mu_star_conf"] < 0.05 * top]
    items = []
    for r in lead.itertuples():
        way = "raises" if r.mu > 0.5 * r.mu_star else "lowers" if r.mu < -0.5 * r.mu_star else "moves (both ways)"
        items.append(f"{r.parameter} (mu* {_fmt(r.mu_star)} ± {_fmt(r.mu_star_conf)}; raising it {way} {kpi}; {r.shape})")
    text = f"{kpi} is most sensitive to " + "; then ".join(items) + \
        f" [mu* = mean absolute change of {kpi} over a step of the parameter's range; ± = {conf:.0%} CI]."
    if len(minor):
        text += f" Little or no influence: {', '.join(minor['parameter'])}."
    return text


# ----------------------------------------------------------------------------------- plots
def plot_sobol(tab: Any, kpi: str, path: Path, conf: float) -> None:
    """Horizontal bars of total and first-order indices with CIs, largest total effect on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    t = tab.sort_values("ST")
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(t) + 1.6))
    ax.barh(y + 0.2, t["ST"], height=0.4, xerr=t["ST_conf"], color="#c0504d", capsize=3, label="total effect ST")
    ax.barh(y - 0.2, t["S1"], height=0.4, xerr=t["S1_conf"], color="#4f81bd", capsize=3, label="first order S1")
    ax.set_yticks(y, t["parameter"])
    ax.axvline(0, color="k", lw=0.6)
    ax.set_xlabel(f"Sobol index (share of variance), bars = {conf:.0%} CI")
    ax.set_title(f"What drives {kpi}")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_morris(tab: Any, kpi: str, path: Path, conf: float) -> None:
    """Tornado of mu* with CIs (left) and mu* against sigma (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    t = tab.sort_values("mu_star")
    top = float(max(t["mu_star"].max(), t["sigma"].max(), 1e-12))
    div, unit = next(((d, u) for d, u in ((1e9, " (billions)"), (1e6, " (millions)"), (1e3, " (thousands)")) if top >= d), (1.0, ""))
    mu_star, conf_s, sigma = t["mu_star"] / div, t["mu_star_conf"] / div, t["sigma"] / div
    y = np.arange(len(t))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 0.45 * len(t) + 1.8), gridspec_kw={"width_ratios": [1.3, 1]})
    colours = ["#c0504d" if m > 0 else "#4f81bd" for m in t["mu"]]
    a1.barh(y, mu_star, xerr=conf_s, color=colours, capsize=3)
    a1.set_yticks(y, t["parameter"])
    a1.set_xlabel(f"mu* = mean |elementary effect|{unit}; bars = {conf:.0%} CI")
    a1.set_title(f"Morris screening of {kpi} (red: raising the parameter raises it, blue: lowers it)", fontsize=10)
    a2.scatter(mu_star, sigma, color=colours)
    for name, xm, ys in zip(t["parameter"], mu_star, sigma):
        a2.annotate(name.split(".")[-1], (xm, ys), fontsize=7, xytext=(3, 3), textcoords="offset points")
    lim = top / div * 1.1
    a2.plot([0, lim], [0, lim], ls="--", color="grey", lw=0.8)
    a2.set_xlim(0, lim)
    a2.set_ylim(0, lim)
    a2.set_xlabel(f"mu*{unit}")
    a2.set_ylabel(f"sigma{unit}: non-linearity / interactions")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_overview(table: Any, value: str, path: Path, title: str) -> None:
    """Heat map of one index (parameters x KPIs), to see every KPI's drivers at once."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = table.pivot(index="parameter", columns="kpi", values=value)
    fig, ax = plt.subplots(figsize=(1.3 * m.shape[1] + 4, 0.45 * m.shape[0] + 2))
    im = ax.imshow(m.to_numpy(dtype=float), cmap="Reds", aspect="auto", vmin=0)
    ax.set_xticks(range(m.shape[1]), m.columns, rotation=30, ha="right")
    ax.set_yticks(range(m.shape[0]), m.index)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(j, i, f"{m.iat[i, j]:.2g}", ha="center", va="center", fontsize=7)
    fig.colorbar(im, ax=ax, label=value)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ----------------------------------------------------------------------------------- analysis
@dataclass
class SensitivityResult:
    """Tables and text of one analysis, and where they were written."""

    method: str
    indices: Any  # DataFrame: one row per (kpi, parameter)
    second_order: Any = None
    text: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def _kpi_names(model: str) -> list[str]:
    if model == "akrim":
        from sim.metrics import KPI_NAMES

        return list(KPI_NAMES)
    from experiments.testmodels import get_model

    return list(get_model(model).outputs)


def _indices(meta: dict[str, Any], X: Any, Y: Any, kpi: str, noise: float | None, conf: float, resamples: int,
             seed: int) -> tuple[Any, Any, str]:
    """Indices table, second-order table (or None) and text of one KPI."""
    import numpy as np
    import pandas as pd

    problem = meta["problem"]
    if meta["method"] == "morris":
        tab = morris_table(problem, X, Y, int(meta["options"]["levels"]), conf, resamples, seed)
        return tab, None, describe_morris(kpi, tab, conf)
    if np.var(Y) == 0:  # a KPI that never changes: the indices are 0/0
        tab = pd.DataFrame({"parameter": problem["names"], "S1": np.nan, "S1_conf": np.nan, "ST": np.nan, "ST_conf": np.nan,
                            "rank_corr": np.nan})
        return tab, None, describe_sobol(kpi, tab, noise, conf)
    tab, sec = sobol_table(problem, X, Y, bool(meta["options"].get("second_order")), conf, resamples, seed)
    return tab, sec, describe_sobol(kpi, tab, noise, conf)


def analyse(out: str | Path, sweep_name: str | None = None, kpis: list[str] | None = None, conf: float = 0.95,
            resamples: int = 1000, seed: int = 1, plots: bool = True, report: str | Path | None = None) -> SensitivityResult:
    """Analyse the sweep recorded in the store at ``out``; write results to ``report``.

    Args:
        out: The sweep's result store.
        sweep_name: Which recorded sweep (needed only if the store holds several).
        kpis: KPIs to analyse (default: the sweep file's ``outputs.kpis``).
        conf: Confidence level of the intervals.
        resamples: Bootstrap resamples for the intervals.
        seed: Seed of the bootstrap.
        plots: Write PNG charts.
        report: Output directory (default ``<out>/sensitivity``).
    """
    import numpy as np
    import pandas as pd

    from experiments.store import ResultStore

    meta, runs = load_recorded(out, sweep_name)
    method = meta["method"]
    if method not in METHODS:
        raise SensitivityError(f"sweep {meta['name']} has a {method} design; sensitivity needs design.method sobol or morris")
    o = meta["outputs"]
    names = _kpi_names(meta["model"])
    kpis = list(kpis or o["kpis"])
    for k in kpis:
        if k not in names:
            raise SensitivityError(f"kpis: {k!r} is not an output of model {meta['model']}; allowed: {', '.join(names)}")
    outputs = Outputs(kpis, tuple(o["years"]) if o["years"] else None, o["stat"])
    summary = summarise(ResultStore(out), runs, outputs)
    X, n_points = np.asarray(meta["X"], dtype=float), int(meta["n_points"])
    rep_dir = Path(report) if report else Path(out) / "sensitivity"
    rep_dir.mkdir(parents=True, exist_ok=True)
    res = SensitivityResult(method, None)
    tables, seconds, means = [], [], {}
    for kpi in kpis:
        Y, noise, partial = point_means(summary, kpi, n_points)
        means[kpi] = Y
        tab, sec, res.text[kpi] = _indices(meta, X, Y, kpi, noise, conf, resamples, seed)
        if sec is not None:
            seconds.append(sec.assign(kpi=kpi))
        if partial:
            res.text[kpi] += f" ({partial} design points are missing some replicates.)"
        tab.insert(0, "kpi", kpi)
        tab["noise_share"] = noise
        tables.append(tab)
        if plots and not tab.drop(columns=["kpi", "parameter"]).isna().all().all():
            path = rep_dir / f"{method}_{kpi}.png"
            (plot_sobol if method == "sobol" else plot_morris)(tab, kpi, path, conf)
            res.files.append(path)
    res.indices = pd.concat(tables, ignore_index=True)
    res.second_order = pd.concat(seconds, ignore_index=True) if seconds else None
    _write(res, meta, rep_dir, means, conf, plots)
    return res


def _write(res: SensitivityResult, meta: dict[str, Any], rep_dir: Path, means: dict[str, Any], conf: float, plots: bool) -> None:
    import pandas as pd

    f = rep_dir / f"{res.method}.csv"
    res.indices.to_csv(f, index=False)
    res.files.insert(0, f)
    if res.second_order is not None:
        f = rep_dir / "sobol_second_order.csv"
        res.second_order.to_csv(f, index=False)
        res.files.append(f)
    f = rep_dir / "point_means.csv"
    pd.DataFrame({"point": range(len(next(iter(means.values())))), **means}).to_csv(f, index=False)
    res.files.append(f)
    if plots and len(means) > 1:
        value, title = ("ST", "Total Sobol index by KPI") if res.method == "sobol" else ("mu_star", "Morris mu* by KPI")
        tab = res.indices
        if value == "mu_star":  # scale per KPI so KPIs of different units share one map
            tab = tab.assign(mu_star=tab["mu_star"] / tab.groupby("kpi")["mu_star"].transform("max"))
            title += " (relative to each KPI's largest)"
        f = rep_dir / f"{res.method}_overview.png"
        plot_overview(tab, value, f, title)
        res.files.append(f)
    yrs = meta["outputs"]["years"]
    head = (f"Sensitivity analysis ({'Sobol indices' if res.method == 'sobol' else 'Morris screening'}) of sweep {meta['name']}: "
            f"{meta['n_points']} design points x {meta['replicates']} replicate(s), model {meta['model']}, "
            f"KPIs as the {meta['outputs']['stat']} over {'every year' if not yrs else f'{yrs[0]}-{yrs[1]}'}, "
            f"averaged over replicates; {conf:.0%} confidence intervals by bootstrap.")
    text = head + "\n\n" + "\n\n".join(res.text.values()) + "\n"
    f = rep_dir / "summary.txt"
    f.write_text(text)
    res.files.append(f)


# ----------------------------------------------------------------------------------- CLI
@dataclass
class SensitivityArgs:
    """The keys of ``akrim sensitivity``."""

    file: str | None = arg(None, doc="a sweep file with a sobol or morris design: run it (resuming) and analyse")
    out: str | None = arg(None, doc="the sweep's result store (default outputs/sweeps/<name>); without file=, analyse what it holds")
    sweep: str | None = arg(None, doc="which recorded sweep, if the store holds several")
    kpis: list[str] | None = arg(None, doc="KPIs to analyse, comma-separated (default: the sweep file's outputs.kpis)")
    conf: float = arg(0.95, lo=0.5, hi=0.999, doc="confidence level of the intervals")
    resamples: int = arg(1000, lo=10, hi=100_000, doc="bootstrap resamples for the intervals")
    seed: int = arg(1, lo=1, hi=MAX_SEED, doc="seed of the bootstrap (SALib ignores 0)")
    plots: bool = arg(True, doc="write PNG charts")
    report: str | None = arg(None, doc="where to write tables, charts and summary.txt (default <out>/sensitivity)")
    workers: int | None = arg(None, lo=1, hi=MAX_WORKERS, doc="worker processes of the local Dask cluster (with file=)")
    address: str | None = arg(None, doc="Dask scheduler address tcp://host:port, or none to run in this process (with file=)")
    progress: bool = arg(True, doc="show the progress bar")
    rerun_stale: bool = arg(False, doc="recompute stored runs recorded by another code version (with file=; default: warn, reuse)")


ARGS = keys_help(SensitivityArgs)
EXAMPLES = """  akrim sensitivity file=experiments/sweeps/morris_world.yaml workers=2
  akrim sensitivity file=experiments/sweeps/ishigami_sobol.yaml address=none
  akrim sensitivity out=outputs/sweeps/sobol_levers kpis=undeclared_work_share,crime_cost_nok
See docs/sweeps.md.
"""


def _warn_stale(out: Path, name: str | None) -> None:
    """One line on stderr if the recorded sweep's finished runs came from other code versions."""
    from experiments.execute import stale_warning
    from experiments.runs import _code_version
    from experiments.store import ResultStore

    _, runs = load_recorded(out, name)
    store = ResultStore(out)
    keys = set(runs["run_key"]) & store.done_keys()
    current = _code_version()
    stale = store.stale(keys, current)
    if stale:
        hint = "to recompute them run with file=<the sweep file> rerun_stale=true"
        print(stale_warning(stale, len(keys), current, hint=hint, what="analysed"), file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    """``akrim sensitivity``: Morris / Sobol analysis of a sweep; see ``ARGS``."""
    if any(a in ("-h", "--help", "help") for a in argv):
        print(help_text("akrim sensitivity", "Morris screening or Sobol indices (SALib) of chosen KPIs, with confidence intervals, "
                        "tables, charts and a text summary.", SensitivityArgs, EXAMPLES))
        return 0
    try:
        a, given, _ = parse(SensitivityArgs, argv, "akrim sensitivity")
        if a.file is None and a.out is None:
            raise UsageError("file", MISSING_VALUE, "a sweep file to run and analyse, or out= (a sweep's result store); one is required")
        if a.file is None:
            for k in ("workers", "address", "rerun_stale"):
                if k in given:
                    raise UsageError(k, given[k], "only with file= (it says how to run the sweep file)")
        address = check_address(a.address)
        check_workers(a.workers, address if address != "none" else None)
        sweep = load_sweep(a.file) if a.file else None
        if sweep is not None and sweep.design.method not in METHODS:
            raise UsageError("file", a.file, f"a sweep file with design.method sobol or morris (this one is {sweep.design.method})")
        if sweep is not None and a.sweep is not None and a.sweep != sweep.name:
            raise UsageError("sweep", a.sweep, f"the file's sweep name {sweep.name!r} (or leave sweep= out)")
        out = Path(a.out or Path("outputs") / "sweeps" / sweep.name)  # type: ignore[union-attr]
        if sweep is None:
            meta, _ = load_recorded(out, a.sweep)
            model = meta["model"]
            if meta["method"] not in METHODS:
                raise UsageError("out", str(out), f"a store of a sobol or morris sweep (sweep {meta['name']} has a {meta['method']} design)")
        else:
            model = sweep.model
        kpis = a.kpis
        names = _kpi_names(model)
        for k in kpis or []:
            if k not in names:
                near = closest(str(k), names)
                raise UsageError("kpis", k, (f"did you mean {near}? " if near else "") + f"outputs of model {model}: {', '.join(names)}")
        conf, resamples, seed, plots, progress = a.conf, a.resamples, a.seed, a.plots, a.progress
        workers, rerun_stale = a.workers, a.rerun_stale
        if sweep is not None:
            from experiments.sweep import _where, describe

            print(describe(sweep))
            print(f"  store: {out}\n  running {_where(address, workers)}", flush=True)
            ex = run_sweep(sweep, out, address=address, n_workers=workers, progress=progress, rerun_stale=rerun_stale).execution
            print(f"runs: {ex.done} run, {ex.failed} failed, {ex.skipped} already done, in {ex.wall_s:,.1f} s")
        res = analyse(out, sweep.name if sweep else a.sweep, kpis, conf, resamples, seed, plots, a.report)
        if sweep is None:  # analysing a store without running: its runs were not checked by execute
            _warn_stale(out, a.sweep)
    except (UsageError, SweepError, SensitivityError) as exc:
        return fail(exc)
    except KeyboardInterrupt:
        print("\nakrim sensitivity: interrupted; finished runs are kept - run the same command again to resume", file=sys.stderr)
        return 130
    print()
    for text in res.text.values():
        print(text + "\n")
    print("written:")
    for f in res.files:
        print(f"  {f}")
    return 0
