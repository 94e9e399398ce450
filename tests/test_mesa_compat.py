"""Finished models are freed: the Mesa 3.3 agent-id leak is worked around (sim/mesa_compat.py)."""

from __future__ import annotations

import gc
import weakref

import mesa

from sim.config import load_config
from sim.mesa_compat import WeakModelCounters, install
from sim.model import AkrimModel

QUIET = ["output.progress=false", "output.events=false", "output.plot=false", "output.summary=false"]


def test_a_finished_model_is_garbage_collected():
    cfg = load_config([*QUIET, "scale=0.01", "end=2014"])
    refs = []
    for _ in range(3):
        m = AkrimModel(cfg)
        m.run()
        refs.append(weakref.ref(m))
        del m
    gc.collect()
    assert [r() for r in refs] == [None, None, None]
    assert isinstance(mesa.Agent._ids, WeakModelCounters)


def test_agent_numbering_is_per_model_from_one_and_shared_by_agent_classes():
    install()  # idempotent
    a, b = mesa.Model(), mesa.Model()
    ids_a = [mesa.Agent(a).unique_id for _ in range(3)]
    assert ids_a == [1, 2, 3]
    assert mesa.Agent(b).unique_id == 1
    assert mesa.Agent(a).unique_id == 4


def test_install_keeps_the_counters_of_live_models(monkeypatch):
    import functools
    import itertools
    from collections import defaultdict

    monkeypatch.setattr(mesa.Agent, "_ids", defaultdict(functools.partial(itertools.count, 1)))
    m = mesa.Model()
    assert [mesa.Agent(m).unique_id for _ in range(2)] == [1, 2]
    install()
    assert isinstance(mesa.Agent._ids, WeakModelCounters)
    assert mesa.Agent(m).unique_id == 3
