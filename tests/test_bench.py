"""The speed benchmark (benchmarks/bench.py, issue 15) runs and prints every row of the issue's table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ROW_LABELS = (
    "model time at 1:50, build + run",  # --quick: scale 0.02 stands in for 1:1
    "model time at 1:100, build + run",  # and 0.01 for 1:10
    "akrim run beyond the model",
    "one calibration simulation",
    "simulations an hour in akrim calibrate, 2 workers",
    "Mesa minimal agent (same run)",
    "ratio to Mesa minimal agent, 1:50",
    "ratio to Mesa minimal agent, 1:100",
)


def test_quick_benchmark_prints_every_row(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    for label in ROW_LABELS:
        row = [line for line in lines if line.startswith(label)]
        assert row, f"row {label!r} missing from:\n{proc.stdout}"
        assert any(ch.isdigit() for ch in row[0][len(label):]), row[0]
    res = json.loads(out.read_text())
    for key in ("model_1to1", "model_1to10", "run_overhead", "calibration_sim", "calibrate_rate", "mesa_rate"):
        assert key in res
    assert res["run_overhead"]["runs"][0]["overview_png"]
    assert 0 < res["run_overhead"]["model_s"] < res["run_overhead"]["wall_s"]
    assert res["calibrate_rate"]["per_hour"] > 0 and res["mesa_rate"] > 0
    prof = Path(res["profile"])
    assert prof.exists() and prof.parent == tmp_path
    text = prof.read_text()
    assert "tottime" in text and "sim/" in text  # a cProfile table of the model's own functions
