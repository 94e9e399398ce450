"""``key=value`` arguments of the ``akrim`` commands (all but ``akrim run``, which takes Hydra overrides).

Each command declares its keys; an unknown key, a missing ``=``, a repeated key or a value of
the wrong type stops the command with one line naming the key, the value and what is allowed
(with a "did you mean" suggestion for near misses). One parser, two wordings:

* ``parse_keys``, ``parse_action`` and the ``get_*`` getters (``akrim calibrate``, ``akrim
  workshop``): ``key=value (allowed: ...)``. ``parse_action`` reads an optional first word naming
  an action, each action with its own keys (``akrim calibrate screen r=10``).
* ``parse`` and the ``as_*`` getters (``akrim sweep``, ``akrim sensitivity``): the same checks in
  those commands' wording (``unknown argument 'x' (did you mean y?); keys: ...``,
  ``key='v' is not an integer``, ``key=v must be in [lo, hi]``).

Every error is a ``UsageError`` (the commands exit with code 2); ``ArgumentError``, raised by
the parser and the getters, also carries what was wrong, from which a wording is built.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from typing import Any

TRUE, FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


class UsageError(ValueError):
    """A bad command-line argument."""


class ArgumentError(UsageError):
    """One bad argument, and what was wrong with it.

    Attributes:
        problem: ``"syntax"`` (not ``key=value``; ``value`` is the whole argument), ``"unknown"``
            (a key not allowed; ``near`` is the closest allowed key or None), ``"repeated"``
            (``previous`` is the first value), ``"type"`` (the value does not convert, or is not
            one of the choices) or ``"range"`` (``parsed`` is the converted value).
        key: The key (None for a syntax error).
        value: The value as given.
        allowed: What is allowed, in words (the allowed keys for syntax and unknown-key errors).
    """

    def __init__(self, message: str, problem: str, key: str | None, value: str, allowed: str, *,
                 near: str | None = None, previous: str | None = None, parsed: Any = None) -> None:
        super().__init__(message)
        self.problem, self.key, self.value, self.allowed = problem, key, value, allowed
        self.near, self.previous, self.parsed = near, previous, parsed


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to a misspelt ``word``, when one is close enough (difflib), else None."""
    near = difflib.get_close_matches(word, list(choices), n=1)
    return near[0] if near else None


def parse_keys(argv: Iterable[str], keys: Iterable[str], scope: str = "") -> dict[str, str]:
    """Split ``key=value`` arguments, rejecting bare words, unknown keys and repeats.

    Args:
        argv: The arguments.
        keys: The allowed keys (a dict of key -> help text will do).
        scope: Words naming where the keys apply, for the messages (e.g. ``"for fit"``).

    Raises:
        ArgumentError: ``argument 'x' is not key=value (allowed keys for fit: ...)``,
            ``budjet=small: unknown key 'budjet' for fit (allowed: ...); did you mean budget=small?``,
            ``budget given twice ('small' and 'full')``.
    """
    keys = list(keys)
    listed, at = ", ".join(keys), f" {scope}" if scope else ""
    out: dict[str, str] = {}
    for arg in argv:
        if "=" not in arg:
            raise ArgumentError(f"argument {arg!r} is not key=value (allowed keys{at}: {listed})", "syntax", None, arg, listed)
        k, v = arg.split("=", 1)
        if k not in keys:
            near = closest(k, keys)
            hint = f"; did you mean {near}={v}?" if near else ""
            raise ArgumentError(f"{arg}: unknown key {k!r}{at} (allowed: {listed}){hint}", "unknown", k, v, listed, near=near)
        if k in out:
            raise ArgumentError(f"{k} given twice ({out[k]!r} and {v!r})", "repeated", k, v, listed, previous=out[k])
        out[k] = v
    return out


def parse_action(argv: Iterable[str], actions: dict[str, Iterable[str]], default: str,
                 prog: str) -> tuple[str, dict[str, str]]:
    """``(action, {key: value})`` for a command whose first word may name an action with its own keys.

    The first argument is the action unless it holds ``=`` (then the action is ``default``); the
    rest are the action's ``key=value`` arguments (``parse_keys``).

    Args:
        argv: The arguments after the command.
        actions: Each action's allowed keys.
        default: The action when none is named.
        prog: The command, for the pointer to its ``--help``.
    """
    args = list(argv)
    action = default
    if args and "=" not in args[0]:
        action = args.pop(0)
        if action not in actions:
            near = closest(action, actions)
            hint = f"; did you mean {near}?" if near else ""
            raise UsageError(f"unknown action {action!r} (allowed: {', '.join(actions)}; see '{prog} --help'){hint}")
    return action, parse_keys(args, actions[action], scope=f"for {action}")


def _num(x: float) -> str:
    return str(x) if isinstance(x, int) else f"{x:g}"


def span(noun: str, lo: float | None = None, hi: float | None = None, lo_open: bool = False) -> str:
    """What a number may be, in words: ``an integer >= 2``, ``a number in (0, 1]``, ``a number <= 5``."""
    if lo is not None and hi is not None:
        return f"{noun} in {'(' if lo_open else '['}{_num(lo)}, {_num(hi)}]"
    if lo is not None:
        return f"{noun} {'>' if lo_open else '>='} {_num(lo)}"
    return f"{noun} <= {_num(hi)}" if hi is not None else noun


def bad_value(key: str, value: str, allowed: str, problem: str = "range", parsed: Any = None,
              hint: str = "") -> ArgumentError:
    """The error for a value outside what ``key`` allows: ``key=value (allowed: ...)`` (``key= is empty`` ...)."""
    shown = f"{key}= is empty" if not value.strip() else f"{key}={value}"
    return ArgumentError(f"{shown} (allowed: {allowed}){hint}", problem, key, value, allowed, parsed=parsed)


def _number(args: dict[str, str], key: str, default: Any, kind: type, noun: str, lo: float | None, hi: float | None,
            lo_open: bool, allowed: str | None) -> Any:
    if key not in args:
        return default
    allowed = allowed or span(noun, lo, hi, lo_open)
    try:
        v = kind(args[key])
    except ValueError:
        raise bad_value(key, args[key], allowed, "type") from None
    above = lo is None or (v > lo if lo_open else v >= lo)
    if not (above and (hi is None or v <= hi)) or (kind is float and math.isnan(v)):
        raise bad_value(key, args[key], allowed, "range", parsed=v)
    return v


def get_int(args: dict[str, str], key: str, default: Any, lo: int | None = None, hi: int | None = None, *,
            allowed: str | None = None) -> Any:
    """An integer in ``[lo, hi]`` (a bound of None is open-ended); ``default`` (unchecked) when absent.

    ``allowed`` replaces the words of the error message (default: ``an integer in [lo, hi]``).
    """
    return _number(args, key, default, int, "an integer", lo, hi, False, allowed)


def get_float(args: dict[str, str], key: str, default: Any, lo: float | None = None, hi: float | None = None, *,
              lo_open: bool = False, allowed: str | None = None) -> Any:
    """A number in ``[lo, hi]``, or ``(lo, hi]`` with ``lo_open``; ``default`` (unchecked) when absent."""
    return _number(args, key, default, float, "a number", lo, hi, lo_open, allowed)


def get_bool(args: dict[str, str], key: str, default: bool, *, loose: bool = False) -> bool:
    """``true`` or ``false`` (any case); with ``loose`` also yes/no, 1/0, on/off."""
    if key not in args:
        return default
    yes, no = (TRUE, FALSE) if loose else (("true",), ("false",))
    v = args[key].strip().lower()
    if v in yes:
        return True
    if v in no:
        return False
    raise bad_value(key, args[key], "true or false", "type")


def get_choice(args: dict[str, str], key: str, default: str, choices: Iterable[str]) -> str:
    """One of ``choices`` (with a "did you mean" for a near miss); ``default`` when absent."""
    if key not in args:
        return default
    choices = list(choices)
    v = args[key]
    if v not in choices:
        near = closest(v, choices)
        raise bad_value(key, v, ", ".join(choices), "type", hint=f"; did you mean {near}?" if near else "")
    return v


def get_text(args: dict[str, str], key: str, default: Any, allowed: str) -> Any:
    """Non-blank text (``allowed`` says what it should be, for the message); ``default`` when absent."""
    if key not in args:
        return default
    if not args[key].strip():
        raise bad_value(key, args[key], allowed, "type")
    return args[key]


# --------------------------------------------------------------- the wording of akrim sweep / sensitivity


def parse(argv: list[str], keys: dict[str, str]) -> dict[str, str]:
    """``parse_keys`` in the sweep/sensitivity wording.

    Args:
        argv: The arguments after the command name.
        keys: Allowed keys with their help text.
    """
    try:
        return parse_keys(argv, keys)
    except ArgumentError as e:
        listed = ", ".join(keys)
        if e.problem == "syntax":
            raise UsageError(f"argument {e.value!r} is not key=value; keys: {listed}") from None
        if e.problem == "unknown":
            hint = f" (did you mean {e.near}?)" if e.near else ""
            raise UsageError(f"unknown argument {e.key!r}{hint}; keys: {listed}") from None
        raise UsageError(f"argument {e.key!r} given twice ({e.previous!r} and {e.value!r})") from None


def as_int(args: dict[str, str], key: str, default: int | None, lo: int = 0) -> int | None:
    """An integer argument >= ``lo`` (``default`` when absent)."""
    try:
        return get_int(args, key, default, lo)
    except ArgumentError as e:
        raise UsageError(f"{key}={e.value!r} is not an integer" if e.problem == "type" else f"{key}={e.parsed} must be >= {lo}") from None


def as_float(args: dict[str, str], key: str, default: float, lo: float, hi: float) -> float:
    """A number in ``[lo, hi]``."""
    try:
        return get_float(args, key, default, lo, hi)
    except ArgumentError as e:
        raise UsageError(f"{key}={e.value!r} is not a number" if e.problem == "type"
                         else f"{key}={e.parsed:g} must be in [{lo:g}, {hi:g}]") from None


def as_bool(args: dict[str, str], key: str, default: bool) -> bool:
    """``true``/``false`` (also yes/no, 1/0, on/off)."""
    try:
        return get_bool(args, key, default, loose=True)
    except ArgumentError:
        raise UsageError(f"{key}={args[key]!r} must be true or false") from None


def as_list(args: dict[str, str], key: str, default: Any = None) -> list[str] | None:
    """A comma-separated list (``a,b,c`` or ``[a,b,c]``)."""
    if key not in args:
        return default
    items = [x.strip() for x in args[key].strip("[]").split(",") if x.strip()]
    if not items:
        raise UsageError(f"{key}= needs at least one value (comma-separated)")
    return items


def help_text(prog: str, summary: str, keys: dict[str, str], examples: str) -> str:
    """The ``--help`` text of a command."""
    width = max(len(k) for k in keys) + 2
    lines = [f"usage: {prog} key=value ...", "", summary, "", "arguments:"]
    lines += [f"  {k:<{width}s}{h}" for k, h in keys.items()]
    return "\n".join(lines) + "\n\nexamples:\n" + examples
