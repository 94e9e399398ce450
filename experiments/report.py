"""The outputs of a comparison: effects tables and a self-contained HTML report.

``write_outputs`` writes into the comparison folder:

* ``effects.csv`` / ``effects.parquet``: one row per scenario x KPI x period (each year, and the
  effects window), columns ``experiments.effects.EFFECT_COLUMNS``;
* ``cost_effectiveness.csv``: one row per scenario;
* ``comparison.json``: the command, options, replicate seeds, worlds and run counts;
* ``report.html``: one file, no network needed (figures are embedded PNGs, styles inline):
  a plain-language summary, headline effects, cost-effectiveness, time series, a forest plot,
  every KPI, the scenarios, the assumptions with their sources, and how to reproduce it.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import figures, report_costs
from experiments.effects import HEADLINE, KPI_MEANING, Comparison
from experiments.labels import KIND_WORDS, kpi_heading, kpi_label, kpi_unit
from sim.config.fields import walk_fields

TABLE_KPIS = ("exploited_workers", "undeclared_work_share", "crime_cost_nok", "enforcement_cost_nok", "active_threat_actors", "convictions")
PLOT_KPIS = (
    "exploited_workers",
    "undeclared_work_share",
    "crime_cost_nok",
    "enforcement_cost_nok",
    "active_threat_actors",
    "cases_against_ta",
)
esc = html.escape


# ---------------------------------------------------------------------------- formatting


def fmt(x: float, kind: str, signed: bool = True) -> str:
    """A number as a reader wants it: NOK in millions, shares in percentage points, counts whole."""
    if x is None or not np.isfinite(x):
        return "n/a"
    sign = "+" if signed else ""
    if kind in ("nok", "cost"):
        return f"NOK {x / 1e6:{sign},.1f}M"
    if kind == "share":
        return f"{100 * x:{sign}.2f} pp" if signed else f"{100 * x:.1f}%"
    if abs(x) >= 100 or kind in ("flow", "stock", "level"):
        return f"{x:{sign},.0f}"
    return f"{x:{sign},.2f}"


def fmt_rel(x: float) -> str:
    """A relative change as a signed percentage."""
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:+.1f}%"


def _img(data: bytes, alt: str) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{b64}"><figcaption>{esc(alt)}</figcaption></figure>'


def _table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    th = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _cell(r: pd.Series) -> str:
    kind = r["kind"]
    main = f"{fmt(r['diff_mean'], kind)} <span class=rel>({fmt_rel(r['rel_diff'])})</span>"
    ci = f"[{fmt(r['ci_low'], kind)}, {fmt(r['ci_high'], kind)}]"
    cls = "sig" if r["distinguishable"] else "ns"
    return f'<span class="{cls}">{main}<br><small>{ci}</small></span>'


# ---------------------------------------------------------------------------- text


def _window_phrase(comp: Comparison) -> str:
    return f"{comp.window[0]}–{comp.window[1]}"


def _sig(x: float) -> str:
    """A number rounded to three significant figures for prose (14,114 -> 14,100; 2.46 -> 2.5)."""
    if not np.isfinite(x):
        return "n/a"
    if abs(x) >= 100:
        mag = int(np.floor(np.log10(abs(x))))
        return f"{round(x, 2 - mag):,.0f}"
    return f"{x:.1f}" if abs(x) >= 1 else f"{x:.2g}"


def _money(x: float, lo: float | None = None, hi: float | None = None) -> str:
    """NOK in billions or millions (three significant figures), optionally with an interval in the same unit."""
    div, unit = (1e9, "billion") if abs(x) >= 1e9 else (1e6, "million")
    txt = f"NOK {_sig(x / div)} {unit}"
    if lo is not None and hi is not None:
        txt += f" (95% interval {_sig(lo / div)} to {_sig(hi / div)})"
    return txt


def _count(n: int) -> str:
    words = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")
    return words[n] if n < len(words) else str(n)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "; ".join(items[:-1]) + "; and " + items[-1]


def _names(items: list[str]) -> str:
    items = [f"‘{s}’" for s in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def summary_paragraph(comp: Comparison, scale: float, posterior_file: Path | None,
                      factors: tuple[float, float] | None = None) -> str:
    """One paragraph a minister's adviser can read: what was compared, what works, how sure.

    ``factors``: how far the reported crime-cost range lets the level sit from the model's
    (``report_costs.level_factors``); a return per NOK is stated only with them.
    """
    h = comp.horizon()
    ew = h[h["kpi"] == "exploited_workers"].set_index("scenario")
    cc = h[h["kpi"] == "crime_cost_nok"].set_index("scenario")
    ce = comp.cost.set_index("scenario")
    world = (
        f"worlds drawn from the calibration posterior ({posterior_file.name}), the same draw for every scenario"
        if posterior_file
        else "the model's default world, not yet calibrated to the reported figures"
    )
    n = len(comp.complete_reps)
    plural = "s" if len(comp.others) > 1 else ""
    parts = [
        f"We compared {len(comp.others)} policy scenario{plural} with ‘{comp.reference}’ over {_window_phrase(comp)}, running "
        f"each on the same {n} simulated histories of the Norwegian labour market so that differences come from the policy "
        f"and not from chance. The runs use {world}, at population scale 1:{1 / scale:,.0f} with results scaled to the whole country."
    ]
    down = ew[(ew["ci_high"] < 0)].sort_values("diff_mean")
    up = ew[(ew["ci_low"] > 0)].sort_values("diff_mean", ascending=False)
    unclear = [s for s in comp.others if s not in down.index and s not in up.index]
    if len(down):
        lead = (
            "The measure"
            if len(comp.others) == 1
            else ("All measures" if len(down) == len(comp.others) else f"{_count(len(down))} measure{'s' if len(down) > 1 else ''}")
        )
        items = [
            f"‘{s}’ by {'about ' if i == 0 else ''}{_sig(-r['diff_mean'])}{' at any time' if i == 0 else ''} "
            f"({fmt_rel(r['rel_diff'])}; 95% interval {_sig(-r['ci_high'])} to {_sig(-r['ci_low'])})"
            for i, (s, r) in enumerate(down.iterrows())
        ]
        verb = "lowers" if len(down) == 1 else "lower"
        parts.append(f"{lead} {verb} the number of exploited workers by more than chance can explain: {_join(items)}.")
    for s, r in up.iterrows():
        parts.append(
            f"‘{s}’ raises the number of exploited workers by about {_sig(r['diff_mean'])} "
            f"({fmt_rel(r['rel_diff'])}; 95% interval {_sig(r['ci_low'])} to {_sig(r['ci_high'])})."
        )
    falls = cc[cc["ci_high"] < 0].sort_values("diff_mean")
    if len(falls):
        s, c = next(falls.iterrows())
        parts.append(
            f"The cost of work-related crime falls most with ‘{s}’: {_money(-c['diff_mean'], -c['ci_high'], -c['ci_low'])} "
            f"over {_window_phrase(comp)}."
        )
    paid = ce[ce["extra_enforcement_nok"] > 1.0]
    for s, e in paid.iterrows():
        txt = f"‘{s}’ costs {_money(e['extra_enforcement_nok'])} more in enforcement"
        if s in falls.index:
            txt += ". " + report_costs.return_sentence(s, e, factors, _sig)
        parts.append(txt + ".")
    free = [s for s in comp.others if abs(ce.loc[s, "extra_enforcement_nok"]) <= 1.0 and s in down.index]
    if free:
        parts.append(
            f"{_names(free)} add{'s' if len(free) == 1 else ''} no staff, so the model counts no extra enforcement cost "
            f"for {'it' if len(free) == 1 else 'them'}; {'its' if len(free) == 1 else 'their'} own cost is unpriced where no "
            "source gives one (see ‘What the measures cost’), which does not make "
            f"{'it' if len(free) == 1 else 'them'} free."
        )
    if unclear:
        parts.append(f"For {_names(unclear)} the effect on exploited workers cannot be told apart from chance with {n} replicates.")
    parts.append("These are model results under the assumptions listed below: they indicate direction and relative size, not a forecast.")
    return " ".join(parts)


# ---------------------------------------------------------------------------- configuration


def _leaves(obj: Any, prefix: str = ""):
    """(dotted key, value, field metadata) for every leaf of a config dataclass tree (``walk_fields``)."""
    for key, f, value in walk_fields(obj, prefix):
        yield key, value, dict(f.metadata)


def field_meta(root: Any, dotted: str) -> dict:
    """Metadata (``src``, ``doc``, bounds) of the field at ``dotted`` under ``root``."""
    for key, _, meta in _leaves(root):
        if key == dotted:
            return meta
    return {}


def _val(v: Any) -> str:
    return "never (null)" if v is None else str(v)


def lever_changes(ref: Any, scen: Any) -> list[dict[str, str]]:
    """How a scenario's levers differ from the reference's (fixed values and dated interventions)."""
    skip = {"name", "description", "source", "interventions"}
    every = {k: v for k, v, _ in _leaves(ref.policy)}
    a = {k: v for k, v in every.items() if k.split(".")[0] not in skip}
    rows = []
    for key, v, meta in _leaves(scen.policy):
        if key.split(".")[0] in skip or a.get(key) == v:
            continue
        rows.append(
            {
                "lever": f"policy.{key}",
                "reference": _val(a.get(key)),
                "scenario": _val(v),
                "when": "whole run",
                "source": meta.get("src", ""),
                "doc": meta.get("doc", ""),
            }
        )
    ref_ivs = [dataclasses.asdict(iv) for iv in ref.policy.interventions]
    for iv in scen.policy.interventions:
        if dataclasses.asdict(iv) in ref_ivs:
            continue
        for op, items in (("=", iv.set), ("×", iv.multiply)):
            for key, val in items.items():
                meta = field_meta(ref.policy, key)
                base = every.get(key)
                new = val if op == "=" else (base * val if isinstance(base, (int, float)) else val)
                rows.append(
                    {
                        "lever": f"policy.{key}",
                        "reference": _val(base),
                        "scenario": f"{op} {val} → {new:g}" if op == "×" else f"{val}",
                        "when": f"from {iv.start}",
                        "source": meta.get("src", ""),
                        "doc": meta.get("doc", ""),
                    }
                )
    return rows


def scenario_info(name: str) -> dict[str, str]:
    """Name, description and source of a scenario (a package joins its parts)."""
    import yaml

    from sim.config import SCENARIOS_DIR

    parts = [yaml.safe_load((SCENARIOS_DIR / "policy" / f"{p}.yaml").read_text(encoding="utf-8")) for p in name.split("+")]
    return {
        "name": name,
        "description": " + ".join(str(p.get("description", "")) for p in parts),
        "source": "; ".join(str(p.get("source", "")) for p in parts),
    }


# ---------------------------------------------------------------------------- sections


def _headline_table(comp: Comparison) -> str:
    h = comp.horizon()
    header = ["scenario"] + [f"<span title='{esc(KPI_MEANING[k])}'>{esc(kpi_heading(k, difference=True))}</span>" for k in TABLE_KPIS]
    rows = []
    for s in comp.others:
        row = [f"<b>{esc(s)}</b>"]
        for k in TABLE_KPIS:
            r = h[(h["kpi"] == k) & (h["scenario"] == s)]
            row.append(_cell(r.iloc[0]) if len(r) else "n/a")
        rows.append(row)
    return _table(header, rows, "effects")


def _all_kpis_table(comp: Comparison) -> str:
    h = comp.horizon()
    header = ["indicator", "what it counts", f"{esc(comp.reference)} (mean over replicates)"] + [esc(s) for s in comp.others]
    rows = []
    for k in dict.fromkeys(h["kpi"]):
        hk = h[h["kpi"] == k].set_index("scenario")
        first = hk.iloc[0]
        row = [
            f"<span title='{esc(KPI_MEANING.get(k, ''))}'>{esc(kpi_label(k))}</span>",
            esc(f"{KIND_WORDS.get(first['kind'], first['kind'])} ({kpi_unit(k, difference=True)})"),
            fmt(first["ref_mean"], first["kind"], signed=False),
        ]
        row += [
            _cell(hk.loc[s])
            + (
                " <span class=holm title='also distinguishable after Holm adjustment over KPIs'>H</span>"
                if bool(hk.loc[s]["distinguishable_holm"])
                else ""
            )
            for s in comp.others
        ]
        rows.append(row)
    return _table(header, rows, "effects small")


def _assumptions(comp: Comparison, cfgs: dict[str, Any], plan: Any) -> str:
    ref = cfgs[comp.reference]
    out = ["<h3>What each scenario changes (levers only)</h3>"]
    for s in comp.others:
        rows = [
            [f"<code>{esc(r['lever'])}</code>", esc(r["reference"]), esc(r["scenario"]), esc(r["when"]), esc(r["source"]), esc(r["doc"])]
            for r in lever_changes(ref, cfgs[s])
        ]
        out.append(
            f"<h4>{esc(s)}</h4>"
            + (
                _table(["lever", comp.reference, s, "when", "source", "meaning"], rows, "small")
                if rows
                else "<p>No lever differs from the reference.</p>"
            )
        )
    world_rows = []
    drawn = set(plan.worlds[0]) if plan.worlds and plan.worlds[0] else set()
    for key, v, meta in _leaves(ref.world):
        full = f"world.{key}"
        if full in drawn:
            vals = np.array([w[full] for w in plan.worlds])
            shown = f"posterior draws: {vals.min():.4g} to {vals.max():.4g} (median {np.median(vals):.4g})"
        else:
            shown = str(v)
        world_rows.append([f"<code>{esc(full)}</code>", esc(shown), esc(str(meta.get("src", ""))), esc(str(meta.get("doc", "")))])
    out.append("<h3>The world (uncertain parameters, the same in every scenario)</h3>")
    out.append(
        f"<details><summary>{len(world_rows)} world parameters with their values and sources</summary>"
        + _table(["parameter", "value", "source", "meaning"], world_rows, "small")
        + "</details>"
    )
    return "\n".join(out)


METHOD = """<ul>
<li>Every scenario runs on the same replicate seeds (spawned with <code>numpy.random.SeedSequence</code>
from the comparison seed); each random decision in the model draws from its own named stream, so a
policy change does not reshuffle unrelated draws (common random numbers). Replicate <i>r</i> of every
scenario also uses the same world.</li>
<li>The effect in replicate <i>r</i> is the paired difference <i>scenario<sub>r</sub> − reference<sub>r</sub></i>.
Intervals are 95% t-intervals of the mean paired difference over replicates (mean ± t<sub>0.975,n−1</sub> · sd/√n).
An effect is <b>distinguishable from noise</b> when its interval excludes zero; with many KPIs about one in twenty
such verdicts can be due to chance, so the full table also marks (H) those that survive a Holm adjustment over the KPIs
of each scenario.</li>
<li>Over the effects window, counts and money are summed over the years; shares, stocks, levels and means are averaged
over the years. The window starts in the first year in which any scenario's annual flows or levels differ from the reference's
(unless <code>from=</code> is given) and ends with the runs.</li>
<li><b>How to read an interval.</b> "95% interval" is the range in which the <i>average</i> effect over many more
replicates would lie, 19 times out of 20, given the model and its assumptions; it is not the range of single runs, and it
says nothing about the model being right. The grey band in the time-series figures is the same kind of interval, for the
reference scenario's average level.</li>
<li>Units: a share's level is in %, a difference between two shares in percentage points (pp: 12.0% to 11.5% is
−0.5 pp), and a relative change in % of the reference (−0.5 pp of 12.0% is −4.2%).</li>
<li>Cost-effectiveness divides the change in crime cost and in exploited worker-years by the extra enforcement cost,
which follows from the levers (staff × cost per FTE, campaigns) and is the same in every replicate. Measures whose cost
the model does not count (e.g. register access, approval schemes, a regulation) are priced only where a source gives a
cost, and are otherwise marked unpriced; the return then covers the counted cost only.</li>
<li>Model outputs are national totals at 1:1 computed from a population at the stated scale; small scales add noise.</li>
</ul>"""

CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1d1d1d;max-width:1180px;
margin:0 auto;padding:24px 28px 60px;line-height:1.45;background:#fff}
h1{font-size:1.7em;margin-bottom:.1em} h2{border-bottom:2px solid #e3e3e3;padding-bottom:.2em;margin-top:1.8em}
.sub{color:#666;margin-top:0} #summary{font-size:1.08em;background:#f6f8fb;border-left:4px solid #1f77b4;padding:14px 18px}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.9em;width:100%}
th,td{border-bottom:1px solid #e6e6e6;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#fafafa;font-weight:600} table.small{font-size:.8em}
.sig{color:#0b4f8a;font-weight:600} .ns{color:#777} .rel{font-weight:400} small{color:#666}
.holm{font-size:.7em;background:#0b4f8a;color:#fff;border-radius:3px;padding:0 3px}
figure{margin:1em 0} figure img{max-width:100%;border:1px solid #eee} figcaption{color:#666;font-size:.85em}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em}
pre{background:#f7f7f7;padding:10px;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
td code{overflow-wrap:anywhere} .unpriced{color:#9a3c00} table.measures td:nth-child(3){white-space:nowrap}
details{margin:.6em 0} summary{cursor:pointer;color:#0b4f8a}
.legend{font-size:.85em;color:#555} .note{background:#fff6d6;border-left:4px solid #e0a800;padding:8px 14px}
@media print{
 @page{size:A4;margin:16mm 14mm}
 body{max-width:none;padding:0;font-size:10pt;line-height:1.35}
 h1{font-size:16pt} h2{font-size:13pt;margin-top:1.2em;break-after:avoid} h3,h4{break-after:avoid}
 #summary{background:none;border-left:3px solid #1f77b4}
 table{font-size:8pt;break-inside:auto} tr,figure,img{break-inside:avoid} thead{display:table-header-group}
 figure img{max-width:100%;max-height:120mm;border:none}
 details:not([open]),.no-print{display:none}
 pre{font-size:7.5pt}
 a{color:inherit;text-decoration:none}
}
"""


def render(comp: Comparison, o: Any, plan: Any, meta: dict[str, Any], cfgs: dict[str, Any]) -> str:
    """The whole report as one HTML string (figures embedded)."""
    from sim.runner import code_version

    scale = cfgs[comp.reference].scale
    factors = report_costs.level_factors(comp, cfgs)
    measures = report_costs.scenario_measures(comp, cfgs, lever_changes)
    n_reps = len(comp.complete_reps)
    figs = [
        _img(
            figures.forest(comp, list(HEADLINE)),
            "Effect on each headline indicator over the effects window, as a relative change in % of the reference, with 95% "
            "intervals (filled dot: distinguishable from noise).",
        )
    ]
    figs += [
        _img(
            figures.timeseries(comp, k),
            f"{kpi_label(k)} over time. Left: the average level in each scenario; the grey band is the 95% interval of "
            f"{comp.reference}'s average over {n_reps} replicates (not the spread of single runs). Right: the paired "
            f"difference from {comp.reference}, with its 95% interval.",
        )
        for k in PLOT_KPIS
        if k in comp.runs.columns
    ]
    figs.append(_img(figures.cost_plane(comp), "Cost-effectiveness: extra enforcement cost against the change in the cost of "
                     "work-related crime, with 95% intervals; below the dashed line crime cost falls by more than enforcement costs."))
    scen_rows = [[f"<b>{esc(i['name'])}</b>", esc(i["description"]), esc(i["source"])] for i in (scenario_info(s) for s in comp.scenarios)]
    world_txt = (
        f"posterior sample <code>{esc(str(plan.posterior_file))}</code> (replicate r of every scenario uses draw r)"
        if plan.posterior_file
        else "default world (<code>posterior=false</code> or no posterior sample found)"
    )
    repro = "\n".join(
        [
            f"# {meta['runs_total']} runs; store {meta['store']}",
            o.command(),
            "",
            "# replicate seeds: " + ", ".join(str(s) for s in plan.seeds),
            *[f"# {s}: akrim run {' '.join(spec.overrides)}" for s, spec in zip(comp.scenarios, plan.specs)],
        ]
    )
    ref_json = json.dumps(dataclasses.asdict(cfgs[comp.reference]), indent=1, default=str)
    n_figs = len(figs)
    body = f"""
<h1>Policy comparison: {esc(", ".join(comp.others))} against {esc(comp.reference)}</h1>
<p class=sub>A-krim simulator {esc(code_version())} · {dt.datetime.now():%Y-%m-%d %H:%M} · effects window
{_window_phrase(comp)} · {len(comp.complete_reps)} paired replicates · population scale {scale:g} · {world_txt}</p>
{"".join(f"<p class=note>{esc(n)}</p>" for n in meta.get("notes", []))}
<h2>Summary</h2>
<p id=summary>{esc(summary_paragraph(comp, scale, plan.posterior_file, factors))}</p>
<h2>Headline effects, {_window_phrase(comp)}</h2>
<p class=legend>Each cell: the difference from {esc(comp.reference)}, then the relative change in % of
{esc(comp.reference)}; below it, in brackets, the 95% interval: the range in which the average difference over many more
replicates would lie, 19 times out of 20. <span class=sig>Blue</span>: the interval excludes zero (distinguishable from
noise); <span class=ns>grey</span>: chance alone could give it. Counts and NOK are totals over the window; exploited
workers, shares and actors are averages over its years; differences of shares are in percentage points (pp).</p>
{_headline_table(comp)}
<h2>Cost-effectiveness</h2>
<p class=legend>{esc(report_costs.level_paragraph(comp, factors))}</p>
{report_costs.cost_table(comp, factors, measures, _table, fmt)}
<h3>What the measures cost</h3>
{report_costs.measures_table(measures, _table)}
<h2>Figures</h2>
{"".join(figs)}
<h2>Every indicator</h2>
<details><summary>Every indicator of the model over the window (per-year effects are in the file effects.csv)</summary>{_all_kpis_table(comp)}</details>
<h2>Scenarios</h2>
{_table(["scenario", "what it does", "source"], scen_rows)}
<h2>Assumptions and their sources</h2>
<h3>Method</h3>
{METHOD}
{_assumptions(comp, cfgs, plan)}
<h2>Reproduce</h2>
<pre>{esc(repro)}</pre>
<details class=no-print><summary>Resolved configuration of the reference, replicate 0</summary><pre>{esc(ref_json)}</pre></details>
"""
    return (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        f"<meta name=akrim-figures content='{n_figs}'><title>A-krim comparison: {esc(', '.join(comp.scenarios))}</title>"
        f"<style>{CSS}</style></head><body>{body}</body></html>"
    )


def write_outputs(comp: Comparison, o: Any, plan: Any, meta: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write effects tables, metadata and the report into ``out``; return their paths."""
    from experiments.runs import resolve

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "effects_csv": out / "effects.csv",
        "effects_parquet": out / "effects.parquet",
        "cost": out / "cost_effectiveness.csv",
        "meta": out / "comparison.json",
        "report": out / "report.html",
    }
    comp.effects.to_csv(paths["effects_csv"], index=False)
    comp.effects.to_parquet(paths["effects_parquet"], index=False)
    comp.cost.to_csv(paths["cost"], index=False)
    meta = {**meta, "effects_window": list(comp.window), "window_auto": comp.window_auto, "complete_replicates": comp.complete_reps}
    paths["meta"].write_text(json.dumps(meta, indent=2, default=str))
    cfgs = {s: resolve(spec) for s, spec in zip(comp.scenarios, plan.specs)}
    tmp = paths["report"].with_suffix(".html.tmp")
    tmp.write_text(render(comp, o, plan, meta, cfgs), encoding="utf-8")
    tmp.replace(paths["report"])
    return paths
