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

# command -> (module, function, one-line help). A command is offered when its module exists;
# each module's function takes the argument list after the command and returns an exit code.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("experiments.cli", "run_main", "run one scenario (default: history 2014-2025, policy=baseline, scale 0.1)"),
    "compare": ("experiments.compare", "main", "compare policy scenarios on paired replicates, with a report"),
    "sweep": ("experiments.sweep", "main", "run a parameter sweep from a sweep file on Dask"),
    "sensitivity": ("experiments.sensitivity", "main", "Morris / Sobol sensitivity analysis of chosen KPIs"),
    "calibrate": ("calibration.calibrate", "main", "fit world parameters to the reported figures (ABC-SMC)"),
    "workshop": ("experiments.workshop.app", "main", "the interactive workshop page on localhost"),
}

EXAMPLES = """examples:
  akrim run
  akrim run policy=more_inspectors end=2030 seed=7
  akrim run scale=1.0 policy.nli.n_inspectors=300
  akrim run --cfg job            # show the composed configuration and exit

Scenarios: scenarios/policy/*.yaml (levers), scenarios/world/*.yaml (uncertain parameters).
"""


def _available() -> dict[str, tuple[str, str, str]]:
    import importlib.util

    out = {}
    for name, (mod, fn, doc) in COMMANDS.items():
        try:
            found = importlib.util.find_spec(mod) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            out[name] = (mod, fn, doc)
    return out


def usage() -> str:
    """The help text, listing the commands available in this installation."""
    lines = ["usage: akrim <command> [key=value ...]", "", "commands:"]
    for name, (_, _, doc) in _available().items():
        lines.append(f"  {name:<12s}{doc}")
    return "\n".join(lines) + "\n\n" + EXAMPLES


def _fail(msg: str, code: int = 2) -> int:
    print(f"akrim: error: {msg}", file=sys.stderr)
    return code


def _run_task(dcfg) -> None:
    """Hydra task for ``akrim run``: validate, run, write, summarise."""
    from hydra.core.hydra_config import HydraConfig

    from sim.config import ConfigError, to_object, validate
    from sim.runner import run_config, summary_table

    outdir = Path(HydraConfig.get().runtime.output_dir)
    try:
        cfg = to_object(dcfg)
        validate(cfg)
    except ConfigError as exc:
        print(f"akrim: error: {exc}", file=sys.stderr)
        _discard(outdir)
        sys.exit(2)
    print(
        f"akrim run: policy={cfg.policy.name} world={cfg.world.name} seed={cfg.seed} scale={cfg.scale:g} {cfg.start}-{cfg.end}", flush=True
    )
    res = run_config(cfg, outdir)
    if cfg.output.summary:
        print()
        print("Headline KPIs (national totals at 1:1; see annual.csv for every column)")
        print(summary_table(res.annual))
        print()
    print(f"Outputs: {outdir}")


def _discard(outdir: Path) -> None:
    """Remove a run folder that Hydra created for a run that never started."""
    import logging
    import shutil

    if outdir.is_dir() and not (outdir / "annual.parquet").exists():
        logging.shutdown()
        shutil.rmtree(outdir, ignore_errors=True)
        try:
            outdir.parent.rmdir()  # the date folder, if this was its only run
        except OSError:
            pass


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


def _with_packages(argv: list[str]) -> list[str]:
    """Make ``policy=a+b`` (a package of measures) visible to Hydra as a generated scenario file."""
    import tempfile

    from omegaconf import OmegaConf

    from sim.config import SCENARIOS_DIR, ConfigError, _package

    out = list(argv)
    for a in argv:
        if a.startswith("policy=") and "+" in a:
            name = a.split("=", 1)[1]
            try:
                dcfg = _package((f"policy={name}",), SCENARIOS_DIR)
            except ConfigError as exc:
                raise SystemExit(_fail(str(exc))) from None
            d = Path(tempfile.mkdtemp(prefix="akrim-package-"))
            (d / "policy").mkdir()
            (d / "policy" / f"{name}.yaml").write_text(OmegaConf.to_yaml(dcfg.policy))
            out.append(f"hydra.searchpath=[file://{d}]")
    return out


def run_main(argv: list[str]) -> int:
    """``akrim run``: one run through Hydra (``policy=a+b`` runs a package of measures)."""
    return _hydra(_run_task, _with_packages(argv), "akrim run")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``akrim`` console script."""
    import importlib

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from sim.runner import code_version

        print(f"akrim {code_version()}")
        return 0
    cmd, rest = argv[0], argv[1:]
    avail = _available()
    if cmd not in avail:
        return _fail(f"unknown command {cmd!r}; available: {', '.join(avail)} (see 'akrim --help')")
    mod, fn, _ = avail[cmd]
    return int(getattr(importlib.import_module(mod), fn)(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
