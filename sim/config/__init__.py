"""Configuration: dataclass schemas registered with Hydra's ConfigStore, loading and validation.

Core objects:
    AkrimConfig: the whole run (seed, scale, horizon, world, policy, output).
    register(): stores the schemas in Hydra's ConfigStore (``base_config``).
    load_config(overrides): compose ``scenarios/config.yaml`` with Hydra overrides (for code
        and tests; the command line goes through ``hydra.main``).
    validate(cfg): range, date and cross-field checks; raises ConfigError naming key, value and
        what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.config.fields import nonneg, param, sub
from sim.config.policy import PolicyConfig
from sim.config.validate import ConfigError, apply_intervention, to_object, validate
from sim.config.world import WorldConfig

__all__ = [
    "AkrimConfig", "OutputConfig", "ConfigError", "register", "load_config", "validate",
    "to_object", "apply_intervention", "SCENARIOS_DIR",
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


def load_config(overrides: list[str] | None = None, config_dir: Path | None = None) -> AkrimConfig:
    """Compose the configuration as ``akrim run`` would, validate it, and return the object.

    Args:
        overrides: Hydra overrides such as ``["policy=no_centres", "scale=0.05"]``.
        config_dir: The scenarios directory (default: the package's ``scenarios/``).
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    register()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir or SCENARIOS_DIR), version_base="1.3"):
        dcfg = compose(config_name="config", overrides=list(overrides or []))
    cfg = to_object(dcfg)
    validate(cfg)
    return cfg
