"""sim.model: determinism, the weekly tick order, and time."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import STEPPED_OVERRIDES, make_cfg, run
from pandas.testing import assert_frame_equal

import sim.model as model_mod
from sim.model import AkrimModel

DET_RUN = ("scale=0.02", "start=2014", "end=2016")

# --------------------------------------------------------------------------- determinism


@pytest.fixture(scope="module")
def three_runs():
    a = run(*DET_RUN, "seed=7")[1]
    b = run(*DET_RUN, "seed=7")[1]
    c = run(*DET_RUN, "seed=8")[1]
    return a, b, c


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def test_same_seed_identical_annual_table(three_runs):
    a, b, _ = three_runs
    assert_frame_equal(a.annual, b.annual, check_exact=True)
    assert _parquet_bytes(a.annual) == _parquet_bytes(b.annual)


def test_same_seed_identical_breakdowns_events_and_monthly(three_runs):
    a, b, _ = three_runs
    assert_frame_equal(a.by_region, b.by_region, check_exact=True)
    assert_frame_equal(a.by_sector, b.by_sector, check_exact=True)
    assert_frame_equal(a.monthly, b.monthly, check_exact=True)
    assert_frame_equal(a.events, b.events, check_exact=True)
    assert a.streams_used == b.streams_used


def test_different_seeds_differ(three_runs):
    a, _, c = three_runs
    assert not a.annual.equals(c.annual)
    # Not just one column: several stochastic flows differ.
    flows = ["inspections_nli", "violations_found", "orders", "tips", "phoenix_bankruptcies", "exploited_workers"]
    differing = [k for k in flows if not np.array_equal(a.annual[k].to_numpy(), c.annual[k].to_numpy())]
    assert len(differing) >= 4, differing
    assert len(a.events) != len(c.events) or not a.events.equals(c.events)


_SUBPROCESS_RUN = """
import sys
from sim.config import load_config
from sim.model import AkrimModel
cfg = load_config(["output.progress=false", "scale=0.01", "start=2014", "end=2015", "seed=11"])
res = AkrimModel(cfg).run()
res.annual.to_parquet(sys.argv[1], index=False)
res.events.to_parquet(sys.argv[2], index=False)
"""


def test_identical_across_processes_and_hash_seeds(tmp_path):
    """Python's salted hash() must never reach the random streams (SPEC 8)."""
    outs = []
    for hs in ("1", "2"):
        a, e = tmp_path / f"annual_{hs}.parquet", tmp_path / f"events_{hs}.parquet"
        env = {**os.environ, "PYTHONHASHSEED": hs}
        subprocess.run([sys.executable, "-c", _SUBPROCESS_RUN, str(a), str(e)], env=env, check=True,
                       capture_output=True, text=True, timeout=300)
        outs.append((a.read_bytes(), e.read_bytes()))
    assert outs[0][0] == outs[1][0], "annual tables differ between processes with different PYTHONHASHSEED"
    assert outs[0][1] == outs[1][1], "event logs differ between processes with different PYTHONHASHSEED"
    # ... and equal to the same run made in this process.
    res = run("scale=0.01", "start=2014", "end=2015", "seed=11")[1]
    assert_frame_equal(pd.read_parquet(tmp_path / "annual_1.parquet"), res.annual, check_exact=True)


def test_step_by_step_equals_run(stepped_baseline):
    """The workshop drives the model with step(); it must give the same results as run()."""
    res = run(*STEPPED_OVERRIDES)[1]
    assert_frame_equal(stepped_baseline.result.annual, res.annual, check_exact=True)
    assert_frame_equal(stepped_baseline.result.events, res.events, check_exact=True)


def test_event_log_switch_does_not_change_results():
    """Turning the event log off is an output option; it must not change the model's draws."""
    on = run(*DET_RUN, "seed=5")[1]
    off = run(*DET_RUN, "seed=5", events=False)[1]
    assert off.events is None
    assert_frame_equal(on.annual, off.annual, check_exact=True)


# --------------------------------------------------------------------------- tick order


def test_trace_records_tick_order():
    m = AkrimModel(make_cfg("scale=0.01", "start=2014", "end=2014"))
    m.trace = []
    n = 6
    for _ in range(n):
        m.step()
    steps = [s for s in m.trace if not s.startswith("intervention:")]
    assert steps == list(AkrimModel.TICK_ORDER) * n


def test_tick_calls_submodels_in_tick_order(monkeypatch):
    """The trace is written by the tick itself; check the submodels really run in that order."""
    m = AkrimModel(make_cfg("scale=0.01", "start=2014", "end=2014"))
    calls: list[str] = []

    def spy(name, fn):
        def wrapped(*a, **k):
            calls.append(name)
            return fn(*a, **k)
        return wrapped

    monkeypatch.setattr(m, "_close_period", spy("close", m._close_period))
    monkeypatch.setattr(m, "_calendar", spy("calendar", m._calendar))
    monkeypatch.setattr(model_mod, "firms_weekly", spy("firms", model_mod.firms_weekly))
    monkeypatch.setattr(model_mod, "workers_weekly", spy("workers", model_mod.workers_weekly))
    monkeypatch.setattr(model_mod, "compliance_weekly", spy("compliance", model_mod.compliance_weekly))
    monkeypatch.setattr(model_mod.actors_mod, "actors_weekly", spy("actors", model_mod.actors_mod.actors_weekly))
    monkeypatch.setattr(m.signals, "weekly", spy("signals", m.signals.weekly))
    monkeypatch.setattr(m.agencies, "weekly", spy("agencies", m.agencies.weekly))
    monkeypatch.setattr(m.inspections, "weekly", spy("inspections", m.inspections.weekly))
    centres_weekly = [c.weekly for c in m.centres]

    def all_centres():
        calls.append("centres")
        for f in centres_weekly:
            f()

    for i, c in enumerate(m.centres):
        monkeypatch.setattr(c, "weekly", all_centres if i == 0 else (lambda: None))
    monkeypatch.setattr(m.police, "weekly", spy("police", m.police.weekly))
    monkeypatch.setattr(m, "_observe", spy("observe", m._observe))
    for _ in range(3):
        m.step()
    assert calls == list(AkrimModel.TICK_ORDER) * 3


def test_docstring_lists_tick_order():
    doc = AkrimModel.__doc__
    items = re.findall(r"^\s*(\d+)\.\s+``(\w+)``", doc, flags=re.M)
    assert items, "AkrimModel docstring has no numbered ``step`` list"
    numbers = [int(i) for i, _ in items]
    names = [n for _, n in items]
    assert numbers == list(range(1, len(numbers) + 1))
    assert tuple(names) == AkrimModel.TICK_ORDER


def test_one_step_is_one_week_and_horizon_ends_on_time():
    m = AkrimModel(make_cfg("scale=0.01", "start=2014", "end=2014"))
    times = [m.env.now]
    while m.env.now < m.end_day:
        m.step()
        times.append(m.env.now)
    d = np.diff(times)
    assert np.all(d[:-1] == 7.0) and 0 < d[-1] <= 7.0
    assert times[-1] == m.end_day == 365
    assert m.week == 53  # ticks on days 0, 7, ..., 364
    m.step()  # past the end: nothing happens
    assert m.env.now == m.end_day and m.running is False


# --------------------------------------------------------------------------- time never goes back


def test_event_times_never_go_back(baseline_run):
    t = baseline_run.events["t_day"].to_numpy()
    assert t.size > 1000
    assert np.all(np.diff(t) >= 0), f"event log goes back in time at rows {np.flatnonzero(np.diff(t) < 0)[:10]}"
    assert t.min() >= 0 and t.max() <= (pd.Timestamp("2019-01-01") - pd.Timestamp("2014-01-01")).days
    # The calendar date column agrees with t_day.
    dates = baseline_run.events["date"].to_numpy()
    assert np.all(np.diff(dates.astype("datetime64[D]").astype(np.int64)) >= 0)


def test_simulation_clock_is_monotone(stepped_baseline):
    now = np.array(stepped_baseline.now)
    assert np.all(np.diff(now) > 0)
