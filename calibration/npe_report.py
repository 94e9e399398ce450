"""The NPE calibration's sections of ``report.html``: coverage, rank histograms, contraction, misspecification.

``npe_info(meta)`` - the rows of *What was run*; ``npe_sections(res, problem, targets, summary)`` -
HTML sections that ``calibration.report.build_report`` inserts after the parameters.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from calibration.npe import ALL_MEAN, JOINT, LEVELS, coverage_verdicts
from calibration.report import _fmt, _grid, _png, _table


def npe_info(meta: dict[str, Any]) -> list[list[str]]:
    """Rows of *What was run* for an NPE calibration."""
    e = html.escape
    return [
        ["command", f"<code>{e(str(meta.get('command', '')))}</code>"],
        ["generated", e(str(meta.get("generated", "")))],
        ["code version", e(str(meta.get("code_version", "")))],
        ["method", f"neural posterior estimation (sbi), amortised: {meta.get('ensemble', 1)} {e(str(meta.get('estimator')))} "
                   "flow(s) trained on the same runs, averaged"],
        ["budget", e(str(meta.get("budget", "")))],
        ["population scale of the runs", e(str(meta.get("scale", "")))],
        ["training runs (with every statistic)", f"{meta.get('training_runs')} ({meta.get('training_runs_valid')})"],
        ["held-out runs for simulation-based calibration (used)", f"{meta.get('heldout_runs')} ({meta.get('heldout_runs_valid')})"],
        ["runs reused from the run store / computed by this call", f"{meta.get('runs_reused')} / {meta.get('runs_computed')}"],
        ["posterior draws (independent)", str(meta.get("draws"))],
        ["posterior predictive runs", str(meta.get("predictive", ""))],
        ["scale bias (multi-fidelity)", _fidelity_cell(meta.get("discrepancy"))],
        ["wall time of this call: runs / training and checks / predictive / total",
         f"{meta.get('wall_runs_s', 0):.0f} s / {meta.get('wall_train_check_s', 0):.0f} s / "
         f"{meta.get('wall_predictive_s', 0):.0f} s / {meta.get('wall_total_s', 0):.0f} s"],
        ["run store", f"<code>{e(str(meta.get('runs', '')))}</code>"],
    ]


def _fidelity_cell(d: dict[str, Any] | None) -> str:
    if not d:
        return "not measured (fidelity=0)"
    applied = [k for k, v in d.get("stats", {}).items() if v.get("applied")]
    return (f"{d.get('points')} posterior draws x ({d.get('reps')} runs at scale {d.get('lo_scale')} + 1 at scale {d.get('hi_scale')}); "
            f"corrected: {html.escape(', '.join(applied)) if applied else 'none (all within noise)'}")


def coverage_figure(cov: Any, names: list[str]) -> str:
    """Empirical against nominal coverage, one line per parameter, the mean and the joint region bold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    ax.plot([0.4, 1.0], [0.4, 1.0], color="0.4", lw=1, ls="--", label="nominal")
    ax.fill_between([0.4, 1.0], [0.35, 0.95], [0.45, 1.05], color="0.9", label="+-5 pp")
    for n in names:
        g = cov[cov["parameter"] == n]
        ax.plot(g["level"], g["coverage"], color="#9ecae1", lw=0.8)
    for n, c in ((ALL_MEAN, "#08519c"), (JOINT, "#e6550d")):
        g = cov[cov["parameter"] == n]
        ax.plot(g["level"], g["coverage"], "o-", color=c, lw=2, label=n)
    ax.set_xlabel("nominal level of the posterior interval")
    ax.set_ylabel("share of held-out truths inside")
    ax.set_xlim(0.45, 0.98)
    ax.set_ylim(0.2, 1.02)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return _png(fig)


def rank_figure(ranks: np.ndarray, draws: int, names: list[str], bins: int = 10) -> str:
    """Rank histograms per parameter with the 99% band of a uniform histogram."""
    from scipy.stats import binom

    fig, axes = _grid(len(names))
    m = ranks.shape[0]
    lo, hi = binom.ppf(0.005, m, 1 / bins), binom.ppf(0.995, m, 1 / bins)
    for j, (ax, n) in enumerate(zip(axes, names, strict=False)):
        ax.axhspan(lo, hi, color="0.88")
        ax.hist(ranks[:, j], bins=bins, range=(0, draws), color="#6baed6", edgecolor="white")
        ax.axhline(m / bins, color="0.4", lw=1)
        ax.set_title(n.replace("world.", ""), fontsize=8)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return _png(fig)


def _recalibration_note(res: Any, names: list[str]) -> list[str]:
    """What the recalibration did: the factors, and the coverage of the flows as trained beside it."""
    if getattr(res, "raw", None) is None:
        return ["<p>The posterior is the flows as trained (<code>recalibrate=false</code>).</p>"]
    raw = res.raw
    cells = ", ".join(f"{100 * raw.coverage_at(ALL_MEAN, a):.0f}% at {100 * a:.0f}%" for a in LEVELS)
    joint = ", ".join(f"{100 * raw.coverage_at(JOINT, a):.0f}%" for a in LEVELS)
    fac = ", ".join(f"<code>{html.escape(n.replace('world.', ''))}</code> {w:.2f}" for n, w in zip(names, res.widening))
    return [
        "<p><b>Recalibrated.</b> The flows as trained cover " + cells + f" (mean over parameters; joint {joint}). "
        "Their spread is therefore recalibrated: per parameter, the posterior draws are widened about their median in "
        "logit space by the factor (of 0.5-4) that makes the central intervals of the held-out runs cover best at the four "
        "levels. The table and the rank histograms are <i>out of sample</i>: the held-out runs are split in two, and each "
        "half is judged with the factors fitted on the other half (cross-fitting). The posterior at the reported figures "
        f"uses the factors fitted on all {res.m} held-out runs: {fac}. Widening repairs a posterior that is too narrow on "
        "average; it cannot repair one that is biased, or too narrow for some data sets and too wide for others.</p>"]


def npe_sections(res: Any, problem: Any, targets: list, summary: list[dict[str, Any]]) -> list[str]:
    """The NPE diagnostics as HTML sections."""
    names = [p.key for p in problem.priors]
    cov = res.sbc.coverage
    verdicts = coverage_verdicts(res.sbc, names)
    rows = []
    for n in [*names, ALL_MEAN, JOINT]:
        g = cov[cov["parameter"] == n]
        cells = [f"{100 * c:.0f}%" for c in g["coverage"]]
        v = verdicts[n]
        cls = "inside" if v == "calibrated" else "near"
        rows.append([f"<code>{html.escape(n)}</code>" if n.startswith("world.") else f"<b>{html.escape(n)}</b>", *cells,
                     f"<span class='{cls}'>{v}</span>"])
    mean = {a: res.sbc.coverage_at(ALL_MEAN, a) for a in LEVELS}
    within = all(abs(mean[a] - a) <= 0.05 for a in (0.5, 0.8, 0.9))
    over = [n for n in names if verdicts[n] == "overconfident"]
    under = [n for n in names if verdicts[n] == "underconfident"]
    words = (f"Averaged over the parameters, coverage is {', '.join(f'{100 * mean[a]:.0f}% at {100 * a:.0f}%' for a in LEVELS)}: "
             + ("within +-5 percentage points of nominal at 50, 80 and 90%." if within else
                "<b>not</b> within +-5 percentage points of nominal at every one of 50, 80 and 90%.")
             + (f" Overconfident at 90% (intervals too narrow): {', '.join(o.replace('world.', '') for o in over)}." if over else "")
             + (f" Underconfident at 90% (intervals too wide): {', '.join(u.replace('world.', '') for u in under)}." if under else ""))
    sec = [
        "<h2>Simulation-based calibration (do the intervals mean what they say?)</h2>",
        f"<p>{res.sbc.m} simulated data sets kept out of training: parameters drawn from the prior, one model run each, "
        "with the same reporting error as the training runs. For each, the posterior was computed as for the reported "
        f"figures ({res.sbc.draws} draws). <i>Coverage</i> at a level is the share of data sets whose true parameter lies "
        "in the central interval of that level; a calibrated posterior has coverage equal to the level. Below it the "
        "posterior is overconfident, above it conservative. The joint row asks whether the true point lies in the "
        "highest-density region of that level (all parameters at once). Verdict at 90%: <i>calibrated</i> within +-5 "
        "points. Table: <code>coverage.csv</code>.</p>",
        f"<p>{words}</p>",
        *_recalibration_note(res.sbc, names),
        _table(["parameter", *[f"{100 * a:.0f}%" for a in LEVELS], "at 90%"], rows),
        f"<img alt='coverage' src='data:image/png;base64,{coverage_figure(cov, names)}'>",
        "<p>Rank histograms: the rank of the true value among the posterior draws, per parameter. Flat (inside the grey "
        "99% band of a uniform histogram) is calibrated; a U shape is overconfident, a hump conservative, a slope biased.</p>",
        f"<img alt='rank histograms' src='data:image/png;base64,{rank_figure(res.sbc.ranks, res.sbc.draws, names)}'>",
    ]
    crow = [[f"<code>{html.escape(r['key'])}</code>", f"{100 * r['contraction']:.0f}%", f"{100 * r['contraction_sbc']:.0f}%",
             f"{z:+.2f}"] for r, z in zip(summary, res.sbc.z_mean)]
    sec += ["<h2>Posterior contraction</h2>",
            "<p>1 - posterior variance / prior variance (on the prior's unit scale): 0% = the data say nothing about the "
            "parameter, 100% = pinned down. At the reported figures, and averaged over the held-out data sets; the "
            "mean z-score of the truth shows bias (0 = none).</p>",
            _table(["parameter", "contraction at the reported figures", "mean over held-out sets", "mean z of the truth"], crow)]
    tmap = {t.id: t for t in targets}
    mrow = []
    for r in res.misspec["per_stat"]:
        t = tmap.get(r["stat"])
        u = t.unit if t else ""
        disp = t.display if t else (lambda v: v)
        mrow.append([html.escape(t.label if t else r["stat"]), _fmt(disp(r["reported"]), u),
                     f"{_fmt(disp(r['prior_q005']), u)} - {_fmt(disp(r['prior_q995']), u)}",
                     f"{100 * r['quantile']:.1f}%" if math.isfinite(r["quantile"]) else "n/a",
                     f"<span class='{r['verdict']}'>{r['verdict']}</span>"])
    j = res.misspec["joint"]
    joint = ""
    if "mahalanobis" in j:
        joint = (f"<p>Jointly: the reported figures are at Mahalanobis distance {j['mahalanobis']:.2f} from the prior "
                 f"predictive mean (standardised); {100 * j['share_further']:.1f}% of the {j['runs']} prior runs are further "
                 "away. A share near 0 would mean that no prior world produces this combination of figures, and the "
                 "posterior would be an extrapolation of the network.</p>")
    sec += ["<h2>Misspecification check: can the model produce the reported figures?</h2>",
            "<p>Each reported fit figure (a range: its centre) against the prior predictive distribution (the training "
            "runs: worlds drawn from the priors, one run each, before any reporting error). <i>inside</i>: within the 0.5-99.5% range of what the prior worlds produce. "
            "An <i>outside</i> figure cannot be matched by any prior world; the posterior there is not to be trusted.</p>",
            _table(["fit target", "reported", "prior predictive 0.5-99.5%", "share of prior runs below", "verdict"], mrow), joint]
    sec += discrepancy_section(getattr(res, "discrepancy", None), tmap)
    return sec


def discrepancy_section(disc: Any, tmap: dict[str, Any]) -> list[str]:
    """Multi-fidelity: the calibration scale's bias per fit statistic, and which corrections were applied."""
    if disc is None:
        return ["<h2>Scale (multi-fidelity)</h2>",
                "<p>No scale-bias runs (<code>fidelity=0</code>): the posterior fits the model <i>at the calibration scale</i> "
                "to the national figures. Where a statistic depends on the population scale, national runs of this "
                "posterior will miss its target by that bias.</p>"]
    rows = []
    for j, st in enumerate(disc.stats):
        t = tmap.get(st)
        u = t.unit if t else ""
        disp = t.display if t else (lambda v: v)
        lo, hi = float(np.nanmean(disc.x_lo[:, j])), float(np.nanmean(disc.x_hi[:, j]))
        rel = (hi - lo) / abs(lo) if lo else math.nan
        rows.append([html.escape(t.label if t else st), _fmt(disp(lo), u), _fmt(disp(hi), u),
                     f"{rel:+.1%}" if math.isfinite(rel) else "n/a",
                     f"{disc.delta[j]:+.4g} +- {disc.se[j]:.2g}" if math.isfinite(disc.delta[j]) else "n/a",
                     "<span class='inside'>applied</span>" if disc.applied[j] else "within noise"])
    return ["<h2>Scale (multi-fidelity): the calibration scale's bias, measured and removed</h2>",
            f"<p>The training runs are at scale {disc.lo_scale:g}; the reported figures are national. At {disc.points} draws of the "
            f"posterior, one run at scale {disc.hi_scale:g} and {disc.reps} at scale {disc.lo_scale:g} each measured the "
            "discrepancy of every fit statistic (high minus low, mean over the draws, with its standard error). Where it "
            f"exceeds {disc.z:g} standard errors, the posterior is taken at the reported figure <i>less</i> the discrepancy, "
            "which is what the calibration scale shows of a world that matches the national figure (an additive, locally "
            "constant discrepancy; the network is amortised, so no retraining). The posterior predictive statistics "
            "(<code>predictive.csv</code>, runs at the calibration scale) are shifted by the same amounts, so the fit "
            f"table reads as national-scale. {disc.wall_s:.0f} s of runs.</p>",
            _table(["fit target", f"mean at scale {disc.lo_scale:g}", f"mean at scale {disc.hi_scale:g}", "relative",
                    "discrepancy +- se", "correction"], rows)]
