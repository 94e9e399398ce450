"""experiments/config_cache.py: the command line's disk cache of Hydra's composition."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

import sim.config
from experiments import cli, config_cache

POLICIES = sorted(p.stem for p in (sim.config.SCENARIOS_DIR / "policy").glob("*.yaml"))
WORLDS = sorted(p.stem for p in (sim.config.SCENARIOS_DIR / "world").glob("*.yaml"))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder and an empty in-process composition cache."""
    d = tmp_path / "cache"
    monkeypatch.setenv("AKRIM_CACHE_DIR", str(d))
    monkeypatch.delenv("AKRIM_NO_CACHE", raising=False)
    monkeypatch.setattr(sim.config, "_COMPOSED", {})
    return d


def fresh_process(monkeypatch):
    """Forget the in-process compositions, as a new `akrim run` process would start."""
    monkeypatch.setattr(sim.config, "_COMPOSED", {})


@pytest.mark.parametrize(
    "overrides",
    [[f"policy={p}"] for p in POLICIES] + [[f"world={w}"] for w in WORLDS]
    + [["policy=more_inspectors+publish_suspensions", "world=default", "scale=0.05", "policy.nli.n_inspectors=300"]],
)
def test_a_cached_composition_is_hydras(cache, monkeypatch, overrides):
    first = cli.compose(overrides)  # Hydra composes; the result is stored
    files = list(cache.glob("composed-*.pkl"))
    assert len(files) == 1
    fresh_process(monkeypatch)
    sel = tuple(o for o in overrides if o.split("=", 1)[0] in ("policy", "world"))
    assert config_cache.warm(sel, sim.config.SCENARIOS_DIR)  # read back from disk
    fresh_process(monkeypatch)
    again = cli.compose(overrides)
    assert dataclasses.asdict(again) == dataclasses.asdict(first)
    fresh_process(monkeypatch)
    monkeypatch.setenv("AKRIM_NO_CACHE", "1")
    assert dataclasses.asdict(cli.compose(overrides)) == dataclasses.asdict(first)  # and Hydra's own, again


def test_an_edited_scenario_file_is_never_served_stale(cache, tmp_path, monkeypatch):
    scen = tmp_path / "scenarios"
    shutil.copytree(sim.config.SCENARIOS_DIR, scen)
    monkeypatch.setattr(sim.config, "SCENARIOS_DIR", scen)
    before = config_cache.fingerprint(("policy=more_inspectors",), scen)
    cfg = cli.compose(["policy=more_inspectors"])
    assert cfg.policy.interventions[0].multiply == {"nli.n_inspectors": 1.5}
    path = scen / "policy" / "more_inspectors.yaml"
    path.write_text(path.read_text().replace("nli.n_inspectors: 1.5", "nli.n_inspectors: 2.5"))
    assert config_cache.fingerprint(("policy=more_inspectors",), scen) != before
    fresh_process(monkeypatch)
    cfg = cli.compose(["policy=more_inspectors"])
    assert cfg.policy.interventions[0].multiply == {"nli.n_inspectors": 2.5}
    assert len(list(cache.glob("composed-*.pkl"))) == 2


def test_the_schema_is_part_of_the_key(cache):
    names = [p.name for p in config_cache._inputs(sim.config.SCENARIOS_DIR)]
    assert "__init__.py" in names and "policy.py" in names and "config.yaml" in names


def test_a_damaged_cache_file_is_ignored_and_replaced(cache, monkeypatch):
    cfg = cli.compose([])
    (path,) = cache.glob("composed-*.pkl")
    path.write_bytes(b"not a pickle")
    fresh_process(monkeypatch)
    assert not config_cache.warm((), sim.config.SCENARIOS_DIR)
    assert dataclasses.asdict(cli.compose([])) == dataclasses.asdict(cfg)
    assert path.read_bytes() != b"not a pickle"  # composed again and stored


def test_an_unwritable_cache_is_ignored(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("AKRIM_CACHE_DIR", str(blocker / "cache"))  # cannot be created, even by root
    monkeypatch.setattr(sim.config, "_COMPOSED", {})
    assert cli.compose(["policy=baseline"]).policy.name == "baseline"
    assert not config_cache.store(("policy=baseline",), sim.config.SCENARIOS_DIR)


def test_akrim_no_cache_turns_it_off(cache, monkeypatch):
    monkeypatch.setenv("AKRIM_NO_CACHE", "1")
    assert config_cache.cache_dir() is None
    cli.compose([])
    assert not Path(cache).exists()
