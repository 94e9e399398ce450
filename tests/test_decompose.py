"""benchmarks/decompose.py: the classification of py-spy samples into kinds of cost."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("decompose", Path(__file__).resolve().parents[1] / "benchmarks" / "decompose.py")
dec = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dec)

NP = "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"


@pytest.mark.parametrize(
    "frame, kind",
    [
        ("Signals.send (sim/signals.py:65)", "interpreter: Python code"),
        ("Environment.step (simpy/core.py:189)", "interpreter: Python code"),
        ("gc_collect_main (libpython3.11.so.1.0)", "interpreter: CPython internals"),
        (f"DOUBLE_add_X86_V3 ({NP})", "array inner loops"),
        (f"mapiter_trivial_get ({NP})", "array inner loops"),
        (f"PyArray_Nonzero ({NP})", "array inner loops"),
        ("_philox_philox_double (numpy/random/_philox.cpython-311-x86_64-linux-gnu.so)", "array inner loops"),
        ("xsf_ndtri (scipy/special/_ufuncs.cpython-311-x86_64-linux-gnu.so)", "array inner loops"),
        ("__memmove_avx_unaligned_erms (libc.so.6)", "array inner loops"),
        (f"ufunc_generic_fastcall ({NP})", "numpy per-call machinery"),
        (f"PyArray_NewFromDescr_int ({NP})", "numpy per-call machinery"),
        (f"prepare_index_noarray ({NP})", "numpy per-call machinery"),
        ("0x7fcf2aa4524a (libc.so.6)", "numpy per-call machinery"),
        ("_compile_bytecode (<frozen importlib._bootstrap_external>:729)", "interpreter: Python code"),
    ],
)
def test_classify(frame, kind):
    assert dec.classify(frame) == kind


def test_decompose_counts_and_report():
    raw = "\n".join([
        "<module> (x.py:1);_find_and_load (<frozen importlib._bootstrap>:1176) 5",  # start-up: left out
        f"<module> (x.py:1);AkrimModel.run (sim/model.py:1);f (sim/a.py:3);DOUBLE_add_X86_V3 ({NP}) 6",
        f"<module> (x.py:1);AkrimModel.run (sim/model.py:1);f (sim/a.py:3);ufunc_generic_fastcall ({NP}) 2",
        "<module> (x.py:1);AkrimModel.__init__ (sim/model.py:1);g (sim/b.py:9) 1",
        "<module> (x.py:1);AkrimModel.run (sim/model.py:1);gc_collect_main (libpython3.11.so.1.0) 1",
        "",
        "a malformed line",
    ])
    assert dec.decompose(raw, within="")[2] == 15  # every stack
    kinds, leaves, total = dec.decompose(raw)  # the model's build and run only
    assert total == 10
    assert kinds["array inner loops"] == 6 and kinds["numpy per-call machinery"] == 2
    assert kinds["interpreter: Python code"] == 1 and kinds["interpreter: CPython internals"] == 1
    text = dec.report(kinds, leaves, total, 20.0, "test")
    assert "| array inner loops | 60.0% | 12.00 |" in text
    assert "if the interpreter and NumPy's per-call machinery cost nothing: 12.00 s" in text
    assert "if the array inner loops cost nothing: 8.00 s" in text
    assert "  60.00%  f (sim/a.py)" in text  # the array loops, by the model function calling them
    assert leaves[("interpreter: Python code", "g (sim/b.py)")] == 1


def test_report_refuses_an_empty_profile():
    with pytest.raises(SystemExit, match="no samples"):
        dec.report(*dec.decompose(""), 1.0, "empty")
