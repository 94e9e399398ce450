"""The one argument layer of the ``akrim`` commands: declared keys, one validation path, one error wording.

Each command declares its keys once, as the fields of a dataclass made with :func:`arg` (a
default, a range or a list of choices, and a line of help)::

    @dataclass
    class SweepArgs:
        file: str = arg(REQUIRED, doc="the sweep file (YAML)")
        workers: int | None = arg(None, lo=1, hi=MAX_WORKERS, doc="worker processes of the local cluster")

:func:`parse` turns ``key=value`` arguments into an instance of it, in one path:

1. every argument must be ``key=value`` with a declared key, given once (a repeated key, a
   bare word or an unknown key - with a "did you mean" for a near miss - is refused);
2. ``OmegaConf.merge(OmegaConf.structured(Args), OmegaConf.from_dotlist(argv))`` converts the
   values and rejects wrong types (OmegaConf names ``full_key`` and the value);
3. the ranges and choices of the field metadata are checked (the same ``check_range`` as the
   model's configuration, so non-finite numbers never pass).

Every refusal is a :class:`UsageError` (a ``sim.config.ConfigError``): one line,
``key = value (allowed: ...)``. The command line prints it as ``akrim: error: ...`` and exits
with code 2 before any work starts. :func:`help_text` builds ``akrim <command> --help`` from the
same declarations (description, every key with its default and range, examples).

The ``get_*`` getters read single values from a ``{key: text}`` mapping (``akrim calibrate``
keeps its options as text once :func:`parse_action` has checked them).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import socket
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.config.validate import MISSING_VALUE, ConfigError, check_range, describe_range

REQUIRED: Any = "???"  # OmegaConf's MISSING: a key that must be given
MAX_WORKERS = 1024
MAX_SEED = 2**32 - 1
TRUE, FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


class UsageError(ConfigError):
    """A bad command-line argument: ``key = value (allowed: ...)`` (exit code 2).

    ``UsageError(message)`` with one argument is a refusal that is not about one key's value
    (e.g. a calibration that would replace final outputs); it is printed as given.
    """

    def __init__(self, key: str, value: Any = None, allowed: str | None = None) -> None:
        if allowed is None:
            self.key, self.value, self.allowed = "", value, key
            ValueError.__init__(self, key)
        else:
            super().__init__(key, value, allowed)


ArgumentError = UsageError  # the name used before the layer was unified


def arg(default: Any = REQUIRED, *, doc: str = "", lo: float | None = None, hi: float | None = None, lo_open: bool = False,
        choices: Iterable[str] | None = None, allowed: str | None = None, name: str | None = None, empty: bool = False) -> Any:
    """A declared command-line key (a dataclass field with the metadata :func:`parse` and :func:`help_text` read).

    Args:
        default: The default (``REQUIRED`` for a key that must be given; a list default is copied).
        doc: One line of help.
        lo: Lower bound of a number (closed unless ``lo_open``).
        hi: Upper bound of a number (closed).
        lo_open: Whether the lower bound is open (``scale`` in ``(0, 1]``).
        choices: The allowed texts of a text key.
        allowed: The words of "allowed: ..." when the generated ones are not clear enough.
        name: The key as typed when it is not a Python name (``from``).
        empty: Whether an empty text is allowed (default no).
    """
    meta: dict[str, Any] = {"doc": doc, "lo_open": lo_open, "empty": empty}
    if lo is not None or hi is not None:
        meta["lo"] = -math.inf if lo is None else lo
        meta["hi"] = math.inf if hi is None else hi
    if choices is not None:
        meta["choices"] = tuple(choices)
    if allowed:
        meta["allowed"] = allowed
    if name:
        meta["name"] = name
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda d=tuple(default): list(d), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def key_name(f: dataclasses.Field) -> str:
    """The key as typed on the command line."""
    return f.metadata.get("name", f.name)


def _hints(schema: type) -> dict[str, Any]:
    return typing.get_type_hints(schema)


def _base_type(tp: Any) -> tuple[Any, bool]:
    """``(type without None, optional)``."""
    args = typing.get_args(tp)
    if args and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return tp, False


def allowed_text(f: dataclasses.Field, tp: Any) -> str:
    """What a key allows, in words (from its type and metadata)."""
    meta = f.metadata
    if "allowed" in meta:
        return meta["allowed"]
    base, _ = _base_type(tp)
    if "choices" in meta:
        text = ", ".join(meta["choices"])
    elif base is bool:
        text = "true or false"
    elif base in (int, float):
        text = describe_range(meta.get("lo", -math.inf), meta.get("hi", math.inf), base is int, meta.get("lo_open", False))
    elif typing.get_origin(base) is list:
        text = "a comma-separated list, e.g. a,b or [a,b]"
    else:
        text = "a non-empty text" if not meta.get("empty") else "a text"
    return text


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to a misspelt ``word``, when one is close enough (difflib), else None."""
    near = difflib.get_close_matches(word, list(choices), n=1)
    return near[0] if near else None


def split_args(argv: Iterable[str], keys: Iterable[str], prog: str, passthrough: Any = None) -> tuple[dict[str, str], list[str]]:
    """``({key: text}, passed-through arguments)``: only ``key=value`` with declared keys, each once.

    ``passthrough(key)`` True sends an argument with an undeclared key to the second list
    (``akrim compare`` applies those to every run).
    """
    keys = list(keys)
    listed = ", ".join(keys)
    out: dict[str, str] = {}
    extra: list[str] = []
    seen: dict[str, str] = {}
    for a in argv:
        if "=" not in a or a.startswith("-"):
            raise UsageError("argument", a, f"key=value with a key of {prog}: {listed} (see '{prog} --help')")
        k, v = a.split("=", 1)
        if k in seen:
            raise UsageError(k, v, f"one value per key ({k} is also given as {seen[k]!r})")
        seen[k] = v
        if k in keys:
            out[k] = v
        elif passthrough is not None and passthrough(k):
            extra.append(a)
        else:
            near = closest(k, keys)
            hint = f"; did you mean {near}={v}?" if near else ""
            raise UsageError(k, v, f"a key of {prog}: {listed}{hint}")
    return out, extra


def _yaml_text(tp: Any, text: str) -> str:
    """The text as OmegaConf's dotlist should see it: a list key takes ``a,b`` as well as ``[a,b]``."""
    base, _ = _base_type(tp)
    if typing.get_origin(base) is list and not text.strip().startswith("["):
        return "[" + text + "]" if text.strip() else "[]"
    return text


def _convert(schema: type, given: dict[str, str]) -> Any:
    """Steps 2 and 3 of the module docstring; returns the instance."""
    from omegaconf import OmegaConf
    from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

    hints = _hints(schema)
    by_key = {key_name(f): f for f in dataclasses.fields(schema)}
    conf = OmegaConf.structured(schema)
    for k, text in given.items():  # one key at a time, so the error names it exactly
        f = by_key[k]
        tp = hints[f.name]
        base, optional = _base_type(tp)
        if not text.strip() and not (base is str and f.metadata.get("empty")):
            raise UsageError(k, text, allowed_text(f, tp))
        if "${" in text:
            raise UsageError(k, text, f"{allowed_text(f, tp)} (no ${{...}} interpolation)")
        try:
            conf = OmegaConf.merge(conf, OmegaConf.from_dotlist([f"{f.name}={_yaml_text(tp, text)}"]))
        except OmegaConfBaseException:
            raise UsageError(k, text, allowed_text(f, tp)) from None
        except Exception:  # text that is not even YAML
            raise UsageError(k, text, allowed_text(f, tp)) from None
    try:
        obj = OmegaConf.to_object(conf)
    except MissingMandatoryValue as exc:
        f = next(g for g in dataclasses.fields(schema) if g.name == str(exc.full_key).split(".")[0])
        raise UsageError(key_name(f), MISSING_VALUE, f"{allowed_text(f, hints[f.name])}; this key is required") from None
    except OmegaConfBaseException as exc:
        name = str(getattr(exc, "full_key", "") or "?").split(".")[0]
        f = next((g for g in dataclasses.fields(schema) if g.name == name), None)
        raise UsageError(key_name(f) if f else name, getattr(exc, "value", None),
                         allowed_text(f, hints[f.name]) if f else str(exc).splitlines()[0]) from None
    for f in dataclasses.fields(schema):
        k, value, meta = key_name(f), getattr(obj, f.name), f.metadata
        shown = given.get(k, value)
        if value is None:
            continue
        if "choices" in meta and value not in meta["choices"]:
            near = closest(str(value), meta["choices"])
            raise UsageError(k, shown, ", ".join(meta["choices"]) + (f"; did you mean {near}?" if near else ""))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                check_range(k, value, meta, integer=_base_type(hints[f.name])[0] is int)
            except ConfigError as exc:
                raise UsageError(k, shown, meta.get("allowed", exc.allowed)) from None
        if isinstance(value, list) and not value:
            raise UsageError(k, shown, "at least one value (comma-separated)")
    return obj


def parse(schema: type, argv: Iterable[str], prog: str, passthrough: Any = None) -> tuple[Any, dict[str, str], list[str]]:
    """Parse ``key=value`` arguments into an instance of ``schema`` (see the module docstring).

    Returns:
        ``(args, given, extra)``: the instance, the keys given with their texts, and the
        passed-through arguments (``passthrough``, see :func:`split_args`).

    Raises:
        UsageError: the first bad argument, ``key = value (allowed: ...)``.
    """
    keys = [key_name(f) for f in dataclasses.fields(schema)]
    given, extra = split_args(argv, keys, prog, passthrough)
    return _convert(schema, given), given, extra


def parse_action(argv: Iterable[str], actions: dict[str, type], default: str, prog: str) -> tuple[str, Any, dict[str, str]]:
    """``(action, args, given)`` for a command whose first word may name an action with its own keys."""
    args = list(argv)
    action = default
    if args and "=" not in args[0] and not args[0].startswith("-"):
        action = args.pop(0)
        if action not in actions:
            near = closest(action, actions)
            raise UsageError("action", action, f"{', '.join(actions)} (see '{prog} --help')" + (f"; did you mean {near}?" if near else ""))
    obj, given, _ = parse(actions[action], args, f"{prog} {action}")
    return action, obj, given


def keys_help(schema: type) -> dict[str, str]:
    """``{key: help line with default and range}`` of a schema."""
    hints = _hints(schema)
    out = {}
    for f in dataclasses.fields(schema):
        tp = hints[f.name]
        if f.default is REQUIRED:
            default = "required"
        elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f"default {','.join(map(str, f.default_factory()))}"  # type: ignore[misc]
        elif f.default is None:
            default = "optional"
        else:
            d = f.default
            default = f"default {str(d).lower() if isinstance(d, bool) else d}"
        out[key_name(f)] = f"{f.metadata.get('doc', '')} [{default}; {allowed_text(f, tp)}]"
    return out


def help_text(prog: str, summary: str, keys: Any, examples: str, usage: str | None = None) -> str:
    """The ``--help`` text of a command: usage, description, the keys (defaults, ranges) and examples."""
    if isinstance(keys, type):
        keys = keys_help(keys)
    width = max(len(k) for k in keys) + 2
    lines = [usage or f"usage: {prog} key=value ...", "", summary, "", "keys:"]
    lines += [f"  {k:<{width}s}{h}" for k, h in keys.items()]
    return "\n".join(lines) + "\n\nexamples:\n" + examples


# --------------------------------------------------------------------------------- shared checks
ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")
ADDRESS_ALLOWED = "a Dask scheduler address tcp://host:port that answers, or none (run in this process)"


def check_address(address: str | None, key: str = "address", connect: bool = True, timeout: float = 3.0) -> str | None:
    """A Dask scheduler address (``tcp://host:port``), ``none``, or None; with ``connect``, one that answers.

    Raises:
        UsageError: a malformed address, or one where nothing listens (checked with a TCP
            connection, before any work starts).
    """
    if address is None or address == "none":
        return address
    m = ADDRESS.match(address.strip())
    if not m or not (1 <= int(m.group(3)) <= 65535):
        raise UsageError(key, address, ADDRESS_ALLOWED)
    if connect:
        host = m.group(2).strip("[]")
        try:
            with socket.create_connection((host, int(m.group(3))), timeout=timeout):
                pass
        except OSError as exc:
            raise UsageError(key, address, f"{ADDRESS_ALLOWED}; nothing answers there ({exc.strerror or exc})") from None
    return address.strip()


def check_workers(workers: int | None, address: str | None) -> None:
    """``workers=`` sizes the local cluster only."""
    if workers is not None and address is not None:
        raise UsageError("workers", workers, "no workers= with address= (the cluster at the address has its workers)")


# --------------------------------------------------------------------------------- single values
def _number(args: dict[str, str], key: str, default: Any, kind: type, lo: float | None, hi: float | None,
            lo_open: bool, allowed: str | None) -> Any:
    if key not in args:
        return default
    meta = {"lo": -math.inf if lo is None else lo, "hi": math.inf if hi is None else hi, "lo_open": lo_open}
    words = allowed or describe_range(meta["lo"], meta["hi"], kind is int, lo_open)
    try:
        v = kind(args[key])
    except ValueError:
        raise UsageError(key, args[key], words) from None
    try:
        check_range(key, v, meta, integer=kind is int)
    except ConfigError:
        raise UsageError(key, args[key], words) from None
    return v


def get_int(args: dict[str, str], key: str, default: Any, lo: int | None = None, hi: int | None = None, *,
            allowed: str | None = None) -> Any:
    """An integer in ``[lo, hi]`` (a bound of None is open-ended); ``default`` (unchecked) when absent."""
    return _number(args, key, default, int, lo, hi, False, allowed)


def get_float(args: dict[str, str], key: str, default: Any, lo: float | None = None, hi: float | None = None, *,
              lo_open: bool = False, allowed: str | None = None) -> Any:
    """A finite number in ``[lo, hi]``, or ``(lo, hi]`` with ``lo_open``; ``default`` (unchecked) when absent."""
    return _number(args, key, default, float, lo, hi, lo_open, allowed)


def get_bool(args: dict[str, str], key: str, default: bool, *, loose: bool = True) -> bool:
    """``true`` or ``false`` (any case; also yes/no, 1/0, on/off unless not ``loose``)."""
    if key not in args:
        return default
    yes, no = (TRUE, FALSE) if loose else (("true",), ("false",))
    v = args[key].strip().lower()
    if v in yes:
        return True
    if v in no:
        return False
    raise UsageError(key, args[key], "true or false")


def get_choice(args: dict[str, str], key: str, default: str, choices: Iterable[str]) -> str:
    """One of ``choices`` (with a "did you mean" for a near miss); ``default`` when absent."""
    if key not in args:
        return default
    choices = list(choices)
    v = args[key]
    if v not in choices:
        near = closest(v, choices)
        raise UsageError(key, v, ", ".join(choices) + (f"; did you mean {near}?" if near else ""))
    return v


def get_text(args: dict[str, str], key: str, default: Any, allowed: str) -> Any:
    """Non-blank text (``allowed`` says what it should be); ``default`` when absent."""
    if key not in args:
        return default
    if not args[key].strip():
        raise UsageError(key, args[key], allowed)
    return args[key]


def fail(exc: Any, code: int = 2) -> int:
    """Print one error line ``akrim: error: ...`` on stderr and return ``code`` (2: bad input)."""
    import sys

    text = " ".join(str(exc).split("\n"))
    print(f"akrim: error: {text}", file=sys.stderr, flush=True)
    return code


# --------------------------------------------------------------------------------- the model's keys (akrim run, compare)
def _names(group: str) -> list[str]:
    from sim.config import SCENARIOS_DIR

    return sorted(p.stem for p in (SCENARIOS_DIR / group).glob("*.yaml"))


def _is_file(value: str) -> bool:
    return value.endswith((".yaml", ".yml")) or "/" in value


def read_scenario_file(key: str, path: Path) -> dict:
    """A scenario file's mapping; refuses a missing, unparsable, empty or non-mapping file (one line)."""
    import yaml

    from sim.config import ConfigError

    if not path.is_file():
        raise ConfigError(key, str(path), "an existing scenario file")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(key, str(path), f"a YAML file that parses ({where}{getattr(exc, 'problem', None) or 'syntax error'})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(key, str(path), f"a readable YAML file ({exc})") from None
    if data is None:
        raise ConfigError(key, str(path), "a scenario file that sets something (this one is empty)")
    if not isinstance(data, dict):
        raise ConfigError(key, str(path), f"a YAML mapping of keys to values (this file holds a {type(data).__name__})")
    return data


def _check_group(key: str, value: str) -> None:
    """``policy=`` / ``world=``: shipped names (``a+b`` for policies) or a file; each file must parse."""
    from sim.config import SCENARIOS_DIR, ConfigError

    group = key
    if _is_file(value):
        read_scenario_file(key, Path(value))
        return
    names = _names(group)
    parts = value.split("+") if group == "policy" else [value]
    for part in parts:
        if part not in names:
            raise ConfigError(key, value, f"one of {', '.join(names)}{' joined by +' if group == 'policy' else ''}, "
                                          f"or a path to a .yaml file (no {part!r} in scenarios/{group}/)")
        read_scenario_file(key, SCENARIOS_DIR / group / f"{part}.yaml")


def _section_keys(obj: Any) -> list[str]:
    import dataclasses

    if isinstance(obj, dict):
        return list(obj)
    return [f.name for f in dataclasses.fields(obj)]


def check_key(key: str, value: str, root: Any = None) -> None:
    """An override's key must exist in the schema (``policy.nli.n_inspecters`` is refused, with what exists there)."""
    import dataclasses

    from sim.config import AkrimConfig, ConfigError

    obj = root if root is not None else AkrimConfig()
    path = ""
    for part in key.split("."):
        names = _section_keys(obj)
        if part not in names:
            near = closest(part, names)
            hint = f"; did you mean {(path + '.' if path else '') + near}?" if near else ""
            shown = ", ".join(names) if len(names) <= 30 else ", ".join(names[:30]) + ", ..."
            raise ConfigError(key, value, f"a key of the configuration; {path or 'the top level'} has {shown}{hint}")
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
        path = f"{path}.{part}" if path else part
        if not (dataclasses.is_dataclass(obj) or isinstance(obj, dict)):
            if path != key:
                raise ConfigError(key, value, f"a key of the configuration; {path} is a value, not a section")
            if isinstance(obj, bool) and str(value).strip().lower() not in ("true", "false"):
                raise ConfigError(key, value, "true or false")
            return
    raise ConfigError(key, value, f"a single value; {key} is a section (set its keys, e.g. {key}.{_section_keys(obj)[0]}=...)")


def check_overrides(overrides: list[str], multirun: bool = False) -> list[str]:
    """Syntax, repeats and keys of ``akrim run`` overrides (before any composition)."""
    from sim.config import ConfigError

    seen: dict[str, str] = {}
    for ov in overrides:
        if ov.startswith(("+", "~")):
            k, _, v = ov.partition("=")
            raise ConfigError(k, v, "a key of the configuration without '+' or '~' (the schema holds every key; nothing can be added or removed)")
        if "=" not in ov or ov.startswith("-"):
            raise ConfigError("argument", ov, "key=value overrides, --cfg job or -m (see 'akrim run --help')")
        k, v = ov.split("=", 1)
        if k.startswith("hydra.") or k == "hydra":
            raise ConfigError(k, v, "a key of the model's configuration (Hydra's own settings are fixed by akrim run)")
        if k in seen:
            raise ConfigError(k, v, f"one value per key ({k} is also given as {seen[k]!r})")
        seen[k] = v
        if "," in v and not multirun and not v.strip().startswith(("[", "{", "'", '"')) and k in ("policy", "world", "seed", "scale", "start", "end"):
            raise ConfigError(k, v, "one value (several values, one run each, need -m: akrim run -m " + ov + ")")
        if "[" in k:
            raise ConfigError(k, v, "a key without [index]; set the whole list, e.g. policy.interventions=[...]")
        if k in ("policy", "world"):
            if not multirun:
                _check_group(k, v)
        else:
            check_key(k, v)
    return overrides


def _allowed_for(key: str) -> str | None:
    """What the schema allows at ``key`` (type and range), for a value of the wrong type."""
    import dataclasses

    from sim.config import AkrimConfig
    from sim.config.validate import describe_range

    obj: Any = AkrimConfig()
    parts = key.split(".")
    try:
        for p in parts[:-1]:
            obj = obj[p] if isinstance(obj, dict) else getattr(obj, p)
        f = {g.name: g for g in dataclasses.fields(obj)}[parts[-1]]
    except (KeyError, AttributeError, TypeError):
        return None
    value = getattr(obj, parts[-1])
    if isinstance(value, bool):
        return "true or false"
    if "lo" in f.metadata:
        return describe_range(f.metadata["lo"], f.metadata["hi"], isinstance(value, int))
    if f.metadata.get("date"):
        return "an ISO date YYYY-MM-DD, or null for 'never'"
    return f"a value of type {type(value).__name__}"


