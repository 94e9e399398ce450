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
