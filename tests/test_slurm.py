"""The cluster path for real (issue 13): a 20-run sweep and a small calibration on SLURM workers.

Slow (minutes) and needs SLURM: ``benchmarks/slurm/setup.sh`` installs a single-node SLURM from
Debian's packages (as root) and starts it; ``benchmarks/slurm/run_on_slurm.py`` starts the
workers through dask-jobqueue's ``SLURMCluster`` and runs ``akrim sweep`` and ``akrim
calibrate`` against them. Run with ``pytest -m slow tests/test_slurm.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def slurm():
    pytest.importorskip("dask_jobqueue", reason="pip install -e '.[test,cluster]'")
    if shutil.which("sbatch") is None and os.geteuid() != 0:
        pytest.skip("no SLURM here, and installing it (benchmarks/slurm/setup.sh) needs root")
    proc = subprocess.run(["sh", str(REPO / "benchmarks" / "slurm" / "setup.sh")], capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "idle" in subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True).stdout


def test_sweep_and_calibration_run_on_slurm_workers(slurm, tmp_path):
    out = tmp_path / "slurm"
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "slurm" / "run_on_slurm.py"), str(out), "--jobs", "2"],
                          cwd=REPO, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    fig = json.loads((out / "slurm_figures.json").read_text())
    assert len(fig["slurm_jobs"]) == 2 and all("RUNNING" in j for j in fig["slurm_jobs"])
    assert "#SBATCH" in (out / "job_script.sh").read_text()
    summary = pd.read_csv(out / "sweep" / "summary-slurm20.csv")
    assert len(summary) == 20 and (summary["status"] == "ok").all()
    assert summary["code_version"].nunique() == 1
    assert any("20 run, 0 failed" in line for line in fig["sweep"]["output"]), fig["sweep"]
    meta = json.loads((out / "calibration" / "meta.json").read_text())
    assert meta["generations"] == 2 and meta["populations"] == 10
    assert len(pd.read_csv(out / "calibration" / "posterior_sample.csv")) > 0
    logs = list(out.glob("dask-worker-*.out"))
    assert len(logs) >= 2  # the workers ran as SLURM jobs and wrote their logs there
    assert subprocess.run(["squeue", "-h", "-n", "akrim-workers"], capture_output=True, text=True).stdout.strip() == ""  # cancelled
