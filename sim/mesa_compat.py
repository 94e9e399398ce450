"""A workaround for a memory leak in Mesa 3.3 (the version Python 3.11 allows).

``mesa.Agent`` numbers agents with a class-level ``_ids = defaultdict(itertools.count)`` keyed by
the model (mesa/agent.py, 3.3.1). Its keys are strong references, so every model ever built in a
process stays alive with all its agents, SimPy events and arrays. One process that runs many
models grows without bound: measured in the full calibration of 22 November 2026, each Dask
worker held 785 finished models (9.6 GB) after about 1,500 runs, Dask paused both workers at its
memory limit, and throughput fell from 0.58 to about 0.15 runs/s. Sweeps, comparisons and the
workshop (a reset builds a new model) have the same leak.

``install()`` replaces that dictionary by one with weak keys: a model's counter lives exactly as
long as the model. Agent numbering is unchanged (one counter per model, from 1, shared by all
agent classes), so model output is unchanged. It is called when ``sim.model`` is imported and is
idempotent.
"""

from __future__ import annotations

import itertools
import weakref

import mesa


class WeakModelCounters(weakref.WeakKeyDictionary):
    """``model -> itertools.count(1)``, created on first use, forgotten with the model."""

    def __getitem__(self, model):
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = itertools.count(1)
            self[model] = counter
            return counter


def install() -> None:
    """Give ``mesa.Agent`` weakly keyed id counters (keeping the counters of live models)."""
    old = mesa.Agent.__dict__.get("_ids")
    if isinstance(old, WeakModelCounters):
        return
    new = WeakModelCounters()
    if old is not None:
        for model, counter in list(old.items()):
            new[model] = counter
    mesa.Agent._ids = new
