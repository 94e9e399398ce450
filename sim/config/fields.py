"""Field helpers: every parameter declares its bounds and its source in one place.

``param(default, lo, hi, src)`` returns a dataclass field whose metadata the validator reads.
``src`` is a seed file / table reference or the word ``assumption`` (SPEC: every number has a
source or says it is an assumption).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import field
from typing import Any

INF = math.inf


def param(default: Any, lo: float = -INF, hi: float = INF, src: str = "assumption", doc: str = "", nullable: bool = False):
    """A scalar parameter with an allowed closed range ``[lo, hi]`` and a source.

    ``nullable``: ``null`` is allowed too, and means what ``doc`` says (for example "derived").
    """
    meta = {"lo": lo, "hi": hi, "src": src, "doc": doc}
    if nullable:
        meta["nullable"] = True
    return field(default=default, metadata=meta)


def prob(default: float, src: str = "assumption", doc: str = ""):
    """A probability in ``[0, 1]``."""
    return param(default, 0.0, 1.0, src, doc)


def nonneg(default: Any, src: str = "assumption", doc: str = ""):
    """A non-negative quantity (a count, a capacity, a duration, an amount of money)."""
    return param(default, 0.0, INF, src, doc)


def date_field(default: str | None, src: str = "assumption", doc: str = ""):
    """An ISO date ``YYYY-MM-DD`` (or ``null`` for 'never')."""
    return field(default=default, metadata={"date": True, "src": src, "doc": doc})


def sub(factory: Any):
    """A nested configuration section."""
    return field(default_factory=factory)


def walk_fields(obj: Any, prefix: str = "", sections: bool = False) -> Iterator[tuple[str, Any, Any]]:
    """Every leaf field of a dataclass tree as ``(dotted key, dataclasses.Field, value)``, in declaration order.

    Nested dataclasses are entered (``world.firms.beta``), and so are dicts whose values are all
    dataclasses (``policy.centres.by_region.oslo.open``). With ``sections``, each entered section
    is also yielded (before its fields) as ``(key, field, value)``. The one walker of the
    configuration tree: validation, documentation, designs and the workshop's levers use it.
    """
    for f in dataclasses.fields(obj):
        key = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            if sections:
                yield key, f, value
            yield from walk_fields(value, key + ".", sections)
        elif isinstance(value, dict) and value and all(dataclasses.is_dataclass(v) for v in value.values()):
            if sections:
                yield key, f, value
            for k, v in value.items():
                yield from walk_fields(v, f"{key}.{k}.", sections)
        else:
            yield key, f, value
