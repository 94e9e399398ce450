"""scenarios/policy/*.yaml: metadata, policy-only keys (world/policy separation) and smoke runs."""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path

import pytest
import yaml
from conftest import make_cfg

from sim.config import SCENARIOS_DIR, apply_intervention
from sim.config.policy import Intervention, PolicyConfig
from sim.config.world import WorldConfig
from sim.model import AkrimModel

POLICY_FILES = sorted((SCENARIOS_DIR / "policy").glob("*.yaml"))
IDS = [p.stem for p in POLICY_FILES]
SMOKE_SCALE = "scale=0.01"


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name} is not a mapping"
    return data


def test_the_catalogue_is_there():
    assert {"baseline", "no_centres"} <= set(IDS)
    assert len(POLICY_FILES) >= 5


# --------------------------------------------------------------------------- metadata


@pytest.mark.parametrize("path", POLICY_FILES, ids=IDS)
def test_scenario_has_name_description_and_source(path):
    d = _load(path)
    for key in ("name", "description", "source"):
        assert isinstance(d.get(key), str) and d[key].strip(), f"{path.name}: '{key}' missing or empty"
    assert d["name"] == path.stem, f"{path.name}: name '{d['name']}' differs from the file name"
    assert len(d["description"].split()) >= 8, f"{path.name}: description too short to tell a reader what changes"


# --------------------------------------------------------------------------- world/policy separation

WORLD_KEYS = {f.name for f in dataclasses.fields(WorldConfig)} - {"name", "description"}


def _check_keys(node, schema, where: str) -> None:
    """Every key of ``node`` (from YAML) must exist in ``schema`` (a policy dataclass or dict)."""
    if dataclasses.is_dataclass(schema):
        fields = {f.name: getattr(schema, f.name) for f in dataclasses.fields(schema)}
        assert isinstance(node, dict), f"{where}: expected a section, got {node!r}"
        for k, v in node.items():
            assert k in fields, f"{where}.{k} is not a policy lever (not in {type(schema).__name__})"
            sub = fields[k]
            if dataclasses.is_dataclass(sub) or isinstance(sub, dict):
                _check_keys(v, sub, f"{where}.{k}")
    elif isinstance(schema, dict):
        assert isinstance(node, dict), f"{where}: expected a mapping, got {node!r}"
        for k, v in node.items():
            assert k in schema, f"{where}.{k} is not one of {sorted(schema)}"
            if dataclasses.is_dataclass(schema[k]):
                _check_keys(v, schema[k], f"{where}.{k}")


@pytest.mark.parametrize("path", POLICY_FILES, ids=IDS)
def test_policy_yaml_only_contains_policy_keys(path):
    d = _load(path)
    assert not (set(d) & WORLD_KEYS), f"{path.name} sets world parameters {set(d) & WORLD_KEYS}"
    ivs = d.pop("interventions", []) or []
    _check_keys(d, PolicyConfig(), "policy")
    iv_fields = {f.name for f in dataclasses.fields(Intervention)}
    for i, iv in enumerate(ivs):
        assert set(iv) <= iv_fields, f"{path.name}: intervention {i} has keys {set(iv) - iv_fields}"
        for dotted in [*(iv.get("set") or {}), *(iv.get("multiply") or {})]:
            assert dotted.split(".")[0] not in WORLD_KEYS, f"{path.name}: intervention {i} changes world key {dotted}"
        # Every intervention key must be a real lever of the policy schema.
        apply_intervention(copy.deepcopy(PolicyConfig()), Intervention(**iv))


def test_key_checker_catches_world_keys():
    """The separation test must be able to fail."""
    with pytest.raises(AssertionError):
        _check_keys({"firms": {"beta": 3}}, PolicyConfig(), "policy")
    with pytest.raises(AssertionError):
        _check_keys({"nli": {"bogus": 1}}, PolicyConfig(), "policy")
    with pytest.raises(AssertionError):
        _check_keys({"centres": {"by_region": {"narvik": {"open": None}}}}, PolicyConfig(), "policy")


# --------------------------------------------------------------------------- smoke runs


def _leaves(node, prefix=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, f"{prefix}{k}.")
    else:
        yield prefix[:-1], node


def _get(obj, dotted: str):
    for p in dotted.split("."):
        obj = obj[p] if isinstance(obj, dict) else getattr(obj, p)
    return obj


DATE = re.compile(r"\b(20\d\d)-\d\d-\d\d\b")


def _horizon(path: Path) -> tuple[int, int, int | None]:
    """A short horizon that covers every dated change in the file: (start, end, first change year).

    Scenarios whose changes come late start a year before them (the history up to then is the
    baseline's and is covered by the baseline's own tests); early ones start in 2014.
    """
    years = sorted(int(y) for y in DATE.findall(path.read_text(encoding="utf-8")))
    if not years:
        return 2014, 2016, None
    first, last = years[0], years[-1]
    start = 2014 if first <= 2017 else first - 1
    return start, max(last + 1, start + 2), first


@pytest.mark.parametrize("path", POLICY_FILES, ids=IDS)
def test_scenario_loads_and_runs(path):
    d = _load(path)
    ivs = d.get("interventions") or []
    start, end, first = _horizon(path)
    cfg = make_cfg(f"policy={path.stem}", SMOKE_SCALE, f"start={start}", f"end={end}")
    # The file's values reached the configuration.
    for key, value in _leaves({k: v for k, v in d.items() if k != "interventions"}):
        got = _get(cfg.policy, key)
        assert got == value or str(got) == str(value), f"{path.name}: {key} = {got!r}, file says {value!r}"
    assert len(cfg.policy.interventions) == len(ivs)

    m = AkrimModel(cfg)
    m.trace = []
    res = m.run()
    a = res.annual
    assert a["year"].tolist() == list(range(start, end + 1))
    assert (a["inspections_nli"] > 0).all()

    # Every intervention was applied at its date and changed the live levers.
    applied = [t for t in m.trace if t.startswith("intervention:")]
    assert len(applied) == len(ivs), f"{path.name}: trace shows {applied}"
    ev = res.events[res.events["kind"] == "intervention"]
    assert len(ev) == len(ivs)
    default = PolicyConfig()
    origin = pd_date(f"{start}-01-01")
    for iv, tr, (_, row) in zip(sorted(ivs, key=lambda x: str(x["start"])), applied, ev.iterrows()):
        keys = [*(iv.get("set") or {}), *(iv.get("multiply") or {})]
        assert set(tr.removeprefix("intervention:").split(",")) == set(keys)
        due = (pd_date(iv["start"]) - origin).days
        assert due <= row["t_day"] < due + 7, f"{path.name}: applied on day {row['t_day']}, due {due}"
        for k, v in (iv.get("set") or {}).items():
            assert str(_get(m.policy, k)) == str(v)
        for k, f in (iv.get("multiply") or {}).items():
            assert _get(m.policy, k) == pytest.approx(_get(default, k) * f)
    # The configuration the run started from is untouched (interventions act on a live copy).
    for iv in ivs:
        for k in [*(iv.get("set") or {}), *(iv.get("multiply") or {})]:
            assert _get(cfg.policy, k) == _get(default, k), f"{path.name}: intervention leaked into cfg.policy.{k}"

    # Scenario-specific signs that the levers act.
    if path.stem == "more_inspectors":
        before = a.loc[a.year < first, "inspections_nli"].mean()
        after = a.loc[a.year >= first, "inspections_nli"].mean()
        assert after > 1.2 * before, (before, after)  # x1.5 capacity; scale 0.01 is noisy
    if path.stem == "no_centres":
        assert (a["inspections_joint"] == 0).all()
    if path.stem == "sharing_reform_early":
        reg = res.events[res.events["kind"] == "regulation_in_force"]
        assert len(reg) == 1 and str(reg["date"].iloc[0].date()).startswith("2016-06")


def test_package_of_measures_combines_scenarios():
    """policy=a+b lays b on top of a (SPEC 9 packages)."""
    cfg = make_cfg("policy=more_inspectors+liberal_fines", "end=2014")
    assert cfg.policy.name == "more_inspectors+liberal_fines"
    keys = [set(iv.multiply) for iv in cfg.policy.interventions]
    assert {"nli.n_inspectors"} in keys and {"sanctions.p_fine", "sanctions.p_coercive_fine", "sanctions.centre.p_fine", "sanctions.centre.p_coercive_fine"} in keys


def pd_date(s):
    import datetime as dt

    return dt.date.fromisoformat(str(s))
