"""The baseline run drawn behind the live run: same seed, scale and horizon, ``policy=baseline``.

It is computed once per (seed, scale, start, end) in a background thread (about 5 s at the
workshop scale for 2014-2035) and kept in memory for the life of the server; the page shows
"baseline being computed" until it is ready. Because every random decision draws from its own
named stream, the live run and its baseline share their luck until a lever is changed (common
random numbers), so a gap between the two curves is the effect of the change.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from experiments.workshop.session import Series, WorkshopModel


@dataclass
class BaselineRun:
    """A finished baseline run: weekly headline series and the annual table."""

    key: tuple
    series: Series
    annual: Any  # pandas DataFrame, one row per year (sim.metrics columns)


_CACHE: dict[tuple, BaselineRun] = {}
_RUNNING: dict[tuple, threading.Event] = {}
_ERRORS: dict[tuple, str] = {}
_LOCK = threading.Lock()


def key_of(seed: int, scale: float, start: int, end: int) -> tuple:
    """Cache key of a baseline run."""
    return (int(seed), float(scale), int(start), int(end))


def compute(seed: int, scale: float, start: int, end: int) -> BaselineRun:
    """Run the baseline to the end of the horizon (no caching)."""
    m = WorkshopModel(scenario="baseline", seed=seed, scale=scale, start=start, end=end, track=False)
    while m.env.now < m.end_day:
        m.step()
    res = m.finish()
    return BaselineRun(key_of(seed, scale, start, end), m.series, res.annual)


def get(seed: int, scale: float, start: int, end: int, wait: bool = True) -> BaselineRun | None:
    """The cached baseline run; computed now (``wait``) or in a background thread (returns None meanwhile).

    Raises:
        RuntimeError: if an earlier background computation failed (the message says why).
    """
    key = key_of(seed, scale, start, end)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        if key in _ERRORS:
            raise RuntimeError(f"baseline run {key} failed: {_ERRORS[key]}")
        ev = _RUNNING.get(key)
        owner = ev is None
        if owner:
            ev = _RUNNING[key] = threading.Event()
    if owner:
        if wait:
            _run(key, ev)
        else:
            threading.Thread(target=_run, args=(key, ev), daemon=True, name=f"baseline-{key}").start()
            return None
    elif not wait:
        return None
    ev.wait()
    with _LOCK:
        if key in _ERRORS:
            raise RuntimeError(f"baseline run {key} failed: {_ERRORS[key]}")
        return _CACHE[key]


def _run(key: tuple, ev: threading.Event) -> None:
    try:
        run = compute(*key)
        with _LOCK:
            _CACHE[key] = run
    except Exception as exc:  # reported to the page by get()
        with _LOCK:
            _ERRORS[key] = f"{type(exc).__name__}: {exc}"
    finally:
        with _LOCK:
            _RUNNING.pop(key, None)
        ev.set()


def wait(seed: int, scale: float, start: int, end: int, timeout: float | None = None) -> BaselineRun | None:
    """Start the baseline in the background if needed and block until it is ready (or ``timeout``).

    The computation runs in its own plain thread: a caller's thread may carry a tracing hook
    (Solara's cancellable threads do) that would slow the model down several times.
    """
    key = key_of(seed, scale, start, end)
    if get(seed, scale, start, end, wait=False) is not None:
        return _CACHE[key]
    with _LOCK:
        ev = _RUNNING.get(key)
    if ev is not None:
        ev.wait(timeout)
    with _LOCK:
        if key in _ERRORS:
            raise RuntimeError(f"baseline run {key} failed: {_ERRORS[key]}")
        return _CACHE.get(key)


def ready(seed: int, scale: float, start: int, end: int) -> BaselineRun | None:
    """The baseline if already computed, else None (never blocks, never starts a computation)."""
    with _LOCK:
        return _CACHE.get(key_of(seed, scale, start, end))
