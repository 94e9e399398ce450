"""Writing files so that a reader never sees half of one.

``atomic_write(path, write)`` calls ``write(tmp)`` on a temporary name beside ``path`` (unique
per process and call) and renames it over ``path``; the rename is atomic on POSIX file systems,
so a killed writer leaves either the old file, the new one, or a stray ``.<name>.<pid>.tmp``
(which ``experiments.store.ResultStore.clean_tmp`` removes later). The one copy of this helper:
the run folder (``sim.runner``), the result store, sweeps and reports use it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Write ``path`` through ``write(tmp_path)`` and an atomic rename; return ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
