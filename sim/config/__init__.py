"""Configuration: dataclass schemas registered with Hydra's ConfigStore, loading and validation.

Core objects:
    AkrimConfig: the whole run (seed, scale, horizon, world, policy, output).
    register(): stores the schemas in Hydra's ConfigStore (``base_config``).
    load_config(overrides): compose ``scenarios/config.yaml`` with Hydra overrides (for code
        and tests; the command line goes through ``hydra.main``).
    validate(cfg): range, date and cross-field checks; raises ConfigError naming key, value and
        what is allowed.
    validate_policy(policy), check_lever(policy, key, value): the same checks for one policy
        and one lever assignment (used by ``AkrimModel.set_levers``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sim.config.fields import nonneg, param, sub
from sim.config.policy import Intervention, PolicyConfig
from sim.config.validate import ConfigError, apply_intervention, check_lever, to_object, validate, validate_policy
from sim.config.world import WorldConfig

__all__ = [
    "AkrimConfig",
    "OutputConfig",
    "ConfigError",
    "register",
    "load_config",
    "validate",
    "validate_policy",
    "check_lever",
    "to_object",
    "apply_intervention",
    "SCENARIOS_DIR",
]

SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"


@dataclass
class OutputConfig:
    """What a run writes and shows."""

    progress: bool = True  # progress bar on the terminal
    events: bool = True  # write events.parquet
    plot: bool = True  # write overview.png
    summary: bool = True  # print the KPI table at the end


@dataclass
class AkrimConfig:
    """One run: a (world, policy) scenario, a seed, a population scale and a horizon."""

    seed: int = nonneg(20140101, doc="run seed; every random stream derives from it")
    scale: float = param(0.1, 1e-4, 2.0, "SPEC 9: default population scale 1:10", "population scale factor")
    pool_carry_jobs: float = param(
        2.0,
        1.0,
        100.0,
        "assumption (numerical, ODD 2.10: at small scales one waiting job stands for 1/scale national ones; 1 restores generation 5)",
        "whole jobs of unused capacity a shared pool (analysts, leader group, joint actions, police) may carry over at least",
    )
    national_actors: bool = field(
        default=False,
        metadata={
            "src": "numerical (ODD 2.10, docs/design/national_actors.md; docs/validation.md section 6b measures it)",
            "doc": "threat actors, their companies and the risk sectors at national count at every scale (the other sectors at scale): "
            "the centres' KPIs at 1:20-1:5 agree with 1:1, at about three quarters of a national run's cost",
        },
    )
    start: int = param(2014, 2014, 2100, "SPEC 2.1: history starts 2014-01-01")
    end: int = param(2025, 2014, 2100, "SPEC 2.1: default horizon to 2025-12-31")
    world: WorldConfig = sub(WorldConfig)
    policy: PolicyConfig = sub(PolicyConfig)
    output: OutputConfig = sub(OutputConfig)


_registered = False


def register() -> None:
    """Register the schema with Hydra's ConfigStore (idempotent)."""
    global _registered
    if _registered:
        return
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(name="base_config", node=AkrimConfig)
    _registered = True


_COMPOSED: dict[tuple, object] = {}


def _package(groups: tuple[str, ...], config_dir: Path):
    """``policy=a+b+c``: compose with ``a``, then lay ``b`` and ``c`` on top (a package of measures).

    Later scenarios win where they set the same lever; their ``interventions`` are appended.
    """
    from omegaconf import OmegaConf

    sel = dict(o.split("=", 1) for o in groups)
    names = sel["policy"].split("+")
    base = _compose(tuple(f"{k}={names[0] if k == 'policy' else v}" for k, v in sel.items()), config_dir)
    dcfg = OmegaConf.create(base)
    OmegaConf.set_struct(dcfg, True)
    for name in names[1:]:
        path = config_dir / "policy" / f"{name}.yaml"
        if not path.is_file():
            raise ConfigError("policy", "+".join(names), f"scenario names from {config_dir / 'policy'} joined by '+' (no {name!r})")
        extra = OmegaConf.load(path)
        ivs = list(extra.pop("interventions", []) or [])
        for k in ("name", "description", "source"):
            extra.pop(k, None)
        dcfg.policy = OmegaConf.merge(dcfg.policy, extra)
        for iv in ivs:
            dcfg.policy.interventions.append(OmegaConf.merge(OmegaConf.structured(Intervention), iv))
    dcfg.policy.name = "+".join(names)
    return dcfg


def _compose(groups: tuple[str, ...], config_dir: Path):
    """Hydra composition of the defaults plus group selections (cached per selection)."""
    key = (groups, str(config_dir))
    if any("+" in o.split("=", 1)[1] for o in groups if o.startswith("policy=")):
        if key not in _COMPOSED:
            _COMPOSED[key] = _package(groups, config_dir)
        return _COMPOSED[key]
    if key not in _COMPOSED:
        from hydra import compose, initialize_config_dir
        from hydra.core.global_hydra import GlobalHydra

        register()
        GlobalHydra.instance().clear()
        with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
            _COMPOSED[key] = compose(config_name="config", overrides=list(groups))
        GlobalHydra.instance().clear()
    return _COMPOSED[key]


def _is_simple(ov: str) -> bool:
    return "=" in ov and not ov.startswith(("+", "~", "hydra.")) and "[" not in ov.split("=", 1)[0]


def load_config(overrides: list[str] | None = None, config_dir: Path | None = None) -> AkrimConfig:
    """Compose the configuration as ``akrim run`` would, validate it, and return the object.

    Group selections (``policy=NAME``, ``world=NAME``) go through Hydra's composition, which is
    cached; plain ``key=value`` overrides are then merged onto the typed configuration (unknown
    keys and wrong types are rejected there). Anything else (``+key=``, ``~key``) takes the full
    Hydra path.

    Args:
        overrides: Hydra overrides such as ``["policy=no_centres", "scale=0.05"]``.
        config_dir: The scenarios directory (default: the package's ``scenarios/``).
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    overrides = list(overrides or [])
    config_dir = Path(config_dir or SCENARIOS_DIR)
    groups = tuple(o for o in overrides if "=" in o and o.split("=", 1)[0] in ("policy", "world"))
    rest = [o for o in overrides if o not in groups]
    if all(_is_simple(o) for o in rest):
        dcfg = OmegaConf.create(_compose(groups, config_dir))  # a private copy, still typed
        OmegaConf.set_struct(dcfg, True)
        for ov in rest:
            k, v = ov.split("=", 1)
            try:
                OmegaConf.update(
                    dcfg, k, OmegaConf.create({"v": v} if v == "" else f"v: {v}")["v"] if v not in ("null", "~") else None, merge=True
                )
            except OmegaConfBaseException as exc:
                raise ConfigError(k, v, str(exc).splitlines()[0]) from None
            except Exception as exc:  # YAML that cannot be parsed
                raise ConfigError(k, v, f"a value Hydra can parse ({type(exc).__name__})") from None
    else:
        dcfg = _compose(tuple(overrides), config_dir)
    cfg = to_object(dcfg)
    validate(cfg)
    return cfg
