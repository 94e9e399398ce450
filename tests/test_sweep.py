"""Sweeps: design generation, sweep-file checks, CLI errors, and the execution guarantees.

The guarantees of issue 5: an interrupted sweep restarts without recomputing or losing finished
runs; a run that raises is recorded and the others complete; a killed worker's run is retried.
Simulator runs are tiny (scale 0.005-0.01, one or two years) to keep the suite fast.
"""

from __future__ import annotations

import os
import signal
import signal as _signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments import sweep as sw
from experiments.designs import DesignError, Parameter, make_design, parse_parameter
from experiments.store import ResultStore
from sim.rng import replicate_seeds

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, body: dict, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(body, sort_keys=False))
    return p


def tiny(**extra) -> dict:
    """A valid small simulator sweep (overridable)."""
    body = {
        "name": "tiny", "model": "akrim", "base": ["scale=0.005", "end=2014"],
        "parameters": {"policy.nli.n_inspectors": {"levels": [200.0, 300.0]}},
        "design": {"method": "factorial"}, "replicates": 2, "seed": 5,
        "outputs": {"kpis": ["inspections_nli", "undeclared_work_share"]},
    }
    body.update(extra)
    return body


@pytest.fixture(scope="module")
def client():
    """One 2-worker LocalCluster for the Dask tests of this module (startup is the slow part)."""
    from experiments.execute import make_client

    c = make_client(None, 2)
    yield c
    cluster = c.cluster
    c.close()
    cluster.close()


SIGINT_AT_COLLECTION = _signal.getsignal(_signal.SIGINT)


def test_local_cluster_workers_ignore_ctrl_c_and_the_main_process_keeps_its_handler(client):
    """Ctrl-C signals the whole process group: only the main process may react (no worker tracebacks)."""
    import signal

    ignored = client.run(lambda: signal.getsignal(signal.SIGINT) == signal.SIG_IGN)
    assert ignored and all(ignored.values()), ignored
    # Restored after the cluster started: the handler the test process had at collection (a
    # process started in the background by a non-interactive shell begins with SIGINT ignored).
    assert signal.getsignal(signal.SIGINT) is SIGINT_AT_COLLECTION


# ----------------------------------------------------------------------------------- designs
def rng_params(d: int = 3) -> list[Parameter]:
    return [Parameter(f"p{i}", lo=0.0, hi=float(i + 1)) for i in range(d)]


def test_factorial_is_the_full_product_with_integer_levels_deduplicated():
    params = [Parameter("a", levels=["x", "y"]), Parameter("b", lo=1, hi=3, integer=True, n=5), Parameter("c", lo=0.0, hi=1.0)]
    d = make_design("factorial", params, levels=3)
    # b: linspace(1, 3, 5) = 1, 1.5, 2, 2.5, 3 -> rounded 1, 2, 2, 2, 3 -> levels 1, 2, 3
    assert len(d.points) == 2 * 3 * 3
    assert sorted({p["b"] for p in d.points}) == [1, 2, 3]
    assert all(isinstance(p["b"], int) for p in d.points)
    assert sorted({p["c"] for p in d.points}) == [0.0, 0.5, 1.0]
    assert len({tuple(p.values()) for p in d.points}) == len(d.points)


def test_lhs_puts_one_point_in_every_stratum_and_is_reproducible():
    d = make_design("lhs", rng_params(), n=20, seed=3)
    assert d.X.shape == (20, 3)
    for j, p in enumerate(d.params):
        bins = np.floor((d.X[:, j] - p.lo) / (p.hi - p.lo) * 20).astype(int)
        assert sorted(bins) == list(range(20))
    assert np.array_equal(d.X, make_design("lhs", rng_params(), n=20, seed=3).X)
    assert not np.array_equal(d.X, make_design("lhs", rng_params(), n=20, seed=4).X)


def test_sobol_sizes_and_power_of_two():
    assert len(make_design("sobol", rng_params(3), n=16).points) == 16 * (3 + 2)
    assert len(make_design("sobol", rng_params(3), n=16, second_order=True).points) == 16 * (2 * 3 + 2)
    with pytest.raises(DesignError, match=r"design.n = 100 .*power of 2 for a Sobol' sequence, e.g. 64 or 128"):
        make_design("sobol", rng_params(3), n=100)


def test_morris_trajectories_move_one_parameter_per_step():
    d = make_design("morris", rng_params(4), n=6, levels=4, seed=1)
    assert d.X.shape == (6 * 5, 4)
    for t in range(6):
        traj = d.X[t * 5:(t + 1) * 5]
        changed = (np.abs(np.diff(traj, axis=0)) > 1e-12).sum(axis=1)
        assert list(changed) == [1, 1, 1, 1]
    with pytest.raises(DesignError, match="even number"):
        make_design("morris", rng_params(2), n=4, levels=3)


def test_log_range_samples_in_log_space_within_bounds():
    d = make_design("lhs", [Parameter("r", lo=0.01, hi=100.0, log=True)], n=40, seed=0)
    v = np.array([p["r"] for p in d.points])
    assert v.min() >= 0.01 and v.max() <= 100.0
    assert ((v < 0.1).sum(), (v > 10).sum()) == (10, 10)  # a quarter of the decades each side


def test_levels_only_in_factorial():
    with pytest.raises(DesignError, match=r"parameters.policy.*numeric 'range.*lhs design"):
        make_design("lhs", [Parameter("policy", levels=["baseline"])], n=4)


# ----------------------------------------------------------------------------------- sweep files
def test_parameter_bounds_come_from_the_schema():
    p = parse_parameter("akrim", "policy.sanctions.p_fine", {})
    assert (p.lo, p.hi) == (0.0, 1.0)
    p = parse_parameter("akrim", "world.actors.n_initial", {"range": [500, 2000]})
    assert p.integer
    p = parse_parameter("akrim", "policy.centres.by_region.oslo.analysts", {"range": [1, 10]})
    assert (p.lo, p.hi) == (1.0, 10.0)


@pytest.mark.parametrize("key,spec,message", [
    ("policy.sanctions.p_fine", {"range": [0.1, 1.3]}, r"parameters.policy.sanctions.p_fine.range = \[0.1, 1.3\] .*schema's bounds \[0, 1\]"),
    ("world.firms.betta", {"range": [1, 2]}, r"parameters.world.firms.betta .*did you mean world.firms.beta"),
    ("world.actors.capacity_mean_mnok", {}, r"give 'range: \[lo, hi\]'; the schema allows \[0, inf\]"),
    ("world.firms.beta", {"range": [5, 2]}, r"lo < hi"),
    ("world.firms.beta", {"ranges": [1, 2]}, r"parameters.world.firms.beta.ranges .*keys range, levels, log, n"),
    ("policy.sharing.latency_multiplier", {"range": [0, 2], "log": True}, r"lo > 0 for a log-scale range"),
    ("policy.sanctions.publish_suspensions", {"range": [0, 1]}, r"'levels: \[...\]' for a parameter of type bool"),
    ("policy", {"levels": ["baseline", "more_inspektors"]}, r"parameters.policy.levels = 'more_inspektors' .*more_inspectors"),
    ("seed", {"levels": [1, 2]}, r"seeds come from 'replicates'"),
])
def test_bad_parameters_name_key_value_and_what_is_allowed(key, spec, message):
    with pytest.raises(DesignError, match=message):
        parse_parameter("akrim", key, spec)


@pytest.mark.parametrize("change,message", [
    ({"replicate": 2}, r"replicate = 2 \(allowed: keys name, description, model, base"),
    ({"model": "covasim"}, r"model = 'covasim' \(allowed: akrim or a test model: ishigami, probe"),
    ({"outputs": {"kpis": ["undeclared_share"]}}, r"outputs.kpis = 'undeclared_share' .*did you mean undeclared_work_share"),
    ({"outputs": {"years": [2013, 2014]}}, r"outputs.years .*within the run, 2014-2014"),
    ({"outputs": {"stat": "median"}}, r"outputs.stat = 'median' \(allowed: mean, sum, last\)"),
    ({"base": ["scale=0.005", "seed=3"]}, r"no seed in base"),
    ({"base": ["scale=7"]}, r"base: scale = 7"),
    ({"replicates": 0}, r"replicates = 0 \(allowed: an integer in \[1, 1000\]\)"),
    ({"design": {"method": "sobol", "n": 8, "sample": 3}}, r"design.sample = 3"),
    ({"design": {"method": "lhs"}, "parameters": {"world.firms.beta": {"range": [2, 5]}}}, r"design.n = None \(allowed: the number of points"),
    ({"base": ["scale=0.005", "policy.nli.n_inspectors=5"]}, r"parameters.policy.nli.n_inspectors .*not also set in base"),
])
def test_bad_sweep_files_are_rejected_with_the_key(tmp_path, change, message):
    with pytest.raises(sw.SweepError, match=message) as err:
        sw.load_sweep(write(tmp_path, tiny(**change)))
    assert "s.yaml" in str(err.value)


def test_runs_share_replicate_seeds_across_points(tmp_path):
    s = sw.load_sweep(write(tmp_path, tiny(replicates=3)))
    specs, runs = sw.build_runs(s)
    assert len(specs) == s.n_runs == 6
    seeds = replicate_seeds(5, 3)
    for _, g in runs.groupby("point"):
        assert list(g["seed"]) == seeds  # common random numbers: replicate r has one seed everywhere
    assert runs["run_key"].is_unique
    assert specs[0].overrides[-1] == f"seed={seeds[0]}" and "policy.nli.n_inspectors=200.0" in specs[0].overrides


# ----------------------------------------------------------------------------------- CLI
@pytest.mark.parametrize("argv,message", [
    (["fil=x.yaml"], "fil = 'x.yaml' (allowed: a key of akrim sweep: file, out, workers"),
    (["fil=x.yaml"], "did you mean file=x.yaml?"),
    (["experiments/sweeps/example.yaml"], "argument = 'experiments/sweeps/example.yaml' (allowed: key=value"),
    ([], "file = (missing) (allowed: a sweep file (YAML); this key is required)"),
    (["file=nowhere.yaml"], "file = 'nowhere.yaml' (allowed: an existing sweep file"),
    (["file=experiments/sweeps/example.yaml", "workers=two"], "workers = 'two' (allowed: an integer in [1, 1024])"),
    (["file=experiments/sweeps/example.yaml", "address=10.0.0.1"], "address = '10.0.0.1' (allowed: a Dask scheduler address tcp://host:port"),
])
def test_cli_errors(argv, message, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert sw.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("akrim: error:") and message in err and len(err.strip().splitlines()) == 1


def test_cli_help_and_registry(capsys):
    from experiments.cli import usage

    assert sw.main(["--help"]) == 0
    assert "dry_run" in capsys.readouterr().out
    assert "sweep" in usage() and "sensitivity" in usage()


def test_shipped_sweep_files_are_valid():
    files = sorted((REPO / "experiments" / "sweeps").glob("*.yaml"))
    assert len(files) >= 4
    for f in files:
        s = sw.load_sweep(f)
        assert s.n_runs >= 1, f


# ----------------------------------------------------------------------------------- guarantees
def test_a_run_that_raises_is_recorded_and_the_others_complete(tmp_path, client):
    body = tiny(replicates=1, parameters={
        "policy.nli.n_inspectors": {"levels": [200.0, 300.0]},
        "world.population.sectors_file": {"levels": ["sectors.csv", "no_such_sectors.csv"]},
    })
    s = sw.load_sweep(write(tmp_path, body))
    res = sw.run_sweep(s, tmp_path / "store", client=client, progress=False)
    assert (res.execution.done, res.execution.failed) == (2, 2)
    t = res.summary
    bad = t["world.population.sectors_file"] == "no_such_sectors.csv"
    assert set(t.loc[bad, "status"]) == {"failed"} and set(t.loc[~bad, "status"]) == {"ok"}
    assert t.loc[~bad, "inspections_nli"].gt(0).all() and t.loc[bad, "inspections_nli"].isna().all()
    failed = ResultStore(tmp_path / "store").failed()
    assert set(failed) == set(t.loc[bad, "run_key"])
    assert all("FileNotFoundError" in f["error"] and "no_such_sectors.csv" in f["error"] for f in failed.values())
    # the CSV summary is what users open; re-running retries the failures and skips the rest
    assert len(pd.read_csv(tmp_path / "store" / "summary-tiny.csv")) == 4
    again = sw.run_sweep(s, tmp_path / "store", client=client, progress=False)
    assert (again.execution.skipped, again.execution.done, again.execution.failed) == (2, 0, 2)


def test_a_killed_worker_run_is_retried(tmp_path, client):
    marker = tmp_path / "killed"
    body = {"name": "kill", "model": "probe", "base": [f"exit_once={marker}", "sleep_s=0.2"],
            "parameters": {"x": {"levels": [1.0, 2.0, 3.0, 4.0]}}, "design": {"method": "factorial"}}
    s = sw.load_sweep(write(tmp_path, body))
    res = sw.run_sweep(s, tmp_path / "store", client=client, progress=False)
    assert marker.exists()  # one worker process did die mid-run ...
    assert (res.execution.done, res.execution.failed) == (4, 0)  # ... and Dask ran its run again
    assert sorted(res.summary["y"]) == [1.0, 2.0, 3.0, 4.0]


def _snapshot(store: Path) -> dict[str, tuple[int, int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size) for p in store.glob("policy=*/*.parquet")}


def test_interrupted_sweep_resumes_without_recomputing_or_losing_runs(tmp_path, client):
    body = tiny(name="interrupt", base=["scale=0.005", "end=2015"], replicates=4,
                parameters={"policy.nli.n_inspectors": {"range": [150, 400], "n": 4}})
    f = write(tmp_path, body)
    store = tmp_path / "store"
    # The sweep runs in its own process (runs in that process: the store is written by the
    # process that holds the Dask client either way) and is killed after a few results.
    proc = subprocess.Popen([sys.executable, "-m", "experiments.cli", "sweep", f"file={f}", f"out={store}", "address=none", "progress=false"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.time() + 240
        while len(_snapshot(store)) < 3:
            assert proc.poll() is None, f"sweep ended before it could be interrupted: {proc.stderr.read().decode()[-2000:]}"
            assert time.time() < deadline, "no results within 240 s"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole job, mid-run
        proc.wait()
    before = _snapshot(store)
    assert 3 <= len(before) < 16, "the kill came too late to test a restart"

    s = sw.load_sweep(f)
    res = sw.run_sweep(s, store, client=client, progress=False)
    ex = res.execution
    assert ex.skipped == len(before)  # nothing finished is recomputed ...
    assert (ex.done, ex.failed) == (16 - len(before), 0)
    after = _snapshot(store)
    assert {k: after[k] for k in before} == before  # ... or rewritten
    assert len(after) == 16 and set(res.summary["status"]) == {"ok"}  # nothing is lost
    rec = ResultStore(store).load()
    assert len(rec) == 16 * 2 and rec.groupby("run_key")["year"].apply(list).map(lambda y: y == [2014, 2015]).all()
    assert set(rec["code_version"]) and rec["config_json"].str.contains('"seed"').all()  # provenance in every record


def test_store_removes_only_stale_temporary_files(tmp_path):
    store = ResultStore(tmp_path)
    old = tmp_path / "policy=baseline" / ".abc.parquet.123.tmp"
    new = tmp_path / "policy=baseline" / ".def.parquet.456.tmp"
    old.parent.mkdir()
    old.write_text("half a file")
    new.write_text("being written")
    past = time.time() - 3600
    os.utime(old, (past, past))
    assert store.clean_tmp() == 1
    assert not old.exists() and new.exists()


def test_the_sweep_file_shown_in_the_docs_is_valid():
    doc = (REPO / "docs" / "sweeps.md").read_text()
    block = doc.split("## The sweep file\n\n```yaml\n", 1)[1].split("```", 1)[0]
    s = sw.parse_sweep(yaml.safe_load(block.replace("description: ...", "description: x")), "docs/sweeps.md")
    assert s.n_runs == 40 and isinstance(s.design.points[0]["world.actors.n_initial"], int)
