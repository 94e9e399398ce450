"""World parameters as calibration sees them: schema lookup, priors, overrides.

Core objects:
    world_field(key) - the schema's default, bounds, type and documentation of ``world.*`` key.
    Prior - one fitted parameter: its distribution (uniform or log-uniform on ``[lo, hi]``) and why.
    load_priors(path) - read and check ``calibration/priors.yaml`` against the schema bounds.
    to_overrides(params) - Hydra overrides (``world.firms.beta=3.2``) for a parameter dict.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRIORS_FILE = Path(__file__).resolve().parent / "priors.yaml"
DISTS = ("uniform", "loguniform")


class PriorError(ValueError):
    """A malformed priors or candidates file: names the key, the value and what is allowed."""


@dataclass(frozen=True)
class WorldField:
    """A numeric world parameter as declared in ``sim/config/world.py``."""

    key: str
    default: float
    lo: float
    hi: float
    is_int: bool
    doc: str
    src: str


def world_field(key: str) -> WorldField:
    """Schema information of a dotted ``world.*`` key (raises PriorError if it is not a numeric parameter)."""
    from sim.config.world import WorldConfig

    parts = key.split(".")
    if len(parts) < 3 or parts[0] != "world":
        raise PriorError(f"{key}: not a world parameter (allowed: world.<section>.<name>, see docs/parameters.md)")
    cls: Any = WorldConfig
    for i, part in enumerate(parts[1:], start=1):
        fields = {f.name: f for f in dataclasses.fields(cls)}
        if part not in fields:
            where = ".".join(parts[:i])
            raise PriorError(f"{key}: {where} has no field {part!r} (valid: {', '.join(sorted(fields))})")
        f = fields[part]
        if i < len(parts) - 1:
            if f.default_factory is dataclasses.MISSING:  # type: ignore[misc]
                raise PriorError(f"{key}: {'.'.join(parts[:i + 1])} is not a section")
            cls = type(f.default_factory())  # type: ignore[misc]
            continue
        default = f.default
        md = f.metadata
        if default is None and md.get("nullable") and "lo" in md:
            default = math.nan  # a number, or null for what its doc says (e.g. rate_new_year: the steady state)
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            raise PriorError(f"{key}: not a numeric parameter (default {default!r})")
        return WorldField(key=key, default=float(default), lo=float(md.get("lo", -math.inf)),
                          hi=float(md.get("hi", math.inf)), is_int=isinstance(default, int),
                          doc=str(md.get("doc", "")), src=str(md.get("src", "")))
    raise PriorError(f"{key}: not a parameter")  # pragma: no cover - loop always returns or raises


@dataclass(frozen=True)
class Prior:
    """A fitted world parameter: distribution on ``[lo, hi]`` and the reason for it."""

    key: str
    dist: str
    lo: float
    hi: float
    why: str = ""
    is_int: bool = False

    def to_rv(self):
        """The pyabc random variable."""
        from pyabc import RV

        if self.dist == "uniform":
            return RV("uniform", self.lo, self.hi - self.lo)
        return RV("loguniform", self.lo, self.hi)

    def ppf(self, u: float) -> float:
        """Quantile function (maps a unit-interval design to the prior's scale)."""
        if self.dist == "uniform":
            return self.lo + u * (self.hi - self.lo)
        return math.exp(math.log(self.lo) + u * (math.log(self.hi) - math.log(self.lo)))

    def pdf_grid(self, n: int = 200):
        """``(x, density)`` on a grid over the support, for plots."""
        import numpy as np

        x = np.linspace(self.lo, self.hi, n)
        if self.dist == "uniform":
            return x, np.full(n, 1.0 / (self.hi - self.lo))
        return x, 1.0 / (x * (math.log(self.hi) - math.log(self.lo)))


def _check_prior(raw: Mapping[str, Any], where: str) -> Prior:
    key = str(raw.get("key", ""))
    wf = world_field(key)
    dist = raw.get("dist", "uniform")
    if dist not in DISTS:
        raise PriorError(f"{where} {key}: dist = {dist!r} (allowed: {list(DISTS)})")
    try:
        lo, hi = float(raw["lo"]), float(raw["hi"])
    except (KeyError, TypeError, ValueError):
        raise PriorError(f"{where} {key}: needs numeric lo and hi") from None
    if not lo < hi:
        raise PriorError(f"{where} {key}: lo = {lo:g}, hi = {hi:g} (allowed: lo < hi)")
    if lo < wf.lo or hi > wf.hi:
        raise PriorError(f"{where} {key}: [{lo:g}, {hi:g}] leaves the schema's range [{wf.lo:g}, {wf.hi:g}]")
    if dist == "loguniform" and lo <= 0:
        raise PriorError(f"{where} {key}: a log-uniform prior needs lo > 0 (got {lo:g})")
    return Prior(key=key, dist=dist, lo=lo, hi=hi, why=str(raw.get("why", "") or ""), is_int=wf.is_int)


def load_priors(path: str | Path | None = None, section: str = "priors") -> list[Prior]:
    """Read the priors (or screening ``candidates``) file and check every entry against the schema.

    Raises:
        PriorError: unknown key, bounds outside the schema's range, bad distribution, repeats.
    """
    import yaml

    path = Path(path or PRIORS_FILE)
    if not path.is_file():
        raise PriorError(f"priors file not found: {path}")
    doc = yaml.safe_load(path.read_text()) or {}
    items = doc.get(section)
    if not isinstance(items, list) or not items:
        raise PriorError(f"{path}: expected a non-empty list {section!r}")
    out = [_check_prior(r, f"{path.name}:") for r in items]
    keys = [p.key for p in out]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise PriorError(f"{path}: repeated key(s) {dup}")
    return out


def to_distribution(priors: list[Prior]):
    """The pyabc prior (independent components)."""
    from pyabc import Distribution

    return Distribution(**{p.key: p.to_rv() for p in priors})


def format_value(x: float, is_int: bool) -> str:
    """A parameter value as a Hydra override value."""
    if is_int:
        return str(int(round(x)))
    return repr(float(x))


def to_overrides(params: Mapping[str, float], priors: list[Prior] | None = None) -> list[str]:
    """Hydra overrides for ``params`` (keys are dotted world keys; integers are rounded)."""
    ints = {p.key for p in priors or [] if p.is_int}
    out = []
    for k, v in params.items():
        is_int = k in ints if priors is not None else world_field(k).is_int
        out.append(f"{k}={format_value(float(v), is_int)}")
    return out
