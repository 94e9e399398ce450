"""The run overview figure (sim/plots.py): whole-year labels on short runs (issue 14)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim.plots import MAX_YEAR_TICKS, year_axis  # noqa: E402


def _labels(years):
    fig, ax = plt.subplots()
    ax.plot(years, [1] * len(years))
    year_axis(ax)
    fig.canvas.draw()
    lo, hi = ax.get_xlim()
    out = [t.get_text() for t, x in zip(ax.get_xticklabels(), ax.get_xticks()) if t.get_text() and lo <= x <= hi]
    plt.close(fig)
    return out


def test_short_run_has_whole_year_labels():
    labels = _labels([2014, 2015])
    assert labels and all(lab.isdigit() and len(lab) == 4 for lab in labels), labels  # never "2014.5"
    assert len(set(labels)) == len(labels)


def test_long_run_keeps_few_labels():
    labels = _labels(list(range(2014, 2036)))
    assert 2 <= len(labels) <= MAX_YEAR_TICKS + 1 and all("." not in lab for lab in labels)


# ------------------------------------------------------------------------------ the overview and its helper process
def _annual():
    import numpy as np
    import pandas as pd

    years = np.arange(2014, 2026)
    return pd.DataFrame({"year": years, "inspections_nli": 15000.0 + 10 * years % 7, "cases_against_ta": 150.0 + years % 5,
                         "undeclared_work_share": 0.2 - 0.001 * (years - 2014), "crime_cost_nok": 5e10 + 1e9 * (years % 3),
                         "enforcement_cost_nok": 4e8 + 1e7 * (years % 4)})


def _draw_with_default_style(overview, annual, cfg, path):
    """Draw here as a fresh process would: other tests in this worker may have changed matplotlib's
    global style (experiments/figures.py sets font sizes and spines for the comparison report)."""
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        overview(annual, cfg, path)


def _cfg():
    from conftest import make_cfg

    return make_cfg("scale=0.01", "seed=7")


def test_log_panel_is_labelled_in_plain_numbers_without_mathtext(tmp_path):
    """The log axis of the cost panel reads 0.5 1 2 5 10 20 50, not 10^x: no mathtext (its parser
    costs ~0.15 s a run) and easier to read."""
    from sim.plots import plain_log_axis

    fig, ax = plt.subplots()
    ax.plot([2014, 2015], [0.4, 55.0])
    ax.set_yscale("log")
    plain_log_axis(ax)
    fig.canvas.draw()
    lo, hi = ax.get_ylim()
    labels = [t.get_text() for t, y in zip(ax.get_yticklabels(), ax.get_yticks()) if lo <= y <= hi]
    plt.close(fig)
    assert labels == ["0.5", "1", "2", "5", "10", "20", "50"], labels
    assert not any("$" in lab for lab in labels)


def test_helper_process_draws_the_same_figure_as_this_process(tmp_path):
    """OverviewProcess: the figure a helper draws is byte for byte the one drawn here."""
    from sim.plots import OverviewProcess, overview

    annual, cfg = _annual(), _cfg()
    _draw_with_default_style(overview, annual, cfg, tmp_path / "here.png")
    helper = OverviewProcess(timeout=60).start()
    helper.send(annual, cfg, tmp_path / "there.png")
    assert helper.wait(), helper.error
    assert (tmp_path / "there.png").read_bytes() == (tmp_path / "here.png").read_bytes()
    assert helper.proc.returncode == 0 and not list(tmp_path.glob(".*.tmp"))


def test_helper_exits_when_nothing_is_sent_and_close_stops_it(tmp_path):
    """A helper whose parent sends nothing (killed, or an error in the run) ends: its input closes
    and it exits with 3; close() kills one still running; wait() without data is False."""
    from sim.plots import OverviewProcess

    h = OverviewProcess().start()
    h.proc.stdin.close()
    assert h.proc.wait(timeout=60) == 3
    h2 = OverviewProcess().start()
    assert not h2.wait() and "nothing was sent" in h2.error
    assert h2.proc.poll() is not None  # killed


def test_run_draws_its_figure_itself_when_the_helper_fails(tmp_path, monkeypatch, capsys):
    """A helper that cannot draw (here: a Python that fails at once) costs the run nothing but
    time: run_config draws overview.png itself, says why on stderr, and leaves no stray file."""
    from conftest import make_cfg

    from sim import plots
    from sim.runner import run_config

    monkeypatch.setattr(plots.sys, "executable", "/bin/false")
    cfg = make_cfg("scale=0.005", "start=2014", "end=2014", "seed=3", "output.progress=false")
    run_config(cfg, tmp_path)
    assert (tmp_path / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "overview.png drawn in this process (the helper" in capsys.readouterr().err
    assert not list(tmp_path.glob(".overview.png.*"))


def test_run_figure_from_the_helper_matches_one_drawn_here(tmp_path, capsys):
    """The run's overview.png, drawn by the helper (no fallback note), is the figure overview()
    draws from the run's own annual table."""
    import pandas as pd
    from conftest import make_cfg

    from sim.plots import overview
    from sim.runner import run_config

    cfg = make_cfg("scale=0.005", "start=2014", "end=2014", "seed=3", "output.progress=false")
    run_config(cfg, tmp_path / "run")
    assert "drawn in this process" not in capsys.readouterr().err
    _draw_with_default_style(overview, pd.read_parquet(tmp_path / "run" / "annual.parquet"), cfg, tmp_path / "here.png")
    assert (tmp_path / "run" / "overview.png").read_bytes() == (tmp_path / "here.png").read_bytes()
