"""sim.config: composition, validation and clear rejection of bad input (Python API).

The same cases through the command line are in test_cli.py.
"""

from __future__ import annotations

import dataclasses

import pytest
from conftest import make_cfg

from sim.config import AkrimConfig, ConfigError, apply_intervention, load_config, validate
from sim.config.policy import AGENCY_LINKS, REGIONS, Intervention, PolicyConfig

IV = "policy.interventions=[{{start: '{start}', {op}: {{{key}: {value}}}}}]"


def iv(key: str, value, op: str = "set", start: str = "2026-01-01") -> str:
    return IV.format(start=start, op=op, key=key, value=value)


# (overrides, key the message must name, value the message must name, words of the 'allowed' part)
CONFIG_ERRORS = {
    "probability_above_one": (["policy.sanctions.p_fine=1.3"], "policy.sanctions.p_fine", "1.3", "probability"),
    "negative_capacity": (["policy.police.n_investigators=-5"], "policy.police.n_investigators", "-5", "a number in [0, 100000]"),
    "end_before_start": (["start=2020", "end=2018"], "end", "2018", "2020"),
    "invalid_date": (["policy.sharing.regulation=2022-13-45"], "policy.sharing.regulation", "2022-13-45", "YYYY-MM-DD"),
    "invalid_centre_date": (["policy.centres.by_region.alta.open=autumn"], "policy.centres.by_region.alta.open", "autumn", "YYYY-MM-DD"),
    "negative_seed": (["seed=-1"], "seed", "-1", ">= 0"),
    "nan_capacity": (["policy.nli.n_inspectors=nan"], "policy.nli.n_inspectors", "nan", "a number in [0, 100000] (finite)"),
    "inf_capacity": (["policy.nli.n_inspectors=inf"], "policy.nli.n_inspectors", "inf", "a number in [0, 100000] (finite)"),
    "no_employers": (["world.population.n_employers=0"], "world.population.n_employers", "0", "a number in [1, 2000000]"),
    "nullable_out_of_range": (["policy.centres.dur_work=0"], "policy.centres.dur_work", "0", "a number in [1, 36500], or null"),
    "inf_unbounded_float": (["world.actors.capacity_mean_mnok=inf"], "world.actors.capacity_mean_mnok", "inf", "(finite)"),
    "link_completeness": (["policy.sharing.before.tax_to_centre.completeness=2"], "policy.sharing.before.tax_to_centre.completeness", "2", "probability"),
    "intervention_unknown_lever": ([iv("nli.bogus", 3)], "policy.interventions[0].set", "nli.bogus", "lever key"),
    "intervention_unknown_lever_multiply": ([iv("nli.bogus", 2, "multiply")], "policy.interventions[0].multiply", "nli.bogus", "lever key"),
    "intervention_on_world_key": ([iv("firms.beta", 3)], "policy.interventions[0].set", "firms.beta", "lever key"),
    "intervention_makes_lever_invalid": ([iv("sanctions.p_fine", 1.5)], "policy.sanctions.p_fine", "1.5", "interventions[0]"),
    "intervention_bad_date": ([iv("sanctions.p_fine", 0.5, start="2026-13-01")], "policy.interventions[0].start", "2026-13-01", "YYYY-MM-DD"),
}


@pytest.mark.parametrize("overrides,key,value,allowed", CONFIG_ERRORS.values(), ids=CONFIG_ERRORS.keys())
def test_bad_value_rejected_with_key_value_and_what_is_allowed(overrides, key, value, allowed):
    with pytest.raises(ConfigError) as info:
        load_config(overrides)
    exc = info.value
    msg = str(exc)
    assert exc.key == key
    assert f"{key} = " in msg and value in msg and allowed in msg, msg
    assert "\n" not in msg  # one clear line
    assert isinstance(exc, ValueError)


# Errors raised by Hydra while composing (before our validator sees the config).
HYDRA_ERRORS = {
    "wrong_type_seed": (["seed=abc"], ["seed", "abc"]),
    "wrong_type_scale": (["scale=abc"], ["scale", "abc"]),
    "wrong_type_end": (["end=soon"], ["end", "soon"]),
    "unknown_key": (["policy.nli.bogus=1"], ["policy.nli.bogus"]),
    "unknown_section": (["policy.bogus.x=1"], ["policy.bogus"]),
    "unknown_scenario": (["policy=nonexistent"], ["nonexistent", "baseline"]),  # lists what exists
    "unknown_world": (["world=nope"], ["nope", "default"]),
    "unknown_region": (["+policy.centres.by_region.narvik.open=2020-01-01"], ["narvik"]),
}


@pytest.mark.parametrize("overrides,words", HYDRA_ERRORS.values(), ids=HYDRA_ERRORS.keys())
def test_composition_error_names_the_key(overrides, words):
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    with pytest.raises((HydraException, OmegaConfBaseException, ConfigError)) as info:
        load_config(overrides)
    msg = str(info.value)
    for w in words:
        assert w in msg, f"{w!r} not in message: {msg!r}"


def test_default_configuration_is_valid_and_as_documented():
    cfg = load_config([])
    assert isinstance(cfg, AkrimConfig)
    assert (cfg.start, cfg.end, cfg.scale) == (2014, 2025, 0.1)  # SPEC 9: history 2014-2025, 1:10
    from experiments.posterior import DEFAULT_SAMPLE, is_current

    # the calibrated world is the default once it is fitted to this model generation (test_calibration_world.py)
    assert cfg.policy.name == "baseline" and cfg.world.name == ("calibrated" if is_current(DEFAULT_SAMPLE) else "default")
    assert set(cfg.policy.centres.by_region) == set(REGIONS)
    opens = {r: c.open for r, c in cfg.policy.centres.by_region.items()}
    assert opens["alta"].startswith("2022") and opens["oslo"].startswith("2014")  # SPEC 2.1 table
    assert cfg.policy.centres.dur_meeting_interval == 14.0  # seed 000: twice a month
    for regime in ("before", "after"):
        assert set(getattr(cfg.policy.sharing, regime)) == set(AGENCY_LINKS)
    assert set(cfg.policy.sharing.no_centre) <= set(AGENCY_LINKS)


def test_overrides_reach_nested_levers():
    cfg = make_cfg("policy.nli.n_inspectors=300", "policy.sharing.after.tax_to_centre.latency_days=60",
                   "policy.centres.by_region.alta.analysts=9", "seed=3", "scale=0.05", "end=2016")
    assert cfg.policy.nli.n_inspectors == 300
    assert cfg.policy.sharing.after["tax_to_centre"].latency_days == 60
    assert cfg.policy.centres.by_region["alta"].analysts == 9
    assert cfg.policy.centres.by_region["oslo"].analysts == PolicyConfig().centres.by_region["oslo"].analysts
    assert (cfg.seed, cfg.scale, cfg.end) == (3, 0.05, 2016)


def test_every_bounded_field_has_a_source_or_says_assumption():
    """SPEC: every number names its source or is marked as an assumption."""
    missing = []

    def walk(obj, prefix):
        for f in dataclasses.fields(obj):
            v = getattr(obj, f.name)
            if dataclasses.is_dataclass(v):
                walk(v, f"{prefix}{f.name}.")
            elif "lo" in f.metadata or f.metadata.get("date"):
                if not str(f.metadata.get("src", "")).strip():
                    missing.append(prefix + f.name)

    walk(AkrimConfig(), "")
    assert not missing, missing


def test_validate_catches_mutated_dataclasses():
    """Configs built in code (not through Hydra) get the same checks."""
    cfg = load_config([])
    cfg.policy.sanctions.p_suspension = -0.1
    with pytest.raises(ConfigError, match=r"policy\.sanctions\.p_suspension"):
        validate(cfg)


def test_apply_intervention_set_and_multiply():
    pol = PolicyConfig()
    keys = apply_intervention(pol, Intervention(start="2026-01-01", set={"nli.w_random": 0.5},
                                                multiply={"nli.n_inspectors": 2.0, "centres.by_region.bodo.analysts": 3.0}))
    assert keys == ["nli.w_random", "nli.n_inspectors", "centres.by_region.bodo.analysts"]
    ref = PolicyConfig()
    assert pol.nli.w_random == 0.5
    assert pol.nli.n_inspectors == 2.0 * ref.nli.n_inspectors
    assert pol.centres.by_region["bodo"].analysts == 3.0 * ref.centres.by_region["bodo"].analysts
    with pytest.raises(ConfigError, match="multiply"):
        apply_intervention(pol, Intervention(multiply={"sanctions.publish_suspensions": 2.0}))
    with pytest.raises(ConfigError, match="section"):
        apply_intervention(pol, Intervention(set={"centres.by_region.bodo": 1}))


def test_config_error_survives_pickling_so_worker_processes_report_it_whole():
    """A worker process (multiprocessing, Dask) pickles the error back to the parent: the key,
    value and allowed values must survive, not fail with a TypeError that hides the message."""
    import pickle

    from sim.config.validate import ConfigError

    e = ConfigError("scale", -1, "a number > 0")
    back = pickle.loads(pickle.dumps(e))
    assert isinstance(back, ConfigError)
    assert (back.key, back.value, back.allowed) == ("scale", -1, "a number > 0")
    assert str(back) == str(e)
