"""Checking a configuration before a run starts: ranges, dates, names and cross-field rules.

Every failure raises :class:`ConfigError` with the full key, the offending value and what is
allowed, so the command line can print one clear line instead of a stack trace.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import math
from typing import Any

from sim.config.fields import walk_fields
from sim.config.policy import AGENCY_LINKS, NLI_LINKS, REGIONS

SECTORS_ALLOWED: tuple[str, ...] = (
    "construction",
    "cleaning",
    "hospitality",
    "transport",
    "car_valeting",
    "agriculture",
    "fisheries",
    "temp_agencies",
    "other",
)


class _Missing:
    def __repr__(self) -> str:
        return "(missing)"


MISSING_VALUE = _Missing()  # the value shown for a required key that was not given


class ConfigError(ValueError):
    """A value that cannot be used: names the key, the value and what is allowed.

    The one error of every layer (the model's configuration, the commands' arguments, sweep and
    comparison inputs), worded ``key = value (allowed: ...)`` on one line; the command line
    prints it after ``akrim: error:`` and exits with code 2.
    """

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key} = {_short(value)!r} (allowed: {allowed})")

    def __reduce__(self):  # picklable, so a worker process (multiprocessing, Dask) can send it back whole
        return (type(self), (self.key, self.value, self.allowed))


def _short(value: Any, limit: int = 120) -> Any:
    """Long values (a whole list, a file's content) cut to ``limit`` characters for a one-line message."""
    if isinstance(value, _Missing):
        return value
    text = repr(value)
    if len(text) <= limit and "\n" not in text:
        return value
    return _Cut(text.replace("\n", " ")[:limit] + "...")


class _Cut(str):
    def __repr__(self) -> str:
        return str(self)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def describe_range(lo: float, hi: float, integer: bool = False, lo_open: bool = False) -> str:
    """What a bounded number may be, in words: ``a probability in [0, 1]``, ``an integer in [2, 1000]``."""
    noun = "an integer" if integer else "a number"
    if lo == 0.0 and hi == 1.0 and not integer and not lo_open:
        return "a probability in [0, 1]"
    lo_txt = None if lo == -math.inf else _num(lo)
    hi_txt = None if hi == math.inf else _num(hi)
    if lo_txt is not None and hi_txt is not None:
        return f"{noun} in {'(' if lo_open else '['}{lo_txt}, {hi_txt}]"
    if lo_txt is not None:
        return f"{noun} {'>' if lo_open else '>='} {lo_txt}"
    if hi_txt is not None:
        return f"{noun} <= {hi_txt}"
    return f"a finite {noun[2:].strip() if integer else 'number'}"


def check_range(key: str, value: Any, meta: Any, integer: bool | None = None) -> None:
    """Check a number against a field's ``lo``/``hi`` metadata (and ``lo_open``); non-finite numbers never pass.

    Raises:
        ConfigError: naming the key, the value and the range (e.g. ``a number in [0, 100000]``).
    """
    lo, hi = meta.get("lo", -math.inf), meta.get("hi", math.inf)
    lo_open = bool(meta.get("lo_open", False))
    integer = isinstance(value, int) if integer is None else integer
    allowed = describe_range(lo, hi, integer, lo_open) + (", or null" if meta.get("nullable") else "")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(key, value, allowed)
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(key, value, allowed + " (finite)")
    if not ((value > lo if lo_open else value >= lo) and value <= hi):
        raise ConfigError(key, value, allowed)


def to_object(dcfg: Any) -> Any:
    """Turn an OmegaConf DictConfig into the typed dataclass tree, with clear errors."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        return OmegaConf.to_object(dcfg)
    except OmegaConfBaseException as exc:  # missing values, wrong types
        key = getattr(exc, "full_key", None) or "?"
        raise ConfigError(str(key), getattr(exc, "value", None), str(exc).splitlines()[0]) from None


def parse_date(key: str, value: Any) -> _dt.date | None:
    """Parse an ISO date (``None`` passes through for 'never')."""
    if value is None:
        return None
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(key, value, "an ISO date YYYY-MM-DD, or null for 'never'") from None


def _describe(lo: float, hi: float) -> str:
    return describe_range(lo, hi)


def _walk(obj: Any, prefix: str) -> None:
    for key, f, value in walk_fields(obj, prefix):
        meta = f.metadata
        if meta.get("date"):
            parse_date(key, value)
        elif "lo" in meta:
            if value is None and meta.get("nullable"):
                continue
            check_range(key, value, meta, integer=False)
        elif isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(key, value, "a finite number")
        elif isinstance(value, (list, dict)):
            for i, v in (value.items() if isinstance(value, dict) else enumerate(value)):
                if isinstance(v, float) and not math.isfinite(v):
                    raise ConfigError(f"{key}.{i}" if isinstance(value, dict) else f"{key}[{i}]", v, "a finite number")


def _check_names(cfg: Any) -> None:
    _check_policy_names(cfg.policy)


def _check_policy_names(pol: Any) -> None:
    for region in pol.centres.by_region:
        if region not in REGIONS:
            raise ConfigError(f"policy.centres.by_region.{region}", region, f"one of {', '.join(REGIONS)}")
    for regime in ("before", "after", "no_centre"):
        links = getattr(pol.sharing, regime)
        need = NLI_LINKS if regime == "no_centre" else AGENCY_LINKS
        for k in links:
            if k not in need:
                raise ConfigError(f"policy.sharing.{regime}.{k}", k, f"one of {', '.join(need)}")
        for k in need:
            if k not in links:
                raise ConfigError(f"policy.sharing.{regime}", sorted(links), f"every link of {', '.join(need)}")
    for s in pol.consumers.norgesmodellen_sectors:
        if s not in SECTORS_ALLOWED:
            raise ConfigError("policy.consumers.norgesmodellen_sectors", s, f"sectors among {', '.join(SECTORS_ALLOWED)}")
    for key, weights, names in (
        ("policy.nli.sector_weights", pol.nli.sector_weights, SECTORS_ALLOWED),
        ("policy.nli.region_weights", pol.nli.region_weights, REGIONS),
        ("policy.centres.sector_priority", pol.centres.sector_priority, SECTORS_ALLOWED),
    ):
        if not isinstance(weights, dict):
            raise ConfigError(key, weights, f"a mapping of names ({', '.join(names)}) to factors")
        for k, v in weights.items():
            if k not in names:
                raise ConfigError(f"{key}.{k}", k, f"one of {', '.join(names)}")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0.0 <= float(v) <= 100.0):
                raise ConfigError(f"{key}.{k}", v, "a factor in [0, 100]")
    w = pol.nli
    if w.w_random + w.w_risk_based + w.w_intelligence_led <= 0:
        raise ConfigError("policy.nli.w_random+w_risk_based+w_intelligence_led", 0, "weights summing to more than 0")


def _resolve(root: Any, dotted: str, where: str) -> tuple[Any, str]:
    parts = dotted.split(".")
    obj = root
    for i, p in enumerate(parts[:-1]):
        if isinstance(obj, dict) and p in obj:
            obj = obj[p]
        elif dataclasses.is_dataclass(obj) and hasattr(obj, p) and p != "interventions":
            obj = getattr(obj, p)
        else:
            raise ConfigError(where, dotted, f"a lever key under policy (no '{'.'.join(parts[: i + 1])}')")
    last = parts[-1]
    ok = (isinstance(obj, dict) and last in obj) or (dataclasses.is_dataclass(obj) and last in {f.name for f in dataclasses.fields(obj)})
    if not ok or last in ("interventions", "name", "description", "source"):
        raise ConfigError(where, dotted, "a lever key under policy, e.g. nli.n_inspectors")
    return obj, last


def validate_policy(policy: Any, prefix: str = "policy.") -> None:
    """Check the bounds, dates and names of one policy (the policy part of :func:`validate`).

    Raises:
        ConfigError: on the first failure, naming the full key (``prefix`` + dotted key), the
            offending value and what is allowed.
    """
    _walk(policy, prefix)
    _check_policy_names(policy)


_NOT_LEVERS = ("interventions", "name", "description", "source")


def _known_keys(policy: Any, dotted: str) -> str:
    """What exists at the deepest section of ``dotted`` that does exist (for an unknown-key error)."""
    obj, path = policy, "policy"
    for p in dotted.split(".")[:-1]:
        if isinstance(obj, dict) and p in obj:
            obj = obj[p]
        elif dataclasses.is_dataclass(obj) and p in {f.name for f in dataclasses.fields(obj)} and p not in _NOT_LEVERS:
            obj = getattr(obj, p)
        else:
            break
        path += "." + p
    if isinstance(obj, dict):
        names = list(obj)
    else:
        names = [f.name for f in dataclasses.fields(obj) if f.name not in _NOT_LEVERS]
    return f"{path} has {', '.join(names)}"


def check_lever(policy: Any, dotted: str, value: Any, key: str | None = None) -> Any:
    """Check one lever assignment ``dotted = value`` against ``policy``; return the value as typed.

    The rules of an intervention's ``set`` (a real lever key under policy, a single value rather
    than a section, ``true``/``false`` only for a yes/no lever) plus the typing and bounds a
    configuration file gets for that lever: a whole number for an integer lever (``2.0`` becomes
    ``2``), a number within the declared range for a numeric one (an integer becomes a float
    where the lever is a float), an ISO date or ``None`` for a date lever (a ``datetime.date``
    becomes its ISO text). Cross-field rules need the whole policy: :func:`validate_policy`.
    ``policy`` is not changed.

    Args:
        policy: The policy the lever belongs to.
        dotted: Lever key under policy, e.g. ``nli.n_inspectors``.
        value: The new value.
        key: Full key named in errors (default ``policy.`` + ``dotted``).

    Raises:
        ConfigError: naming the key, the value and what is allowed.
    """
    key = key or f"policy.{dotted}"
    try:
        obj, last = _resolve(policy, dotted, key)
    except ConfigError:
        raise ConfigError(key, value, f"a lever key under policy; {_known_keys(policy, dotted)}") from None
    old = obj[last] if isinstance(obj, dict) else getattr(obj, last)
    if dataclasses.is_dataclass(old) or isinstance(old, dict):
        raise ConfigError(key, value, "a single lever value, not a section")
    if isinstance(old, bool) != isinstance(value, bool) and old is not None:
        raise ConfigError(key, value, f"a value of the lever's type ({type(old).__name__})")
    meta = {f.name: f.metadata for f in dataclasses.fields(obj)}.get(last, {}) if dataclasses.is_dataclass(obj) else {}
    if meta.get("date"):
        if isinstance(value, _dt.date):
            value = value.isoformat()
        parse_date(key, value)
        return value if value is None else str(value)
    if isinstance(old, list):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(key, value, "a list")
        return list(value)
    if isinstance(old, int) and not isinstance(old, bool):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            rng = f" ({_describe(meta['lo'], meta['hi'])})" if "lo" in meta else ""
            raise ConfigError(key, value, f"a whole number{rng}")
    elif isinstance(old, float) and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if "lo" in meta:
        check_range(key, value, meta, integer=False)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(key, value, "a finite number")
    return value


def apply_intervention(policy: Any, iv: Any, where: str = "policy.interventions") -> list[str]:
    """Apply one intervention to ``policy`` in place; return the keys it changed."""
    changed = []
    for dotted, value in iv.set.items():
        obj, last = _resolve(policy, dotted, f"{where}.set")
        old = obj[last] if isinstance(obj, dict) else getattr(obj, last)
        if dataclasses.is_dataclass(old):
            raise ConfigError(f"{where}.set.{dotted}", value, "a single lever value, not a section")
        if isinstance(old, bool) != isinstance(value, bool) and old is not None:
            raise ConfigError(f"{where}.set.{dotted}", value, f"a value of the lever's type ({type(old).__name__})")
        if isinstance(obj, dict):
            obj[last] = value
        else:
            setattr(obj, last, value)
        changed.append(dotted)
    for dotted, factor in iv.multiply.items():
        obj, last = _resolve(policy, dotted, f"{where}.multiply")
        old = obj[last] if isinstance(obj, dict) else getattr(obj, last)
        if isinstance(old, bool) or not isinstance(old, (int, float)):
            raise ConfigError(f"{where}.multiply.{dotted}", factor, "multiply applies to numeric levers only")
        new = old * float(factor)
        if isinstance(obj, dict):
            obj[last] = new
        else:
            setattr(obj, last, type(old)(new) if isinstance(old, int) else new)
        changed.append(dotted)
    return changed


def validate(cfg: Any) -> None:
    """Check every bound, date, name and cross-field rule; raise ConfigError on the first failure."""
    _walk(cfg, "")
    if cfg.end < cfg.start:
        raise ConfigError("end", cfg.end, f"a year >= start ({cfg.start})")
    _check_names(cfg)
    # Interventions: dates valid, keys real levers, and the policy after each one still valid.
    trial = copy.deepcopy(cfg.policy)
    ivs = list(enumerate(cfg.policy.interventions))
    for i, iv in sorted(ivs, key=lambda x: str(x[1].start)):  # applied in date order
        where = f"policy.interventions[{i}]"
        if parse_date(f"{where}.start", iv.start) is None:
            raise ConfigError(f"{where}.start", iv.start, "an ISO date YYYY-MM-DD")
        apply_intervention(trial, iv, where)
        try:
            _walk(trial, "policy.")
            _check_names(type(cfg)(**{**cfg.__dict__, "policy": trial}))
        except ConfigError as exc:
            raise ConfigError(exc.key, exc.value, f"{exc.allowed}; set by {where}") from None
