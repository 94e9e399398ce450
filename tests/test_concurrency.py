"""Runs never share a folder, and commands sharing a store compute each run once (issue 13)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

import experiments.cli as cli
from experiments.store import ResultStore
from sim.runner import RunFolder

REPO = Path(__file__).resolve().parents[1]
AKRIM = shutil.which("akrim", path=str(Path(sys.executable).parent)) or "akrim"
TINY_RUN = ["scale=0.003", "end=2014", "output.progress=false", "output.summary=false", "output.events=false"]


def _consistent(folder: Path, seed: int) -> None:
    info = json.loads((folder / "run_info.json").read_text())
    saved = yaml.safe_load((folder / ".hydra" / "config.yaml").read_text())
    overrides = yaml.safe_load((folder / ".hydra" / "overrides.yaml").read_text())
    assert info["seed"] == saved["seed"] == seed and f"seed={seed}" in overrides
    for name in ("annual.parquet", "annual.csv", "annual_region.parquet", "annual_sector.parquet", "overview.png"):
        assert (folder / name).is_file(), name
    assert not list(folder.glob(".*.tmp"))


def test_run_folder_names_never_collide(tmp_path):
    a, b = RunFolder(tmp_path, "12-00-00_s5_baseline", "_baseline"), RunFolder(tmp_path, "12-00-00_s5_baseline", "_baseline")
    (a.path / "x").write_text("a")
    (b.path / "x").write_text("b")
    fa, fb = a.commit(), b.commit()
    assert fa.name == "12-00-00_s5_baseline" and re.fullmatch(r"12-00-00_s5-[0-9a-f]{4}_baseline", fb.name)
    assert (fa / "x").read_text() == "a" and (fb / "x").read_text() == "b"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fa.name, fb.name])  # no temporary folder left
    c = RunFolder(tmp_path, "gone")
    c.discard()
    assert not c.path.exists()


def test_two_runs_in_the_same_second_with_the_same_seed_get_two_folders(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli.time, "strftime", lambda fmt, *a: "2026-01-01" if "%Y" in fmt else "12-00-00")
    assert cli.main(["run", *TINY_RUN, "seed=5"]) == 0
    assert cli.main(["run", *TINY_RUN, "seed=5"]) == 0
    assert cli.main(["run", *TINY_RUN, "seed=6"]) == 0
    folders = sorted(p for p in (tmp_path / "outputs" / "2026-01-01").iterdir())
    names = [p.name for p in folders]
    assert len(names) == 3 and "12-00-00_s5_baseline" in names and "12-00-00_s6_baseline" in names, names
    for f in folders:
        _consistent(f, 6 if "_s6" in f.name else 5)
    printed = [ln.split(":", 1)[1].strip() for ln in capsys.readouterr().out.splitlines() if ln.startswith("Outputs:")]
    assert sorted(printed) == sorted(str(f.resolve()) for f in folders)


def test_two_akrim_run_processes_started_together_give_two_consistent_folders(tmp_path):
    procs = [subprocess.Popen([AKRIM, "run", *TINY_RUN, f"seed={s}"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for s in (5, 6, 5)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0 and "Traceback" not in err, err
    folders = [p for p in (tmp_path / "outputs").glob("*/*") if p.is_dir()]
    assert len(folders) == 3, folders
    assert not [p for p in (tmp_path / "outputs").glob("*/.*")], "a temporary folder was left behind"
    for f in folders:
        _consistent(f, 6 if "_s6" in f.name else 5)


# ------------------------------------------------------------------------------ claims on a shared store
def test_a_claim_is_exclusive_and_released(tmp_path):
    store = ResultStore(tmp_path)
    assert store.claim("k1")
    assert not ResultStore(tmp_path).claim("k1")  # held (by this very process): nobody gets it twice
    info = json.loads((tmp_path / "_claims" / "k1.claim").read_text())
    assert info["pid"] == os.getpid()
    store.release("k1")
    assert not (tmp_path / "_claims" / "k1.claim").exists()


def _claim_in_child(root: Path, key: str) -> subprocess.CompletedProcess:
    code = f"from experiments.store import ResultStore; import sys; sys.exit(0 if ResultStore({str(root)!r}).claim({key!r}) else 3)"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_a_live_claim_blocks_others_and_a_dead_one_is_taken_over(tmp_path):
    store = ResultStore(tmp_path)
    assert store.claim("k")
    assert _claim_in_child(tmp_path, "k").returncode == 3  # held by this (live) process
    store.release("k")
    assert _claim_in_child(tmp_path, "k").returncode == 0  # the child claimed it, then exited without releasing
    assert store.claimed("k") is False  # its process is gone: the claim is stale
    assert store.claim("k")  # ... and is taken over
    store.release("k")


def _sweep_file(tmp_path: Path, name: str) -> Path:
    body = {"name": name, "model": "probe", "base": ["sleep_s=0.4"], "parameters": {"x": {"levels": [float(i) for i in range(12)]}},
            "design": {"method": "factorial"}}
    p = tmp_path / f"{name}.yaml"
    p.write_text(yaml.safe_dump(body))
    return p


def test_two_concurrent_sweeps_on_one_store_compute_each_run_once(tmp_path):
    store = tmp_path / "store"
    files = [_sweep_file(tmp_path, "first"), _sweep_file(tmp_path, "second")]  # the same 12 runs under two names
    procs = []
    for f in files:
        procs.append(subprocess.Popen([AKRIM, "sweep", f"file={f}", f"out={store}", "address=none", "progress=false"], cwd=tmp_path,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        time.sleep(0.3)
    outs = [p.communicate(timeout=300) for p in procs]
    done = []
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        m = re.search(r"finished: (\d+) run, (\d+) failed, (\d+) already done(?:, (\d+) computed meanwhile by another process)?", out)
        assert m, out
        done.append(int(m.group(1)))
        assert int(m.group(1)) + int(m.group(3)) + int(m.group(4) or 0) == 12, out
    assert sum(done) == 12, done  # every run computed exactly once, by one of the two
    assert all(n > 0 for n in done), done  # and both did share the work
    for name in ("first", "second"):  # one summary per sweep, each complete
        s = pd.read_csv(store / f"summary-{name}.csv")
        assert len(s) == 12 and (s["status"] == "ok").all() and sorted(s["y"]) == [float(i) for i in range(12)]
    assert not (store / "summary.csv").exists()
    assert not list((store / "_claims").glob("*.claim")), "claims left behind"
    assert len(ResultStore(store).done_keys()) == 12


def test_execute_waits_for_runs_claimed_by_another_process(tmp_path):
    from experiments.execute import execute
    from experiments.runs import RunSpec, spec_key

    store = ResultStore(tmp_path)
    specs = [RunSpec.for_model("probe", [f"x={i}.0"]) for i in range(3)]
    keys = [spec_key(s) for s in specs]
    # another process holds a claim on run 0 and finishes it while we wait
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from experiments.store import ResultStore\n"
        "from experiments.runs import RunSpec, run_spec_safe\n"
        f"s = ResultStore({str(tmp_path)!r}); spec = RunSpec.for_model('probe', ['x=0.0'])\n"
        f"assert s.claim({keys[0]!r}); print('claimed', flush=True); time.sleep(1.5)\n"
        f"status, rec, err = run_spec_safe(spec, {keys[0]!r}); s.put(rec); s.release({keys[0]!r})\n")],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "claimed"
    summ = execute(specs, store, address="none", progress=False, poll_s=0.2)
    holder.wait(timeout=60)
    assert (summ.done, summ.by_others, summ.failed) == (2, 1, 0)
    assert set(store.done_keys()) == set(keys)


def test_a_run_finished_by_another_process_after_planning_is_not_computed_again(tmp_path, monkeypatch):
    """The race of two sweeps: B plans run k as to do, A computes k and releases its claim, then B
    claims k (the claim file is gone). B must find A's result and not compute k again."""
    import experiments.execute as ex
    from experiments.runs import RunSpec, run_spec_safe, spec_key

    store = ResultStore(tmp_path)
    specs = [RunSpec.for_model("probe", [f"x={i}.0"]) for i in range(3)]
    keys = [spec_key(s) for s in specs]
    real_plan = ex.plan

    def plan_then_other_finishes(specs_, store_):
        todo, all_keys, done = real_plan(specs_, store_)  # k0 is still to do when planned ...
        status, rec, _ = run_spec_safe(specs[0], keys[0])  # ... then "process A" finishes it
        store_.put(rec)
        return todo, all_keys, done

    monkeypatch.setattr(ex, "plan", plan_then_other_finishes)
    ran: list[str] = []

    def runner(spec, key):
        ran.append(key)
        return run_spec_safe(spec, key)

    summ = ex.execute(specs, store, address="none", progress=False, runner=runner)
    assert keys[0] not in ran and sorted(ran) == sorted(keys[1:])
    assert (summ.done, summ.by_others, summ.failed) == (2, 1, 0)
    assert not list((tmp_path / "_claims").glob("*.claim"))
