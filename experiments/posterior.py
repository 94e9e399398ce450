"""Worlds for a comparison: the default world, or draws from the calibration posterior.

The calibration (issue 3) writes ``calibration/posterior/posterior_sample.csv``: one row per
accepted particle (or, from the NPE calibration, one row per independent posterior draw), one
column per world parameter by its full dotted key (``world.firms.beta``) and an optional
``weight`` column. A comparison draws one row per replicate (by weight; from equally weighted
draws, a different row for every replicate), with a generator seeded from the comparison seed, and gives replicate ``r`` of **every** scenario the
same row: scenarios then differ in their levers only, while the replicates span what we do not
know about the world as well as chance.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from sim.config import SCENARIOS_DIR
from sim.rng import stable_hash

DEFAULT_SAMPLE = SCENARIOS_DIR.parent / "calibration" / "posterior" / "posterior_sample.csv"
OFF = ("false", "no", "off", "0", "none", "default")


class PosteriorError(ValueError):
    """A posterior option or sample file that cannot be used (names the file, column or value)."""


def is_pipeline_check(sample: Path) -> bool:
    """Whether the calibration that wrote ``sample`` was only a pipeline check (not for conclusions)."""
    import json

    meta = sample.with_name("meta.json")
    try:
        return bool(json.loads(meta.read_text()).get("pipeline_check", False))
    except (OSError, ValueError):
        return False


def sample_generation(sample: Path) -> int:
    """The model generation the calibration that wrote ``sample`` was fitted to (absent: 1)."""
    import json

    try:
        return int(json.loads(sample.with_name("meta.json").read_text()).get("model_generation", 1))
    except (OSError, ValueError, TypeError):
        return 1


def is_current(sample: Path) -> bool:
    """Whether ``sample`` was fitted to this model's mechanisms (``sim.MODEL_GENERATION``)."""
    from sim import MODEL_GENERATION

    return sample_generation(sample) == MODEL_GENERATION


def resolve_option(value: str) -> Path | None:
    """The sample file a ``posterior=`` option means, or ``None`` for the default world.

    ``auto`` (the default) uses ``calibration/posterior/posterior_sample.csv`` when it exists,
    comes from a final calibration (its ``meta.json`` does not say ``pipeline_check: true``) and
    was fitted to this model's mechanisms (``model_generation``); ``true`` requires it; ``false``
    uses the default world; anything else is a path to a CSV.
    """
    from sim import MODEL_GENERATION

    v = str(value).strip()
    if v.lower() in OFF:
        return None
    if v.lower() == "auto":
        ok = DEFAULT_SAMPLE.is_file() and not is_pipeline_check(DEFAULT_SAMPLE) and is_current(DEFAULT_SAMPLE)
        return DEFAULT_SAMPLE if ok else None
    path = DEFAULT_SAMPLE if v.lower() in ("true", "yes", "on", "1") else Path(v)
    if not path.is_file():
        raise PosteriorError(f"posterior = {value!r}: no such file {path} (allowed: auto, false, true, or a path to a CSV sample)")
    if path == DEFAULT_SAMPLE and not is_current(path):
        raise PosteriorError(
            f"posterior = {value!r}: {path} was fitted to model generation {sample_generation(path)}, this model is generation "
            f"{MODEL_GENERATION} (allowed: recalibrate with 'akrim calibrate', or posterior=false)"
        )
    return path


def load_sample(path: Path) -> tuple[Any, np.ndarray]:
    """Read and check a posterior sample; return (parameter table, normalised weights).

    Raises:
        PosteriorError: a column that is not a ``world.`` key, a value that is not a finite
            number, a negative weight, or an empty file.
    """
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except Exception as exc:  # unreadable or not CSV
        raise PosteriorError(f"posterior sample {path}: cannot read it as CSV ({type(exc).__name__}: {exc})") from None
    if df.empty:
        raise PosteriorError(f"posterior sample {path}: no rows")
    w = df.pop("weight").to_numpy(dtype=float) if "weight" in df.columns else np.ones(len(df))
    if not len(df.columns):
        raise PosteriorError(f"posterior sample {path}: no parameter columns (expected full keys such as world.firms.beta)")
    for col in df.columns:
        if not str(col).startswith("world."):
            raise PosteriorError(
                f"posterior sample {path}: column {col!r} is not a world parameter key "
                "(allowed: full dotted keys starting with 'world.', and 'weight')"
            )
        vals = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(vals))
        if len(bad):
            raise PosteriorError(
                f"posterior sample {path}: {col} = {df[col].iloc[bad[0]]!r} in row {bad[0] + 1} (allowed: a finite number)"
            )
        df[col] = vals
    if np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise PosteriorError(f"posterior sample {path}: weight must be finite, >= 0 and not all 0")
    return df, w / w.sum()


def draw(path: Path, n: int, seed: int) -> list[dict[str, float]]:
    """Draw ``n`` parameter sets, reproducibly from ``seed``.

    A sample of independent, equally weighted draws (the NPE calibration writes at least 1,000)
    gives every replicate a row of its own: ``n`` distinct rows in random order while ``n`` is at
    most the number of rows. A weighted sample (ABC-SMC particles) is drawn by weight, with
    replacement.
    """
    df, w = load_sample(path)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), stable_hash("compare.posterior")]))
    if n <= len(df) and np.allclose(w, w[0]):
        rows = rng.permutation(len(df))[:n]
    else:
        rows = rng.choice(len(df), size=n, replace=True, p=w)
    return [{c: float(df[c].iloc[i]) for c in df.columns} for i in rows]


def integer_keys(keys: list[str]) -> set[str]:
    """The keys among ``keys`` whose world parameter is a whole number (e.g. ``world.actors.n_initial``)."""
    from sim.config.world import WorldConfig

    out = set()
    for key in keys:
        obj: Any = WorldConfig()
        for part in key.split(".")[1:]:
            obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part, None)
        if isinstance(obj, int) and not isinstance(obj, bool):
            out.add(key)
    return out


def as_overrides(world: dict[str, float]) -> list[str]:
    """Hydra overrides for one drawn world: values written exactly, whole-number parameters rounded.

    A posterior is sampled on a continuous scale; a parameter the schema declares as a whole
    number (a count) takes the nearest integer.
    """
    ints = integer_keys(list(world))
    return [f"{k}={round(v)}" if k in ints else f"{k}={v!r}" if math.isfinite(v) else f"{k}={v}" for k, v in world.items()]
