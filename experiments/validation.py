"""The checks of ``docs/validation.md`` (issue 11): runs that record every table, and the verdicts.

``docs/gen_validation.py`` plans the paired-seed experiments, runs them through
``experiments.execute`` and writes the document; the numbers and verdicts come from here, so the
checks themselves are tested on synthetic tables (``tests/test_validation_doc.py``).

Core objects:
    run_tables_safe(spec, key) - one run as ``execute``'s ``runner``: every table and the threat
        actors' new company registrations, in one long record (``experiments.tables``).
    Verdict - a check's outcome: ``passed`` (True, False, or None when it could not be judged),
        one sentence, and its numbers table.
    mean_ci - mean and 95% t-interval of paired differences or replicates; welch - two-sample test.
    diminishing_returns, monotone_distinguishable, level_and_trend, stock_level, steady_state,
        scale_agreement, displacement - the verdicts, each on a small data frame.

Every verdict is computed from the data handed to it; thresholds are arguments with the defaults
the issue states, never results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from experiments.tables import REGISTRATION_EVENTS, add_registrations, run_tables, run_tables_events_safe  # noqa: F401 (used by the script)

# The validation document's runner: every table and the threat actors' new registrations.
run_tables_safe = run_tables_events_safe


@dataclass
class Verdict:
    """The outcome of one check.

    ``passed`` is None when the data could not decide (a missing column, too few replicates).
    """

    passed: bool | None
    text: str
    table: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self) -> None:
        if self.passed is not None:
            self.passed = bool(self.passed)  # numpy booleans are not ``True``

    @property
    def word(self) -> str:
        """PASS / FAIL / NOT JUDGED, for the document."""
        return {True: "PASS", False: "FAIL", None: "NOT JUDGED"}[self.passed]


# ---------------------------------------------------------------------------------------- statistics
def mean_ci(x: Any, level: float = 0.95) -> tuple[float, float, float, int]:
    """``(mean, low, high, n)``: the mean of the finite values and its t-interval (NaN bounds if n < 2)."""
    from scipy import stats

    a = np.asarray(x, dtype=float)
    a = a[np.isfinite(a)]
    n = int(a.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(a.mean())
    if n < 2:
        return m, math.nan, math.nan, n
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * a.std(ddof=1) / math.sqrt(n))
    return m, m - half, m + half, n


def excludes_zero(lo: float, hi: float) -> bool:
    """True if the interval [lo, hi] is finite and does not contain 0."""
    return math.isfinite(lo) and math.isfinite(hi) and (lo > 0 or hi < 0)


def per_seed(records: pd.DataFrame, keys: dict[Any, dict[int, str]], kpi: str, years: tuple[int, int],
             how: str = "mean", table: str = "annual", unit: str = "") -> pd.DataFrame:
    """A seeds x arms frame of one KPI reduced over ``years`` (``how``: mean, sum or last).

    ``keys[arm][seed]`` is the run key of that arm's run with that seed; a missing run or
    column gives NaN.
    """
    y0, y1 = years
    sel = records[(records["table"] == table) & (records["unit"] == unit) & records["year"].between(y0, y1)]
    out: dict[Any, dict[int, float]] = {}
    for arm, by_seed in keys.items():
        out[arm] = {}
        for seed, k in by_seed.items():
            rows = sel[sel["run_key"] == k]
            if kpi not in rows.columns or rows.empty or rows[kpi].isna().all():
                out[arm][seed] = math.nan
                continue
            x = rows.sort_values("year")[kpi].astype(float)
            out[arm][seed] = float({"mean": x.mean(), "sum": x.sum(), "last": x.iloc[-1]}[how])
    return pd.DataFrame(out)


# ---------------------------------------------------------------------------------------- verdicts
def diminishing_returns(values: pd.DataFrame, n_base: float, max_last_ratio: float = 0.5) -> Verdict:
    """Deterrence curve: does the effect per added inspector fall, and clearly?

    Args:
        values: seeds x inspector multiples (columns sorted ascending, e.g. 0.5, 1, 2, 4) of the
            outcome (e.g. mean undeclared share 2026-2030); rows are paired seeds.
        n_base: Inspectors at multiple 1 (``policy.nli.n_inspectors``).
        max_last_ratio: The last step's effect per inspector may be at most this fraction of the
            first step's (the issue: at most half).

    Passes if the first step lowers the outcome, the mean reduction per added inspector falls
    from each step to the next, and the last is at most ``max_last_ratio`` of the first. The
    table gives, per step, the added inspectors, the reduction per inspector (paired mean and 95%
    interval) and the total reduction; the sentence says whether neighbours are distinguishable.
    """
    cols = sorted(values.columns)
    v = values[cols].dropna()
    if len(cols) < 3 or len(v) == 0:
        return Verdict(None, f"needs at least three multiples with runs (has {len(cols)} multiples, {len(v)} complete seeds)")
    rows, per = [], []
    for a, b in zip(cols[:-1], cols[1:]):
        added = n_base * (b - a)
        eff = (v[a] - v[b]) / added
        m, lo, hi, n = mean_ci(eff)
        tm, tlo, thi, _ = mean_ci(v[a] - v[b])
        per.append(eff)
        rows.append({"step": f"x{a:g} -> x{b:g}", "added_inspectors": added, "reduction_per_inspector": m,
                     "ci_low": lo, "ci_high": hi, "total_reduction": tm, "total_ci_low": tlo, "total_ci_high": thi, "seeds": n})
    tab = pd.DataFrame(rows)
    m = tab["reduction_per_inspector"].to_numpy()
    falling = bool(np.all(np.diff(m) < 0))
    ratio = m[-1] / m[0] if m[0] > 0 else math.nan
    clear = [excludes_zero(*mean_ci(p - q)[1:3]) for p, q in zip(per[:-1], per[1:])]
    if not m[0] > 0:
        return Verdict(False, f"the first step ({tab['step'].iloc[0]}) does not lower the outcome (mean {m[0]:+.3g} per inspector)", tab)
    ok = falling and ratio <= max_last_ratio
    text = (f"reduction per added inspector {'falls' if falling else 'does not fall'} from step to step "
            f"({', '.join(f'{x:.3g}' for x in m)}); the last step gives {ratio:.0%} of the first's "
            f"(allowed: at most {max_last_ratio:.0%}); neighbouring steps distinguishable (paired 95% interval of the "
            f"difference excludes 0): {', '.join('yes' if c else 'no' for c in clear)}")
    return Verdict(ok, text, tab)


def monotone_distinguishable(values: pd.DataFrame, name: str = "outcome") -> Verdict:
    """Is the outcome monotone in the lever, and is each neighbour distinguishable?

    Args:
        values: seeds x lever levels (columns sorted ascending); rows are paired seeds.
        name: The outcome's name, for the sentence.

    Passes if every paired difference between neighbouring levels has the same sign and its 95%
    interval excludes 0.
    """
    cols = sorted(values.columns)
    v = values[cols].dropna()
    if len(cols) < 2 or len(v) < 2:
        return Verdict(None, f"{name}: needs two levels and two complete seeds (has {len(cols)} levels, {len(v)} seeds)")
    rows = []
    for a, b in zip(cols[:-1], cols[1:]):
        m, lo, hi, n = mean_ci(v[b] - v[a])
        rows.append({"from": a, "to": b, "mean_from": float(v[a].mean()), "mean_to": float(v[b].mean()),
                     "difference": m, "ci_low": lo, "ci_high": hi, "distinguishable": excludes_zero(lo, hi), "seeds": n})
    tab = pd.DataFrame(rows)
    signs = np.sign(tab["difference"].to_numpy())
    monotone = bool(np.all(signs > 0) or np.all(signs < 0))
    dist = bool(tab["distinguishable"].all())
    direction = "rises" if np.all(signs > 0) else "falls" if np.all(signs < 0) else "is not monotone"
    text = (f"{name} {direction} with the lever ({', '.join(f'{x:.4g}' for x in [tab['mean_from'].iloc[0], *tab['mean_to']])}); "
            f"neighbours distinguishable: {', '.join('yes' if d else 'no' for d in tab['distinguishable'])}")
    return Verdict(monotone and dist, text, tab)


def step_power(table: pd.DataFrame, power: float = 0.8, level: float = 0.95) -> list[dict[str, Any]]:
    """For each step that is not distinguishable: its size if the outcome were linear in the lever.

    Args:
        table: ``monotone_distinguishable``'s table (one row per step between neighbouring levels).
        power: The chance of telling the predicted effect apart from 0 that the seed count aims at.
        level: The confidence level of the paired interval.

    A lever that multiplies a quantity (latency x0.25, x1, x4) moves it by different amounts in
    different steps: from x0.25 to x1 by 0.75 of the base, from x1 to x4 by 3. If the outcome moves
    in proportion, a step's effect is the distinguishable neighbour's effect times the ratio of the
    lever's changes. Returns, per undistinguished step with a distinguished one to scale from: the
    prediction, the half-width of the interval measured, and the paired seeds that would tell the
    prediction apart from 0 with ``power`` (normal approximation, the measured spread of the
    differences). Nothing if no step is distinguishable.
    """
    from scipy import stats

    if table.empty or "distinguishable" not in table:
        return []
    rows = table.reset_index(drop=True)
    ref = rows[rows["distinguishable"].astype(bool)]
    if ref.empty:
        return []
    r = ref.loc[(ref["ci_high"] - ref["ci_low"]).idxmin()]  # the most precisely measured distinguishable step
    z = stats.norm.ppf(0.5 + level / 2) + stats.norm.ppf(power)
    out = []
    for _i, row in rows[~rows["distinguishable"].astype(bool)].iterrows():
        n = int(row["seeds"])
        half = (row["ci_high"] - row["ci_low"]) / 2
        if not (math.isfinite(half) and n >= 2):
            continue
        pred = float(r["difference"]) * (float(row["to"]) - float(row["from"])) / (float(r["to"]) - float(r["from"]))
        sd = half * math.sqrt(n) / stats.t.ppf(0.5 + level / 2, n - 1)
        need = math.inf if pred == 0 else math.ceil((z * sd / abs(pred)) ** 2)
        out.append({"from": row["from"], "to": row["to"], "predicted": pred, "measured": float(row["difference"]),
                    "half_width": half, "seeds": n, "seeds_needed": need, "scaled_from": f"{r['from']:g} to {r['to']:g}"})
    return out


def level_and_trend(values: pd.DataFrame, level: float, level_tol: float, flat_tol: float) -> Verdict:
    """Level and trend of a share over years (undeclared work 2019-2024 against "about 20%, flat").

    Args:
        values: seeds x years of the share.
        level: The reported level.
        level_tol: Its tolerance.
        flat_tol: The largest change over the span that still counts as flat.

    Passes if the mean level is within ``level_tol`` of ``level`` and the 95% interval of the
    change over the span (slope per year times the span) lies inside ``+-flat_tol``.
    """
    v = values[sorted(values.columns)].dropna()
    if len(v) < 2 or v.shape[1] < 2:
        return Verdict(None, f"needs two seeds and two years (has {len(v)} seeds, {v.shape[1]} years)")
    years = np.asarray(v.columns, dtype=float)
    span = years[-1] - years[0]
    slopes = np.array([np.polyfit(years, row.to_numpy(dtype=float), 1)[0] for _, row in v.iterrows()])
    lm, llo, lhi, n = mean_ci(v.mean(axis=1))
    sm, slo, shi, _ = mean_ci(slopes)
    tab = pd.DataFrame([{"statistic": "level (mean of the years)", "mean": lm, "ci_low": llo, "ci_high": lhi, "seeds": n},
                        {"statistic": "slope per year", "mean": sm, "ci_low": slo, "ci_high": shi, "seeds": n},
                        {"statistic": f"change over {span:g} years", "mean": sm * span, "ci_low": slo * span,
                         "ci_high": shi * span, "seeds": n}])
    level_ok = abs(lm - level) <= level_tol
    flat = -flat_tol <= slo * span and shi * span <= flat_tol
    drifts = slo * span > flat_tol or shi * span < -flat_tol
    trend = "flat" if flat else ("drifts" if drifts else "not shown flat (the interval reaches beyond the tolerance)")
    text = (f"level {lm:.1%} (95% interval {llo:.1%} to {lhi:.1%}) against {level:.0%} +- {level_tol:.0%}: "
            f"{'as reported' if level_ok else 'off'}; change over the span {100 * sm * span:+.1f} pp ({100 * slo * span:+.1f} to "
            f"{100 * shi * span:+.1f} pp) against +-{100 * flat_tol:.0f} pp: {trend}")
    return Verdict(level_ok and flat, text, tab)


def stock_level(values: Any, lo: float, hi: float, tol: float, what: str = "stock") -> Verdict:
    """A stock against a reported range: inside, near (within one tolerance) or outside.

    Args:
        values: The stock in the compared year, one value per seed.
        lo: The reported range's low end (``lo == hi`` for a single value).
        hi: Its high end.
        tol: The target's tolerance.
        what: The stock's name, for the sentence.

    Passes if the mean is inside the range or within one tolerance of it.
    """
    m, clo, chi, n = mean_ci(values)
    if n == 0:
        return Verdict(None, f"{what}: no runs with this column")
    gap = max(lo - m, m - hi, 0.0)
    word = "inside" if gap == 0 else ("near" if gap <= tol else "outside")
    rep = f"{lo:,.0f}" if lo == hi else f"{lo:,.0f}-{hi:,.0f}"
    tab = pd.DataFrame([{"mean": m, "ci_low": clo, "ci_high": chi, "reported": rep, "tolerance": tol, "verdict": word, "seeds": n}])
    return Verdict(word != "outside", f"{what} {m:,.0f} (95% interval {clo:,.0f} to {chi:,.0f}) against {rep} +- {tol:,.0f}: {word}", tab)


def regional_spread(ratios: pd.DataFrame, max_ratio: float = 1.5, what: str = "undeclared work") -> Verdict:
    """Is every region's level within ``max_ratio`` x the national level (issue 11: "plausible regions")?

    Args:
        ratios: Seeds x regions of the region's level over the national level of the same run.
        max_ratio: The largest plausible ratio without a sourced reason (issue 11: about 1.5).
        what: The level's name, for the sentence.

    Passes if, for every region, the 95% interval of the mean ratio lies within ``1 / max_ratio``
    to ``max_ratio``.
    """
    r = ratios.dropna(axis=1, how="all")
    if len(r) < 2 or r.shape[1] == 0:
        return Verdict(None, f"{what} by region: needs two seeds with regional rows")
    rows = []
    for unit in r.columns:
        m, lo, hi, n = mean_ci(r[unit])
        rows.append({"region": unit, "ratio_to_national": m, "ci_low": lo, "ci_high": hi, "seeds": n})
    tab = pd.DataFrame(rows).sort_values("ratio_to_national", ascending=False, ignore_index=True)
    top, low = tab.iloc[0], tab.iloc[-1]
    inside = (tab["ci_high"] <= max_ratio) & (tab["ci_low"] >= 1.0 / max_ratio)  # False for a NaN bound
    ok = bool(inside.all())
    why = "" if ok else "; intervals leaving the band: " + ", ".join(
        f"{r.region} ({r.ci_low:.2f} to {r.ci_high:.2f})" for r in tab[~inside].itertuples())
    return Verdict(ok, f"{what} by region relative to the national level: highest {top['region']} {top['ratio_to_national']:.2f}x "
                       f"(95% interval {top['ci_low']:.2f} to {top['ci_high']:.2f}), lowest {low['region']} "
                       f"{low['ratio_to_national']:.2f}x (allowed {1 / max_ratio:.2f}x to {max_ratio:.2f}x){why}", tab)


def steady_state(values: pd.DataFrame, max_rel_change: float, what: str = "stock") -> Verdict:
    """Does a stock level off? Relative change from the first to the last column (years), per seed.

    Passes if the 95% interval of the relative change lies inside ``+-max_rel_change``.
    """
    cols = sorted(values.columns)
    v = values[cols].dropna()
    if len(v) < 2 or len(cols) < 2:
        return Verdict(None, f"{what}: needs two seeds and two years")
    first = v[cols[0]].replace(0, np.nan)
    m, lo, hi, n = mean_ci((v[cols[-1]] - v[cols[0]]) / first)
    tab = pd.DataFrame([{"from": cols[0], "to": cols[-1], "mean_from": float(v[cols[0]].mean()), "mean_to": float(v[cols[-1]].mean()),
                         "relative_change": m, "ci_low": lo, "ci_high": hi, "seeds": n}])
    ok = math.isfinite(lo) and -max_rel_change <= lo and hi <= max_rel_change
    return Verdict(ok, f"{what} changes by {m:+.0%} from {cols[0]} to {cols[-1]} (95% interval {lo:+.0%} to {hi:+.0%}; "
                       f"steady means within +-{max_rel_change:.0%})", tab)


def _welch_parts(a: Any, b: Any) -> tuple[float, float, float] | None:
    """``(difference of means, its variance, Welch-Satterthwaite degrees of freedom)``; None with fewer than two values a side.

    The degrees of freedom are NaN when both samples are constant (zero variance).
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size < 2 or b.size < 2:
        return None
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if va + vb else math.nan
    return float(a.mean() - b.mean()), va + vb, df


def welch(a: Any, b: Any) -> tuple[float, float, float]:
    """``(difference of means, t, two-sided p)`` of Welch's t-test (NaN p with fewer than two values a side)."""
    from scipy import stats

    parts = _welch_parts(a, b)
    if parts is None:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return (float(a.mean() - b.mean()) if a.size and b.size else math.nan), math.nan, math.nan
    d, v, df = parts
    if v == 0:
        return d, (0.0 if d == 0 else math.copysign(math.inf, d)), (1.0 if d == 0 else 0.0)
    t = d / math.sqrt(v)
    return d, t, float(2 * stats.t.sf(abs(t), df))


def welch_ci(a: Any, b: Any, level: float = 0.95) -> tuple[float, float]:
    """Welch's ``level`` confidence interval of ``mean(a) - mean(b)`` (NaN with fewer than two values a side)."""
    from scipy import stats

    parts = _welch_parts(a, b)
    if parts is None:
        return math.nan, math.nan
    d, v, df = parts
    if v == 0:
        return d, d
    h = float(stats.t.ppf(0.5 + level / 2, df)) * math.sqrt(v)
    return d - h, d + h


def scale_agreement(data: pd.DataFrame, kpis: list[str], reference: float | None = None, alpha: float = 0.05,
                    pooled: tuple[int, int] | None = None) -> Verdict:
    """Do national KPIs agree across population scales, year by year?

    Args:
        data: One row per (scale, seed, year) with the KPI columns (runs at different scales are
            independent samples: a seed does not pair across scales, the populations differ).
        kpis: The KPIs to compare.
        reference: The scale the others are compared with (default: the largest).
        alpha: Family-wise error of the whole verdict, over every KPI, scale and year: a
            scale-invariant model fails it with probability <= ``alpha`` (Bonferroni). Half of it
            goes to the yearly tests: in each year each other scale is compared with the reference
            by Welch's t-test, failing below ``alpha / 2 / (years x scales x KPIs)``. The other half
            goes to the pooled tests (if ``pooled``), failing below ``alpha / 2 / (scales x KPIs)``.
            (Until 7 December 2026 alpha was per KPI and the pooled tests each took all of it, so a
            scale-invariant model failed the five KPIs' verdict far more often than 5%.)
        pooled: Optional (first, last) years, or a list of them, whose per-seed sums are compared
            too (the build-up years, where a bias shows as the same sign year after year; a later
            window), each with the 95% confidence interval of its relative difference. The first
            window's columns are ``pooled_rel_diff``, ``pooled_rel_lo``, ``pooled_rel_hi``,
            ``pooled_t``, ``pooled_p``; a further window's carry the suffix ``_<first>_<last>``.

    The table: per KPI and scale, the years compared, the largest |t|, the years failing, the
    largest relative difference of means and the pooled test; ``passed`` is None if some
    comparison has fewer than two runs on a side. With two runs a side the test only detects
    large differences: the document says how many runs each scale had, and the pooled interval
    says how large a bias the runs could hide.
    """
    scales = sorted(data["scale"].unique())
    ref = max(scales) if reference is None else reference
    others = [s for s in scales if s != ref]
    years = sorted(data["year"].unique())
    missing = [k for k in kpis if k not in data.columns or data[k].isna().all()]
    n_k = max(1, len(kpis) - len(missing))
    windows = [] if not pooled else ([tuple(pooled)] if isinstance(pooled[0], (int, np.integer)) else [tuple(w) for w in pooled])
    a_year = (alpha / 2 if windows else alpha) / (len(years) * len(others) * n_k)
    a_pool = alpha / 2 / (len(others) * n_k * max(1, len(windows)))
    rows, judged, bad = [], True, []
    for k in kpis:
        if k in missing:
            continue
        for s in others:
            tests = []
            for y in years:
                a = data.loc[(data["scale"] == s) & (data["year"] == y), k].dropna()
                b = data.loc[(data["scale"] == ref) & (data["year"] == y), k].dropna()
                d, t, p = welch(a, b)
                if not math.isfinite(p):
                    judged = False
                    continue
                tests.append((y, t, p, d / abs(b.mean()) if b.mean() else math.nan))
            row = {"kpi": k, "scale": s, "reference": ref, "years": len(tests),
                   "max_abs_t": max((abs(t) for _, t, _, _ in tests), default=math.nan),
                   "years_failing": [y for y, _, p, _ in tests if p < a_year],
                   "max_rel_diff": max((abs(r) for *_, r in tests if math.isfinite(r)), default=math.nan)}
            pooled_bad = []
            for i, w in enumerate(windows):
                sel = data[data["year"].between(*w)]
                pa = sel[sel["scale"] == s].groupby("seed")[k].sum()
                pb = sel[sel["scale"] == ref].groupby("seed")[k].sum()
                d, t, p = welch(pa, pb)
                lo, hi = welch_ci(pa, pb)
                base = pb.mean() if len(pb) and pb.mean() else math.nan
                sfx = "" if i == 0 else f"_{w[0]}_{w[1]}"
                row.update({f"pooled_rel_diff{sfx}": d / base, f"pooled_rel_lo{sfx}": lo / base, f"pooled_rel_hi{sfx}": hi / base,
                            f"pooled_t{sfx}": t, f"pooled_p{sfx}": p})
                if p < a_pool:
                    pooled_bad.append(f"{w[0]}-{w[1]}")
            if row["years_failing"] or pooled_bad:
                bad.append(f"{k} at scale {s:g}" + (f" ({', '.join(pooled_bad)} sum)" if pooled_bad else ""))
            rows.append(row)
    tab = pd.DataFrame(rows)
    note = f" (not in this model version: {', '.join(missing)})" if missing else ""
    test = f"Welch p < {a_year:.2g} in some year" + (
        f", or p < {a_pool:.2g} for the {' or the '.join(f'{w[0]}-{w[1]}' for w in windows)} sum" if windows else "")
    if bad:
        return Verdict(False, f"disagree with scale {ref:g} beyond noise ({test}): {', '.join(bad)}{note}", tab)
    if not judged or tab.empty:
        return Verdict(None, f"not judged: some scale has fewer than two runs{note}", tab)
    return Verdict(True, f"every KPI agrees with scale {ref:g} within noise in every year (no {test}){note}", tab)


def shares(values: pd.DataFrame) -> pd.DataFrame:
    """Row-normalise a seeds x units frame of counts into shares (rows with a zero total give NaN)."""
    tot = values.sum(axis=1).replace(0, np.nan)
    return values.div(tot, axis=0)


def displacement(base: pd.DataFrame, push: pd.DataFrame, target: str, what: str = "registrations") -> Verdict:
    """Where does activity go under a push on ``target`` (a sector or a region)?

    Args:
        base: seeds x units (sectors or regions) of a count summed over the years, without the
            push; rows are paired seeds.
        push: The same with the push.
        target: The unit the push is aimed at.
        what: The count's name, for the sentence.

    The table: per unit, its share of the total without and with the push, the paired difference
    of shares (95% interval), and the change of the national total. Passes if the target's share
    falls and the interval excludes 0 (activity moves out of the pushed unit).
    """
    seeds = base.dropna(how="all").index.intersection(push.dropna(how="all").index)
    if len(seeds) < 2 or target not in base.columns:
        return Verdict(None, f"{what}: needs two paired seeds and the unit {target!r} (has {len(seeds)} seeds)")
    b, p = shares(base.loc[seeds]), shares(push.loc[seeds])
    rows = []
    for u in base.columns:
        m, lo, hi, n = mean_ci(p[u] - b[u])
        rows.append({"unit": u, "share_without": float(b[u].mean()), "share_with": float(p[u].mean()),
                     "difference": m, "ci_low": lo, "ci_high": hi, "seeds": n})
    tab = pd.DataFrame(rows).sort_values("difference").reset_index(drop=True)
    tm, tlo, thi, _ = mean_ci(push.loc[seeds].sum(axis=1) / base.loc[seeds].sum(axis=1).replace(0, np.nan) - 1)
    t = tab[tab["unit"] == target].iloc[0]
    out = excludes_zero(t["ci_low"], t["ci_high"]) and t["difference"] < 0
    gain = tab[tab["unit"] != target].sort_values("difference", ascending=False).head(2)
    text = (f"{what}: {target}'s share {t['share_without']:.1%} -> {t['share_with']:.1%} ({100 * t['difference']:+.1f} pp, 95% "
            f"interval {100 * t['ci_low']:+.1f} to {100 * t['ci_high']:+.1f} pp); largest gains: "
            f"{', '.join(f'{r.unit} {100 * r.difference:+.1f} pp' for r in gain.itertuples())}; national total {tm:+.1%} "
            f"({tlo:+.1%} to {thi:+.1%})")
    return Verdict(bool(out), text, tab)
