"""The package layers: sim/ (the model) < experiments/ < calibration/ < the front-ends.

The front-ends (the ``akrim`` command line, ``experiments/cli.py``, and the workshop page,
``experiments/workshop/``) sit above everything else; nothing below them imports them, and the
model imports neither the experiment layer nor the calibration.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRONTENDS = ("experiments.cli", "experiments.workshop")


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _modules(pkg: str):
    for p in sorted((ROOT / pkg).rglob("*.py")):
        mod = ".".join(p.relative_to(ROOT).with_suffix("").parts)
        yield mod, p


def _is_frontend(mod: str) -> bool:
    return any(mod == f or mod.startswith(f + ".") for f in FRONTENDS)


@pytest.mark.parametrize("pkg", ["sim"])
def test_the_model_imports_no_experiment_or_calibration_code(pkg):
    bad = {m: sorted(i for i in _imports(p) if i.split(".")[0] in ("experiments", "calibration")) for m, p in _modules(pkg)}
    assert not {m: v for m, v in bad.items() if v}


def test_nothing_below_the_front_ends_imports_them():
    bad = {}
    for pkg in ("sim", "experiments", "calibration"):
        for mod, p in _modules(pkg):
            if _is_frontend(mod):
                continue
            hits = sorted(i for i in _imports(p) if _is_frontend(i))
            if hits:
                bad[mod] = hits
    assert not bad


def test_the_experiment_layer_imports_no_calibration_code():
    bad = {}
    for mod, p in _modules("experiments"):
        if _is_frontend(mod):
            continue
        hits = sorted(i for i in _imports(p) if i.split(".")[0] == "calibration")
        if hits:
            bad[mod] = hits
    assert not bad
