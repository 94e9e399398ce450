"""The ``akrim`` command line: ``akrim <command> [key=value ...]`` with Hydra overrides.

Commands:
    run        one run of a (world, policy) scenario; writes a run folder (see sim.runner).

Every command takes Hydra overrides: ``policy=NAME``, ``world=NAME``, ``seed=N``, ``scale=X``,
``end=YEAR`` and any parameter by its key, e.g. ``policy.nli.n_inspectors=300``. Hydra's own
flags work too: ``--cfg job`` prints the composed configuration, ``-m`` runs a multirun.
"""

from __future__ import annotations

import sys
from pathlib import Path

USAGE = """usage: akrim <command> [key=value ...]

commands:
  run         run one scenario (default: history 2014-2025, policy=baseline, scale 0.1)

examples:
  akrim run
  akrim run policy=more_inspectors end=2030 seed=7
  akrim run scale=1.0 policy.nli.n_inspectors=300
  akrim run --cfg job            # show the composed configuration and exit

Scenarios: scenarios/policy/*.yaml (levers), scenarios/world/*.yaml (uncertain parameters).
"""


def _fail(msg: str, code: int = 2) -> int:
    print(f"akrim: error: {msg}", file=sys.stderr)
    return code


def _run_task(dcfg) -> None:
    """Hydra task for ``akrim run``: validate, run, write, summarise."""
    from hydra.core.hydra_config import HydraConfig

    from sim.config import ConfigError, to_object, validate
    from sim.runner import run_config, summary_table

    try:
        cfg = to_object(dcfg)
        validate(cfg)
    except ConfigError as exc:
        print(f"akrim: error: {exc}", file=sys.stderr)
        sys.exit(2)
    outdir = Path(HydraConfig.get().runtime.output_dir)
    print(f"akrim run: policy={cfg.policy.name} world={cfg.world.name} seed={cfg.seed} scale={cfg.scale:g} "
          f"{cfg.start}-{cfg.end}", flush=True)
    res = run_config(cfg, outdir)
    if cfg.output.summary:
        print()
        print("Headline KPIs (national totals at 1:1; see annual.csv for every column)")
        print(summary_table(res.annual))
        print()
    print(f"Outputs: {outdir}")


def _hydra(task, argv: list[str], prog: str) -> int:
    import hydra

    from sim.config import SCENARIOS_DIR, register

    register()
    app = hydra.main(config_path=str(SCENARIOS_DIR), config_name="config", version_base="1.3")(task)
    old = sys.argv
    sys.argv = [prog, *argv]
    try:
        app()
    finally:
        sys.argv = old
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``akrim`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if argv[0] in ("-V", "--version"):
        from sim.runner import code_version

        print(f"akrim {code_version()}")
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "run":
        return _hydra(_run_task, rest, "akrim run")
    return _fail(f"unknown command {cmd!r}; available: run (see 'akrim --help')")


if __name__ == "__main__":
    sys.exit(main())
