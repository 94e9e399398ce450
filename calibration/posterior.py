"""From an ABC-SMC history to the files other tools use.

* ``posterior_sample(history)`` - the last generation's particles: one column per fitted world
  parameter (full dotted key, e.g. ``world.firms.beta``) and ``weight`` (summing to 1). Written
  to ``posterior_sample.csv``; ``akrim compare`` and ``akrim sweep`` draw worlds from it (each row
  is a world: apply its keys as overrides; draw rows with probability ``weight``).
* ``write_world(...)`` - ``scenarios/world/calibrated.yaml``: the weighted posterior median of
  every fitted parameter (the other world parameters keep their defaults), each with its 90%
  credible interval and prior as a comment. A header comment ``# pipeline_check: true`` marks a
  file that comes from a pipeline check rather than the final calibration.
* ``predictive(...)`` - the posterior predictive: ``n`` worlds drawn from the sample, each run
  once with a fresh seed to the last target year (2024), through the experiments layer (Dask,
  resumable), and every compared target's statistic computed from the run.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from calibration.params import Prior, format_value
from calibration.targets import Target, columns_used, last_year, record_statistics

WORLD_FILE_MARK = "pipeline_check"


def weighted_quantile(x: Any, w: Any, q: float) -> float:
    """Quantile ``q`` of values ``x`` with weights ``w`` (midpoint interpolation of the weighted CDF)."""
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.size == 0:
        return math.nan
    order = np.argsort(x)
    x, w = x[order], w[order]
    cw = np.cumsum(w) - 0.5 * w
    cw /= w.sum()
    return float(np.interp(q, cw, x))


def posterior_sample(history: Any, t: int | None = None) -> Any:
    """The particles of generation ``t`` (default: the last) as a DataFrame of keys and ``weight``."""
    t = history.max_t if t is None else t
    df, w = history.get_distribution(m=0, t=t)
    out = df.reset_index(drop=True).copy()
    out.columns = [str(c) for c in out.columns]
    out = out[sorted(out.columns)]
    out["weight"] = np.asarray(w, dtype=float) / float(np.sum(w))
    return out


def summarise(sample: Any, priors: list[Prior]) -> list[dict[str, Any]]:
    """Per parameter: prior, posterior median, 5% and 95% quantiles, and how much the prior narrowed."""
    rows = []
    w = sample["weight"].to_numpy()
    for p in priors:
        x = sample[p.key].to_numpy()
        q05, q50, q95 = (weighted_quantile(x, w, q) for q in (0.05, 0.5, 0.95))
        width_prior = p.ppf(0.95) - p.ppf(0.05)
        rows.append({"key": p.key, "dist": p.dist, "lo": p.lo, "hi": p.hi, "median": q50, "q05": q05, "q95": q95,
                     "narrowing": 1.0 - (q95 - q05) / width_prior if width_prior > 0 else math.nan,
                     "is_int": p.is_int, "why": p.why})
    return rows


def write_sample(sample: Any, path: Path) -> Path:
    """Write ``posterior_sample.csv`` (parameter columns then ``weight``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sample.to_csv(path, index=False, float_format="%.8g")
    return path


def _nest(summary: list[dict[str, Any]]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for row in summary:
        parts = row["key"].split(".")[1:]  # drop "world"
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = row
    return tree


def _num(x: float, is_int: bool) -> str:
    """A value for the world file: integers rounded, floats to 5 significant digits.

    Never in e-notation: YAML 1.1 would read ``1e-05`` as text.
    """
    if is_int:
        return str(int(round(x)))
    return np.format_float_positional(float(x), precision=5, unique=False, fractional=False, trim="-")


def _emit(tree: dict[str, Any], indent: int, lines: list[str]) -> None:
    pad = "  " * indent
    for k, v in tree.items():
        if "key" in v and "median" in v:
            val = _num(v["median"], v["is_int"])
            ci = f"[{_num(v['q05'], v['is_int'])}, {_num(v['q95'], v['is_int'])}]"
            lines.append(f"{pad}{k}: {val}  # posterior median; 90% interval {ci}; prior {v['dist']} [{v['lo']:g}, {v['hi']:g}]")
        else:
            lines.append(f"{pad}{k}:")
            _emit(v, indent + 1, lines)


def world_yaml(summary: list[dict[str, Any]], pipeline_check: bool, provenance: dict[str, Any]) -> str:
    """The text of ``calibrated.yaml``."""
    when = provenance.get("generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    npe = provenance.get("method") == "npe"
    method = "neural posterior estimation (NPE)" if npe else "ABC-SMC"
    history = (f"# Runs: {provenance.get('runs', '?')} ({provenance.get('simulations', '?')} simulations: "
               f"{provenance.get('training_runs', '?')} training, {provenance.get('heldout_runs', '?')} held out; "
               f"{provenance.get('draws', '?')} posterior draws, scale {provenance.get('scale', '?')})." if npe else
               f"# History: {provenance.get('db', '?')} (run {provenance.get('run_id', '?')}, generation {provenance.get('generations', '?')}, "
               f"{provenance.get('simulations', '?')} simulations, scale {provenance.get('scale', '?')}).")
    head = [
        f"# Calibrated world: {'' if npe else 'weighted '}posterior median of the {method} calibration (calibration/, `akrim calibrate`).",
        "# Only the fitted parameters are set here; every other world parameter keeps its documented default",
        "# (sim/config/world.py). The posterior sample itself: calibration/posterior/posterior_sample.csv.",
        f"# Generated {when} by: {provenance.get('command', 'akrim calibrate')}",
        history,
        f"# {WORLD_FILE_MARK}: {'true' if pipeline_check else 'false'}",
    ]
    if pipeline_check:
        head += [
            "# ^ PIPELINE CHECK, NOT THE FINAL CALIBRATION: a small/medium-budget run made to test the machinery",
            "#   end to end while the model was still being revised. Do not use it for policy conclusions and do",
            "#   not make it the default world; the full calibration replaces this file.",
        ]
    desc = ("Posterior median of a PIPELINE-CHECK calibration (reduced budget, model still under revision; not the "
            "final calibration; do not use for conclusions)." if pipeline_check else
            f"Posterior median of the {method} calibration to the reported figures of SPEC section 6 (2014-2019 "
            "figures, NLI inspection rate, cost range); 2024 figures kept out of the fit as validation.")
    lines = [*head, "name: calibrated", "description: >-", f"  {desc}"]
    _emit(_nest(summary), 0, lines)
    return "\n".join(lines) + "\n"


def is_pipeline_check(path: Path) -> bool | None:
    """True/False from a calibrated world file's ``# pipeline_check:`` header, None if absent or unmarked."""
    import re

    if not path.is_file():
        return None
    m = re.search(rf"^#\s*{WORLD_FILE_MARK}:\s*(true|false)\s*$", path.read_text(), re.M)
    return None if m is None else m.group(1) == "true"


def write_world(summary: list[dict[str, Any]], path: Path, pipeline_check: bool, provenance: dict[str, Any]) -> Path:
    """Write the calibrated world file after checking it against the world schema.

    Raises:
        ValueError: The generated YAML does not merge into ``WorldConfig`` (unknown key, bad type).
    """
    from omegaconf import OmegaConf

    from sim.config.world import WorldConfig

    text = world_yaml(summary, pipeline_check, provenance)
    try:
        OmegaConf.merge(OmegaConf.structured(WorldConfig), OmegaConf.create(text))
    except Exception as exc:  # an OmegaConf validation error: report it with the file
        raise ValueError(f"generated world file does not fit the world schema: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def draw_worlds(sample: Any, n: int, seed: int) -> Any:
    """``n`` rows drawn from the posterior sample with probability ``weight`` (with replacement).

    Equally weighted independent draws (NPE) give ``n`` distinct rows while ``n`` is at most their number.
    """
    rng = np.random.default_rng(seed)
    w = sample["weight"].to_numpy()
    if n <= len(sample) and np.allclose(w, w[0]):
        idx = rng.permutation(len(sample))[:n]
    else:
        idx = rng.choice(len(sample), size=n, replace=True, p=w)
    return sample.iloc[idx].drop(columns=["weight"]).reset_index(drop=True)


def _same_world(cfg: dict[str, Any], world: Any, ints: dict[str, bool]) -> bool:
    """Whether a resolved configuration carries the parameter values of ``world`` (integers rounded)."""
    from calibration.targets import config_value

    def same(k: str, v: float) -> bool:
        got = float(config_value(cfg, k))
        return got == round(v) if ints.get(k) else math.isclose(got, float(v), rel_tol=1e-9, abs_tol=1e-12)

    return all(same(k, v) for k, v in world.items())


def _record_of(data: Any, draw: int, seed: int, world: Any, ints: dict[str, bool]) -> Any:
    """The stored run of one drawn world, found by its draw number, seed and parameter values.

    Matching on content rather than on the run key keeps this right when the process that planned
    the runs and the Dask workers that ran them resolve configurations with different code (the
    model being edited while a calibration runs).
    """
    cand = data[(data["draw"] == draw) & (data["seed"] == seed)]
    for _key, g in reversed(list(cand.groupby("run_key", sort=False))):
        if _same_world(json.loads(g["config_json"].iloc[0]), world, ints):
            return g.sort_values("year")
    raise RuntimeError(f"posterior predictive draw {draw} (seed {seed}) has no stored run with its parameters")


def predictive(sample: Any, priors: list[Prior], targets: list[Target], n: int, scale: float, store_dir: Path,
               seed: int = 20240101, base: tuple[str, ...] = (), address: str | None = None,
               workers: int | None = None, progress: bool = True) -> tuple[Any, dict[str, str]]:
    """Posterior predictive statistics and the annual-table column each target used.

    Returns ``(table, columns)``: one row per drawn world (``draw``, ``seed``, parameters, one
    column per compared target) and ``{target id: KPI column}``.

    Runs go through ``experiments.execute`` (Dask; a stopped predictive step resumes from ``store_dir``).
    """
    import pandas as pd

    from calibration.simulate import BASE_WORLD
    from experiments.execute import execute
    from experiments.runs import RunSpec
    from experiments.store import ResultStore
    from experiments.tables import run_tables_safe

    worlds = draw_worlds(sample, n, seed)
    end = last_year([t for t in targets if t.compared])
    ints = {p.key: p.is_int for p in priors}
    specs = []
    for i, row in worlds.iterrows():
        ov = [BASE_WORLD, *base, f"scale={scale!r}", f"end={end}", f"seed={seed + 1 + int(i)}"]
        ov += [f"{k}={format_value(float(v), ints.get(k, False))}" for k, v in row.items()]
        specs.append(RunSpec.make(ov, draw=int(i)))
    store = ResultStore(store_dir)
    # run_tables_safe: the records keep the regional table, which the targets of one region read
    summ = execute(specs, store, address=address, n_workers=workers, progress=progress, desc="posterior predictive",
                   runner=run_tables_safe)
    if summ.failed:
        raise RuntimeError(f"{summ.failed} posterior predictive run(s) failed; see {store.root / '_failed'}")
    data = store.load()
    rows = []
    for i, world in worlds.iterrows():
        rec = _record_of(data, int(i), seed + 1 + int(i), world, ints)
        cfg = json.loads(rec["config_json"].iloc[0])
        stats = record_statistics(rec, targets, cfg)
        rows.append({"draw": int(i), "seed": int(rec["seed"].iloc[0]), "code_version": str(rec["code_version"].iloc[0]),
                     **world.to_dict(), **stats})
    columns = columns_used(targets, data.columns)
    return pd.DataFrame(rows), columns
