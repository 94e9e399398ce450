"""Finished runs of an unfinished ABC-SMC generation, kept so that a stop loses (almost) nothing.

pyabc writes a generation to its history only when the generation is complete. Late generations
are long (generation 5 of the full budget took about an hour on the 2-core machine), so a stop
in the middle of one (Ctrl-C, a killed job, the end of a session) used to throw away every run
of it. ``ResumableDaskSampler`` records each finished job here as it arrives; when the same
generation of the same history is sampled again, the recorded results are reused and sampling
continues with new job ids after them.

Why reuse is valid: a generation's proposal depends only on the history's previous generations
(the kernel fitted to generation t-1, the prior, and epsilon from t-1's distances), which are
final once written. Every recorded run is a draw from that same proposal, evaluated against the
same epsilon, and carries its own importance weight, so the reused runs and the new ones are one
sample. The records are keyed by (history file, run id, generation, number of generations in the
history when the generation started); a record of another key is never used. Only the jobs
running at the moment of the stop are lost (at most one per worker), as in any restart.

Storage: one SQLite file beside the history (``abc.partial.db`` for ``abc.db``), one row per
finished job, committed at once; cleared when the generation is in the history. Each job's
results are stored as JSON (a pyabc ``Particle`` as its fields: model, parameters, weight,
summary statistics - numbers, or numpy arrays as lists with their dtype - distance, flags),
never pickled: a file can come from anywhere (it may be committed, copied, downloaded), and
unpickling one runs whatever code it holds. Files of the earlier pickle format (table ``jobs``)
are not read; their runs are simply run again.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs_json (
    run_id INTEGER NOT NULL,
    t INTEGER NOT NULL,
    n_done INTEGER NOT NULL,
    job_id INTEGER NOT NULL,
    n_accepted INTEGER NOT NULL,
    batch TEXT NOT NULL,
    PRIMARY KEY (run_id, t, n_done, job_id)
)
"""


def _plain(x: Any) -> Any:
    """A summary-statistic value as JSON: numbers, numpy scalars and arrays (tagged), lists, dicts, text."""
    import numpy as np

    if isinstance(x, np.ndarray):
        return {"__ndarray__": x.tolist(), "dtype": str(x.dtype)}
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, dict):
        return {"__dict__": [[_plain(k), _plain(v)] for k, v in x.items()]}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return {"__float__": repr(x)}
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    raise TypeError(f"cannot record a {type(x).__name__} of a calibration run as JSON")


def _unplain(x: Any) -> Any:
    import numpy as np

    if isinstance(x, dict):
        if "__ndarray__" in x:
            return np.asarray(x["__ndarray__"], dtype=x["dtype"])
        if "__float__" in x:
            return float(x["__float__"])
        if "__dict__" in x:
            return {_unplain(k): _unplain(v) for k, v in x["__dict__"]}
    if isinstance(x, list):
        return [_unplain(v) for v in x]
    return x


def encode(result: Any) -> dict[str, Any]:
    """One sampler result (a pyabc ``Particle``, or any JSON-able value) as JSON-able data."""
    from pyabc.population import Particle

    if isinstance(result, Particle):
        return {"particle": {"m": int(result.m), "parameter": _plain(dict(result.parameter)), "weight": _plain(result.weight),
                             "sum_stat": _plain(dict(result.sum_stat)), "distance": _plain(result.distance),
                             "accepted": bool(result.accepted), "proposal_id": int(result.proposal_id),
                             "preliminary": bool(result.preliminary)}}
    return {"value": _plain(result)}


def decode(data: dict[str, Any]) -> Any:
    """The inverse of :func:`encode`."""
    if "particle" in data:
        from pyabc.parameters import Parameter
        from pyabc.population import Particle

        p = data["particle"]
        return Particle(m=p["m"], parameter=Parameter(_unplain(p["parameter"])), weight=_unplain(p["weight"]),
                        sum_stat=_unplain(p["sum_stat"]), distance=_unplain(p["distance"]), accepted=p["accepted"],
                        proposal_id=p["proposal_id"], preliminary=p["preliminary"])
    return _unplain(data["value"])


def partial_path(db: Path) -> Path:
    """The partial-generation file beside a history file: ``abc.db`` -> ``abc.partial.db``."""
    db = Path(db)
    return db.with_name(db.stem + ".partial" + db.suffix)


@dataclass
class PartialRuns:
    """The finished jobs of one generation of one ABC history (see the module docstring).

    Args:
        path: The SQLite file (``partial_path(history)``).
        run_id: The ABC run in the history.
        n_done: Number of complete generations in the history when this call started sampling;
            pyabc's generation ``t`` of this call is ``n_done`` (the calibration sample of a new
            run is ``t = -1``).
    """

    path: Path
    run_id: int
    n_done: int

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        con.execute(SCHEMA)
        return con

    def load(self, t: int) -> list[tuple[Any, bool, int]]:
        """The recorded ``(result, accepted, job_id)`` tuples of generation ``t``, by job id."""
        if not self.path.is_file():
            return []
        with self._connect() as con:
            rows = con.execute("SELECT batch FROM jobs_json WHERE run_id=? AND t=? AND n_done=? ORDER BY job_id",
                               (self.run_id, t, self.n_done)).fetchall()
        out: list[tuple[Any, bool, int]] = []
        for (text,) in rows:
            out.extend((decode(r), bool(a), int(j)) for r, a, j in json.loads(text))
        return out

    def add(self, t: int, batch: list[tuple[Any, bool, int]]) -> None:
        """Record one finished job (pyabc's batch of ``(result, accepted, job_id)``) at once."""
        if not batch:
            return
        text = json.dumps([[encode(r), bool(a), int(j)] for r, a, j in batch], allow_nan=False)
        with self._connect() as con:
            con.execute("INSERT OR REPLACE INTO jobs_json VALUES (?, ?, ?, ?, ?, ?)",
                        (self.run_id, t, self.n_done, int(batch[0][2]), sum(1 for b in batch if b[1]), text))

    def counts(self) -> dict[int, tuple[int, int]]:
        """Per recorded generation ``t``: (finished jobs, accepted runs) of this key."""
        if not self.path.is_file():
            return {}
        with self._connect() as con:
            rows = con.execute("SELECT t, COUNT(*), SUM(n_accepted) FROM jobs_json WHERE run_id=? AND n_done=? GROUP BY t",
                               (self.run_id, self.n_done)).fetchall()
        return {int(t): (int(n), int(a or 0)) for t, n, a in rows}

    def clear(self) -> None:
        """Forget everything recorded for this history run (its generations are now in the history).

        The file is removed when nothing else is left in it.
        """
        if not self.path.is_file():
            return
        with self._connect() as con:
            con.execute("DELETE FROM jobs_json WHERE run_id=?", (self.run_id,))
            left = con.execute("SELECT COUNT(*) FROM jobs_json").fetchone()[0]
            old = con.execute("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='jobs'").fetchone()[0]
            if old:  # records of the old pickle format are never read
                left += con.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        if not left:
            self.path.unlink(missing_ok=True)
