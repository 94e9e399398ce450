"""Experimental designs: which parameter values each run of a sweep gets.

Core objects:
    Parameter - one varied key: a numeric range ``[lo, hi]`` (optionally on a log scale, or
        integer) or a list of ``levels`` (numbers, names, booleans).
    lookup_field(model, key) - the schema entry of a parameter key, with its allowed bounds.
    make_design(method, params, ...) - a ``Design``: the matrix SALib works with (``X``, in the
        sampling space) and the values each design point gives every parameter (``points``).

Methods:
    ``factorial`` - every combination of levels (a range gives ``n`` evenly spaced levels);
    ``lhs``       - Latin hypercube of ``n`` points (SALib ``latin``);
    ``sobol``     - Saltelli's extension of a Sobol' sequence for Sobol indices, ``n`` base
                    samples (a power of 2), ``n*(D+2)`` points, ``n*(2D+2)`` with second order;
    ``morris``    - ``n`` Morris trajectories on a ``levels``-level grid, ``n*(D+1)`` points.

Ranges are checked against the bounds each parameter declares in the schema
(``sim/config``: field metadata ``lo``/``hi``; for test models ``experiments.testmodels``).
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from sim.config.validate import ConfigError

METHODS = ("factorial", "lhs", "sobol", "morris")
GROUPS = ("policy", "world")  # scenario-file selections that can be swept as levels
RESERVED = ("seed",)  # set by replicates, not by the design


class DesignError(ConfigError):
    """A sweep-file problem: names the key, the bad value and what is allowed (``sim.config.ConfigError``)."""


@dataclass
class Parameter:
    """One varied parameter of a sweep.

    Attributes:
        name: The override key, e.g. ``world.firms.beta`` (or ``policy`` for scenario names).
        lo, hi: The range (numeric parameters).
        levels: Explicit values (factorial designs; any type).
        integer: Round sampled values to integers (the schema field is an ``int``).
        log: Sample uniformly in ``log10`` between ``lo`` and ``hi`` (both > 0).
        n: Number of evenly spaced levels of a range in a factorial design.
    """

    name: str
    lo: float | None = None
    hi: float | None = None
    levels: list[Any] | None = None
    integer: bool = False
    log: bool = False
    n: int | None = None

    @property
    def is_range(self) -> bool:
        """True when the parameter is a numeric range (not a list of levels)."""
        return self.levels is None

    def bounds(self) -> list[float]:
        """The sampling interval (in log10 units for a log-scale parameter)."""
        assert self.lo is not None and self.hi is not None
        return [math.log10(self.lo), math.log10(self.hi)] if self.log else [self.lo, self.hi]

    def value(self, u: float) -> Any:
        """The parameter value for a coordinate ``u`` of the sampling space."""
        v = float(10.0**u) if self.log else float(u)
        if self.integer:
            return int(round(v))
        return v


@dataclass
class Design:
    """A design: SALib's matrix and the parameter values of every point."""

    method: str
    params: list[Parameter]
    X: Any  # numpy array (n_points, n_range_params) in the sampling space; None for factorial
    points: list[dict[str, Any]]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem dictionary (range parameters only)."""
        return problem_of(self.params)


def problem_of(params: list[Parameter]) -> dict[str, Any]:
    """SALib's ``problem``: names and sampling bounds of the range parameters."""
    ranged = [p for p in params if p.is_range]
    return {"num_vars": len(ranged), "names": [p.name for p in ranged], "bounds": [p.bounds() for p in ranged]}


# ----------------------------------------------------------------------------------- schema
def _schema_keys(obj: Any, prefix: str = "") -> list[str]:
    """Every leaf key of a configuration object (for suggestions)."""
    from sim.config.fields import walk_fields

    return [key for key, _, _ in walk_fields(obj, prefix)]


def _root(model: str) -> Any:
    if model == "akrim":
        from sim.config import AkrimConfig

        return AkrimConfig()
    from experiments.testmodels import get_model

    try:
        return get_model(model).config()
    except ValueError as exc:
        raise DesignError("model", model, str(getattr(exc, "allowed", exc))) from None


def lookup_field(model: str, key: str) -> tuple[dataclasses.Field, Any]:
    """The schema field of ``key`` and its default value; DesignError with suggestions if unknown.

    Keys walk dataclass sections and dictionaries of sections, e.g.
    ``policy.centres.by_region.oslo.analysts`` or ``policy.sharing.before.tax_to_nli.latency_days``.
    """
    root = _root(model)
    obj, parts = root, key.split(".")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if dataclasses.is_dataclass(obj):
            fields = {f.name: f for f in dataclasses.fields(obj)}
            if part in fields:
                if last:
                    return fields[part], getattr(obj, part)
                obj = getattr(obj, part)
                continue
        elif isinstance(obj, dict) and part in obj and not last:
            obj = obj[part]
            continue
        break
    keys = _schema_keys(root)
    near = difflib.get_close_matches(key, keys, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(near)}?" if near else "see docs/parameters.md for every key" if model == "akrim" else \
        f"one of {', '.join(k for k in keys if k != 'model')}"
    raise DesignError(f"parameters.{key}", key, f"a parameter key of model {model}; {hint}")


def _scenario_names(group: str) -> list[str]:
    from sim.config import SCENARIOS_DIR

    return sorted(p.stem for p in (SCENARIOS_DIR / group).glob("*.yaml"))


def _check_group_levels(key: str, levels: list[Any]) -> None:
    names = _scenario_names(key)
    for lev in levels:
        parts = str(lev).split("+") if key == "policy" else [str(lev)]
        for part in parts:
            if part not in names:
                raise DesignError(f"parameters.{key}.levels", lev, f"scenario names from scenarios/{key}/: {', '.join(names)}"
                                  + (" (joined by '+' for a package)" if key == "policy" else ""))


def parse_parameter(model: str, key: str, spec: Any) -> Parameter:
    """Build a Parameter from its sweep-file entry and check it against the schema.

    ``spec`` is a mapping with ``range: [lo, hi]`` (optional ``log: true``, ``n: k``) or
    ``levels: [...]``, or ``{}`` / ``null`` for the schema's full range (when it is finite).
    """
    where = f"parameters.{key}"
    spec = {} if spec is None else spec
    if isinstance(spec, list):
        spec = {"levels": spec}
    if not isinstance(spec, dict):
        raise DesignError(where, spec, "a mapping with 'range: [lo, hi]' or 'levels: [...]'")
    unknown = set(spec) - {"range", "levels", "log", "n"}
    if unknown:
        raise DesignError(f"{where}.{sorted(unknown)[0]}", spec[sorted(unknown)[0]], "keys range, levels, log, n")
    if key in RESERVED:
        raise DesignError(where, spec, "not 'seed': seeds come from 'replicates' and 'seed' at the top of the sweep file")
    if "range" in spec and "levels" in spec:
        raise DesignError(where, spec, "either 'range' or 'levels', not both")
    if key in GROUPS and model == "akrim":
        if "levels" not in spec:
            raise DesignError(where, spec, f"'levels: [names]' for the scenario group {key}")
        levels = list(spec["levels"])
        _check_group_levels(key, levels)
        return Parameter(key, levels=levels)
    f, default = lookup_field(model, key)
    meta, kind = f.metadata, str(f.type)
    if meta.get("nullable"):  # a number or null: a range draws numbers
        kind = kind.replace(" | None", "").replace("Optional[", "").rstrip("]")
    if "levels" in spec:
        levels = spec["levels"]
        if not isinstance(levels, list) or not levels:
            raise DesignError(f"{where}.levels", levels, "a non-empty list of values")
        for lev in levels:
            _check_value(where + ".levels", lev, meta, kind)
        return Parameter(key, levels=list(levels))
    if kind not in ("float", "int"):
        raise DesignError(where, spec, f"'levels: [...]' for a parameter of type {kind}")
    lo_ok, hi_ok = meta.get("lo", -math.inf), meta.get("hi", math.inf)
    rng = spec.get("range")
    if rng is None:
        if not (math.isfinite(lo_ok) and math.isfinite(hi_ok)):
            raise DesignError(f"{where}.range", None, f"give 'range: [lo, hi]'; the schema allows [{lo_ok:g}, {hi_ok:g}]")
        rng = [lo_ok, hi_ok]
    if not (isinstance(rng, list) and len(rng) == 2 and all(_is_number(v) for v in rng)):
        raise DesignError(f"{where}.range", rng, "two numbers [lo, hi]")
    lo, hi = float(rng[0]), float(rng[1])
    if not lo < hi:
        raise DesignError(f"{where}.range", rng, "lo < hi")
    if lo < lo_ok or hi > hi_ok:
        raise DesignError(f"{where}.range", rng, f"within the schema's bounds [{lo_ok:g}, {hi_ok:g}]")
    log = bool(spec.get("log", False))
    if log and lo <= 0:
        raise DesignError(f"{where}.range", rng, "lo > 0 for a log-scale range")
    n = spec.get("n")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 2):
        raise DesignError(f"{where}.n", n, "an integer >= 2 (levels of the range in a factorial design)")
    return Parameter(key, lo=lo, hi=hi, integer=kind == "int", log=log, n=n)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_value(where: str, value: Any, meta: Any, kind: str) -> None:
    if kind in ("float", "int"):
        if not _is_number(value):
            raise DesignError(where, value, f"numbers (the parameter is a {kind})")
        lo, hi = meta.get("lo", -math.inf), meta.get("hi", math.inf)
        if not lo <= value <= hi:
            raise DesignError(where, value, f"values within the schema's bounds [{lo:g}, {hi:g}]")
    elif kind == "bool" and not isinstance(value, bool):
        raise DesignError(where, value, "true or false")


# ----------------------------------------------------------------------------------- designs
def _factorial(params: list[Parameter], default_levels: int) -> list[dict[str, Any]]:
    import numpy as np

    axes = []
    for p in params:
        if p.is_range:
            us = np.linspace(*p.bounds(), p.n or default_levels)
            vals = list(dict.fromkeys(p.value(u) for u in us))  # integer rounding may repeat a level
        else:
            vals = list(p.levels or [])
        axes.append(vals)
    return [dict(zip([p.name for p in params], combo)) for combo in itertools.product(*axes)]


def make_design(method: str, params: list[Parameter], n: int | None = None, seed: int = 0,
                levels: int | None = None, second_order: bool = False) -> Design:
    """Generate the design points.

    Args:
        method: One of ``factorial``, ``lhs``, ``sobol``, ``morris``.
        params: The varied parameters (levels allowed only in a factorial design).
        n: Points (lhs), base samples (sobol, a power of 2) or trajectories (morris).
        seed: Seed of the sampler (the design is reproducible).
        levels: Grid levels (morris, default 4) or levels per range (factorial, default 3).
        second_order: Sobol design that also estimates second-order indices.
    """
    import numpy as np

    if method not in METHODS:
        raise DesignError("design.method", method, ", ".join(METHODS))
    if not params:
        raise DesignError("parameters", {}, "at least one varied parameter")
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise DesignError("parameters", names, "each key once")
    opts: dict[str, Any] = {"seed": seed}
    if method == "factorial":
        opts["levels"] = levels or 3
        return Design(method, params, None, _factorial(params, opts["levels"]), opts)
    cat = [p.name for p in params if not p.is_range]
    if cat:
        raise DesignError(f"parameters.{cat[0]}", "levels", f"numeric 'range: [lo, hi]' in a {method} design (levels only in factorial)")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise DesignError("design.n", n, {"lhs": "the number of points, an integer >= 2",
                                          "sobol": "the number of base samples, a power of 2",
                                          "morris": "the number of trajectories, an integer >= 2"}[method])
    problem = problem_of(params)
    if method == "lhs":
        from SALib.sample import latin

        X = latin.sample(problem, n, seed=seed)
    elif method == "sobol":
        from SALib.sample import sobol

        if n & (n - 1):
            lo = 1 << (n.bit_length() - 1)
            raise DesignError("design.n", n, f"a power of 2 for a Sobol' sequence, e.g. {lo} or {lo * 2}")
        opts["second_order"] = bool(second_order)
        X = sobol.sample(problem, n, calc_second_order=bool(second_order), seed=seed)
    else:
        from SALib.sample import morris

        opts["levels"] = levels or 4
        if opts["levels"] < 2 or opts["levels"] % 2:
            raise DesignError("design.levels", opts["levels"], "an even number >= 2 of Morris grid levels (4 is usual)")
        if n < 2:
            raise DesignError("design.n", n, "at least 2 Morris trajectories (10-20 is usual)")
        X = morris.sample(problem, n, num_levels=opts["levels"], seed=seed)
    X = np.asarray(X, dtype=float)
    points = [{p.name: p.value(u) for p, u in zip(params, row)} for row in X]
    return Design(method, params, X, points, opts)
