"""The calibration report: one self-contained HTML file (figures embedded as base64 PNG).

Sections: what was run (budget, scale, generations, runs, wall time, pipeline-check banner);
the verdict per target, fit and validation targets apart; each target's reported value against
the posterior predictive distribution; prior against posterior for each fitted parameter; the
ABC-SMC progress (epsilon and acceptance per generation); the targets missed with the analyst's
explanation (calibration/misses.yaml); how to read it.

Verdict per target, from the posterior predictive runs (one fresh run per drawn world):
    inside  - the reported value (or some of the reported range) lies within the 5%-95% interval
    near    - outside, but within one tolerance (targets.yaml) of the interval
    outside - further away
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from calibration.distance import TargetDistance
from calibration.posterior import weighted_quantile
from calibration.targets import Target, load_targets

ROLE_TITLES = {
    "fit": "Fit targets (2014-2019 figures, NLI inspection rate, cost range): these shaped the posterior",
    "validation": "Validation targets (2024 figures, undeclared work 2019-2024): never fitted",
    "check": "Checks (reported figures the model takes as input levers)",
}


def interval(x: Any) -> tuple[float, float, float]:
    """5%, 50% and 95% quantiles of the finite values of ``x``."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (math.nan, math.nan, math.nan)
    q = np.quantile(x, [0.05, 0.5, 0.95])
    return float(q[0]), float(q[1]), float(q[2])


def verdict(t: Target, x: Any) -> tuple[str, float, float, float]:
    """``(verdict, q05, q50, q95)`` of target ``t`` against predictive values ``x`` (model units)."""
    q05, q50, q95 = interval(x)
    if not math.isfinite(q05):
        return "no runs", q05, q50, q95
    lo, hi = (t.lo, t.hi) if t.is_range else (t.value, t.value)
    if hi >= q05 and lo <= q95:
        return "inside", q05, q50, q95
    gap = (q05 - hi) if hi < q05 else (lo - q95)
    return ("near" if gap <= t.tolerance else "outside"), q05, q50, q95


def _fmt(x: float | None, unit: str = "") -> str:
    """A number for people: shares in %, changes in percentage points, money in M / bn."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if unit.startswith("change"):
        return f"{100 * x:+.1f} pp"
    if "share" in unit:
        return f"{100 * x:.1f}%"
    ax, cur = abs(x), (f"{unit[:3]} " if unit[:3] in ("EUR", "NOK") else "")  # money carries its currency
    if ax >= 1e9:
        return f"{cur}{x / 1e9:.2f} bn"
    if ax >= 1e6:
        return f"{cur}{x / 1e6:.1f} M"
    return f"{x:,.0f}" if ax >= 100 else f"{x:.3g}"


def _sentence(t: Target, v: str, q05: float, q50: float, q95: float) -> str:
    d = t.display
    rep = (f"{_fmt(d(t.lo), t.unit)}-{_fmt(d(t.hi), t.unit)}" if t.is_range else _fmt(d(t.value), t.unit))
    iv = f"{_fmt(d(q05), t.unit)} to {_fmt(d(q95), t.unit)} (median {_fmt(d(q50), t.unit)})"
    if v == "inside":
        return f"The reported {rep} lies inside the model's 90% interval, {iv}."
    if v == "near":
        side = "above" if (t.lo if t.is_range else t.value) > q95 else "below"
        return (f"Near: the reported {rep} lies just {side} the model's 90% interval, {iv}, "
                f"within one tolerance ({_fmt(d(t.tolerance), t.unit)}).")
    if v == "outside":
        side = "above" if (t.lo if t.is_range else t.value) > q95 else "below"
        return f"Missed: the reported {rep} lies {side} the model's 90% interval, {iv}, by more than one tolerance."
    return "No posterior predictive runs produced this statistic."


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _grid(n: int, ncol: int = 4):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ncol = max(1, min(ncol, n))
    nrow = max(1, math.ceil(n / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.4 * ncol, 2.5 * nrow), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    return fig, axes.ravel()


def targets_figure(targets: list[Target], pred: Any) -> str:
    """Per target: the posterior predictive values (histogram), the 90% interval, the reported value or range."""
    fig, axes = _grid(len(targets))
    for ax, t in zip(axes, targets, strict=False):
        x = np.asarray(pred[t.id], dtype=float) if t.id in pred else np.array([])
        x = x[np.isfinite(x)]
        ref = abs(t.display(t.hi if t.is_range else t.value) or 0.0)
        k, prefix = (1e9, "bn ") if ref >= 1e9 else (1e6, "M ") if ref >= 1e6 else (1.0, "")

        def d(v, t=t, k=k):
            return t.display(v) / k

        if x.size:
            xs = np.array([d(v) for v in x])
            ax.hist(xs, bins=min(20, max(5, x.size // 3)), color="#9ecae1", edgecolor="white")
            q05, _, q95 = interval(xs)
            ax.axvspan(q05, q95, color="#3182bd", alpha=0.15, label="90% interval")
        if t.is_range:
            ax.axvspan(d(t.lo), d(t.hi), color="#e6550d", alpha=0.15, label="reported range")
        else:
            ax.axvline(d(t.value), color="#e6550d", lw=2, label="reported")
        ax.set_title(t.id, fontsize=9)
        ax.set_xlabel(prefix + t.unit, fontsize=7)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    axes[0].legend(fontsize=6, loc="upper right")
    fig.tight_layout()
    return _png(fig)


def params_figure(priors: list, sample: Any) -> str:
    """Prior density against the weighted posterior histogram, per fitted parameter."""
    fig, axes = _grid(len(priors))
    w = sample["weight"].to_numpy()
    for ax, p in zip(axes, priors, strict=False):
        x = sample[p.key].to_numpy()
        ax.hist(x, bins=15, range=(p.lo, p.hi), weights=w, density=True, color="#74c476", alpha=0.8, label="posterior")
        gx, gy = p.pdf_grid()
        ax.plot(gx, gy, color="#636363", lw=1.5, label="prior")
        ax.axvline(weighted_quantile(x, w, 0.5), color="#006d2c", lw=1.5, ls="--", label="median")
        ax.set_title(p.key.replace("world.", ""), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    axes[0].legend(fontsize=6)
    fig.tight_layout()
    return _png(fig)


def fresh_run_distance(targets: list[Target], pred: Any, last_epsilon: float | None = None) -> dict[str, Any] | None:
    """How far fresh runs of the posterior are from the fit targets: the noise floor of the fit.

    The predictive runs are worlds drawn from the posterior by weight, each run once with a new
    seed, so their distance (the fit's own distance function) shows what the posterior gives before
    any selection by luck. ABC accepted runs closer than ``last_epsilon``; when epsilon falls into
    this band, a further generation mostly selects lucky seeds rather than better parameters.
    Returns ``None`` when there are no predictive runs or no fit statistic in them.
    """
    fit = [t for t in targets if t.role == "fit"]
    if not fit or pred is None or len(pred) == 0 or not all(t.id in pred for t in fit):
        return None
    dist = TargetDistance(fit)
    d = np.array([dist(r) for r in pred[[t.id for t in fit]].to_dict("records")], dtype=float)
    finite = d[np.isfinite(d)]
    if finite.size == 0:
        return None
    out: dict[str, Any] = {
        "runs": int(d.size),
        "missing": int(d.size - finite.size),
        "median": round(float(np.median(finite)), 4),
        "q10": round(float(np.quantile(finite, 0.10)), 4),
        "q90": round(float(np.quantile(finite, 0.90)), 4),
    }
    if last_epsilon is not None and math.isfinite(last_epsilon):
        out["last_epsilon"] = round(float(last_epsilon), 4)
        out["share_below_last_epsilon"] = round(float(np.mean(d < last_epsilon)), 4)
    return out


def fresh_run_sentence(floor: dict[str, Any] | None) -> str:
    """One plain sentence on the noise floor (empty without predictive runs)."""
    if not floor:
        return ""
    s = (f"Fresh runs of the posterior (the {floor['runs']} predictive runs, new seeds) are at distance "
         f"{floor['median']:.2f} from the fit targets (median; 10-90%: {floor['q10']:.2f}-{floor['q90']:.2f}).")
    if "share_below_last_epsilon" in floor:
        s += (f" {100 * floor['share_below_last_epsilon']:.0f}% of them are closer than the last generation's epsilon "
              f"({floor['last_epsilon']:.2f}): the lower that share, the more a further generation would select lucky "
              "seeds rather than better parameters.")
    return s


def progress_figure(hist: Any, floor: dict[str, Any] | None = None) -> str:
    """Epsilon and acceptance rate per generation (with the fresh-run distance band if given)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(8, 2.8))
    if floor:
        ax[0].axhspan(floor["q10"], floor["q90"], color="0.85", label="fresh runs of the posterior, 10-90%")
        ax[0].axhline(floor["median"], color="0.5", lw=1, ls="--", label="fresh runs, median")
        ax[0].legend(fontsize=6, loc="upper right")
    ax[0].plot(hist["generation"], hist["epsilon"], "o-")
    ax[0].set_xlabel("generation")
    ax[0].set_ylabel("epsilon (distance threshold)")
    ax[1].plot(hist["generation"], 100 * hist["acceptance"], "o-", color="C1")
    ax[1].set_xlabel("generation")
    ax[1].set_ylabel("acceptance rate, %")
    for a in ax:
        a.set_xticks(list(hist["generation"]))
    fig.tight_layout()
    return _png(fig)


def _table(headers: list[str], rows: list[list[str]], cls: str = "") -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


CSS = """
body{font-family:system-ui,Segoe UI,Helvetica,Arial,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}td,th{border:1px solid #ccc;padding:.25em .5em;vertical-align:top}
th{background:#f4f4f4;text-align:left}.banner{background:#fff3cd;border:2px solid #e0a800;padding:.8em 1em;font-weight:600}
.inside{color:#1a7f37;font-weight:600}.near{color:#9a6700;font-weight:600}.outside{color:#cf222e;font-weight:600}
img{max-width:100%}.small{font-size:.85em;color:#555}code{background:#f6f8fa;padding:0 .2em}
"""


def _verdict_rows(targets: list[Target], pred: Any, columns: dict[str, str]) -> tuple[list[list[str]], dict[str, str]]:
    rows, verdicts = [], {}
    for t in targets:
        x = pred[t.id] if t.id in pred else []
        v, q05, q50, q95 = verdict(t, x)
        verdicts[t.id] = v
        d = t.display
        rep = f"{_fmt(d(t.lo), t.unit)}-{_fmt(d(t.hi), t.unit)}" if t.is_range else _fmt(d(t.value), t.unit)
        rows.append([
            f"<b>{html.escape(t.label)}</b><br><span class='small'>{html.escape(t.period)}; {html.escape(t.source)}</span>",
            f"{rep}<br><span class='small'>+- {_fmt(d(t.tolerance), t.unit)}</span>",
            f"{_fmt(d(q50), t.unit)}<br><span class='small'>{_fmt(d(q05), t.unit)} - {_fmt(d(q95), t.unit)}</span>",
            f"<span class='{v}'>{v}</span>",
            html.escape(_sentence(t, v, q05, q50, q95)),
            f"<code>{html.escape(columns.get(t.id, '?'))}</code>: {html.escape(t.describe())}"
            + (f"<br><span class='small'>{html.escape(t.note)}</span>" if t.note else ""),
        ])
    return rows, verdicts


def markdown_summary(targets: list[Target], pred: Any, meta: dict[str, Any]) -> str:
    """A Markdown table of every fit and validation target against the posterior predictive 90% interval."""
    how = (f"NPE, {meta.get('training_runs')} training runs, {meta.get('draws')} posterior draws" if meta.get("method") == "npe"
           else f"{meta.get('generations')} generations of {meta.get('populations')} particles")
    head = (f"Posterior predictive check of the calibration in `calibration/posterior/` ({meta.get('budget')} budget, "
            f"{how}, scale {meta.get('scale')}, "
            f"{len(pred)} predictive runs, code {meta.get('code_version')}; generated by `calibration/report.py`).\n\n"
            "| target | role | reported | model median (90% interval) | verdict |\n|---|---|---|---|---|\n")
    rows = []
    for t in targets:
        if t.role not in ("fit", "validation"):
            continue
        v, q05, q50, q95 = verdict(t, pred[t.id] if t.id in pred else [])
        d = t.display
        rep = f"{_fmt(d(t.lo), t.unit)}-{_fmt(d(t.hi), t.unit)}" if t.is_range else _fmt(d(t.value), t.unit)
        rows.append(f"| {t.label} ({t.period}) | {t.role} | {rep} | {_fmt(d(q50), t.unit)} "
                    f"({_fmt(d(q05), t.unit)} - {_fmt(d(q95), t.unit)}) | {v} |")
    tail = fresh_run_sentence(meta.get("fresh_run_distance"))
    return head + "\n".join(rows) + "\n" + (f"\n{tail}\n" if tail else "")


def load_misses(path: Path | None = None) -> dict[str, str]:
    """The analyst's explanations of missed targets (``calibration/misses.yaml``: ``misses: {id: text}``)."""
    import yaml

    path = Path(path) if path is not None else Path(__file__).resolve().parent / "misses.yaml"
    if not path.is_file():
        return {}
    doc = yaml.safe_load(path.read_text()) or {}
    misses = doc.get("misses") if isinstance(doc, dict) else None
    if not isinstance(misses, dict) or not all(isinstance(v, str) for v in misses.values()):
        raise ValueError(f"{path}: expected a mapping 'misses: {{target_id: explanation text}}'")
    return {str(k): " ".join(v.split()) for k, v in misses.items()}


def misses_section(targets: list[Target], verdicts: dict[str, str], misses: dict[str, str]) -> str:
    """HTML: every fit or validation target not inside its interval, with the recorded explanation."""
    rows = []
    for t in targets:
        v = verdicts.get(t.id)
        if t.role not in ("fit", "validation") or v in (None, "inside"):
            continue
        why = misses.get(t.id)
        rows.append([f"<b>{html.escape(t.label)}</b> ({t.role})", f"<span class='{v}'>{v}</span>",
                     html.escape(why) if why else "<i>no explanation recorded yet (calibration/misses.yaml)</i>"])
    if not rows:
        return "<h2>Targets missed</h2><p>None: every fit and validation target is inside its interval.</p>"
    return ("<h2>Targets missed, and why</h2><p>Each fit or validation target whose reported value lies outside the "
            "posterior predictive 90% interval, with what we know of the reason (calibration/misses.yaml, written "
            "after reading this calibration's runs).</p>" + _table(["target", "verdict", "why"], rows))


def rerender_misses(folder: Path, misses_path: Path | None = None, targets_path: Path | None = None) -> list[str]:
    """Rewrite the *Targets missed* section of ``folder/report.html`` from ``misses.yaml``.

    The explanations are written after reading a calibration's runs, so they change after the
    report exists. The verdicts come from ``folder/meta.json`` (``verdicts``, written by the
    calibration); nothing else in the report changes and nothing is run. Returns the ids of the
    missed targets that still have no explanation.

    Raises:
        ValueError: the folder has no report or no verdicts, or the report has no such section.
    """
    import json

    folder = Path(folder)
    report, meta_path = folder / "report.html", folder / "meta.json"
    if not report.is_file() or not meta_path.is_file():
        raise ValueError(f"{folder}: needs report.html and meta.json of a calibration")
    verdicts = json.loads(meta_path.read_text()).get("verdicts")
    if not isinstance(verdicts, dict):
        raise ValueError(f"{meta_path}: has no 'verdicts' (written by akrim calibrate)")
    targets = load_targets(targets_path) if targets_path is not None else load_targets()
    misses = load_misses(misses_path)
    text = report.read_text()
    start = next((text.find(h) for h in ("<h2>Targets missed, and why</h2>", "<h2>Targets missed</h2>") if h in text), -1)
    if start < 0:
        raise ValueError(f"{report}: has no 'Targets missed' section")
    end = text.find("<h2>", start + 4)
    if end < 0:
        end = text.rfind("</body>") if "</body>" in text[start:] else len(text)
    report.write_text(text[:start] + misses_section(targets, verdicts, misses) + text[end:])
    return [t.id for t in targets
            if t.role in ("fit", "validation") and verdicts.get(t.id) not in (None, "inside") and t.id not in misses]


def build_report(path: Path, *, targets: list[Target], priors: list, sample: Any, pred: Any, columns: dict[str, str],
                 hist: Any, meta: dict[str, Any], param_summary: list[dict[str, Any]],
                 misses: dict[str, str] | None = None, floor: dict[str, Any] | None = None,
                 extra_info: list[list[str]] | None = None, sections: list[str] | None = None) -> dict[str, str]:
    """Write the HTML report; return the verdict per compared target.

    ``extra_info`` replaces the ABC-SMC rows of *What was run*; ``sections`` (HTML) go after the
    parameters (the NPE calibration's diagnostics: calibration/npe_report.py).
    """
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>A-krim calibration report</title>",
             f"<style>{CSS}</style></head><body>", "<h1>A-krim simulator: calibration report</h1>"]
    if meta.get("pipeline_check"):
        parts.append("<p class='banner'>PIPELINE CHECK - not the final calibration. This run used a reduced budget "
                     "to test the calibration machinery end to end while the model was still being revised. Its "
                     "posterior is too rough for conclusions; the full calibration replaces it.</p>")
    info = [
        ["command", f"<code>{html.escape(str(meta.get('command', '')))}</code>"],
        ["generated", html.escape(str(meta.get("generated", "")))],
        ["code version", html.escape(str(meta.get("code_version", "")))],
        ["budget", html.escape(str(meta.get("budget", "")))],
        ["population scale of the runs", html.escape(str(meta.get("scale", "")))],
        ["particles per generation / generations", f"{meta.get('populations')} / {meta.get('generations')}"],
        ["model runs (ABC, all generations incl. the prior sample)", str(meta.get("simulations", ""))],
        ["posterior predictive runs", str(meta.get("predictive", ""))],
        ["wall time: ABC from its start to its last generation (all calls)", f"{meta.get('wall_abc_history_s', 0):.0f} s"],
        ["wall time of this call: ABC / predictive / total", f"{meta.get('wall_abc_s', 0):.0f} s / {meta.get('wall_predictive_s', 0):.0f} s / "
                                                             f"{meta.get('wall_total_s', 0):.0f} s"],
        ["stopped because", html.escape(str(meta.get("stopped_because", "")))],
        ["history", f"<code>{html.escape(str(meta.get('db', '')))}</code> (run {meta.get('run_id')})"],
    ]
    if extra_info is not None:
        info = extra_info
    parts += ["<h2>What was run</h2>", _table(["", ""], info)]
    parts.append("<p>The distance is the root mean square of the fit targets' residuals, each in units of its "
                 "tolerance (calibration/distance.py); the verdicts compare each reported figure with the 5%-95% "
                 "interval of fresh model runs of worlds drawn from the posterior (one run per world, new seeds), "
                 "so run-to-run noise at this population scale is part of the interval. <b>inside</b>: the reported "
                 "value lies in the interval; <b>near</b>: outside but within one tolerance of it; <b>outside</b>: "
                 "further.</p>")
    all_verdicts: dict[str, str] = {}
    headers = ["target", "reported", "model: median (90% interval)", "verdict", "in words", "model KPI"]
    for role in ("fit", "validation", "check"):
        sel = [t for t in targets if t.role == role]
        if not sel:
            continue
        rows, verdicts = _verdict_rows(sel, pred, columns)
        all_verdicts.update(verdicts)
        counts = {k: sum(1 for v in verdicts.values() if v == k) for k in ("inside", "near", "outside")}
        parts += [f"<h2>{html.escape(ROLE_TITLES[role])}</h2>",
                  f"<p>{counts['inside']} inside, {counts['near']} near, {counts['outside']} outside of {len(sel)}.</p>",
                  _table(headers, rows),
                  f"<img alt='{role} targets' src='data:image/png;base64,{targets_figure(sel, pred)}'>"]
    parts.append(misses_section(targets, all_verdicts, load_misses() if misses is None else misses))
    inputs = [t for t in targets if t.role == "input"]
    if inputs:
        parts.append("<h2>Reported figures used as inputs only</h2><ul>")
        parts += [f"<li><b>{html.escape(t.label)}</b> ({html.escape(t.source)}): {html.escape(t.note)}</li>" for t in inputs]
        parts.append("</ul>")
    prow = [[f"<code>{html.escape(r['key'])}</code>", f"{r['dist']} [{r['lo']:g}, {r['hi']:g}]", f"{r['median']:.4g}",
             f"{r['q05']:.4g} - {r['q95']:.4g}", f"{100 * r['narrowing']:.0f}%", html.escape(r["why"])] for r in param_summary]
    parts += ["<h2>Prior and posterior of each fitted parameter</h2>",
              "<p>'narrowed' = how much shorter the posterior's 90% interval is than the prior's. A parameter the "
              "targets do not constrain keeps roughly its prior.</p>",
              _table(["parameter", "prior", "posterior median", "90% interval", "narrowed", "why this prior"], prow),
              f"<img alt='prior vs posterior' src='data:image/png;base64,{params_figure(priors, sample)}'>"]
    parts += list(sections or [])
    if hist is not None and len(hist):
        hrows = [[str(int(r.generation)), f"{r.epsilon:.3g}", str(int(r.samples)), f"{100 * r.acceptance:.1f}%",
                  f"{r.ess:.1f} of {int(r.particles)}"] for r in hist.itertuples()]
        parts += ["<h2>ABC-SMC progress</h2>",
                  "<p>ESS = effective sample size of the weighted particles; far below the number of particles means a "
                  "few particles carry most of the weight and the posterior is rough.</p>",
                  _table(["generation", "epsilon", "runs", "acceptance", "ESS"], hrows)]
        if floor:
            parts.append(f"<p>{html.escape(fresh_run_sentence(floor))}</p>")
        parts.append(f"<img alt='progress' src='data:image/png;base64,{progress_figure(hist, floor)}'>")
    parts.append("<h2>How to use the result</h2><p><code>scenarios/world/calibrated.yaml</code> holds the posterior "
                 "median (<code>akrim run world=calibrated</code>); <code>calibration/posterior/posterior_sample.csv</code> "
                 "holds the posterior sample (ABC-SMC: weighted particles; NPE: independent draws of equal weight; columns: "
                 "dotted world keys and <code>weight</code>) from which "
                 "comparisons draw worlds to carry the remaining uncertainty. Definitions of every target and "
                 "the choice of priors: <code>calibration/README.md</code>.</p>")
    parts.append("</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))
    return all_verdicts


def main(argv: list[str] | None = None) -> int:
    """``python -m calibration.report misses [FOLDER]``: re-render the missed-targets section."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "misses" or len(args) > 2:
        print("usage: python -m calibration.report misses [FOLDER]   (default calibration/posterior)", file=sys.stderr)
        return 2
    folder = Path(args[1]) if len(args) == 2 else Path(__file__).resolve().parent / "posterior"
    try:
        missing = rerender_misses(folder)
    except ValueError as exc:
        print(f"calibration.report: {exc}", file=sys.stderr)
        return 2
    print(f"rewrote the missed-targets section of {folder / 'report.html'}"
          + (f"; no explanation yet for: {', '.join(missing)}" if missing else "; every miss is explained"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
