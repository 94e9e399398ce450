"""Checks CI runs with the default suite: ``ruff check`` over the repository, and ``docs/parameters.md`` up to date."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_check_passes():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is not installed: pip install -e '.[test]'"
    proc = subprocess.run([ruff, "check", "--no-cache", "--output-format", "concise", "."], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_is_the_configured_formatter():
    import tomllib

    conf = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]
    assert "format" in conf and conf["line-length"] == 140


def test_parameters_doc_is_up_to_date():
    proc = subprocess.run([sys.executable, str(REPO / "docs" / "gen_parameters.py"), "--check"], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-2000:]
