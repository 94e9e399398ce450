"""The head-to-head table: NPE against ABC-SMC on the same model and targets, from two output folders.

Usage::

    python -m calibration.headtohead npe=DIR abc=DIR [out=FILE]

``DIR`` is the ``out`` folder of an ``akrim calibrate`` run (its ``meta.json``, and for NPE its
``coverage.csv``). Prints a Markdown table (and writes it to ``out`` if given) with, per method:
model runs used, wall time of the fit, coverage of the 50/80/90% intervals (NPE: simulation-based
calibration on held-out runs; ABC-SMC: not measured, since checking it needs one whole ABC run per
test data set), the predictive distance (the fit's distance of fresh posterior runs: median and
10-90%), and the fit targets inside their 90% predictive interval. Both folders must come from the
same code version, scale, priors and targets for the comparison to be fair; the table says which
they came from.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from experiments.cliargs import UsageError, split_args

KEYS = {"npe": "output folder of an NPE calibration", "abc": "output folder of an ABC-SMC calibration",
        "out": "write the table to this Markdown file too"}


def _meta(folder: Path, what: str) -> dict[str, Any]:
    path = Path(folder) / "meta.json"
    if not path.is_file():
        raise UsageError(f"{what}={folder}: no meta.json there (allowed: the out folder of an akrim calibrate run)")
    return json.loads(path.read_text())


def _cov(meta: dict[str, Any]) -> str:
    cov = (meta.get("coverage") or {}).get("mean over parameters")
    if not cov:
        return "not measured"
    return " / ".join(f"{100 * float(cov[k]):.0f}%" for k in ("0.5", "0.8", "0.9") if k in cov)


def _dist(meta: dict[str, Any]) -> str:
    d = meta.get("fresh_run_distance") or {}
    return f"{d['median']:.2f} ({d['q10']:.2f}-{d['q90']:.2f})" if d else "n/a"


def _inside(meta: dict[str, Any], fit_ids: set[str]) -> str:
    v = meta.get("verdicts") or {}
    ids = [k for k in v if k in fit_ids] if fit_ids else list(v)
    return f"{sum(v[k] == 'inside' for k in ids)} of {len(ids)}"


def row(meta: dict[str, Any], method: str, fit_ids: set[str]) -> list[str]:
    """One table row."""
    if method == "npe":
        runs = f"{meta.get('simulations')} ({meta.get('training_runs')} training + {meta.get('heldout_runs')} held out)"
        wall = meta.get("wall_npe_s")
    else:
        runs = str(meta.get("simulations"))
        wall = meta.get("wall_abc_history_s") or meta.get("wall_abc_s")
    return [method.upper() if method == "npe" else "ABC-SMC", runs, f"{float(wall or 0):,.0f} s", _cov(meta), _dist(meta),
            _inside(meta, fit_ids), f"{meta.get('scale')}", str(meta.get("code_version", "?")), str(meta.get("budget", "?"))]


def table(npe_meta: dict[str, Any], abc_meta: dict[str, Any]) -> str:
    """The Markdown table."""
    from calibration.targets import load_targets

    fit_ids = {t.id for t in load_targets() if t.role == "fit"}
    head = ["method", "model runs", "wall time (fit)", "coverage 50/80/90% (mean over parameters)",
            "predictive distance, median (10-90%)", "fit targets inside 90%", "scale", "code version", "budget"]
    rows = [row(npe_meta, "npe", fit_ids), row(abc_meta, "abc", fit_ids)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Entry point; exit code 2 on bad input."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        opts, _ = split_args(argv, KEYS, "headtohead")
        for k in ("npe", "abc"):
            if k not in opts:
                raise UsageError(k, None, f"required: {KEYS[k]}")
        text = table(_meta(Path(opts["npe"]), "npe"), _meta(Path(opts["abc"]), "abc"))
    except UsageError as exc:
        print(f"headtohead: error: {exc}", file=sys.stderr)
        return 2
    print(text, end="")
    if "out" in opts:
        Path(opts["out"]).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
