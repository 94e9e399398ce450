"""The scenario catalogue of SPEC section 7: complete, levers only, sourced, dated, combinable.

``test_scenarios.py`` smoke-runs every file; this module checks the catalogue as a whole without
running the model (configurations only, so it is fast).
"""

from __future__ import annotations

import dataclasses
import re

import pytest
import yaml

from experiments.report import _leaves
from sim.config import SCENARIOS_DIR, load_config
from sim.config.policy import PolicyConfig
from sim.config.world import WorldConfig

POLICY_DIR = SCENARIOS_DIR / "policy"
FILES = sorted(POLICY_DIR.glob("*.yaml"))
NAMES = [p.stem for p in FILES]

# SPEC 7, item by item -> the scenario files that implement it.
SPEC7 = {
    "baseline (history as it happened)": ["baseline"],
    "no-centres counterfactual": ["no_centres"],
    "2022 information-sharing regulation earlier": ["sharing_reform_early"],
    "2022 information-sharing regulation never": ["sharing_regulation_never"],
    "direct NLI access to the posted-worker register": ["register_direct_access"],
    "+X% NLI inspectors": ["more_inspectors"],
    "more analysts": ["more_analysts"],
    "faster police/prosecution": ["faster_police"],
    "liberal fines": ["liberal_fines"],
    "publication of suspension decisions": ["publish_suspensions"],
    "approval scheme for temporary agencies and Norgesmodellen procurement": ["approval_temp_agencies", "norgesmodellen"],
    "'Know your rights' campaign": ["know_your_rights"],
    "business bans after bankruptcy abuse": ["business_bans"],
    "random vs risk-based vs intelligence-led targeting": ["random_targeting", "risk_based_targeting", "intelligence_led"],
    "a new centre": ["new_centre"],
    "bilateral cooperation with sending countries": ["bilateral_cooperation"],
}
# Counterfactual histories change levers before today; every other scenario is a future measure.
COUNTERFACTUAL = {"baseline", "no_centres", "sharing_reform_early", "sharing_regulation_never"}
FUTURE = "2026-01-01"
POLICY_SECTIONS = {f.name for f in dataclasses.fields(PolicyConfig)}
WORLD_SECTIONS = {f.name for f in dataclasses.fields(WorldConfig)}


def _yaml(name: str) -> dict:
    return yaml.safe_load((POLICY_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def _policy(name: str) -> dict:
    return {k: v for k, v, _ in _leaves(load_config([f"policy={name}"]).policy)}


def test_catalogue_covers_spec_section_7():
    missing = {item: [n for n in files if n not in NAMES] for item, files in SPEC7.items()}
    assert not any(missing.values()), f"SPEC 7 items without a scenario file: {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_levers_only_with_description_and_source(name):
    d = _yaml(name)
    assert set(d) <= POLICY_SECTIONS, f"{name}: keys {set(d) - POLICY_SECTIONS} are not policy sections"
    assert not (set(d) & (WORLD_SECTIONS - {"name", "description"})), f"{name}: sets world parameters"
    assert len(d["description"].split()) >= 20, f"{name}: description too short for a reader"
    src = d["source"]
    assert re.search(r"seed 00[0-4]|SPEC \d", src), f"{name}: source cites no seed file or SPEC section: {src!r}"
    if "seed 003" in src:
        assert re.search(r"seed 003, (measures? \d+|'[^']+')", src), f"{name}: seed 003 cited without the measure: {src!r}"
    for iv in d.get("interventions") or []:
        for key in [*(iv.get("set") or {}), *(iv.get("multiply") or {})]:
            assert key.split(".")[0] in POLICY_SECTIONS, f"{name}: intervention changes {key}, not a lever"


@pytest.mark.parametrize("name", [n for n in NAMES if n != "baseline"])
def test_scenario_changes_a_lever_and_future_measures_are_dated(name):
    base, scen = _policy("baseline"), _policy(name)
    skip = ("name", "description", "source", "interventions")
    changed = {k: v for k, v in scen.items() if not k.startswith(skip) and base.get(k) != v}
    ivs = load_config([f"policy={name}"]).policy.interventions
    assert changed or ivs, f"{name} changes no lever"
    if name in COUNTERFACTUAL:
        return
    for k, v in changed.items():  # a fixed value may only be a start date in the future
        assert isinstance(v, str) and v >= FUTURE, f"{name}: {k} = {v!r} changes history (date it from {FUTURE})"
    assert all(str(iv.start) >= FUTURE for iv in ivs), f"{name}: an intervention starts before {FUTURE}"


def test_new_centre_doubles_the_largest_region():
    """The modelling choice for 'a new centre' (see the file's comment): Oslo, the largest region."""
    import csv

    from sim.data import __file__ as data_init

    with open(data_init.replace("__init__.py", "regions.csv"), encoding="utf-8") as f:
        shares = {r["region"]: float(r["employment_share"]) for r in csv.DictReader(f)}
    largest = max(shares, key=shares.get)
    keys = set(_yaml("new_centre")["interventions"][0]["multiply"])
    assert {k.split(".")[2] for k in keys} == {largest}


def test_scenarios_combine_into_a_package():
    cfg = load_config(["policy=approval_temp_agencies+norgesmodellen+more_inspectors"])
    assert cfg.policy.name == "approval_temp_agencies+norgesmodellen+more_inspectors"
    assert cfg.policy.consumers.approval_temp_agencies_from == FUTURE
    assert cfg.policy.consumers.norgesmodellen_from == FUTURE
    assert [iv.note for iv in cfg.policy.interventions] == ["+50% NLI inspection capacity"]
    both = load_config(["policy=more_inspectors+liberal_fines"]).policy.interventions
    assert {k for iv in both for k in iv.multiply} == {"nli.n_inspectors", "sanctions.p_fine", "sanctions.p_coercive_fine",
                                                       "sanctions.centre.p_fine", "sanctions.centre.p_coercive_fine"}
