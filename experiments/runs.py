"""One simulation as a unit of work: its specification, its key, and running it.

A ``RunSpec`` is a list of Hydra overrides (``policy=...``, ``world.firms.beta=3.2``,
``seed=...``) plus free-form ``tags`` (scenario label, replicate, design point). Its **key** is a
hash of the *resolved* configuration (every parameter after composition, including the seed;
not the output switches), so two specs that mean the same run share a key and a finished run is
never recomputed. The code version is recorded with every result but is not part of the key.

``run_spec`` runs one spec in the current process and returns its record: the annual table with
provenance columns. It is what Dask workers execute.

A spec names its ``model``: ``"akrim"`` (the simulator, the default) or one of the test models
of ``experiments.testmodels`` (``ishigami``, ``probe``). Test models go through exactly the same
resolve / key / run / store path, so the experiment machinery can be checked against functions
with known answers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

PROVENANCE = ("run_key", "seed", "scale", "policy", "world", "code_version", "wall_s", "cpu_s", "config_json")


@dataclass(frozen=True)
class RunSpec:
    """One run: Hydra overrides and descriptive tags (tags do not change the key).

    ``model`` is ``"akrim"`` for the simulator or the name of a test model
    (``experiments.testmodels.MODELS``).
    """

    overrides: tuple[str, ...]
    tags: tuple[tuple[str, Any], ...] = field(default=())
    model: str = "akrim"

    @classmethod
    def make(cls, overrides: list[str] | tuple[str, ...], **tags: Any) -> RunSpec:
        """Build a spec; ``tags`` become columns of the result record."""
        return cls(tuple(overrides), tuple(sorted(tags.items())))

    @classmethod
    def for_model(cls, model: str, overrides: list[str] | tuple[str, ...], **tags: Any) -> RunSpec:
        """Build a spec for ``model`` (``"akrim"`` or a test model name)."""
        return cls(tuple(overrides), tuple(sorted(tags.items())), model)

    @property
    def tag_dict(self) -> dict[str, Any]:
        """Tags as a dictionary."""
        return dict(self.tags)


def resolve(spec: RunSpec) -> Any:
    """Compose and validate the configuration of ``spec`` (raises ConfigError on bad input)."""
    from sim.config import load_config

    if spec.model != "akrim":
        from experiments.testmodels import get_model

        return get_model(spec.model).resolve(spec.overrides)
    return load_config([*spec.overrides, "output.progress=false", "output.plot=false", "output.events=false", "output.summary=false"])


# Top-level keys added after runs were stored whose value here leaves every run's output as it was
# (certified in benchmarks/output_identical.txt): left out of a configuration at that value, so the
# runs stored before the key existed keep their keys (``key_of``) and are reused.
NEUTRAL_DEFAULTS: dict[str, Any] = {"national_actors": False}


def config_dict(cfg: Any) -> dict[str, Any]:
    """The resolved configuration as plain data, without the output switches (nor keys at a neutral default)."""
    import dataclasses

    d = dataclasses.asdict(cfg)
    d.pop("output", None)
    for k, v in NEUTRAL_DEFAULTS.items():
        if k in d and d[k] == v:
            d.pop(k)
    return d


def key_of(cfg: Any) -> str:
    """A 16-hex-digit key: SHA-256 of the canonical JSON of the resolved configuration."""
    blob = json.dumps(config_dict(cfg), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


_KEYS: dict[RunSpec, str] = {}


def spec_key(spec: RunSpec) -> str:
    """Key of a spec (resolves its configuration; remembered per process, so asking twice is free)."""
    try:
        k = _KEYS.get(spec)
    except TypeError:  # a tag value that cannot be hashed (e.g. a list): no caching
        return key_of(resolve(spec))
    if k is None:
        if len(_KEYS) > 200_000:  # bound the memory of very long sessions
            _KEYS.clear()
        k = _KEYS[spec] = key_of(resolve(spec))
    return k


@functools.lru_cache(maxsize=1)
def _code_version() -> str:
    """The code version, computed once per process (it asks git, which is slow per run)."""
    from sim.runner import code_version

    return code_version()


def run_spec(spec: RunSpec, key: str | None = None) -> Any:
    """Run ``spec`` here and return its record (a pandas DataFrame, one row per year).

    ``key`` is the key the caller planned with; the record is stored under it, so a job whose
    workers run newer code than its planner still skips and finds its finished runs. Without
    it the key is computed here.

    Columns: the annual KPIs (for a test model: its outputs), then the spec's tags, then
    ``PROVENANCE``. Test models record their name as ``policy`` and ``world`` (so they sit in a
    partition of their own) and NaN as ``scale``.
    """
    cfg = resolve(spec)
    t0, c0 = time.perf_counter(), time.process_time()
    if spec.model == "akrim":
        from sim.model import AkrimModel

        df = AkrimModel(cfg).run().annual
    else:
        from experiments.testmodels import get_model

        df = get_model(spec.model).run(cfg)
    return annual_record(spec, cfg, df, key, time.perf_counter() - t0, time.process_time() - c0)


def annual_record(spec: RunSpec, cfg: Any, annual: Any, key: str | None, wall_s: float, cpu_s: float) -> Any:
    """Return ``run_spec``'s record of a finished run whose annual table is ``annual``.

    Also used by the branched runs of ``experiments.branch``, so both store the same record;
    ``wall_s`` and ``cpu_s`` are the caller's measurement.
    """
    df = annual.copy()
    if spec.model == "akrim":
        scale, policy, world = cfg.scale, cfg.policy.name, cfg.world.name
    else:
        scale, policy, world = float("nan"), spec.model, spec.model
    extra = {k: v for k, v in spec.tags}
    extra.update({
        "run_key": key or key_of(cfg), "seed": cfg.seed, "scale": scale, "policy": policy, "world": world,
        "code_version": _code_version(), "wall_s": wall_s,
        "cpu_s": cpu_s,  # CPU time of the run: throughput free of other jobs on the machine
        "config_json": json.dumps(config_dict(cfg), sort_keys=True, default=str),
    })
    df = df.drop(columns=[c for c in extra if c in df.columns])  # tags and provenance replace same-named columns
    return df.assign(**extra)


def run_spec_safe(spec: RunSpec, key: str | None = None) -> tuple[str, Any, str | None]:
    """Like ``run_spec`` but never raises: returns ``(status, record_or_None, error_text)``."""
    try:
        return "ok", run_spec(spec, key), None
    except Exception:  # recorded with the run, never stops the other runs
        return "failed", None, traceback.format_exc()
