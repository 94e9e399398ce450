"""Where a model run's time goes: array work, NumPy's per-call machinery, or the interpreter.

Issue 15 asks, for every speed target that is not met, why and what the limit is. A Python
profile (``bench.py``'s cProfile summary) cannot answer that: it charges the time NumPy spends
inside a call to the Python line that made it, so a line that runs a pass over 3.8M worker slots
and a line that updates one firm look alike. This samples one run with ``py-spy --native``, which
sees through into compiled code, and sorts every sample by the function it landed in:

* **array inner loops** - the loops of NumPy, SciPy and the random generator over array
  elements (ufunc loops such as ``DOUBLE_add``, gathers and scatters ``mapiter_*``, ``nonzero``,
  ``bincount``, casts, copies, sorts, the Philox generator, ``ndtri``): the work proper, whose
  cost grows with the size of the arrays;
* **NumPy per-call machinery** - everything else NumPy and SciPy do for a call: argument
  parsing, dtype resolution, index preparation, allocation of result arrays. Its cost is per call,
  whatever the array's size, so it is the price of calling NumPy on small arrays;
* **interpreter** - Python bytecode of the model, SimPy, Mesa and the standard library, and
  CPython's own internals (object allocation, reference counting, the garbage collector).

From the shares and the run's time without the profiler (measured first, in a fresh process),
it prints what the run would take if one kind of cost vanished: if the interpreter and the
per-call machinery cost nothing, the run still needs the array inner loops' time - the floor of
any design that keeps these array passes and only compiles the code around them.

Requires ``py-spy`` (``pip install -e ".[bench]"``); py-spy needs permission to trace the child
process (root, or ``ptrace_scope`` 0). A benchmark, not a test; ``tests/test_decompose.py`` tests
the classification on a synthetic profile.

Usage:
    python benchmarks/decompose.py                                  # 1:1, 2014-2025
    python benchmarks/decompose.py --scale 0.1 --end 2019 --no-events   # what a calibration runs
    python benchmarks/decompose.py --scale 0.1 --out benchmarks/decompose_1to10.txt
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

KINDS = (
    "array inner loops",
    "numpy per-call machinery",
    "interpreter: Python code",
    "interpreter: CPython internals",
)

# Leaf functions that loop over array elements (NumPy 2.x, SciPy, numpy.random, libc, libm).
# Anything else inside a compiled NumPy/SciPy library counts as per-call machinery.
INNER_LOOP = re.compile(
    r"_X86_V|_AVX|simd_|mapiter|philox|pairwise_sum|Nonzero|bincount|Repeat|TakeFrom|_cast|_fill"
    r"|memcpy|memmove|memset|count_nonzero|PyArray_Where|binsearch|sort|ndtri|xsf_|random_|bounded"
    r"|reduceat|accumulate|^(DOUBLE|FLOAT|LONG|ULONG|INT|UINT|BOOL|UBYTE|BYTE|SHORT|HALF)_|contig"
    r"|strided|aligned|[Cc]ompress|Choose|legacy|buffered|_gather|_scatter|exp|log|__ieee|fetestexcept"
    r"|_double|_uint32|_uint64|copy|_swap|npyiter_|raw_array|AssignArray|clip|_and_|_or_|_less"
    r"|_greater|_equal|_minimum|_maximum|multiply|_add|subtract|divide|_sum"
)

MODEL = r"""
import json, sys, time
from sim.config import load_config
from sim.model import AkrimModel
cfg = load_config(json.loads(sys.argv[1]))
t0 = time.perf_counter()
AkrimModel(cfg).run()
print(json.dumps({"model_s": time.perf_counter() - t0}))
"""


def classify(frame: str) -> str:
    """The kind of cost of a sample whose innermost frame is ``frame`` (py-spy's raw format).

    A frame reads ``function (file:line)`` for Python code and ``function (library.so)`` for
    native code, or a bare address for a native function without a symbol.
    """
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    if re.search(r"\.py:\d+$", where) or where.endswith(".py") or where.startswith("<frozen"):
        return "interpreter: Python code"
    if "libpython" in where:
        return "interpreter: CPython internals"
    if INNER_LOOP.search(name):
        return "array inner loops"
    return "numpy per-call machinery"


def model_caller(stack: list[str]) -> str:
    """The innermost frame of the model's own code (``sim/``) in a stack, without its line."""
    for frame in reversed(stack):
        name, _, where = frame.partition(" (")
        if where.startswith("sim/"):
            return f"{name} ({where.split(':')[0]})"
    return "(outside sim/)"


def decompose(raw: str, within: str = "AkrimModel.") -> tuple[Counter, Counter, int]:
    """Shares of the kinds of cost in py-spy's raw output (``stack count`` per line).

    Only stacks with a frame containing ``within`` count (default: the model's build and run, not
    the interpreter's start-up and imports, which the unprofiled model time leaves out too).
    Returns the samples per kind, the samples per innermost function (and per (kind, model
    function) pair, keyed by tuples), and the total.
    """
    kinds: Counter = Counter()
    leaves: Counter = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        if within and within not in stack:
            continue
        n = int(count)
        frames = stack.split(";")
        leaf = frames[-1]
        kind = classify(leaf)
        kinds[kind] += n
        leaves[leaf] += n
        leaves[(kind, model_caller(frames))] += n
        total += n
    return kinds, leaves, total


def report(kinds: Counter, leaves: Counter, total: int, model_s: float, what: str) -> str:
    """The text summary: shares, seconds at the unprofiled run time, floors, top functions."""
    if total == 0:
        raise SystemExit("decompose: the profile holds no samples (did py-spy attach?)")
    share = {k: kinds.get(k, 0) / total for k in KINDS}
    lines = [f"Where the time of one model run goes ({what})", "",
             f"model time without the profiler: {model_s:.2f} s; py-spy --native samples: {total}", "",
             "| kind of cost | share | seconds |", "|---|---|---|"]
    for k in KINDS:
        lines.append(f"| {k} | {100 * share[k]:.1f}% | {share[k] * model_s:.2f} |")
    loops = share["array inner loops"]
    lines += ["",
              f"if the interpreter and NumPy's per-call machinery cost nothing: {loops * model_s:.2f} s "
              "(the floor of any design that keeps these array passes)",
              f"if the array inner loops cost nothing: {(1 - loops) * model_s:.2f} s", "",
              "top innermost functions:"]
    for leaf, n in [x for x in leaves.most_common() if isinstance(x[0], str)][:25]:
        lines.append(f"  {100 * n / total:5.2f}%  [{classify(leaf)}]  {leaf}")
    for title, mine in (("array inner loops", lambda k: k == "array inner loops"),
                        ("interpreter and per-call machinery", lambda k: k != "array inner loops")):
        lines += ["", f"{title}, by the model function (sim/) that called them:"]
        by: Counter = Counter()
        for key, n in leaves.items():
            if isinstance(key, tuple) and mine(key[0]):
                by[key[1]] += n
        for fn, n in by.most_common(15):
            lines.append(f"  {100 * n / total:5.2f}%  {fn}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="population scale (default 1.0)")
    ap.add_argument("--end", type=int, default=None, help="last year (default: the config's, 2025)")
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--no-events", action="store_true", help="no event log (as a calibration simulation)")
    ap.add_argument("--rate", type=int, default=100, help="py-spy samples a second (default 100)")
    ap.add_argument("--out", default=None, help="where to write the summary (default benchmarks/decompose_<scale>.txt)")
    a = ap.parse_args(argv)
    if not 0 < a.scale <= 1:
        ap.error(f"--scale {a.scale}: must be in (0, 1]")
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit('decompose: py-spy is not installed (pip install -e ".[bench]")')
    ov = [f"scale={a.scale}", f"seed={a.seed}", "output.progress=false"]
    ov += [f"end={a.end}"] if a.end else []
    ov += ["output.events=false"] if a.no_events else []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-c", MODEL, json.dumps(ov)]
    t = time.perf_counter()
    plain = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    if plain.returncode != 0:
        raise SystemExit(f"decompose: the model run failed:\n{plain.stderr[-2000:]}")
    model_s = json.loads(plain.stdout.strip().splitlines()[-1])["model_s"]
    print(f"model run without the profiler: {model_s:.2f} s ({time.perf_counter() - t:.1f} s with start-up)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.txt"
        spied = subprocess.run([spy, "record", "--native", "-r", str(a.rate), "-f", "raw", "-o", str(raw), "--", *cmd],
                               capture_output=True, text=True, cwd=ROOT, env=env)
        if spied.returncode != 0 or not raw.exists():
            raise SystemExit(f"decompose: py-spy failed (rc {spied.returncode}):\n{spied.stderr[-2000:]}")
        kinds, leaves, total = decompose(raw.read_text())
    what = f"scale {a.scale:g}, {'2014-' + str(a.end) if a.end else '2014-2025'}, seed {a.seed}" + (", no event log" if a.no_events else "")
    text = report(kinds, leaves, total, model_s, what)
    out = Path(a.out) if a.out else HERE / f"decompose_{a.scale:g}.txt"
    out.write_text(text)
    print(text)
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
