"""``key=value`` arguments for the experiment commands (``akrim sweep``, ``akrim sensitivity``).

Each command declares its keys with a one-line help; an unknown key, a missing ``=`` or a
value of the wrong type stops the command with one line naming the key, the value and what is
allowed (with a "did you mean" suggestion for near misses).
"""

from __future__ import annotations

import difflib
from typing import Any


class UsageError(ValueError):
    """A bad command-line argument."""


def parse(argv: list[str], keys: dict[str, str]) -> dict[str, str]:
    """Split ``key=value`` arguments, rejecting unknown keys and repeats.

    Args:
        argv: The arguments after the command name.
        keys: Allowed keys with their help text.
    """
    out: dict[str, str] = {}
    for arg in argv:
        if "=" not in arg:
            raise UsageError(f"argument {arg!r} is not key=value; keys: {', '.join(keys)}")
        k, v = arg.split("=", 1)
        if k not in keys:
            near = difflib.get_close_matches(k, list(keys), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise UsageError(f"unknown argument {k!r}{hint}; keys: {', '.join(keys)}")
        if k in out:
            raise UsageError(f"argument {k!r} given twice ({out[k]!r} and {v!r})")
        out[k] = v
    return out


def as_int(args: dict[str, str], key: str, default: int | None, lo: int = 0) -> int | None:
    """An integer argument >= ``lo`` (``default`` when absent)."""
    if key not in args:
        return default
    try:
        v = int(args[key])
    except ValueError:
        raise UsageError(f"{key}={args[key]!r} is not an integer") from None
    if v < lo:
        raise UsageError(f"{key}={v} must be >= {lo}")
    return v


def as_float(args: dict[str, str], key: str, default: float, lo: float, hi: float) -> float:
    """A number in ``[lo, hi]``."""
    if key not in args:
        return default
    try:
        v = float(args[key])
    except ValueError:
        raise UsageError(f"{key}={args[key]!r} is not a number") from None
    if not lo <= v <= hi:
        raise UsageError(f"{key}={v:g} must be in [{lo:g}, {hi:g}]")
    return v


def as_bool(args: dict[str, str], key: str, default: bool) -> bool:
    """``true``/``false`` (also yes/no, 1/0)."""
    if key not in args:
        return default
    v = args[key].strip().lower()
    if v in ("true", "yes", "1", "on"):
        return True
    if v in ("false", "no", "0", "off"):
        return False
    raise UsageError(f"{key}={args[key]!r} must be true or false")


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
