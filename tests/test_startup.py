"""Start-up of the model's import path (issue 15): Mesa's unused parts deferred (not lost), no scipy.stats."""

from __future__ import annotations

import subprocess
import sys

CHECK = r"""
import sys
import sim.model  # noqa: F401
assert "networkx" not in sys.modules, "mesa.space (networkx) was imported by the model's import path"
assert "scipy.stats" not in sys.modules, "scipy.stats is imported by the model's import path (sim.quantiles replaces it)"
import inspect
inspect.stack()  # walks every module: must not load the deferred ones
assert "networkx" not in sys.modules
from mesa.space import MultiGrid
import mesa
assert mesa.space.MultiGrid is MultiGrid
import mesa.experimental.devs
from mesa.discrete_space import CellAgent
assert mesa.discrete_space.CellAgent is CellAgent
print("ok")
"""


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, timeout=120)


def test_mesa_extras_deferred_and_importable():
    out = run(CHECK)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")


def test_eager_switch_imports_mesa_whole():
    out = run("import sys, sim.model; print('networkx' in sys.modules)", AKRIM_EAGER_MESA="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
