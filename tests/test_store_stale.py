"""Stored runs of older code: reported by the store, warned about (and reused) or recomputed on request.

Run keys ignore the code version, so a store reused after a model change would silently return
results of the old model. ``ResultStore.stale`` finds them from the ``code_version`` column;
``experiments.execute`` warns with one line (default) or recomputes them (``rerun_stale``), and
``akrim sweep`` / ``akrim compare`` / ``akrim sensitivity`` take ``rerun_stale=true``.
Runs use the ``probe`` test model in this process, and the simulator at scale 0.005 for a year.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from experiments import compare as cmp
from experiments import sensitivity as sa
from experiments import sweep as sw
from experiments.execute import execute, stale_warning
from experiments.runs import RunSpec, _code_version
from experiments.store import ResultStore

OLD = "0.0.1+gdeadbee"


def probes(n: int = 3) -> list[RunSpec]:
    return [RunSpec.for_model("probe", [f"x={i}.0", "seed=1"], point=i) for i in range(n)]


def age(store: ResultStore, keys, version: str = OLD) -> None:
    """Rewrite the stored records of ``keys`` as if an older code version had produced them."""
    for k in keys:
        rec = store.load(keys={k})
        store.put(rec.assign(code_version=version))


def versions(store: ResultStore, keys) -> set[str]:
    return set(store.load(keys=set(keys), columns=["code_version"])["code_version"])


@pytest.fixture()
def probe_store(tmp_path):
    store = ResultStore(tmp_path / "store")
    specs = probes()
    summ = execute(specs, store, address="none", progress=False)
    assert (summ.done, summ.skipped, summ.stale) == (3, 0, {})
    return store, specs, summ.keys


def test_store_reports_only_records_of_other_versions(probe_store):
    store, _, keys = probe_store
    now = _code_version()
    assert store.code_versions(keys) == dict.fromkeys(keys, now)
    assert store.stale(keys, now) == {}
    age(store, keys[:2])
    assert store.stale(keys, now) == {keys[0]: OLD, keys[1]: OLD}
    assert store.stale(keys[1:], now) == {keys[1]: OLD}  # only the keys asked about
    assert store.stale(["0123456789abcdef"], now) == {}  # not in the store
    assert store.stale(keys, OLD) == {keys[2]: now}


def test_equal_versions_give_no_warning(probe_store, capsys):
    store, specs, _ = probe_store
    capsys.readouterr()
    summ = execute(specs, store, address="none", progress=False)
    assert (summ.done, summ.skipped, summ.stale) == (0, 3, {})
    assert capsys.readouterr().err == ""


def test_old_records_are_reused_with_one_warning_line(probe_store, capsys):
    store, specs, keys = probe_store
    age(store, keys[:2])
    age(store, keys[2:], "0.0.2+gcafe123.dirty")
    capsys.readouterr()
    summ = execute(specs, store, address="none", progress=False, rerun_hint="add rerun_stale=true to recompute them")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    now = _code_version()
    assert err[0] == (f"warning: 3 of 3 reused runs came from other code versions ({OLD} (2), 0.0.2+gcafe123.dirty (1); current {now}) "
                      "and may be results of the old model; add rerun_stale=true to recompute them")
    assert (summ.done, summ.skipped, len(summ.stale), summ.rerun_stale) == (0, 3, 3, False)
    assert versions(store, keys) == {OLD, "0.0.2+gcafe123.dirty"}  # reused, not recomputed


def test_count_is_of_the_reused_runs_only(probe_store, capsys):
    store, _, keys = probe_store
    age(store, keys[:1])
    capsys.readouterr()
    summ = execute(probes(5), store, address="none", progress=False)  # 3 stored (1 old) + 2 new
    err = capsys.readouterr().err
    assert "warning: 1 of 3 reused runs came from other code versions" in err and "use a new store" in err
    assert (summ.done, summ.skipped, list(summ.stale)) == (2, 3, keys[:1])


def test_rerun_stale_recomputes_and_overwrites_them(probe_store, capsys):
    store, specs, keys = probe_store
    age(store, keys[:2])
    capsys.readouterr()
    summ = execute([*specs, specs[0]], store, address="none", progress=False, rerun_stale=True)  # a duplicate spec runs once
    err = capsys.readouterr().err
    assert err.startswith("note: recomputing 2 of 3 stored runs that came from other code versions")
    assert (summ.done, summ.skipped, summ.rerun_stale) == (2, 1, True)
    assert versions(store, keys) == {_code_version()}
    assert sorted(store.load(keys=set(keys))["y"]) == [0.0, 1.0, 2.0]
    summ = execute(specs, store, address="none", progress=False, rerun_stale=True)  # nothing left to recompute
    assert (summ.done, summ.skipped, summ.stale) == (0, 3, {})
    assert capsys.readouterr().err == ""


def test_warning_names_at_most_three_versions():
    stale = {f"k{i}": f"v{i % 5}" for i in range(10)}
    line = stale_warning(stale, 12, "v9")
    assert line.startswith("warning: 10 of 12 reused runs") and "and 2 more; current v9)" in line


# ----------------------------------------------------------------------------------- commands
def sweep_file(tmp_path: Path) -> Path:
    body = {"name": "pr", "model": "probe", "parameters": {"x": {"levels": [1.0, 2.0]}}, "design": {"method": "factorial"},
            "replicates": 1, "outputs": {"kpis": ["y"]}}
    f = tmp_path / "pr.yaml"
    f.write_text(yaml.safe_dump(body))
    return f


def test_akrim_sweep_warns_then_reruns_with_the_option(tmp_path, capsys):
    f, out = sweep_file(tmp_path), tmp_path / "out"
    base = [f"file={f}", f"out={out}", "address=none", "progress=false"]
    assert sw.main(base) == 0
    store = ResultStore(out)
    keys = sorted(store.done_keys())
    age(store, keys[:1])
    capsys.readouterr()
    assert sw.main(base) == 0
    err = capsys.readouterr().err
    assert err.count("warning") == 1  # not also the summary's mixed-versions warning
    assert "1 of 2 reused runs came from other code versions" in err and "add rerun_stale=true" in err
    sa._warn_stale(out, None)  # akrim sensitivity out=... (analysis only) checks the store too
    assert "warning: 1 of 2 analysed runs came from other code versions" in capsys.readouterr().err
    assert sw.main([*base, "rerun_stale=true"]) == 0
    assert "note: recomputing 1 of 2 stored runs" in capsys.readouterr().err
    assert versions(store, keys) == {_code_version()}
    sa._warn_stale(out, None)
    assert capsys.readouterr().err == ""


def test_unknown_key_errors_list_the_option(capsys):
    assert sw.main(["file=x.yaml", "rerun_stal=true"]) == 2
    err = capsys.readouterr().err
    assert "did you mean rerun_stale=true?" in err and "rerun_stale" in err.split("a key of akrim sweep:")[1]
    assert sw.main(["file=x.yaml", "rerun_stale=maybe"]) == 2
    assert "rerun_stale = 'maybe' (allowed: true or false)" in capsys.readouterr().err
    assert sa.main(["out=x", "rerun_stale=true"]) == 2
    assert "rerun_stale = 'true' (allowed: only with file=" in capsys.readouterr().err
    assert sa.main(["out=x", "rerun_stal=true"]) == 2
    assert "did you mean rerun_stale=true?" in capsys.readouterr().err
    assert sw.main(["--help"]) == 0 and "rerun_stale" in capsys.readouterr().out
    assert cmp.main(["--help"]) == 0 and "rerun_stale" in capsys.readouterr().out


def test_compare_option_is_parsed_and_not_part_of_the_identity():
    base = ["policy=[baseline,no_centres]", "reps=2"]
    a, b = cmp.parse_args(base), cmp.parse_args([*base, "rerun_stale=true"])
    assert (a.rerun_stale, b.rerun_stale) == (False, True)
    assert a.default_out() == b.default_out() and a.command() == b.command()
    assert b.overrides == []  # not passed to Hydra as an override
    with pytest.raises(cmp.CompareError, match="rerun_stale = 'maybe'"):
        cmp.parse_args([*base, "rerun_stale=maybe"])


def test_akrim_compare_warns_notes_and_reruns(tmp_path, capsys, monkeypatch):
    import experiments.report

    monkeypatch.setattr(experiments.report, "write_outputs", lambda *a, **k: None)  # the report is tested elsewhere (slow)
    argv = ["policy=[baseline,no_centres]", "reps=2", "seed=3", "scale=0.005", "end=2014", "address=none", "progress=false",
            "posterior=false", f"out={tmp_path}"]
    o = cmp.parse_args(argv)
    _, summ, _ = cmp.run_comparison(o)
    assert (summ.done, summ.stale) == (4, {})
    store = ResultStore(tmp_path / "runs")
    age(store, summ.keys[:3])
    capsys.readouterr()
    _, summ, _ = cmp.run_comparison(o)
    err = capsys.readouterr().err
    assert "warning: 3 of 4 reused runs came from other code versions" in err and "add rerun_stale=true" in err
    assert (summ.done, len(summ.stale)) == (0, 3)
    meta = store.meta("compare")
    assert meta["runs_of_other_code_versions"] == {OLD: 3} and any("rerun_stale=true" in n for n in meta["notes"])
    _, summ, _ = cmp.run_comparison(cmp.parse_args([*argv, "rerun_stale=true"]))
    assert (summ.done, summ.skipped, summ.rerun_stale) == (3, 1, True)
    assert versions(store, summ.keys) == {_code_version()}
    assert not any("rerun_stale" in n for n in store.meta("compare")["notes"])
