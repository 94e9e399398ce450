"""A results store: a partitioned Parquet dataset, one file per run, written atomically.

Layout::

    <root>/policy=<name>/<run_key>.parquet    one finished run (annual rows + tags + provenance)
    <root>/_failed/<run_key>.json              a run that raised: its spec and traceback
    <root>/_meta/*.json, *.parquet             what the experiment was (written by its command)
    <root>/_claims/<run_key>.claim             a run being computed now, by the process named inside

A file appears only when complete (written to a temporary name, then renamed), so a killed job
leaves either a whole result or none. ``done_keys()`` is what makes every experiment resumable.
Read everything back with ``load()`` (``pyarrow.dataset`` with hive partitioning).

Several commands may share one store at the same time (two sweeps, a sweep and a comparison):
before computing a run, a process claims it (``claim()``: a claim file created with
``O_CREAT | O_EXCL``, which exactly one process can do), and others wait for its result instead
of computing it again. A claim names its host and process id; a claim of a process that no
longer runs (same host), or older than ``CLAIM_TTL_S`` (another host), is stale and taken over,
so a killed sweep never blocks the next one.

Keys ignore the code version, so a finished run may come from older model code;
``stale()`` tells which (``experiments.execute`` warns about them, or recomputes them on request).
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.files import atomic_write

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
CLAIM_TTL_S = 24 * 3600.0  # a claim from another host older than this is stale


def _safe(name: str) -> str:
    return _SAFE.sub("_", str(name)) or "_"


class ResultStore:
    """Directory-backed store of run records.

    Args:
        root: The store's directory (created if needed).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ writing
    def _atomic_write(self, path: Path, write) -> None:
        atomic_write(path, write)

    # ------------------------------------------------------------------ claims
    def _claim_path(self, key: str) -> Path:
        return self.root / "_claims" / f"{_safe(key)}.claim"

    def claim(self, key: str) -> bool:
        """Claim the run ``key`` for this process; False if another live process holds it.

        Exactly one of several processes calling this at once gets True (``O_EXCL``). A stale
        claim (see the module docstring) is removed and claimed afresh.
        """
        path = self._claim_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "time": time.time()}).encode()
        for _ in range(3):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if not self._stale_claim(path):
                    return False
                try:  # take over atomically: only one of the processes that saw it stale renames it away
                    os.rename(path, path.with_name(f".{path.name}.{os.getpid()}.stale"))
                    path.with_name(f".{path.name}.{os.getpid()}.stale").unlink(missing_ok=True)
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            return True
        return False

    def _stale_claim(self, path: Path) -> bool:
        try:
            info = json.loads(path.read_text() or "{}")
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            return True
        except ValueError:  # being written right now, or garbage
            try:
                return time.time() - path.stat().st_mtime > 60
            except FileNotFoundError:
                return True
        if age > CLAIM_TTL_S:  # also on this host: the pid may have been reused since
            return True
        if info.get("host") == socket.gethostname():
            pid = int(info.get("pid", -1))
            if pid == os.getpid():
                return False
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                return False
            return False
        return False

    def claimed(self, key: str) -> bool:
        """Whether a live process (possibly this one) holds the claim of ``key``."""
        path = self._claim_path(key)
        return path.exists() and not self._stale_claim(path)

    def release(self, key: str) -> None:
        """Drop this process's claim of ``key`` (after storing its result or failure)."""
        path = self._claim_path(key)
        try:
            info = json.loads(path.read_text() or "{}")
        except (FileNotFoundError, ValueError):
            return
        if info.get("pid") == os.getpid() and info.get("host") == socket.gethostname():
            path.unlink(missing_ok=True)

    def put(self, record: Any) -> Path:
        """Store one run's record (a DataFrame with ``run_key`` and ``policy`` columns)."""
        key = str(record["run_key"].iloc[0])
        policy = _safe(record["policy"].iloc[0])
        path = self.root / f"policy={policy}" / f"{key}.parquet"
        data = record.drop(columns=["policy"])  # the partition column comes from the path
        self._atomic_write(path, lambda p: data.to_parquet(p, index=False))
        failed = self.root / "_failed" / f"{key}.json"
        if failed.exists():
            failed.unlink()
        return path

    def put_failure(self, key: str, spec: Any, error: str) -> Path:
        """Record a run that raised (kept until the run succeeds)."""
        path = self.root / "_failed" / f"{key}.json"
        body = {"run_key": key, "model": getattr(spec, "model", "akrim"), "overrides": list(spec.overrides),
                "tags": dict(spec.tags), "error": error}
        self._atomic_write(path, lambda p: p.write_text(json.dumps(body, indent=2, default=str)))
        return path

    def put_meta(self, name: str, meta: dict[str, Any]) -> Path:
        """Write a JSON description of the experiment (``_meta/<name>.json``)."""
        path = self.root / "_meta" / f"{_safe(name)}.json"
        self._atomic_write(path, lambda p: p.write_text(json.dumps(meta, indent=2, default=str)))
        return path

    def put_table(self, name: str, table: Any) -> Path:
        """Write a pandas DataFrame describing the experiment (``_meta/<name>.parquet``)."""
        path = self.root / "_meta" / f"{_safe(name)}.parquet"
        self._atomic_write(path, lambda p: table.to_parquet(p, index=False))
        return path

    def clean_tmp(self, older_than_s: float = 900.0) -> int:
        """Delete temporary files left by writers that were killed mid-write; return how many.

        Only files older than ``older_than_s`` go (a live writer renames its file within
        milliseconds), so a store shared with a running job is safe to clean.
        """
        now, n = time.time(), 0
        for p in self.root.glob("**/.*.tmp"):
            try:
                if now - p.stat().st_mtime > older_than_s:
                    p.unlink()
                    n += 1
            except FileNotFoundError:  # renamed or removed meanwhile
                pass
        return n

    # ------------------------------------------------------------------ reading
    def meta(self, name: str) -> dict[str, Any] | None:
        """The JSON description ``_meta/<name>.json`` (None if absent)."""
        path = self.root / "_meta" / f"{_safe(name)}.json"
        return json.loads(path.read_text()) if path.exists() else None

    def meta_table(self, name: str):
        """The table ``_meta/<name>.parquet`` as a DataFrame (None if absent)."""
        import pandas as pd

        path = self.root / "_meta" / f"{_safe(name)}.parquet"
        return pd.read_parquet(path) if path.exists() else None

    def meta_names(self) -> list[str]:
        """Names of the JSON descriptions in ``_meta/``."""
        return sorted(p.stem for p in (self.root / "_meta").glob("*.json"))

    def is_done(self, key: str) -> bool:
        """Whether the run ``key`` is finished (cheaper than ``key in done_keys()``)."""
        return any(self.root.glob(f"policy=*/{_safe(key)}.parquet"))

    def done_keys(self) -> set[str]:
        """Keys of finished runs."""
        return {p.stem for p in self.root.glob("policy=*/*.parquet")}

    def code_versions(self, keys: Iterable[str]) -> dict[str, str]:
        """The ``code_version`` recorded with each of the given finished runs.

        Reads only the ``code_version`` column of each run's file (the key is its file name, as
        for ``done_keys()``), so asking about thousands of runs is cheap. Keys without a finished run are
        left out; a record without the column reports ``"unknown"``; a record holding several
        versions (not written by ``execute``) reports them joined by ``","``.
        """
        import pyarrow.parquet as pq

        want = set(keys)
        out: dict[str, str] = {}
        if not want:
            return out
        for path in self.root.glob("policy=*/*.parquet"):
            if path.stem not in want:  # the file name is the run key, as for done_keys()
                continue
            pf = pq.ParquetFile(path)
            if "code_version" not in pf.schema_arrow.names:
                out[path.stem] = "unknown"
                continue
            versions = sorted({str(v) for v in pf.read(columns=["code_version"]).column("code_version").to_pylist()})
            out[path.stem] = ",".join(versions) or "unknown"
        return out

    def stale(self, keys: Iterable[str], current: str) -> dict[str, str]:
        """Of the given finished runs, those recorded by a code version other than ``current``.

        Returns ``{run_key: recorded code_version}`` (empty when every record matches).
        Versions are compared as the strings of ``sim.runner.code_version()`` (package version,
        git commit, ``.dirty``), which is cheap but coarse:

        * a commit that did not touch the model (documentation, tests) still changes the
          version, so its records are reported as stale although their results are the same;
        * two versions differing only by ``.dirty`` cannot be told apart from a real change,
          and two different sets of uncommitted edits on the same commit share one ``...dirty``
          version, so records of one are *not* reported under the other.

        Telling these cases apart would need a hash of the model's source, which is not recorded.
        """
        return {k: v for k, v in self.code_versions(keys).items() if v != current}

    def failed(self) -> dict[str, dict[str, Any]]:
        """Failed runs by key (spec and traceback)."""
        out = {}
        for p in (self.root / "_failed").glob("*.json"):
            out[p.stem] = json.loads(p.read_text())
        return out

    def load(self, keys: set[str] | None = None, columns: list[str] | None = None):
        """All (or the given) finished runs as one pandas DataFrame."""
        import pandas as pd
        import pyarrow.dataset as ds

        files = sorted(self.root.glob("policy=*/*.parquet"))
        if keys is not None:
            files = [f for f in files if f.stem in keys]
        if not files:
            return pd.DataFrame()
        dataset = ds.dataset([str(f) for f in files], format="parquet", partitioning="hive",
                             partition_base_dir=str(self.root))
        return dataset.to_table(columns=columns).to_pandas()
