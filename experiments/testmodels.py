"""Test models: functions with known answers that run through the same path as the simulator.

A sweep file's ``model:`` field selects ``akrim`` (the simulator, default) or one of these.
They are resolved, keyed, executed on Dask, stored and analysed exactly like simulator runs
(``experiments.runs.run_spec``), so a result on them checks the experiment machinery itself:

* ``ishigami`` - the Ishigami function ``y = sin x1 + a sin^2 x2 + b x3^4 sin x1`` on
  ``[-pi, pi]^3``, whose Sobol indices are known in closed form (``ishigami_indices``); the
  standard check of a global sensitivity analysis. ``noise_sd`` adds seeded Gaussian noise, to
  mimic a stochastic simulator and exercise replicates.
* ``probe`` - a diagnostic model for the execution layer: returns ``y = x`` after ``sleep_s``
  seconds; ``fail=true`` raises (a run that crashes), ``exit_once=PATH`` kills the Dask worker
  process the first time it runs (a worker that dies; Dask should retry the run elsewhere).

Each model has a dataclass configuration with bounds in its field metadata, like the simulator's
schema, and the same error type (``sim.config.ConfigError``) naming key, value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config.fields import nonneg, param
from sim.config.validate import ConfigError

PI = math.pi


@dataclass
class IshigamiConfig:
    """Inputs of the Ishigami function (the point, its constants, optional noise)."""

    model: str = "ishigami"
    seed: int = nonneg(0, doc="seed of the optional noise")
    x1: float = param(0.0, -PI, PI, doc="first input, uniform on [-pi, pi] in the standard problem")
    x2: float = param(0.0, -PI, PI, doc="second input")
    x3: float = param(0.0, -PI, PI, doc="third input")
    a: float = param(7.0, -100.0, 100.0, "Ishigami & Homma (1990); Saltelli et al. (2008)", "constant a")
    b: float = param(0.1, -10.0, 10.0, "Ishigami & Homma (1990); Saltelli et al. (2008)", "constant b")
    noise_sd: float = nonneg(0.0, doc="sd of Gaussian noise added to y (seeded by seed)")


@dataclass
class ProbeConfig:
    """Inputs of the diagnostic probe model."""

    model: str = "probe"
    seed: int = nonneg(0)
    x: float = param(0.0, -1e12, 1e12, doc="the output y equals x")
    sleep_s: float = param(0.0, 0.0, 3600.0, doc="seconds to sleep before returning (a slow run)")
    fail: bool = False  # raise instead of returning (a run that crashes)
    exit_once: str = ""  # marker path: kill the worker process the first time (a worker that dies)


def ishigami(x1: Any, x2: Any, x3: Any, a: float = 7.0, b: float = 0.1) -> Any:
    """The Ishigami function (works on scalars and numpy arrays)."""
    import numpy as np

    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, list[float]]:
    """Analytical first-order (``S1``) and total (``ST``) Sobol indices of x1, x2, x3.

    From the variance decomposition in Saltelli et al. (2008), *Global Sensitivity Analysis: The
    Primer*, section 4.9 (x uniform on [-pi, pi]^3).
    """
    v1 = 0.5 * (1 + b * PI**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * PI**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return {"S1": [v1 / var, v2 / var, 0.0], "ST": [(v1 + v13) / var, v2 / var, v13 / var]}


class _TestModel:
    """A test model: its configuration class, its outputs and its function."""

    def __init__(self, name: str, config: type, outputs: tuple[str, ...], fn) -> None:
        self.name, self.config, self.outputs, self._fn = name, config, outputs, fn

    def fields(self) -> dict[str, dataclasses.Field]:
        """The configuration's fields by name (``model`` excluded)."""
        return {f.name: f for f in dataclasses.fields(self.config) if f.name != "model"}

    def resolve(self, overrides: tuple[str, ...] | list[str]) -> Any:
        """Build and check the configuration from ``key=value`` overrides."""
        fields = self.fields()
        values: dict[str, Any] = {}
        for ov in overrides:
            if "=" not in ov:
                raise ConfigError(str(ov), None, f"an override key=value for model {self.name}")
            k, v = ov.split("=", 1)
            if k not in fields:
                raise ConfigError(k, v, f"a parameter of model {self.name}: {', '.join(fields)}")
            values[k] = _parse(k, v, fields[k])
        cfg = self.config(**values)
        for name, f in fields.items():
            lo, hi = f.metadata.get("lo"), f.metadata.get("hi")
            val = getattr(cfg, name)
            if lo is not None and not (lo <= val <= hi):
                raise ConfigError(name, val, f"a number in [{lo:g}, {hi:g}]")
        return cfg

    def run(self, cfg: Any) -> Any:
        """Evaluate the model; one row with ``year = 0`` and one column per output."""
        import pandas as pd

        out = self._fn(cfg)
        return pd.DataFrame([{"year": 0, **out}])


def _parse(key: str, text: str, f: dataclasses.Field) -> Any:
    kind = str(f.type)
    try:
        if kind == "bool":
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        raise ConfigError(key, text, f"a value of type {kind}") from None
    return text


def _run_ishigami(cfg: IshigamiConfig) -> dict[str, float]:
    import numpy as np

    y = float(ishigami(cfg.x1, cfg.x2, cfg.x3, cfg.a, cfg.b))
    if cfg.noise_sd > 0:
        y += float(np.random.default_rng(cfg.seed).normal(0.0, cfg.noise_sd))
    return {"y": y}


def _run_probe(cfg: ProbeConfig) -> dict[str, float]:
    if cfg.sleep_s:
        time.sleep(cfg.sleep_s)
    if cfg.exit_once:
        marker = Path(cfg.exit_once)
        if not marker.exists():
            try:
                from distributed import get_worker

                get_worker()
            except (ImportError, ValueError):
                raise RuntimeError("probe: exit_once only kills Dask worker processes, not this one") from None
            marker.write_text("killed once\n")
            os._exit(17)  # the worker process dies mid-task, as under an out-of-memory kill
    if cfg.fail:
        raise RuntimeError(f"probe: failing on purpose (fail=true, x={cfg.x:g})")
    return {"y": cfg.x}


MODELS: dict[str, _TestModel] = {
    "ishigami": _TestModel("ishigami", IshigamiConfig, ("y",), _run_ishigami),
    "probe": _TestModel("probe", ProbeConfig, ("y",), _run_probe),
}


def get_model(name: str) -> _TestModel:
    """The test model called ``name`` (ConfigError listing the models otherwise)."""
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError("model", name, f"akrim or a test model: {', '.join(MODELS)}") from None
