"""``experiments.cliargs``: the one ``key=value`` parser of the commands, in both its wordings."""

from __future__ import annotations

import math

import pytest

from experiments import cliargs as ca
from experiments.cliargs import ArgumentError, UsageError

KEYS = {"budget": "b", "populations": "p", "scale": "s", "address": "a"}


def test_parse_keys_splits_and_keeps_equals_in_values():
    assert ca.parse_keys(["budget=small", "address=tcp://h:1?a=b"], KEYS) == {"budget": "small", "address": "tcp://h:1?a=b"}
    assert ca.parse_keys([], KEYS) == {}
    assert ca.parse_keys(["scale="], KEYS) == {"scale": ""}


@pytest.mark.parametrize("argv,problem,message", [
    (["fast"], "syntax", "argument 'fast' is not key=value (allowed keys for fit: budget, populations, scale, address)"),
    (["budjet=small"], "unknown",
     "budjet=small: unknown key 'budjet' for fit (allowed: budget, populations, scale, address); did you mean budget=small?"),
    (["colour=red"], "unknown", "colour=red: unknown key 'colour' for fit (allowed: budget, populations, scale, address)"),
    (["budget=small", "budget=full"], "repeated", "budget given twice ('small' and 'full')"),
])
def test_parse_keys_errors_name_argument_value_and_allowed_keys(argv, problem, message):
    with pytest.raises(ArgumentError) as exc:
        ca.parse_keys(argv, KEYS, scope="for fit")
    assert str(exc.value) == message and exc.value.problem == problem
    assert isinstance(exc.value, UsageError)


def test_parse_action_defaults_picks_and_suggests():
    actions = {"fit": KEYS, "screen": {"r": "", "rerun_stale": ""}, "status": {"db": ""}}
    assert ca.parse_action([], actions, "fit", "akrim calibrate") == ("fit", {})
    assert ca.parse_action(["populations=4"], actions, "fit", "p") == ("fit", {"populations": "4"})
    assert ca.parse_action(["screen", "rerun_stale=true"], actions, "fit", "p") == ("screen", {"rerun_stale": "true"})
    with pytest.raises(UsageError, match=r"^unknown action 'scren' \(allowed: fit, screen, status; see 'akrim calibrate --help'\); "
                                         r"did you mean screen\?$"):
        ca.parse_action(["scren"], actions, "fit", "akrim calibrate")
    with pytest.raises(UsageError, match="unknown key 'budget' for screen"):  # each action has its own keys
        ca.parse_action(["screen", "budget=small"], actions, "fit", "p")


@pytest.mark.parametrize("call,message", [
    (lambda a: ca.get_int(a, "k", 1, 2), "k={v} (allowed: an integer >= 2)"),
    (lambda a: ca.get_int(a, "k", 1, 0, 65535), "k={v} (allowed: an integer in [0, 65535])"),
    (lambda a: ca.get_int(a, "k", 1, 2014, 2100, allowed="a year in [2014, 2100]"), "k={v} (allowed: a year in [2014, 2100])"),
    (lambda a: ca.get_float(a, "k", 0.5, 0.0, 1.0, lo_open=True), "k={v} (allowed: a number in (0, 1])"),
    (lambda a: ca.get_float(a, "k", 0.5, 1e-4, 2.0), "k={v} (allowed: a number in [0.0001, 2])"),
])
@pytest.mark.parametrize("v", ["x", "-5", "1e9", "nan"])
def test_numbers_name_key_value_and_range(call, message, v):
    if "integer" in message and v == "nan":
        v = "3.5"
    with pytest.raises(ArgumentError) as exc:
        call({"k": v})
    assert str(exc.value) == message.format(v=v)


def test_numbers_convert_check_bounds_and_default():
    assert ca.get_int({"k": "2"}, "k", None, 2) == 2 and ca.get_int({}, "k", None, 2) is None
    assert ca.get_int({"k": "65535"}, "k", 0, 0, 65535) == 65535
    assert ca.get_float({"k": "1"}, "k", None, 0.0, 1.0, lo_open=True) == 1.0
    assert ca.get_float({}, "k", 0.05, 0.0, 1.0) == 0.05
    with pytest.raises(ArgumentError, match=r"k=0 \(allowed: a number in \(0, 1\]\)") as exc:
        ca.get_float({"k": "0"}, "k", None, 0.0, 1.0, lo_open=True)
    assert exc.value.problem == "range" and exc.value.parsed == 0.0
    assert ca.get_float({"k": "0"}, "k", None, 0.0, 1.0) == 0.0
    assert ca.get_float({"k": "-3"}, "k", None) == -3.0 and math.isinf(ca.get_float({"k": "inf"}, "k", None))
    with pytest.raises(ArgumentError, match=r"k= is empty \(allowed: an integer >= 1\)"):
        ca.get_int({"k": ""}, "k", None, 1)


def test_span_words():
    assert ca.span("an integer", 2) == "an integer >= 2"
    assert ca.span("a number", 0.0, 1.0, lo_open=True) == "a number in (0, 1]"
    assert ca.span("a number", None, 5) == "a number <= 5"
    assert ca.span("a number", 0.0, lo_open=True) == "a number > 0"
    assert ca.span("an integer") == "an integer"
    assert ca.span("an integer", 20240101) == "an integer >= 20240101"  # integers are never shortened


def test_bool_strict_and_loose():
    assert ca.get_bool({"k": "TRUE"}, "k", False) is True and ca.get_bool({"k": "false"}, "k", True) is False
    assert ca.get_bool({}, "k", True) is True
    with pytest.raises(ArgumentError, match=r"^k=yes \(allowed: true or false\)$"):
        ca.get_bool({"k": "yes"}, "k", False)
    assert ca.get_bool({"k": "yes"}, "k", False, loose=True) is True
    assert ca.get_bool({"k": " Off"}, "k", True, loose=True) is False


def test_choice_and_text():
    assert ca.get_choice({"k": "full"}, "k", "small", ["small", "medium", "full"]) == "full"
    assert ca.get_choice({}, "k", "small", ["small", "medium", "full"]) == "small"
    with pytest.raises(ArgumentError, match=r"^k=huge \(allowed: small, medium, full\)$"):
        ca.get_choice({"k": "huge"}, "k", "small", ["small", "medium", "full"])
    with pytest.raises(ArgumentError, match=r"^k=smal \(allowed: small, medium, full\); did you mean small\?$"):
        ca.get_choice({"k": "smal"}, "k", "small", ["small", "medium", "full"])
    assert ca.get_text({"k": "tcp://h:1"}, "k", None, "an address") == "tcp://h:1" and ca.get_text({}, "k", None, "x") is None
    with pytest.raises(ArgumentError, match=r"^k= is empty \(allowed: an address\)$"):
        ca.get_text({"k": " "}, "k", None, "an address")


# The sweep/sensitivity wording is unchanged by the shared parser underneath.
@pytest.mark.parametrize("call,message", [
    (lambda: ca.parse(["x.yaml"], {"file": "", "out": ""}), "argument 'x.yaml' is not key=value; keys: file, out"),
    (lambda: ca.parse(["fil=x"], {"file": "", "out": ""}), "unknown argument 'fil' (did you mean file?); keys: file, out"),
    (lambda: ca.parse(["zzz=x"], {"file": "", "out": ""}), "unknown argument 'zzz'; keys: file, out"),
    (lambda: ca.parse(["out=a", "out=b"], {"file": "", "out": ""}), "argument 'out' given twice ('a' and 'b')"),
    (lambda: ca.as_int({"k": "two"}, "k", None, lo=1), "k='two' is not an integer"),
    (lambda: ca.as_int({"k": "0"}, "k", None, lo=1), "k=0 must be >= 1"),
    (lambda: ca.as_float({"k": "x"}, "k", 0.95, 0.5, 0.999), "k='x' is not a number"),
    (lambda: ca.as_float({"k": "1.5"}, "k", 0.95, 0.5, 0.999), "k=1.5 must be in [0.5, 0.999]"),
    (lambda: ca.as_bool({"k": "maybe"}, "k", True), "k='maybe' must be true or false"),
    (lambda: ca.as_list({"k": "[]"}, "k"), "k= needs at least one value (comma-separated)"),
])
def test_sweep_wording(call, message):
    with pytest.raises(UsageError) as exc:
        call()
    assert str(exc.value) == message


def test_sweep_getters_values():
    assert ca.parse(["file=a=b"], {"file": ""}) == {"file": "a=b"}
    assert ca.as_int({"k": "3"}, "k", None, lo=1) == 3 and ca.as_int({}, "k", None) is None
    assert ca.as_float({"k": "0.9"}, "k", 0.95, 0.5, 0.999) == 0.9
    assert ca.as_bool({"k": "yes"}, "k", False) is True and ca.as_bool({"k": "0"}, "k", True) is False
    assert ca.as_list({"k": "[a, b]"}, "k") == ["a", "b"]
