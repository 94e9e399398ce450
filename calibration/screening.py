"""Morris screening (SALib) of candidate world parameters on the calibration distance.

``screen(...)`` builds a Morris design over the candidates of ``calibration/screening.yaml``
(``r`` trajectories of ``k + 1`` runs, ``levels`` grid levels), runs it through the experiments
layer (Dask, one Parquet file per run, so a stopped screening resumes), computes for every run
the fit targets' normalised residuals and the distance, and estimates Morris indices for the
distance and for each target's residual.

All design points share one seed (common random numbers): the model's named random streams keep
most draws identical between neighbouring points, so an elementary effect measures the parameter
rather than run-to-run noise. The noise that remains is reported: the same default world is run
with ``noise_reps`` further seeds and the spread of the distance is written next to the indices.

Selection rule (recorded with the result): a candidate is fitted if its mu* on the distance is
at least ``rel_threshold`` of the largest, or if it is among the ``top_per_target`` most
influential parameters of some fit target with mu* >= ``abs_threshold`` tolerances there.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from calibration.distance import TargetDistance
from calibration.params import Prior, format_value, load_priors
from calibration.simulate import BASE_WORLD
from calibration.targets import Target, by_role, last_year, load_targets

CANDIDATES_FILE = Path(__file__).resolve().parent / "screening.yaml"
RERUN_HINT = "add rerun_stale=true to 'akrim calibrate screen' to recompute them"


@dataclass
class ScreeningResult:
    """Morris indices and the selection."""

    table: Any  # pandas DataFrame: one row per parameter and output (distance or a target)
    selected: list[str]
    design: Any  # pandas DataFrame: the design points, their statistics, residuals and distance
    noise_sd: float
    meta: dict[str, Any]


def _problem(cands: list[Prior]) -> dict[str, Any]:
    return {"num_vars": len(cands), "names": [c.key for c in cands], "bounds": [[0.0, 1.0]] * len(cands)}


def design(cands: list[Prior], r: int, levels: int, seed: int) -> np.ndarray:
    """Morris design on the unit cube (rows: runs; columns: candidates)."""
    from SALib.sample import morris as morris_sample

    return morris_sample.sample(_problem(cands), N=r, num_levels=levels, seed=seed)


def to_params(cands: list[Prior], unit_row: np.ndarray) -> dict[str, float]:
    """A unit-cube design row mapped to parameter values (integers rounded)."""
    out = {}
    for c, u in zip(cands, unit_row, strict=True):
        v = c.ppf(float(u))
        out[c.key] = float(round(v)) if c.is_int else v
    return out


def _specs(cands, unit, scale, end, seed, tag):
    from experiments.runs import RunSpec

    specs = []
    for i, row in enumerate(unit):
        params = to_params(cands, row)
        ov = [BASE_WORLD, f"scale={scale!r}", f"end={end}", f"seed={seed}"]
        ov += [f"{k}={format_value(v, c.is_int)}" for (k, v), c in zip(params.items(), cands, strict=True)]
        specs.append(RunSpec.make(ov, design=i, study=tag))
    return specs


def _stats_of(record, fit: list[Target]) -> dict[str, float]:
    from calibration.targets import record_statistics

    return record_statistics(record, fit)


def analyse(cands: list[Prior], unit: np.ndarray, outputs: dict[str, np.ndarray], levels: int,
            seed: int = 1) -> Any:
    """Morris indices (mu, mu*, sigma, mu* confidence) of each output, as one long table."""
    import pandas as pd
    from SALib.analyze import morris as morris_analyze

    rows = []
    for name, y in outputs.items():
        y = np.asarray(y, dtype=float)
        finite = np.isfinite(y)
        if not finite.all():  # a run with a missing statistic: cap it at the worst finite value
            y = np.where(finite, y, np.nanmax(np.where(finite, np.abs(y), np.nan)) if finite.any() else 0.0)
        res = morris_analyze.analyze(_problem(cands), unit, y, num_levels=levels, seed=seed, print_to_console=False)
        for i, key in enumerate(cands):
            rows.append({"output": name, "param": key.key, "mu": float(res["mu"][i]), "mu_star": float(res["mu_star"][i]),
                         "sigma": float(res["sigma"][i]), "mu_star_conf": float(res["mu_star_conf"][i])})
    return pd.DataFrame(rows)


def noise_floor(noise_sd: float, levels: int) -> float:
    """Expected mu* of a parameter with no effect, when outputs carry independent noise of sd ``noise_sd``.

    An elementary effect is ``(y2 - y1) / delta`` with ``delta = levels / (2 (levels - 1))``; with
    pure noise ``y2 - y1 ~ N(0, 2 sd^2)`` and ``E|y2 - y1| = 2 sd / sqrt(pi)``. Common random numbers
    make the real noise between neighbouring design points smaller, so this floor is conservative.
    """
    delta = levels / (2.0 * (levels - 1))
    return 2.0 * noise_sd / math.sqrt(math.pi) / delta


def select(table: Any, floors: dict[str, float], factor: float = 2.0, top_per_target: int = 3,
           min_effect: float = 1.0) -> tuple[list[str], dict[str, str]]:
    """Apply the selection rule; return the selected keys (by distance mu*) and the reason for each.

    A parameter is fitted if its mu* on the distance is at least ``factor`` x the distance's noise
    floor, or if for some fit target it is among the ``top_per_target`` largest mu*, at least
    ``min_effect`` tolerances and at least ``factor`` x that target's noise floor.
    """
    reasons: dict[str, str] = {}
    d = table[table["output"] == "distance"].sort_values("mu_star", ascending=False)
    fd = factor * floors.get("distance", 0.0)
    for _, row in d.iterrows():
        if row["mu_star"] >= fd and row["mu_star"] > 0:
            reasons[row["param"]] = f"distance mu* {row['mu_star']:.2f} >= {factor:g} x noise floor ({fd:.2f})"
    for out, g in table[table["output"] != "distance"].groupby("output"):
        fo = factor * floors.get(str(out), 0.0)
        for _, row in g.sort_values("mu_star", ascending=False).head(top_per_target).iterrows():
            if row["mu_star"] >= max(min_effect, fo) and row["param"] not in reasons:
                reasons[row["param"]] = (f"top {top_per_target} for {out}: mu* {row['mu_star']:.2f} tolerances "
                                         f">= max({min_effect:g}, {factor:g} x noise floor {fo:.2f})")
    order = list(d["param"])
    return [k for k in order if k in reasons], reasons


def screen(out_dir: str | Path, scale: float = 0.05, r: int = 4, levels: int = 4, seed: int = 20140101,
           noise_reps: int = 4, address: str | None = None, workers: int | None = None,
           candidates: str | Path | None = None, targets_file: str | Path | None = None,
           progress: bool = True, rerun_stale: bool = False) -> ScreeningResult:
    """Run the Morris screening and write its record to ``out_dir`` (see the module docstring).

    Runs already in the store are reused; those recorded by another code version with a warning,
    or run again with ``rerun_stale`` (``experiments.execute``).
    """
    import pandas as pd

    from experiments.execute import execute
    from experiments.runs import RunSpec
    from experiments.store import ResultStore

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cands = load_priors(candidates or CANDIDATES_FILE, section="candidates")
    targets = load_targets(targets_file)
    fit = by_role(targets, "fit")
    end = last_year(targets, "fit")
    unit = design(cands, r, levels, seed)
    specs = _specs(cands, unit, scale, end, seed, "morris")
    noise = [RunSpec.make([BASE_WORLD, f"scale={scale!r}", f"end={end}", f"seed={seed + 1 + i}"], study="noise", rep=i)
             for i in range(noise_reps)]
    store = ResultStore(out_dir / "runs")
    print(f"akrim calibrate screen: {len(cands)} candidates, r={r}, {len(specs)} design runs + {noise_reps} noise runs, "
          f"scale={scale:g}, {2014}-{end}; store {store.root}", flush=True)
    t0 = time.perf_counter()
    from experiments.tables import run_tables_safe

    # run_tables_safe: the records keep the regional table, which the targets of one region read
    summ = execute([*specs, *noise], store, address=address, n_workers=workers, progress=progress, desc="screening",
                   rerun_stale=rerun_stale, rerun_hint=RERUN_HINT, runner=run_tables_safe)
    if summ.failed:
        raise RuntimeError(f"{summ.failed} screening run(s) failed; see {store.root / '_failed'}")
    data = store.load()
    by_key = {k: g for k, g in data.groupby("run_key")}
    dist = TargetDistance(fit)
    rows = []
    for spec, key in zip([*specs, *noise], summ.keys, strict=True):
        rec = by_key[key].sort_values("year")
        stats = _stats_of(rec, fit)
        res = dist.residuals(stats)
        row = {"study": spec.tag_dict["study"], "run_key": key}
        row.update({f"stat:{k}": v for k, v in stats.items()})
        row.update({f"r:{k}": v for k, v in res.items()})
        row["distance"] = dist(stats)
        rows.append(row)
    table_runs = pd.DataFrame(rows)
    des = table_runs[table_runs["study"] == "morris"].reset_index(drop=True)
    values = [to_params(cands, u) for u in unit]
    for c in cands:
        des[c.key] = [v[c.key] for v in values]
    outputs = {"distance": des["distance"].to_numpy()}
    outputs.update({t.id: des[f"r:{t.id}"].to_numpy() for t in fit})
    table = analyse(cands, unit, outputs, levels)
    noise_runs = table_runs[table_runs["study"] == "noise"].reset_index(drop=True)
    noise_runs.to_csv(out_dir / "noise.csv", index=False)
    sds = {"distance": float(noise_runs["distance"].std(ddof=1)) if len(noise_runs) > 1 else 0.0}
    sds.update({t.id: float(noise_runs[f"r:{t.id}"].std(ddof=1)) if len(noise_runs) > 1 else 0.0 for t in fit})
    floors = {k: noise_floor(v, levels) for k, v in sds.items()}
    selected, reasons = select(table, floors)
    noise_d = noise_runs["distance"].to_numpy()
    noise_sd = sds["distance"]
    meta = {"scale": scale, "end": end, "r": r, "levels": levels, "seed": seed, "noise_reps": noise_reps,
            "n_runs": len(specs) + noise_reps, "wall_s": round(time.perf_counter() - t0, 1),
            "runs_executed": summ.done, "runs_reused": summ.skipped,
            "candidates": [c.key for c in cands], "selected": selected, "reasons": reasons,
            "noise_distance": [float(x) for x in noise_d], "noise_sd": sds, "noise_floor": floors}
    result = ScreeningResult(table=table, selected=selected, design=des, noise_sd=noise_sd, meta=meta)
    write_record(result, cands, fit, out_dir)
    return result


def write_record(res: ScreeningResult, cands: list[Prior], fit: list[Target], out_dir: Path) -> None:
    """Write ``morris.csv``, ``design.csv``, ``meta.json``, ``morris.png`` and ``morris.md``."""
    res.table.to_csv(out_dir / "morris.csv", index=False)
    res.design.to_csv(out_dir / "design.csv", index=False)
    (out_dir / "meta.json").write_text(json.dumps(res.meta, indent=2))
    _plot(res, out_dir / "morris.png")
    m = res.meta
    d = res.table[res.table["output"] == "distance"].sort_values("mu_star", ascending=False)
    piv = res.table[res.table["output"] != "distance"].pivot(index="param", columns="output", values="mu_star")
    lines = [
        "# Morris screening of candidate world parameters",
        "",
        f"Generated by `akrim calibrate screen` (calibration/screening.py). Design: {len(cands)} candidates "
        f"(calibration/screening.yaml), r = {m['r']} trajectories, {m['levels']} levels, "
        f"{m['n_runs']} runs at scale {m['scale']:g}, 2014-{m['end']}, common seed {m['seed']}; "
        f"wall time {m['wall_s']:.0f} s ({m['runs_executed']} runs executed, {m['runs_reused']} reused from the store).",
        "",
        "Outputs: the calibration distance (RMS of normalised residuals over the fit targets) and each fit "
        "target's residual (in tolerances). mu* = mean absolute elementary effect of moving the parameter "
        "across the whole level step; sigma = spread of the effects (non-linearity / interactions).",
        "",
        f"Run-to-run noise at this scale: the distance of the default world over {len(m['noise_distance'])} seeds is "
        + ", ".join(f"{x:.2f}" for x in m["noise_distance"]) + f" (sd {res.noise_sd:.2f}). The *noise floor* of an "
        "output is the mu* a parameter without any effect would show if neighbouring design points differed by "
        "that much independent noise (2 sd / sqrt(pi) / delta); common random numbers keep most draws equal "
        "between neighbouring points, so the floor is conservative.",
        "",
        "| output | noise sd | noise floor of mu* |",
        "|---|---|---|",
        *[f"| {k} | {v:.2f} | {m['noise_floor'][k]:.2f} |" for k, v in m["noise_sd"].items()],
        "",
        "## Distance",
        "",
        "| parameter | mu* | mu* 95% conf. | sigma | mu | selected |",
        "|---|---|---|---|---|---|",
    ]
    for _, row in d.iterrows():
        sel = "yes" if row["param"] in res.selected else ""
        lines.append(f"| `{row['param']}` | {row['mu_star']:.3g} | {row['mu_star_conf']:.2g} | {row['sigma']:.3g} | {row['mu']:.3g} | {sel} |")
    lines += ["", "## mu* per fit target (tolerances per full-range step)", "",
              "| parameter | " + " | ".join(t.id for t in fit) + " |", "|---|" + "---|" * len(fit)]
    for key in d["param"]:
        lines.append(f"| `{key}` | " + " | ".join(f"{piv.loc[key, t.id]:.2f}" for t in fit) + " |")
    lines += ["", "## Selection", "",
              "Rule (calibration/screening.py `select`): fitted if mu* on the distance is at least 2 x the "
              "distance's noise floor, or if for some fit target the parameter is among the 3 largest mu*, at "
              "least 1 tolerance and at least 2 x that target's noise floor.", ""]
    for k in res.selected:
        lines.append(f"* `{k}`: {m['reasons'][k]}")
    dropped = [c.key for c in cands if c.key not in res.selected]
    lines += ["", "Not fitted (kept at their documented defaults): " + ", ".join(f"`{k}`" for k in dropped) + ".", ""]
    (out_dir / "morris.md").write_text("\n".join(lines))


def _plot(res: ScreeningResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = res.table[res.table["output"] == "distance"]
    fig, ax = plt.subplots(figsize=(7, 5))
    for _, row in d.iterrows():
        sel = row["param"] in res.selected
        ax.scatter(row["mu_star"], row["sigma"], color="C3" if sel else "C0")
        ax.annotate(row["param"].split(".", 1)[1], (row["mu_star"], row["sigma"]), fontsize=7)
    ax.set_xlabel("mu* (distance)")
    ax.set_ylabel("sigma")
    ax.set_title("Morris screening on the calibration distance (red: fitted)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
