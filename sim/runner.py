"""Running one configuration and writing its output folder.

A run folder holds:

* ``.hydra/`` - the resolved configuration, Hydra's own settings and the overrides (written by
  Hydra when the run comes from the command line; by ``write_config`` otherwise);
* ``run_info.json`` - seed, code version, scale, scenario names, library versions, wall time;
* ``annual.parquet`` / ``annual.csv`` - one row per year, every SPEC 5 column (1:1 totals);
* ``annual_region.*`` / ``annual_sector.*`` - the same by region and by sector;
* ``monthly.parquet`` - monthly series from Mesa's DataCollector;
* ``events.parquet`` - the event log;
* ``overview.png`` - the main KPIs over time.

Files are written to a temporary name and renamed, so a folder never holds half a file; a whole
run folder is built under a hidden temporary name and renamed when complete (``RunFolder``), to
a name no other run has - even one started in the same second with the same seed.
"""

from __future__ import annotations

import json
import math
import os
import platform
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sim.files import atomic_write
from sim.model import AkrimModel, RunResult

HEADLINE = (
    ("inspections_nli", "NLI insp.", "{:,.0f}"),
    ("inspections_joint", "joint ctrl", "{:,.0f}"),
    ("police_reports", "police rep.", "{:,.0f}"),
    ("cases_against_ta", "TA cases", "{:,.0f}"),
    ("convictions", "convict.", "{:,.0f}"),
    ("undeclared_work_share", "undecl. %", "{:.1%}"),
    ("exploited_workers", "exploited", "{:,.0f}"),
    ("active_threat_actors", "latent TAs", "{:,.0f}"),
    ("central_threat_actors", "central TAs", "{:,.0f}"),
    ("phoenix_bankruptcies", "phoenix", "{:,.0f}"),
    ("crime_cost_nok", "crime bn NOK", "{:,.1f}"),
)


# Measured differences of the centres' KPIs from a national run (docs/validation.md section 6, pooled
# relative differences in %, signed): (scale, cases against central actors 2014-19, central actors
# 2014-19, central actors 2022-25). tests/test_runner.py fails until these match the document.
SCALE_GAP = ((0.05, -17, -9, 18), (0.1, -2, 7, 21), (0.2, -1, 1, 16))
SCALE_FAITHFUL = 1.0  # below this scale some centre KPI differs from 1:1 beyond noise (docs/validation.md section 6)


def _about(x: int) -> str:
    return "about the same" if x == 0 else f"about {abs(x)}% {'lower' if x < 0 else 'higher'}"


def scale_caveat(scale: float, national_actors: bool = False) -> str | None:
    """One sentence on what a population scale below 1:1 does to the centres' KPIs (None at 1:1).

    With ``national_actors`` (threat actors, their companies and the risk sectors at national
    count) the centres work at national resolution and their KPIs agree with a national run's
    (``docs/validation.md`` section 6b); the sentence says so and what it costs.

    Model generation 7 bounds the centres' portfolio by time, so the build-up years (2014-19)
    agree with a national run from 1:10 on; below that, and after the sharing regulation of June
    2022 at every scale measured, the centres' KPIs differ (ODD 2.10). The sizes quoted are the
    measured ones at the nearest measured scale (``SCALE_GAP``).
    """
    if not scale < SCALE_FAITHFUL:
        return None
    if national_actors:
        return (f"Population scale 1:{1 / scale:,.0f} with threat actors at national count (national_actors=true): the risk "
                "sectors are built at 1:1, so the centres, NTAES and the police work on national numbers and their KPIs agree "
                "with a national run's (docs/validation.md section 6b); the other sectors are at this scale.")
    near, cases, central, after = min(SCALE_GAP, key=lambda g: abs(math.log(g[0] / scale)))
    return (f"Population scale 1:{1 / scale:,.0f}: the centres' KPIs differ from a national run's at this scale (measured at "
            f"1:{1 / near:,.0f}: cases against central threat actors in 2014-19 {_about(cases)}, central threat actors in "
            f"2014-19 {_about(central)} and in 2022-25, after the sharing regulation, {_about(after)}; docs/validation.md "
            "section 6, ODD 2.10). Read them, and effects of measures that act through the centres (information sharing, "
            f"analysts, centres), as indicative; confirm them with scale={SCALE_FAITHFUL:g}, or with national_actors=true "
            "(threat actors at national count, section 6b).")


def code_version() -> str:
    """Package version plus the last git commit that changed the model's code (and ``.dirty``).

    The model's code is ``MODEL_PATHS``: the simulator, its embedded scenarios and the package
    metadata (pinned dependencies). A commit that touches only documentation, tests, the
    calibration's outputs or the experiment tooling leaves the version, and so every stored run,
    valid; one that changes the model makes stored runs stale (``ResultStore.stale``).
    ``.dirty`` marks uncommitted changes under those paths. Outside a git checkout (an installed
    wheel) it is the package version alone.
    """
    import sim

    here = Path(__file__).resolve().parent
    root = here.parent
    try:
        sha = subprocess.run(["git", "log", "-1", "--format=%h", "--", *MODEL_PATHS], cwd=root,
                             capture_output=True, text=True, timeout=5)
        if sha.returncode == 0 and sha.stdout.strip():
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--", *MODEL_PATHS], cwd=root, capture_output=True, text=True, timeout=5
            ).stdout.strip()
            return f"{sim.__version__}+g{sha.stdout.strip()}{'.dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        pass
    return sim.__version__


#: Paths (relative to the checkout) whose changes change the model's output: ``code_version``.
MODEL_PATHS = ("sim", "scenarios", "pyproject.toml", "experiments/runs.py")
# Modules under sim/ that take no part in a run's numbers: the model (sim.model and everything it
# imports) never imports them (tests/test_runner.py checks it in a fresh process). Writing the run
# folder, drawing its figure, forking branches of a run. Judging whether stored runs are this
# model's results (docs/gen_validation.py) may ignore edits to them.
NOT_MODEL_FILES = ("sim/branch.py", "sim/plots.py", "sim/runner.py")


_atomic = atomic_write


class RunFolder:
    """A run folder built under a temporary name and renamed, atomically, to a unique final name.

    ``path`` (the temporary folder ``<parent>/.<name>.<pid>.<id>.tmp``) is where the run writes;
    ``commit()`` renames it to ``<parent>/<name>``, or, when another run already holds that
    name, to ``<parent>/<name>`` with ``-<short id>`` inserted before ``insert_before`` (or
    appended). A rename onto an existing non-empty folder fails on POSIX, so two runs can never
    end in one folder. ``discard()`` removes the temporary folder (a run refused or failed).
    """

    def __init__(self, parent: str | Path, name: str, insert_before: str | None = None) -> None:
        self.parent = Path(parent)
        self.name, self.insert_before = name, insert_before
        self.parent.mkdir(parents=True, exist_ok=True)
        self.path = self.parent / f".{name}.{os.getpid()}.{secrets.token_hex(3)}.tmp"
        self.path.mkdir()
        self.final: Path | None = None

    def _candidate(self, attempt: int) -> str:
        if attempt == 0:
            return self.name
        tag = "-" + secrets.token_hex(2)
        if self.insert_before and self.insert_before in self.name:
            i = self.name.rindex(self.insert_before)
            return self.name[:i] + tag + self.name[i:]
        return self.name + tag

    def commit(self) -> Path:
        """Rename the finished folder to its unique final name and return it."""
        for attempt in range(50):
            target = self.parent / self._candidate(attempt)
            if target.exists():
                continue
            try:
                os.rename(self.path, target)
            except OSError:  # taken meanwhile (EEXIST / ENOTEMPTY)
                continue
            self.final = target
            return target
        raise OSError(f"no free run folder name for {self.parent / self.name}")

    def discard(self) -> None:
        """Remove the temporary folder."""
        shutil.rmtree(self.path, ignore_errors=True)


def write_overrides(overrides: list[str], outdir: Path) -> None:
    """Write the command-line overrides as Hydra would (``.hydra/overrides.yaml``)."""
    import yaml

    _atomic(outdir / ".hydra" / "overrides.yaml", lambda p: p.write_text(yaml.safe_dump(list(overrides), default_flow_style=False)))


def config_yaml(cfg: Any) -> str:
    """The resolved configuration as YAML, the text Hydra writes (``OmegaConf.to_yaml`` of it).

    Dumped from the plain dataclass fields with PyYAML's safe dumper: the same text as OmegaConf's
    (``tests/test_runner.py`` compares the two for every shipped scenario), in 0.01 s instead of the
    0.08 s OmegaConf takes to wrap a thousand fields as typed nodes first (measured 2026-12-06).
    """
    import dataclasses

    import yaml

    return yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False, default_flow_style=False, allow_unicode=True)


def write_config(cfg: Any, outdir: Path) -> None:
    """Write the resolved configuration as Hydra would (``.hydra/config.yaml``)."""
    d = outdir / ".hydra"
    _atomic(d / "config.yaml", lambda p: p.write_text(config_yaml(cfg)))


def write_outputs(res: RunResult, cfg: Any, outdir: Path, wall: float, plotter: Any = None) -> None:
    """Write every output file of a run into ``outdir``.

    ``plotter`` (a started ``sim.plots.OverviewProcess``) draws ``overview.png`` beside the other
    files; without one, or if it fails, the figure is drawn here, after them.
    """
    import mesa
    import numpy as np
    import pandas as pd
    import simpy

    outdir.mkdir(parents=True, exist_ok=True)
    if cfg.output.plot and plotter is not None:
        plotter.send(res.annual, cfg, outdir / "overview.png")
    tables = {"annual": res.annual, "annual_region": res.by_region, "annual_sector": res.by_sector}
    for name, df in tables.items():
        _atomic(outdir / f"{name}.parquet", lambda p, df=df: df.to_parquet(p, index=False))
        _atomic(outdir / f"{name}.csv", lambda p, df=df: df.to_csv(p, index=False))
    if len(res.monthly):
        _atomic(outdir / "monthly.parquet", lambda p: res.monthly.to_parquet(p, index=False))
    if res.events is not None:
        _atomic(outdir / "events.parquet", lambda p: res.events.to_parquet(p, index=False))
    info = {
        "seed": cfg.seed,
        "scale": cfg.scale,
        "start": cfg.start,
        "end": cfg.end,
        "policy": cfg.policy.name,
        "world": cfg.world.name,
        "code_version": code_version(),
        "wall_seconds": round(wall, 2),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "mesa": mesa.__version__,
        "simpy": simpy.__version__,
        "random_streams": res.streams_used,
    }
    _atomic(outdir / "run_info.json", lambda p: p.write_text(json.dumps(info, indent=2)))
    if cfg.output.plot:
        if plotter is not None and plotter.wait():
            return
        from sim.plots import overview

        if plotter is not None:  # drawn here instead; the helper's half-written file, if any, goes
            print(f"note: overview.png drawn in this process ({plotter.error})", file=sys.stderr)
            for stray in outdir.glob(".overview.png.*.tmp"):
                stray.unlink(missing_ok=True)
        _atomic(outdir / "overview.png", lambda p: overview(res.annual, cfg, p))


def summary_table(annual) -> str:
    """A short fixed-width table of headline KPIs per year."""
    cols = [c for c in HEADLINE if c[0] in annual.columns]
    head = "year  " + "  ".join(f"{lab:>12s}" for _, lab, _ in cols)
    lines = [head, "-" * len(head)]
    for _, row in annual.iterrows():
        cells = []
        for key, _, fmt in cols:
            v = row[key]
            if key == "crime_cost_nok":
                v = v / 1e9
            cells.append(f"{'n/a' if v != v else fmt.format(v):>12s}")
        lines.append(f"{int(row['year']):<6d}" + "  ".join(cells))
    return "\n".join(lines)


def run_config(cfg: Any, outdir: Path | None = None) -> RunResult:
    """Run ``cfg``; if ``outdir`` is given, write the run folder there."""
    plotter = None
    if outdir is not None and cfg.output.plot:  # matplotlib's import on the other core while the model runs
        from sim.plots import OverviewProcess

        plotter = OverviewProcess().start()
    try:
        t0 = time.perf_counter()
        model = AkrimModel(cfg)
        res = model.run(progress=cfg.output.progress)
        wall = time.perf_counter() - t0
        if outdir is not None:
            if not (outdir / ".hydra" / "config.yaml").exists():
                write_config(cfg, outdir)
            write_outputs(res, cfg, outdir, wall, plotter)
    finally:
        if plotter is not None:
            plotter.close()
    return res
