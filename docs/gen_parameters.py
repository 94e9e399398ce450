"""Write ``docs/parameters.md``: every configuration key with its default, range, source and meaning.

The schema in ``sim/config`` (``AkrimConfig`` with its ``WorldConfig`` and ``PolicyConfig``
sections) is the single source of truth for parameters. This script walks those dataclasses and
renders one Markdown table per section, reading each field's metadata as declared by
``sim.config.fields`` (``lo``/``hi`` bounds, ``date``, ``src`` and ``doc``). Dict-of-dataclass
fields (``policy.centres.by_region``, ``policy.sharing.before`` / ``after`` / ``no_centre``)
are listed entry by entry. The two input tables in ``sim/data/`` are reproduced at the end.

Usage (from anywhere, with the package installed)::

    python docs/gen_parameters.py            # (re)write docs/parameters.md
    python docs/gen_parameters.py --check    # exit 1 if docs/parameters.md is out of date

Nothing here is written by hand: change the schema, then re-run this script.
"""

from __future__ import annotations

import argparse
import ast
import csv
import dataclasses
import inspect
import io
import math
import sys
import textwrap
import tokenize
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "parameters.md"

try:  # the package is normally installed (pip install -e .); fall back to the checkout
    import sim  # noqa: F401
except ImportError:  # pragma: no cover
    sys.path.insert(0, str(HERE.parent))

from sim.config import AkrimConfig  # noqa: E402
from sim.data import DATA_DIR  # noqa: E402

# --------------------------------------------------------------------------------------------
# Reading the schema


def _field_comments(cls: type) -> dict[str, str]:
    """Trailing ``# comments`` on the lines declaring each field of ``cls``.

    For fields that carry no metadata, the comment is the only documentation they have.
    """
    try:
        src = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    lines_of: dict[str, tuple[int, int]] = {}
    for node in ast.parse(src).body[0].body:  # type: ignore[attr-defined]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            lines_of[node.target.id] = (node.lineno, node.end_lineno or node.lineno)
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    out = {}
    for name, (first, last) in lines_of.items():
        text = " ".join(comments[i] for i in range(first, last + 1) if i in comments)
        if text:
            out[name] = text
    return out


def _num(x: float) -> str:
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))
    return repr(x)


def _default(value: Any, meta: dict) -> str:
    if value is None:
        return "null (never)" if meta.get("date") else "null"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (int, float)):
        return _num(value)
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    if isinstance(value, (list, tuple)):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    if isinstance(value, dict) and not value:
        return "`{}`"
    return f"`{value}`"


def _range(value: Any, meta: dict, ftype: Any) -> str:
    if meta.get("date"):
        return "date"
    if "lo" in meta:
        lo, hi = meta["lo"], meta["hi"]
        if lo == 0.0 and hi == 1.0:
            return "probability"
        if math.isinf(hi) and math.isinf(lo):
            return "any number"
        if math.isinf(hi):
            return f"≥ {_num(lo)}"
        if math.isinf(lo):
            return f"≤ {_num(hi)}"
        return f"[{_num(lo)}, {_num(hi)}]"
    if isinstance(value, bool):
        return "true / false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    return "not declared"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


class Section:
    """One table: a dataclass section (or one dict-of-dataclass field) and its rows."""

    def __init__(self, path: str, title: str, doc: str) -> None:
        self.path, self.title, self.doc = path, title, doc
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.missing: list[str] = []  # keys without src/doc metadata (reported on stderr)


def _rows_for(obj: Any, prefix: str, sec: Section, nested: list[tuple[str, Any, str]]) -> None:
    """Add a row per scalar field of dataclass instance ``obj``; queue nested sections."""
    comments = _field_comments(type(obj))
    for f in dataclasses.fields(obj):
        key = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        meta = dict(f.metadata)
        if dataclasses.is_dataclass(value):
            nested.append((key, value, "section"))
            continue
        if isinstance(value, dict) and value and all(dataclasses.is_dataclass(v) for v in value.values()):
            nested.append((key, value, "dict"))
            continue
        if f.name == "interventions":
            nested.append((key, value, "interventions"))
            continue
        src = meta.get("src")
        doc = meta.get("doc", "")
        note = comments.get(f.name, "")
        if src is None:
            src = "— (no metadata)"
            if note and not doc:
                doc = f"(code comment) {note}"
        if not doc:
            doc = "—"
        if doc == "—" and src in ("assumption", "— (no metadata)"):
            sec.missing.append(key)  # neither a description nor a source that explains it
        sec.rows.append((f"`{key}`", _default(value, meta), _range(value, meta, f.type), src, doc))


def _doc(obj_or_cls: Any) -> str:
    d = inspect.getdoc(obj_or_cls) or ""
    return " ".join(d.split())


def collect() -> list[Section]:
    """Walk ``AkrimConfig()`` depth-first; return the sections in order."""
    cfg = AkrimConfig()
    sections: list[Section] = []

    def visit(path: str, obj: Any, kind: str) -> None:
        nested: list[tuple[str, Any, str]] = []
        if kind == "section":
            title = path or "run"
            sec = Section(path or "(top level)", title, _doc(type(obj)))
            _rows_for(obj, f"{path}." if path else "", sec, nested)
            if sec.rows:
                sections.append(sec)
        elif kind == "dict":
            first = next(iter(obj.values()))
            sec = Section(
                path, path, f"One entry per key ({', '.join(obj)}); each entry is a `{type(first).__name__}`: {_doc(type(first))}"
            )
            for k, v in obj.items():
                _rows_for(v, f"{path}.{k}.", sec, nested)
            sections.append(sec)
        elif kind == "interventions":
            from sim.config.policy import Intervention

            sec = Section(
                path,
                path,
                "A list of dated lever changes, applied by the policy calendar "
                f"(default: none). Each item is an `Intervention`: {_doc(Intervention)} "
                "Keys under `set` / `multiply` are policy keys written without the "
                "`policy.` prefix, e.g. `nli.n_inspectors`.",
            )
            _rows_for(Intervention(), f"{path}[i].", sec, nested)
            sections.append(sec)
        for key, value, k in nested:
            visit(key, value, k)

    visit("", cfg, "section")
    return sections


# --------------------------------------------------------------------------------------------
# Rendering


def _csv_table(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    head, body = rows[0], rows[1:]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in body]
    return out


def render() -> tuple[str, list[str]]:
    """Return the Markdown text and the keys that lack metadata."""
    sections = collect()
    lines = [
        "# A-krim simulator — parameters",
        "",
        "<!-- Generated by docs/gen_parameters.py from the schema in sim/config. Do not edit by hand:",
        "     change the schema and re-run `python docs/gen_parameters.py`. -->",
        "",
        "Every key of the run configuration, as declared in the dataclass schema (`sim/config/`):",
        "`AkrimConfig` (run settings), `WorldConfig` (`world.*`: uncertain facts about the world —",
        "calibration and sensitivity analysis vary them, a policy comparison never does) and",
        "`PolicyConfig` (`policy.*`: the levers a scenario may change, also by dated",
        "`interventions`). Keys are Hydra override keys, e.g. `akrim run policy.nli.n_inspectors=300`.",
        "Scenario files in `scenarios/world/` and `scenarios/policy/` override these defaults.",
        "",
        "Columns: **default** as in the schema; **range** as checked by `sim.config.validate`",
        "(*probability* = [0, 1]; *date* = ISO `YYYY-MM-DD`, or `null` for never); **source** as",
        "declared in the field metadata (a seed file in `shared/seeds/`, a SPEC section, a table, or",
        "*assumption*); **meaning** from the field's documentation. Units follow the naming",
        "convention: `p_` probability per event, `rate_…_year` per year, `dur_` days, `n_` count,",
        "`nok_` Norwegian kroner, `mnok` million NOK. Counts and rates of people, firms and",
        "capacity are national (1:1); the model multiplies them by `scale` internally.",
        "",
        "A row whose source reads *— (no metadata)* is declared without bounds or a source in the",
        "schema; a meaning of *—* means the schema gives no description.",
        "",
        "## Contents",
        "",
    ]
    for s in sections:
        anchor = s.title.replace(".", "").replace("[", "").replace("]", "").lower()  # GitHub-style
        lines.append(f"* [`{s.title}`](#{anchor})")
    lines += [
        "* [Input data: sim/data/sectors.csv](#input-data-simdatasectorscsv)",
        "* [Input data: sim/data/regions.csv](#input-data-simdataregionscsv)",
        "",
    ]
    missing: list[str] = []
    for s in sections:
        lines += [f"## {s.title}", ""]
        if s.doc:
            lines += [s.doc, ""]
        lines += ["| key | default | range | source | meaning |", "|---|---|---|---|---|"]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in s.rows]
        lines.append("")
        missing += s.missing
    for name, what in (
        (
            "sectors.csv",
            "One row per sector: 2023 employment and its source, mean firm size, "
            "migrant and posted-worker shares, propensities to evade and underpay (relative), "
            "sensitivity to buyer/consumer pressure, annual wage, whether it is a risk sector "
            "(the base of `undeclared_work_share`), and notes with sources.",
        ),
        (
            "regions.csv",
            "One row per region (one per centre): counties, share of employment "
            "with its source, the centre's historical opening date with its source. The opening "
            "dates used by a run are the `policy.centres.by_region.*.open` levers above.",
        ),
    ):
        lines += [f"## Input data: sim/data/{name}", "", what, ""]
        lines += _csv_table(DATA_DIR / name)
        lines.append("")
    return "\n".join(lines), missing


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` verify) ``docs/parameters.md``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/parameters.md is out of date")
    ap.add_argument("--out", type=Path, default=OUT, help="output file (default: docs/parameters.md)")
    args = ap.parse_args(argv)
    text, missing = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run python docs/gen_parameters.py", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({text.count(chr(10)) + 1} lines)")
    if missing:
        print(f"{len(missing)} keys with neither a description nor a source:", file=sys.stderr)
        for k in missing:
            print(f"  {k}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
