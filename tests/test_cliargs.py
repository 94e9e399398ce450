"""The one argument layer of the commands (experiments/cliargs.py): declared keys, one validation path, one wording."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import pytest

import experiments.cliargs as ca
from experiments.cliargs import REQUIRED, UsageError, arg
from sim.config import ConfigError


@dataclass
class Args:
    file: str = arg(REQUIRED, doc="the input file")
    reps: int = arg(20, lo=2, hi=1000, doc="replicates")
    share: float = arg(0.5, lo=0.0, hi=1.0, lo_open=True, doc="a share")
    mode: str = arg("fast", choices=("fast", "slow"), doc="how")
    flag: bool = arg(False, doc="a switch")
    kpis: list[str] | None = arg(None, doc="names")
    workers: int | None = arg(None, lo=1, hi=8, doc="workers")
    from_: int | None = arg(None, lo=2014, hi=2100, name="from", doc="first year")


def parse(*argv: str):
    return ca.parse(Args, list(argv), "akrim test")


def test_parse_converts_every_declared_key():
    a, given, extra = parse("file=x.yaml", "reps=5", "share=1", "mode=slow", "flag=true", "kpis=a,b", "workers=2", "from=2020")
    assert (a.file, a.reps, a.share, a.mode, a.flag, a.kpis, a.workers, a.from_) == ("x.yaml", 5, 1.0, "slow", True, ["a", "b"], 2, 2020)
    assert given["from"] == "2020" and extra == []
    assert parse("file=x", "kpis=[c, d]")[0].kpis == ["c", "d"]
    assert parse("file=a=b")[0].file == "a=b"  # only the first '=' splits


@pytest.mark.parametrize("argv, message", [
    ([], "file = (missing) (allowed: a non-empty text; this key is required)"),
    (["file=x", "reps=1"], "reps = '1' (allowed: an integer in [2, 1000])"),
    (["file=x", "reps=5000"], "reps = '5000' (allowed: an integer in [2, 1000])"),
    (["file=x", "reps=many"], "reps = 'many' (allowed: an integer in [2, 1000])"),
    (["file=x", "reps=2.5"], "reps = '2.5' (allowed: an integer in [2, 1000])"),
    (["file=x", "share=0"], "share = '0' (allowed: a number in (0, 1])"),
    (["file=x", "share=nan"], "share = 'nan' (allowed: a number in (0, 1]"),
    (["file=x", "share=inf"], "share = 'inf' (allowed: a number in (0, 1]"),
    (["file=x", "mode=slo"], "mode = 'slo' (allowed: fast, slow; did you mean slow?)"),
    (["file=x", "flag=maybe"], "flag = 'maybe' (allowed: true or false)"),
    (["file=x", "kpis="], "kpis = '' (allowed: a comma-separated list"),
    (["file="], "file = '' (allowed: a non-empty text)"),
    (["file=${oc.env:HOME}"], "no ${...} interpolation"),
    (["file=x", "file=y"], "file = 'y' (allowed: one value per key (file is also given as 'x'))"),
    (["file=x", "rep=3"], "rep = '3' (allowed: a key of akrim test: file, reps, share, mode, flag, kpis, workers, from; did you mean reps=3?)"),
    (["x.yaml"], "argument = 'x.yaml' (allowed: key=value with a key of akrim test"),
    (["--verbose"], "argument = '--verbose' (allowed: key=value"),
    (["file=x", "from=1900"], "from = '1900' (allowed: an integer in [2014, 2100])"),
])
def test_every_refusal_is_one_line_naming_key_value_and_allowed(argv, message):
    with pytest.raises(UsageError) as exc:
        parse(*argv)
    text = str(exc.value)
    assert message in text, text
    assert "\n" not in text
    assert isinstance(exc.value, ConfigError) and exc.value.key in text


def test_passthrough_keeps_other_keys_for_the_caller():
    a, _, extra = ca.parse(Args, ["file=x", "policy.nli.n_inspectors=3"], "akrim test", passthrough=lambda k: k.startswith("policy."))
    assert extra == ["policy.nli.n_inspectors=3"]


def test_parse_action_picks_the_schema():
    @dataclass
    class Other:
        r: int = arg(4, lo=2, hi=10)

    action, a, given = ca.parse_action(["other", "r=5"], {"main": Args, "other": Other}, "main", "akrim test")
    assert (action, a.r, given) == ("other", 5, {"r": "5"})
    with pytest.raises(UsageError, match=r"^action = 'othr' \(allowed: main, other \(see 'akrim test --help'\); did you mean other\?\)$"):
        ca.parse_action(["othr"], {"main": Args, "other": Other}, "main", "akrim test")
    with pytest.raises(UsageError, match="r = '1'"):
        ca.parse_action(["other", "r=1"], {"main": Args, "other": Other}, "main", "akrim test")


def test_help_lists_every_key_with_default_and_range():
    text = ca.help_text("akrim test", "What it does.", Args, "  akrim test file=x\n")
    assert text.startswith("usage: akrim test key=value ...") and "What it does." in text and "examples:" in text
    lines = {ln.split()[0]: ln for ln in text.splitlines() if ln.startswith("  ") and ln.split()}
    assert "[required;" in lines["file"]
    assert "[default 20; an integer in [2, 1000]]" in lines["reps"]
    assert "fast, slow" in lines["mode"] and "true or false" in lines["flag"] and "from" in lines


def test_getters_share_the_wording():
    opts = {"n": "0", "x": "inf", "b": "perhaps", "c": "smal", "t": " "}
    with pytest.raises(UsageError, match=r"^n = '0' \(allowed: an integer >= 1\)$"):
        ca.get_int(opts, "n", 1, 1)
    with pytest.raises(UsageError, match=r"x = 'inf' \(allowed: a number in \(0, 1\]\)"):
        ca.get_float(opts, "x", 1.0, 0.0, 1.0, lo_open=True)
    with pytest.raises(UsageError, match="b = 'perhaps' .*true or false"):
        ca.get_bool(opts, "b", False)
    with pytest.raises(UsageError, match="did you mean small"):
        ca.get_choice(opts, "c", "small", ["small", "full"])
    with pytest.raises(UsageError, match="t = ' '"):
        ca.get_text(opts, "t", None, "an address")
    assert ca.get_int({}, "n", 7) == 7


def test_addresses_are_checked_and_must_answer():
    assert ca.check_address(None) is None and ca.check_address("none") == "none"
    for bad in ("localhost", "tcp://host", "http://h:1", "tcp://h:99999", "tcp://a b:1"):
        with pytest.raises(UsageError, match="address = "):
            ca.check_address(bad, connect=False)
    with socket.socket() as s:  # a port where nothing listens: bound, not listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        with pytest.raises(UsageError, match="nothing answers there"):
            ca.check_address(f"tcp://127.0.0.1:{port}", timeout=1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert ca.check_address(f"tcp://127.0.0.1:{port}") == f"tcp://127.0.0.1:{port}"
    with pytest.raises(UsageError, match="workers = 2"):
        ca.check_workers(2, "tcp://h:1")


def test_configuration_keys_are_checked_against_the_schema():
    ca.check_key("policy.nli.n_inspectors", "3")
    ca.check_key("policy.centres.by_region.oslo.open", "null")
    with pytest.raises(ConfigError, match=r"policy.nli.n_inspecters = '3' \(allowed: a key of the configuration; policy.nli has n_inspectors.*"
                                          r"did you mean policy.nli.n_inspectors\?\)"):
        ca.check_key("policy.nli.n_inspecters", "3")
    with pytest.raises(ConfigError, match="is a section"):
        ca.check_key("policy.nli", "3")
    with pytest.raises(ConfigError, match="is a value, not a section"):
        ca.check_key("seed.x", "3")


def test_scenario_files_are_read_strictly(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("nli: {n_inspectors: 3\n")
    with pytest.raises(ConfigError, match=r"policy = '.*s.yaml' \(allowed: a YAML file that parses \(line 2"):
        ca.read_scenario_file("policy", p)
    p.write_text("")
    with pytest.raises(ConfigError, match="this one is empty"):
        ca.read_scenario_file("policy", p)
    p.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="holds a list"):
        ca.read_scenario_file("policy", p)
    with pytest.raises(ConfigError, match="an existing scenario file"):
        ca.read_scenario_file("policy", tmp_path / "none.yaml")
    p.write_text("nli: {n_inspectors: 3}\n")
    assert ca.read_scenario_file("policy", p) == {"nli": {"n_inspectors": 3}}


def test_long_values_are_cut_to_keep_one_line():
    exc = ConfigError("k", "x" * 500 + "\nsecond line", "short")
    assert "\n" not in str(exc) and len(str(exc)) < 200
