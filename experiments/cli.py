"""The ``akrim`` command line: ``akrim <command> [key=value ...]``.

Every command declares its keys once and goes through one validation path
(``experiments.cliargs``): a bad argument stops the command before any work with one line,
``akrim: error: <key> = <value> (allowed: ...)``, and exit code 2. No Python traceback reaches
the user: an unexpected exception is reported in one line (exit code 1; ``AKRIM_DEBUG=1`` shows
the traceback), and output piped into ``head`` ends quietly.

``akrim run`` takes the model's configuration keys as Hydra overrides (``policy=NAME``,
``world=NAME``, ``seed=N``, ``scale=X``, ``end=YEAR``, any parameter by its key,
``policy=a+b`` for a package of measures, ``policy=path/to/file.yaml`` for a scenario file of
one's own). The configuration is composed with Hydra's compose API over the structured schema
(``sim.config``), every override is checked against the schema and every combination of a
multirun (``-m``) is composed and validated before the first run starts; ``--cfg job`` prints
the composed configuration. ``hydra.main`` is not used: it creates the output folder before the
configuration is checked, prints its own multi-line errors, and names folders by the second,
so two runs started together shared one. Here each run builds its folder under a temporary name
and renames it atomically to a unique one (``sim.runner.RunFolder``).
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from experiments.cliargs import _allowed_for, _is_file, _names, check_overrides, fail, read_scenario_file

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
  akrim compare --help           # every command lists its keys, defaults and ranges

Scenarios: scenarios/policy/*.yaml (levers), scenarios/world/*.yaml (uncertain parameters).
"""

RUN_EXAMPLES = """  akrim run                                          # baseline, 2014-2025, scale 0.1
  akrim run policy=more_inspectors end=2030 seed=7   # a shipped scenario
  akrim run policy=more_inspectors+liberal_fines     # a package of measures
  akrim run policy=my_scenario.yaml                  # a scenario file of your own
  akrim run policy.nli.n_inspectors=300              # any lever by its key
  akrim run world=default world.actors.rate_new_year=150
  akrim run --cfg job                                # print the composed configuration
  akrim run -m policy=baseline,no_centres seed=1,2   # four runs (multirun), each checked first
Every parameter, its range and source: docs/parameters.md.
"""

MAX_MULTIRUN = 1000


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


_fail = fail


# ------------------------------------------------------------------------------------ akrim run
def expand_multirun(overrides: list[str]) -> list[list[str]]:
    """Every combination of a multirun (``seed=1,2`` and ``policy=a,b`` give four runs)."""
    import itertools

    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.config import ConfigError

    axes: list[list[str]] = []
    parser = OverridesParser.create()
    for ov in overrides:
        try:
            parsed = parser.parse_override(ov)
        except Exception as exc:
            k, _, v = ov.partition("=")
            raise ConfigError(k, v, f"a value Hydra can parse ({str(exc).splitlines()[0][:80]})") from None
        if parsed.is_sweep_override():
            k = parsed.get_key_element()
            axes.append([f"{k}={x}" for x in parsed.sweep_string_iterator()])
        else:
            axes.append([ov])
    n = 1
    for a in axes:
        n *= len(a)
    if n > MAX_MULTIRUN:
        raise ConfigError("-m", f"{n} runs", f"at most {MAX_MULTIRUN} runs in one multirun (use akrim sweep for more)")
    return [list(c) for c in itertools.product(*axes)]


def compose(overrides: list[str]):
    """The checked configuration of one run (``AkrimConfig``); raises ConfigError naming the key."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from experiments import config_cache
    from sim.config import SCENARIOS_DIR, ConfigError, Intervention, _compose, load_config, to_object, validate

    check_overrides(overrides)
    groups = {o.split("=", 1)[0]: o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0] in ("policy", "world")}
    policy = groups.get("policy", "")
    try:
        if not _is_file(policy) and not _is_file(groups.get("world", "")):
            # the group selection as load_config keys its composition (experiments/config_cache.py)
            sel = tuple(o for o in overrides if "=" in o and o.split("=", 1)[0] in ("policy", "world"))
            cached = config_cache.warm(sel, SCENARIOS_DIR)
            cfg = load_config(overrides)
            if not cached:
                config_cache.store(sel, SCENARIOS_DIR)
            return cfg
        # a scenario file of one's own: laid over the schema's defaults like a shipped one, interventions appended
        sel = tuple(f"{k}={v}" for k, v in groups.items() if not _is_file(v))
        dcfg = OmegaConf.create(_compose(sel, SCENARIOS_DIR))
        OmegaConf.set_struct(dcfg, True)
        for group, value in groups.items():
            if not _is_file(value):
                continue
            extra = OmegaConf.create(read_scenario_file(group, Path(value)))
            ivs = list(extra.pop("interventions", []) or []) if group == "policy" else []
            try:
                dcfg[group] = OmegaConf.merge(dcfg[group], extra)
                for iv in ivs:
                    dcfg.policy.interventions.append(OmegaConf.merge(OmegaConf.structured(Intervention), iv))
            except OmegaConfBaseException as exc:
                k = f"{group}.{exc.full_key}" if getattr(exc, "full_key", None) else group
                raise ConfigError(k, getattr(exc, "value", None), f"{str(exc).splitlines()[0]} (in {value})") from None
            if "name" not in extra:
                dcfg[group].name = Path(value).stem
        for ov in overrides:
            k, v = ov.split("=", 1)
            if k in groups:
                continue
            try:
                OmegaConf.update(dcfg, k, OmegaConf.create(f"v: {v}")["v"] if v not in ("null", "~") else None, merge=True)
            except OmegaConfBaseException as exc:
                raise ConfigError(k, v, str(exc).splitlines()[0]) from None
        cfg = to_object(dcfg)
        validate(cfg)
        return cfg
    except ConfigError as exc:
        if "could not be converted" in exc.allowed or "is not a valid" in exc.allowed:
            raise ConfigError(exc.key, exc.value, _allowed_for(exc.key) or exc.allowed) from None
        raise
    except Exception as exc:  # Hydra's composition errors and YAML that does not parse: one line
        from hydra.errors import HydraException

        if not isinstance(exc, (HydraException, OmegaConfBaseException, ValueError, TypeError, KeyError)):
            raise
        key = str(getattr(exc, "full_key", "") or (overrides[0].split("=", 1)[0] if overrides else "configuration"))
        raise ConfigError(key, next((o.split("=", 1)[1] for o in overrides if o.startswith(key + "=")), None),
                          str(exc).strip().splitlines()[0][:200]) from None


def run_help() -> str:
    """``akrim run --help``: what it does, the top-level keys with defaults and ranges, examples."""
    import dataclasses

    from experiments.cliargs import help_text
    from sim.config import AkrimConfig
    from sim.config.validate import describe_range

    keys = {}
    for f in dataclasses.fields(AkrimConfig):
        if "lo" in f.metadata:
            keys[f.name] = (f"{f.metadata.get('doc') or f.metadata.get('src', '')} [default {f.default}; "
                            f"{describe_range(f.metadata['lo'], f.metadata['hi'], f.type in ('int', int))}]")
        elif f.type in ("bool", bool) and f.metadata.get("doc"):  # a switch (national_actors)
            keys[f.name] = f"{f.metadata['doc']} [default {str(f.default).lower()}; true or false]"
    keys["policy"] = f"the policy scenario [default baseline; one of {', '.join(_names('policy'))}; a+b; or a .yaml file]"
    keys["world"] = f"the world (uncertain parameters) [default calibrated; one of {', '.join(_names('world'))}; or a .yaml file]"
    keys["output.*"] = "output.progress, output.events, output.plot, output.summary [default true; true or false]"
    keys["policy.* world.*"] = "any parameter by its key, e.g. policy.nli.n_inspectors=300 (docs/parameters.md lists all, with ranges)"
    keys["--cfg job"] = "print the composed, checked configuration and exit"
    keys["-m"] = f"multirun: comma-separated values give one run per combination (at most {MAX_MULTIRUN}), all checked first"
    summary = ("Run one (world, policy) scenario and write a run folder outputs/<date>/<time>_s<seed>_<policy>/ "
               "(annual, regional and sector tables, events, overview.png, run_info.json, .hydra/config.yaml).")
    return help_text("akrim run", summary, keys, RUN_EXAMPLES, usage="usage: akrim run [--cfg job] [-m] [key=value ...]")


def _run_one(cfg: Any, overrides: list[str], parent: Path, name: str, insert_before: str | None) -> Path:
    from sim.runner import RunFolder, run_config, scale_caveat, summary_table, write_config, write_overrides

    folder = RunFolder(parent, name, insert_before)
    try:
        write_config(cfg, folder.path)
        write_overrides(overrides, folder.path)
        res = run_config(cfg, folder.path)
        out = folder.commit()
    except BaseException:
        folder.discard()
        raise
    if cfg.output.summary:
        print()
        print("Headline KPIs (national totals at 1:1; see annual.csv for every column)")
        print(summary_table(res.annual))
        print()
        caveat = scale_caveat(cfg.scale, bool(getattr(cfg, "national_actors", False)))
        if caveat:
            print(textwrap.fill(caveat, width=100))
            print()
    return out


def _safe_name(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_+.-]+", "_", text)[:80] or "_"


def run_main(argv: list[str]) -> int:
    """``akrim run``: check everything, then run (one run, or every run of a ``-m`` multirun)."""
    from sim.config import ConfigError

    args = list(argv)
    if any(a in ("-h", "--help", "help") for a in args):
        print(run_help())
        return 0
    multirun, cfg_mode = False, None
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-m", "--multirun"):
            multirun = True
        elif a in ("--cfg", "-c"):
            cfg_mode = args[i + 1] if i + 1 < len(args) else ""
            i += 1
        elif a.startswith("--cfg="):
            cfg_mode = a.split("=", 1)[1]
        else:
            rest.append(a)
        i += 1
    try:
        if cfg_mode is not None and cfg_mode != "job":
            raise ConfigError("--cfg", cfg_mode, "job (the composed configuration of the run)")
        check_overrides(rest, multirun)
        combos = expand_multirun(rest) if multirun else [rest]
        cfgs = [compose(c) for c in combos]  # every run composed and checked before the first starts
    except ConfigError as exc:
        return fail(exc)
    if cfg_mode == "job":
        from omegaconf import OmegaConf

        for cfg in cfgs:
            print(OmegaConf.to_yaml(OmegaConf.structured(cfg)), end="")
        return 0
    date, clock = time.strftime("%Y-%m-%d"), time.strftime("%H-%M-%S")
    if multirun:
        sweep_dir = _unique_dir(Path("multirun") / date, clock)
        print(f"akrim run -m: {len(cfgs)} runs into {sweep_dir}", flush=True)
    for n, (cfg, ov) in enumerate(zip(cfgs, combos)):
        pol = _safe_name(cfg.policy.name)
        print(f"akrim run: policy={cfg.policy.name} world={cfg.world.name} seed={cfg.seed} scale={cfg.scale:g} {cfg.start}-{cfg.end}",
              flush=True)
        if multirun:
            out = _run_one(cfg, ov, sweep_dir, f"{n}_{pol}", None)
        else:
            out = _run_one(cfg, ov, Path("outputs") / date, f"{clock}_s{cfg.seed}_{pol}", f"_{pol}")
        print(f"Outputs: {out.resolve()}", flush=True)
    return 0


def _unique_dir(parent: Path, name: str) -> Path:
    """A new folder ``parent/name`` (``-<id>`` added if taken), created atomically with mkdir."""
    import secrets

    parent.mkdir(parents=True, exist_ok=True)
    candidate = parent / name
    for _ in range(50):
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            candidate = parent / f"{name}-{secrets.token_hex(2)}"
    raise OSError(f"no free folder name under {parent}")


# ------------------------------------------------------------------------------------ entry point
def _dispatch(argv: list[str]) -> int:
    import importlib

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
        from experiments.cliargs import closest

        near = closest(cmd, avail)
        return fail(f"command = {cmd!r} (allowed: {', '.join(avail)}{'; did you mean ' + near + '?' if near else ''}; see 'akrim --help')")
    mod, fn, _ = avail[cmd]
    return int(getattr(importlib.import_module(mod), fn)(rest) or 0)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``akrim`` console script: no traceback reaches the user."""
    from sim.config import ConfigError

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _dispatch(argv)
        sys.stdout.flush()
        return code
    except BrokenPipeError:  # akrim ... --help | head
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except ConfigError as exc:
        return fail(exc)
    except KeyboardInterrupt:
        print("\nakrim: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("AKRIM_DEBUG"):
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        return fail(f"{type(exc).__name__}: {first} (unexpected; AKRIM_DEBUG=1 shows the traceback)", 1)


def entry() -> None:
    """The ``akrim`` console script: ``main()``, then exit with its code.

    After ``akrim run`` the process ends at once (``os._exit``, after the ``atexit`` handlers and
    flushing stdout and stderr) instead of through the interpreter's teardown, which frees a finished run's arrays, objects and
    modules one by one: 0.15-0.2 s of every run (measured 2026-12-06), with nothing left to do by
    then - every file is written and closed, the run folder committed, the overview's helper
    process ended, and ``akrim run`` starts no threads or clusters. Other commands (Dask clusters,
    the workshop server) exit normally. ``main()`` itself never exits, so tests call it in-process.
    """
    argv = sys.argv[1:]
    code = main(argv)
    if argv and argv[0] == "run":
        import atexit

        try:
            atexit._run_exitfuncs()  # what libraries registered still runs (multiprocessing releases tqdm's lock)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # python -m experiments.cli: the same as the console script
    entry()
