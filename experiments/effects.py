"""Effects of policy scenarios: paired differences with 95% intervals, and cost-effectiveness.

Method (the report states it too):

* Replicate ``r`` of every scenario shares its seed (common random numbers) and its world, so
  the effect of scenario S in replicate r is the **paired difference** ``d_r = S_r - ref_r``.
* For each KPI, per year and over the *effects window*: the mean of ``d_r`` over replicates with
  a 95% **t-interval** ``mean ± t(0.975, n-1) · sd / sqrt(n)``; the two-sided paired t-test
  p-value; an effect is **distinguishable from noise** when its interval excludes zero. With
  many KPIs some intervals exclude zero by chance (about 1 in 20), so the horizon rows also
  carry a Holm-adjusted verdict over the KPIs of each scenario.
* Over the window, counts and money (``flow``, ``nok``, ``cost``) are summed over its years;
  stocks, levels, shares and means are averaged over its years (years without a value skipped).
* The window starts in the first year in which any scenario's annual flows or levels differ
  from the reference's in any replicate (with common random numbers nothing differs before a
  policy acts), unless ``from=YEAR`` is given, and ends with the run.
* Cost-effectiveness over the window: the change in crime cost and in exploited worker-years
  per NOK of extra enforcement cost. Enforcement cost follows from the levers (it is the same
  in every replicate), so the interval of the ratio is that of the numerator divided by it.
  When a scenario adds no enforcement cost in the model the ratio is not defined.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.metrics import KPI_DEFS, KPI_KIND, KPI_NAMES

SUMMED = ("flow", "nok", "cost")
HEADLINE = (
    "exploited_workers",
    "undeclared_work_share",
    "crime_cost_nok",
    "enforcement_cost_nok",
    "active_threat_actors",
    "cases_against_ta",
    "convictions",
    "phoenix_bankruptcies",
    "inspections_nli",
    "fines_nok",
    "workers_remediated",
)
KPI_MEANING = {k[0]: k[3] for k in KPI_DEFS}
EFFECT_COLUMNS = (
    "scenario",
    "reference",
    "kpi",
    "kind",
    "period",
    "year",
    "window",
    "n_reps",
    "ref_mean",
    "scen_mean",
    "diff_mean",
    "diff_sd",
    "ci_low",
    "ci_high",
    "rel_diff",
    "rel_ci_low",
    "rel_ci_high",
    "p_value",
    "distinguishable",
    "distinguishable_holm",
)


def t_interval(d: np.ndarray, level: float = 0.95) -> tuple[int, float, float, float, float, float]:
    """Mean, sd, interval and p-value of paired differences ``d`` (NaNs dropped).

    Returns ``(n, mean, sd, low, high, p)``. With zero spread the interval is the mean itself and
    ``p`` is 0 (a deterministic effect) or 1 (exactly no effect). Fewer than 2 values: NaNs.
    """
    d = np.asarray(d, dtype=float)
    d = d[np.isfinite(d)]
    n = len(d)
    if n < 2:
        m = float(d[0]) if n else np.nan
        return n, m, np.nan, np.nan, np.nan, np.nan
    m, sd = float(d.mean()), float(d.std(ddof=1))
    if sd == 0.0:
        return n, m, 0.0, m, m, (0.0 if m != 0.0 else 1.0)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n)
    p = float(2 * stats.t.sf(abs(m) / (sd / np.sqrt(n)), n - 1))
    return n, m, sd, m - half, m + half, p


def holm(p: np.ndarray, alpha: float = 0.05) -> np.ndarray:
    """Holm's step-down rejections for p-values ``p`` (NaN never rejected)."""
    p = np.asarray(p, dtype=float)
    ok = np.isfinite(p)
    out = np.zeros(len(p), dtype=bool)
    idx = np.flatnonzero(ok)[np.argsort(p[ok], kind="stable")]
    m = len(idx)
    for rank, i in enumerate(idx):
        if p[i] > alpha / (m - rank):
            break
        out[i] = True
    return out


def window_values(runs: pd.DataFrame, kpis: list[str], y0: int, y1: int) -> pd.DataFrame:
    """Each run's KPI over years ``y0..y1``: sums for counts and money, means otherwise."""
    w = runs[(runs["year"] >= y0) & (runs["year"] <= y1)]
    g = w.groupby(["scenario", "replicate"])
    summed = [k for k in kpis if KPI_KIND.get(k) in SUMMED]
    other = [k for k in kpis if k not in summed]
    parts = []
    if summed:
        parts.append(g[summed].sum(min_count=1))
    if other:
        parts.append(g[other].mean())
    return pd.concat(parts, axis=1)[kpis]


def first_difference_year(runs: pd.DataFrame, reference: str, kpis: list[str]) -> int | None:
    """First year in which any scenario differs from the reference in any replicate.

    Only KPIs accumulated over the year (``flow``, ``nok``, ``cost``, ``level``) are compared:
    year-end stocks and shares are observed at the first step of the next year, so a measure
    starting on 1 January would otherwise seem to act in the year before.
    """
    kpis = [k for k in kpis if KPI_KIND.get(k) in (*SUMMED, "level")] or kpis
    ref = runs[runs["scenario"] == reference].set_index(["replicate", "year"])[kpis]
    first = None
    for _, g in runs[runs["scenario"] != reference].groupby("scenario"):
        a = g.set_index(["replicate", "year"])[kpis]
        b = ref.reindex(a.index)
        diff = ~((a.values == b.values) | (np.isnan(a.values) & np.isnan(b.values)))
        years = a.index.get_level_values("year")[diff.any(axis=1)]
        if len(years):
            y = int(years.min())
            first = y if first is None else min(first, y)
    return first


def _rows(
    diffs: pd.DataFrame, ref: pd.DataFrame, scen: pd.DataFrame, scenario: str, reference: str, period: str, year: int | None, window: str
) -> list[dict[str, Any]]:
    rows = []
    for k in diffs.columns:
        n, m, sd, lo, hi, p = t_interval(diffs[k].to_numpy())
        rm, sm = float(ref[k].mean()), float(scen[k].mean())
        den = abs(rm) if np.isfinite(rm) and rm != 0 else np.nan

        def rel(x: float, den: float = den) -> float:
            return x / den

        rows.append(
            {
                "scenario": scenario,
                "reference": reference,
                "kpi": k,
                "kind": KPI_KIND.get(k, ""),
                "period": period,
                "year": year,
                "window": window,
                "n_reps": n,
                "ref_mean": rm,
                "scen_mean": sm,
                "diff_mean": m,
                "diff_sd": sd,
                "ci_low": lo,
                "ci_high": hi,
                "rel_diff": rel(m),
                "rel_ci_low": rel(lo),
                "rel_ci_high": rel(hi),
                "p_value": p,
                "distinguishable": bool(np.isfinite(lo) and (lo > 0 or hi < 0)),
                "distinguishable_holm": pd.NA,
            }
        )
    return rows


def paired(runs: pd.DataFrame, reference: str, scenario: str, kpis: list[str], index: list[str]) -> tuple[pd.DataFrame, ...]:
    """Reference values, scenario values and their paired differences, aligned on ``index``."""
    ref = runs[runs["scenario"] == reference].set_index(index)[kpis].sort_index()
    sc = runs[runs["scenario"] == scenario].set_index(index)[kpis].sort_index()
    common = ref.index.intersection(sc.index)
    ref, sc = ref.loc[common], sc.loc[common]
    return ref, sc, sc - ref


@dataclass
class Comparison:
    """The analysed comparison: runs, effects, cost-effectiveness and the effects window."""

    runs: pd.DataFrame
    scenarios: list[str]
    reps: int
    complete_reps: list[int]
    window: tuple[int, int]
    window_auto: bool
    effects: pd.DataFrame
    cost: pd.DataFrame

    @property
    def reference(self) -> str:
        """The reference scenario."""
        return self.scenarios[0]

    @property
    def others(self) -> list[str]:
        """The scenarios compared with the reference."""
        return self.scenarios[1:]

    def horizon(self, kpi: str | None = None) -> pd.DataFrame:
        """Effects over the window (one row per scenario and KPI, or per scenario for ``kpi``)."""
        h = self.effects[self.effects["year"].isna()]
        return h[h["kpi"] == kpi].set_index("scenario") if kpi else h

    def console_summary(self) -> str:
        """A short table of headline effects for the terminal."""
        h = self.horizon()
        lines = [f"Effects against {self.reference}, {self.window[0]}-{self.window[1]} (95% intervals; * = distinguishable from noise)"]
        for k in ("exploited_workers", "crime_cost_nok", "enforcement_cost_nok"):
            lines.append(f"  {k}:")
            for _, r in h[h["kpi"] == k].iterrows():
                flag = "*" if r["distinguishable"] else " "
                lines.append(f"   {flag} {r['scenario']:<28s} {r['diff_mean']:>14,.0f}  [{r['ci_low']:,.0f}, {r['ci_high']:,.0f}]")
        return "\n".join(lines)


def cost_effectiveness(wv: pd.DataFrame, reference: str, scenarios: list[str]) -> pd.DataFrame:
    """Change in crime cost and exploited worker-years per NOK of extra enforcement cost.

    ``wv`` holds each run's window totals of ``crime_cost_nok`` and ``enforcement_cost_nok`` and
    its exploited worker-years (``exploited_workers`` summed over the window's years).
    """
    rows = []
    for s in scenarios:
        ref = wv.xs(reference, level="scenario")
        sc = wv.xs(s, level="scenario")
        common = ref.index.intersection(sc.index)
        d = sc.loc[common] - ref.loc[common]
        d_enf = d["enforcement_cost_nok"].to_numpy()
        enf = float(d_enf.mean())
        enf_varies = bool(np.ptp(d_enf) > 1e-6 * max(abs(enf), 1.0))
        _, dc, _, dc_lo, dc_hi, _ = t_interval(d["crime_cost_nok"].to_numpy())
        _, de, _, de_lo, de_hi, _ = t_interval(d["exploited_workers"].to_numpy())
        _, net, _, net_lo, net_hi, _ = t_interval((d["crime_cost_nok"] + d["enforcement_cost_nok"]).to_numpy())
        has_cost = enf > 1.0
        den = enf if has_cost else np.nan

        def per(x: float, den: float = den) -> float:
            return x / den

        def per_m(x: float, den: float = den) -> float:
            return x / (den / 1e6)

        rows.append(
            {
                "scenario": s,
                "reference": reference,
                "extra_enforcement_nok": enf,
                "enforcement_cost_varies": enf_varies,
                "crime_cost_change_nok": dc,
                "crime_cost_change_low": dc_lo,
                "crime_cost_change_high": dc_hi,
                "exploited_worker_years_change": de,
                "exploited_change_low": de_lo,
                "exploited_change_high": de_hi,
                "net_cost_change_nok": net,
                "net_cost_change_low": net_lo,
                "net_cost_change_high": net_hi,
                "crime_cost_change_per_nok": per(dc),
                "crime_cost_per_nok_low": per(dc_lo),
                "crime_cost_per_nok_high": per(dc_hi),
                "exploited_change_per_mnok": per_m(de),
                "exploited_per_mnok_low": per_m(de_lo),
                "exploited_per_mnok_high": per_m(de_hi),
                "note": ("" if has_cost else ("cheaper than the reference" if enf < -1.0 else "no extra enforcement cost in the model")),
            }
        )
    return pd.DataFrame(rows)


def complete_replicates(runs: pd.DataFrame, scenarios: list[str]) -> list[int]:
    """Replicates with a finished run for every scenario (pairs need all of them)."""
    have = runs.groupby("replicate")["scenario"].agg(lambda s: set(s))
    return sorted(int(r) for r, s in have.items() if set(scenarios) <= s)


def analyse(
    runs: pd.DataFrame, scenarios: list[str], reps: int, window_from: int | None = None, kpis: list[str] | None = None
) -> Comparison:
    """Paired effects of ``scenarios[1:]`` against ``scenarios[0]``; see the module docstring.

    Raises:
        ValueError: fewer than two replicates have a finished run for every scenario.
    """
    kpis = [k for k in (kpis or KPI_NAMES) if k in runs.columns]
    reps_ok = complete_replicates(runs, scenarios) if not runs.empty else []
    if len(reps_ok) < 2:
        raise ValueError(
            f"only {len(reps_ok)} of {reps} replicates finished for every scenario; "
            "paired intervals need at least 2 (see the store's _failed/ folder, then run the command again)"
        )
    runs = runs[runs["replicate"].isin(reps_ok)].copy()
    years = sorted(runs["year"].unique())
    reference = scenarios[0]
    auto = window_from is None
    y0 = first_difference_year(runs, reference, kpis) if auto else window_from
    y0 = int(years[0]) if y0 is None else int(y0)
    y1 = int(years[-1])
    window = f"{y0}-{y1}"
    rows: list[dict[str, Any]] = []
    wv = window_values(runs, kpis, y0, y1)
    for s in scenarios[1:]:
        ref, sc, d = paired(runs, reference, s, kpis, ["replicate", "year"])
        for y in years:
            sel = d.index.get_level_values("year") == y
            rows += _rows(d[sel], ref[sel], sc[sel], s, reference, str(y), int(y), window)
        ref_w, sc_w = wv.xs(reference, level="scenario"), wv.xs(s, level="scenario")
        common = ref_w.index.intersection(sc_w.index)
        hr = _rows(sc_w.loc[common] - ref_w.loc[common], ref_w.loc[common], sc_w.loc[common], s, reference, window, None, window)
        for r, rej in zip(hr, holm(np.array([r["p_value"] for r in hr]))):
            r["distinguishable_holm"] = bool(rej)
        rows += hr
    eff = pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))
    eff["year"] = eff["year"].astype("Int64")
    eff["distinguishable_holm"] = eff["distinguishable_holm"].astype("boolean")
    money = window_values(runs, ["crime_cost_nok", "enforcement_cost_nok"], y0, y1)
    w = runs[(runs["year"] >= y0) & (runs["year"] <= y1)]
    money["exploited_workers"] = w.groupby(["scenario", "replicate"])["exploited_workers"].sum(min_count=1)
    cost = cost_effectiveness(money, reference, scenarios[1:])
    return Comparison(runs, list(scenarios), reps, reps_ok, (y0, y1), auto, eff, cost)
