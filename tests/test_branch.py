"""Branched runs (sim.branch, experiments.branch): one shared history, forked per arm, and every
arm's result bit for bit the result of running that arm on its own."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from sim.config import load_config
from sim.model import AkrimModel

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="branching needs os.fork")

BASE = ["scale=0.02", "start=2014", "end=2017", "seed=11", "output.progress=false", "output.events=true"]
DATE = "2016-01-01"


def iv(start: str, body: dict) -> dict:
    return {"start": start, **body}


def ivs(*items: dict) -> str:
    return "policy.interventions=" + json.dumps(list(items))


EARLY = iv("2015-03-01", {"set": {"nli.inspections_per_inspector": 60.0}})  # before the branch: shared
ARMS = {
    "base": [ivs(EARLY)],
    "latency x0.25": [ivs(EARLY, iv(DATE, {"set": {"sharing.latency_multiplier": 0.25}}))],
    "inspectors x2": [ivs(EARLY, iv("2016-02-10", {"multiply": {"nli.n_inspectors": 2.0}}))],
}
TABLES = ("annual", "by_region", "by_sector", "monthly", "events")


@pytest.fixture(scope="module")
def straight():
    return {name: AkrimModel(load_config(BASE + ov)).run() for name, ov in ARMS.items()}


def test_every_arm_is_bit_for_bit_its_own_run(straight):
    """A branched arm's tables, monthly series and event log equal those of its own run exactly;
    the arms do differ from each other (the branches are not copies of the trunk)."""
    from sim.branch import run_branches

    cfgs = [load_config(BASE + ov) for ov in ARMS.values()]
    out = run_branches(cfgs, DATE)
    for (name, own), (res, err) in zip(straight.items(), out):
        assert err is None, err
        for t in TABLES:
            pd.testing.assert_frame_equal(getattr(res, t), getattr(own, t), check_exact=True, obj=f"{name}: {t}")
    a = straight["base"].annual
    assert (a["inspections_nli"] != straight["inspectors x2"].annual["inspections_nli"]).any()
    assert not a.equals(straight["latency x0.25"].annual)


def test_an_arm_that_fails_does_not_stop_the_others():
    from sim.branch import run_branches

    cfgs = [load_config(BASE + ov) for ov in ARMS.values()]

    def finish(i, model, res, times):
        if i == 1:
            raise RuntimeError("arm one breaks")
        assert times["trunk_s"] > 0 and times["arm_s"] > 0
        return float(res.annual["inspections_nli"].sum())

    out = run_branches(cfgs, DATE, finish)
    assert out[1][0] is None and "arm one breaks" in out[1][1]
    assert out[0][1] is None and out[2][1] is None and out[0][0] != out[2][0]


def test_branchable_names_what_differs():
    """Only interventions from the branch date on (and the scenario's labels) may differ."""
    from sim.branch import BranchError, branch_time, branchable

    cfgs = [load_config(BASE + ov) for ov in ARMS.values()]
    t = branchable(cfgs, DATE)
    assert t == branch_time(cfgs[0], DATE) and t % 7 == 0 and 0 < t - (pd.Timestamp(DATE) - pd.Timestamp("2014-01-01")).days < 7
    with pytest.raises(BranchError, match="seed"):
        branchable([cfgs[0], load_config([*BASE, "seed=12", *ARMS["base"]])], DATE)
    with pytest.raises(BranchError, match="policy.nli.n_inspectors"):
        branchable([cfgs[0], load_config([*BASE, "policy.nli.n_inspectors=300", *ARMS["base"]])], DATE)
    other_early = load_config([*BASE, ivs(iv("2015-03-01", {"set": {"nli.inspections_per_inspector": 50.0}}))])
    with pytest.raises(BranchError, match="other interventions before"):
        branchable([cfgs[0], other_early], DATE)
    with pytest.raises(BranchError, match="not after the start"):
        branchable(cfgs, "2014-01-01")
    named = load_config([*BASE, "policy=more_inspectors"])
    with pytest.raises(BranchError):  # a scenario that changes levers from the start cannot share the history
        branchable([cfgs[0], named], DATE)


def test_prefill_stores_what_run_tables_stores_and_execute_reuses_it(tmp_path):
    """experiments.branch.prefill stores, for every arm of a shared history, the record
    run_tables would store (every number equal); execute then reuses them and runs on its own only
    the run that shares no history (another seed)."""
    from experiments.branch import prefill
    from experiments.execute import execute, spec_key
    from experiments.runs import RunSpec
    from experiments.store import ResultStore
    from experiments.tables import run_tables, run_tables_events_safe

    base = [o for o in BASE if not o.startswith("output.")]
    specs = [RunSpec.make(base + ov) for ov in ARMS.values()] + [RunSpec.make([*base, "seed=12", *ARMS["base"]])]
    store = ResultStore(tmp_path / "store")
    summ = prefill(specs, store, kind="tables_events", workers=1, progress=False)
    assert (summ.groups, summ.arms, summ.failed) == (1, 3, []), summ
    assert "3 runs as branches of 1 shared histories" in summ.line()
    stored = store.load()
    assert set(stored["run_key"]) == {spec_key(s) for s in specs[:3]}
    volatile = ["wall_s", "cpu_s", "policy"]
    for spec in specs[:3]:
        k = spec_key(spec)
        got = stored[stored["run_key"] == k].drop(columns=volatile, errors="ignore").reset_index(drop=True)
        own = run_tables(spec, k, events=True).drop(columns=volatile)[got.columns].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, own, check_exact=True, check_dtype=False)
    res = execute(specs, store, address="none", progress=False, runner=run_tables_events_safe)
    assert res.skipped == 3 and res.done == 1 and res.failed == 0
    again = prefill(specs, store, kind="tables_events", workers=1, progress=False)
    assert again.arms == 0 and "no two runs" in again.line()


def test_branch_date_found_where_the_intervention_lists_first_differ():
    """divergence_date: the earliest intervention not shared at the same place by every arm; the
    experiment layer branches each group there by default (here: the inspectors' 2016-02-10)."""
    from experiments.branch import groups_of
    from experiments.execute import spec_key
    from experiments.runs import RunSpec
    from sim.branch import divergence_date

    cfgs = {n: load_config(BASE + ov) for n, ov in ARMS.items()}
    assert str(divergence_date([cfgs["base"], cfgs["inspectors x2"]])) == "2016-02-10"
    assert str(divergence_date(list(cfgs.values()))) == DATE
    assert divergence_date([cfgs["base"], cfgs["base"]]) is None
    base = [o for o in BASE if not o.startswith("output.")]
    specs = [RunSpec.make(base + ov) for ov in ARMS.values()]
    todo = [(spec_key(s), s) for s in specs] + [(spec_key(x), x) for x in [RunSpec.make([*base, "seed=12"])]]
    (when, group), = groups_of(todo)
    assert when == DATE and [k for k, _ in group] == [k for k, _ in todo[:3]]
    assert groups_of(todo[2:]) == []  # one arm per history: nothing to share


def test_prefill_annual_records_are_run_specs(tmp_path):
    """kind="annual" (akrim compare's runner): the stored records equal run_spec's, number for
    number, and execute reuses them."""
    from experiments.branch import prefill
    from experiments.execute import execute, spec_key
    from experiments.runs import RunSpec, run_spec
    from experiments.store import ResultStore

    base = [o for o in BASE if not o.startswith("output.")]
    specs = [RunSpec.make(base + ov) for ov in ARMS.values()]
    store = ResultStore(tmp_path / "store")
    summ = prefill(specs, store, workers=1, progress=False)
    assert (summ.groups, summ.arms) == (1, 3)
    stored = store.load()
    for spec in specs:
        k = spec_key(spec)
        got = stored[stored["run_key"] == k].drop(columns=["wall_s", "cpu_s", "policy"]).reset_index(drop=True)
        own = run_spec(spec, k).drop(columns=["wall_s", "cpu_s", "policy"])[got.columns].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, own, check_exact=True, check_dtype=False)
    assert execute(specs, store, address="none", progress=False).skipped == 3
    with pytest.raises(ValueError, match="kind"):
        prefill(specs, store, kind="everything")


def _marked(marker: str) -> list[int]:
    """Pids of live processes whose command line holds ``marker`` (forked arms inherit it)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as fh:
                    if marker.encode() in fh.read():
                        with open(f"/proc/{d}/stat") as st:
                            if st.read().rsplit(")", 1)[1].split()[0] != "Z":
                                out.append(int(d))
            except OSError:
                pass
    return out


@pytest.mark.skipif(not os.path.isdir("/proc") or not os.uname().sysname == "Linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_killing_the_parent_ends_its_forked_arms(tmp_path):
    """A process running branched arms that is killed takes its arms with it (sim.branch.die_with_parent):
    without that they ran on as orphans to their end (about 10 s each here) on a shared machine. And it
    leaves nothing in the temporary directory (the arms' results come back through pipes; a temporary
    file per arm stayed behind, empty, when the parent was killed)."""
    import signal
    import subprocess
    import sys
    import time
    import uuid

    marker = f"akrim-orphan-test-{uuid.uuid4().hex}"
    code = ("import sys; from sim.config import load_config; from sim.branch import run_branches\n"
            "base = ['scale=0.05', 'start=2014', 'end=2045', 'seed=3', 'output.progress=false', 'output.events=false']\n"
            "cfgs = [load_config(base + o) for o in ([], ['policy.interventions=[{start: \"2015-01-01\", set: {sharing.latency_multiplier: 4.0}}]'])]\n"
            "run_branches(cfgs, '2015-01-01')\n")
    proc = subprocess.Popen([sys.executable, "-c", code, marker], env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(_marked(marker)) < 2:  # the parent and its first arm
            time.sleep(0.2)
        assert len(_marked(marker)) >= 2, "the arm never started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        time.sleep(1.0)
        assert _marked(marker) == [], "an arm outlived its killed parent"
        assert [p.name for p in tmp_path.iterdir()] == [], "a killed run left files in the temporary directory"
    finally:
        for pid in _marked(marker):
            os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
