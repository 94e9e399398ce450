"""A generation stopped half-way keeps its finished runs (calibration/partial.py, resumable sampler).

The sampler test runs pyabc with the real resumable Dask sampler on an in-process Dask cluster
(threads, no worker processes) and a cheap stand-in model, stops the calibration in the middle
of a generation, starts it again and checks that the recorded runs are reused, not run again.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from calibration.abc import Budget, FitSettings, fit
from calibration.params import Prior
from calibration.partial import PartialRuns, partial_path
from calibration.targets import by_role, load_targets

TARGETS = load_targets()
FIT = by_role(TARGETS, "fit")
PRIORS = [Prior("world.justice.p_convict_base", "uniform", 0.03, 0.2),
          Prior("world.actors.n_initial", "uniform", 600, 2400, is_int=True)]
CALLS: list[float] = []


def toy(params):
    """Stand-in model (as in test_calibration_abc); records each call."""
    CALLS.append(params["world.justice.p_convict_base"])
    rng = np.random.default_rng()
    out = {t.id: t.centre() + 0.3 * t.tolerance * rng.normal() for t in FIT}
    out["convictions_ta"] = 140.0 * params["world.justice.p_convict_base"] / 0.1 + 3.0 * rng.normal()
    out["cases_against_ta"] = 941.0 * params["world.actors.n_initial"] / 1200.0
    return out


def test_partial_path_sits_beside_the_history(tmp_path):
    assert partial_path(tmp_path / "abc.db") == tmp_path / "abc.partial.db"


def test_records_are_kept_per_key_and_cleared_per_run(tmp_path):
    path = tmp_path / "abc.partial.db"
    a = PartialRuns(path, run_id=1, n_done=3)
    a.add(3, [("r5", True, 5)])
    a.add(3, [("r2", False, 2)])
    a.add(-1, [("p0", True, 0)])
    assert a.load(3) == [("r2", False, 2), ("r5", True, 5)]  # by job id
    assert a.counts() == {3: (2, 1), -1: (1, 1)}
    assert PartialRuns(path, run_id=1, n_done=2).load(3) == []  # started from another history state
    assert PartialRuns(path, run_id=2, n_done=3).load(3) == []  # another run
    b = PartialRuns(path, run_id=2, n_done=0)
    b.add(0, [("x", True, 0)])
    a.clear()
    assert a.load(3) == [] and path.is_file() and b.load(0) == [("x", True, 0)]
    b.clear()
    assert not path.exists()
    assert PartialRuns(path, 1, 0).load(0) == [] and PartialRuns(path, 1, 0).counts() == {}


class _Stop(Exception):
    """Stands in for a kill in the middle of a generation."""


@pytest.fixture(scope="module")
def dask_address():
    from dask.distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
    yield cluster.scheduler_address
    cluster.close()


def test_a_stopped_generation_reuses_its_finished_runs(tmp_path, monkeypatch, dask_address, capsys):
    db = tmp_path / "abc.db"
    said: list[str] = []

    def settings(generations):
        return FitSettings(db=db, priors=PRIORS, targets=TARGETS, budget=Budget(30, generations, 0.01, 4),
                           address=dask_address, workers=2, simulator=toy, progress=said.append)

    fit(settings(1))
    assert not partial_path(db).exists()  # cleared once the generation is in the history

    # generation 2: stop after 12 recorded jobs
    real_add, recorded = PartialRuns.add, []

    def add_then_stop(self, t, batch):
        real_add(self, t, batch)
        recorded.extend(batch)
        if len(recorded) >= 12:
            raise _Stop

    monkeypatch.setattr(PartialRuns, "add", add_then_stop)
    with pytest.raises(_Stop):
        fit(settings(2))
    monkeypatch.setattr(PartialRuns, "add", real_add)
    con = sqlite3.connect(partial_path(db))
    assert con.execute("SELECT COUNT(*), MIN(n_done), MAX(n_done), MIN(t) FROM jobs_json").fetchone() == (12, 1, 1, 1)
    con.close()
    from calibration.calibrate import run_status

    capsys.readouterr()
    run_status({"db": str(db)})
    assert "generation 2 in progress or stopped: 12 finished runs recorded" in capsys.readouterr().out
    rec_acc = sorted(r[0].parameter["world.justice.p_convict_base"] for r in recorded if r[1])
    assert 0 < len(rec_acc) < 30

    CALLS.clear()
    done = fit(settings(2))
    assert done.generations == 2 and done.new_generations == 1
    assert any("reusing 12 finished runs" in m for m in said), said
    pops = done.history.get_all_populations()
    samples = int(pops.loc[pops["t"] == 1, "samples"].iloc[0])
    # the 12 recorded runs count in the generation and were not run again
    assert samples >= 12 + len(CALLS) - 2 and len(CALLS) <= samples - 12 + 2
    # every recorded accepted run (they have the lowest job ids) is in the generation's population
    pop = done.history.get_distribution(m=0, t=1)[0]["world.justice.p_convict_base"]
    for v in rec_acc:
        assert np.isclose(pop.to_numpy(), v).any()
    assert not partial_path(db).exists()


def test_records_are_json_and_never_unpickled(tmp_path, monkeypatch):
    import json
    import pickle

    from pyabc.parameters import Parameter
    from pyabc.population import Particle

    part = Particle(m=0, parameter=Parameter({"world.firms.beta": 3.5, "world.actors.n_initial": 900}), weight=0.25,
                    sum_stat={"a": 1.5, "b": np.array([1.0, 2.0]), "c": np.float64(3.0)}, distance=0.7, accepted=True,
                    proposal_id=0, preliminary=False)
    path = tmp_path / "abc.partial.db"
    PartialRuns(path, 1, 0).add(0, [(part, True, 4)])
    with sqlite3.connect(path) as con:
        (text,) = con.execute("SELECT batch FROM jobs_json").fetchone()
    assert json.loads(text)[0][0]["particle"]["parameter"]["__dict__"][0] == ["world.firms.beta", 3.5]

    def no_pickle(*a, **k):
        raise AssertionError("pickle.loads called")

    monkeypatch.setattr(pickle, "loads", no_pickle)
    (back, accepted, job), = PartialRuns(path, 1, 0).load(0)
    assert accepted is True and job == 4
    assert isinstance(back, Particle) and dict(back.parameter) == {"world.firms.beta": 3.5, "world.actors.n_initial": 900}
    assert back.weight == 0.25 and back.distance == 0.7 and back.accepted and back.sum_stat["a"] == 1.5
    np.testing.assert_array_equal(back.sum_stat["b"], [1.0, 2.0])
    assert back.sum_stat["c"] == 3.0


def test_a_file_of_the_old_pickle_format_is_not_read(tmp_path):
    import pickle

    path = tmp_path / "abc.partial.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE jobs (run_id INTEGER, t INTEGER, n_done INTEGER, job_id INTEGER, n_accepted INTEGER, batch BLOB)")
        con.execute("INSERT INTO jobs VALUES (1, 0, 0, 0, 1, ?)", (pickle.dumps([("evil", True, 0)]),))
    runs = PartialRuns(path, 1, 0)
    assert runs.load(0) == [] and runs.counts() == {}
    runs.clear()
    assert path.exists()  # the old rows are left alone, not read
