"""Runs that share their history: one trunk to the branch date, then one forked process per arm.

A policy experiment usually compares arms that differ only from a date on - latency x0.25, x1
and x4 from 2026-01-01 on the same seed. Run one by one, each arm recomputes the same twelve
years of history. ``run_branches`` computes that history once (the *trunk*), stops at the weekly
tick where the first arm's change applies, and forks the process once per arm (``os.fork``: the
child starts with an exact copy of the model, its SimPy clock and its random streams). Each child
takes its arm's configuration and runs on to the end.

The result of every arm is **bit for bit the result of running that arm on its own**
(``tests/test_branch.py`` compares every table and the event log): until the branch tick the arms'
runs do exactly the same work in the same order - an intervention dated later is never read
before its tick (``AkrimModel._calendar``) - and after it each child is that run.

What may differ between the arms (``branchable`` checks it and names the first other difference):

* ``policy.interventions``: the interventions that apply before the branch tick must be the same
  ones at the same places in every arm's list (the model logs an intervention by its index);
  those dated at or after the branch date are each arm's own;
* ``policy.name``, ``policy.description`` and ``policy.source`` (the scenario's labels).

Everything else - seed, scale, years, world, every other lever, output switches - must be equal.

Where ``os.fork`` is missing (Windows) ``run_branches`` raises ``BranchError``; callers then run
the arms one by one. Fork a process that runs no other threads: the experiment layer does it in a
fresh worker process (``experiments.branch``), never inside a Dask worker.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import os
import pickle
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

LABELS = ("name", "description", "source")  # the scenario's labels: free to differ between arms


class BranchError(ValueError):
    """The configurations cannot share a trunk (the message names the difference), or no fork."""


def _origin(cfg: Any) -> dt.date:
    return dt.date(cfg.start, 1, 1)


def _date(iso: Any) -> dt.date:
    if iso is None:
        return dt.date.max
    return iso if isinstance(iso, dt.date) else dt.date.fromisoformat(str(iso))


def branch_time(cfg: Any, date: Any) -> float:
    """Model time (days since the start) of the weekly tick at which a change dated ``date`` applies.

    The calendar applies an intervention at the first tick whose date is on or after the
    intervention's (ticks every 7 days from day 0).
    """
    days = (_date(date) - _origin(cfg)).days
    return 7.0 * max(0, -(-days // 7))


def applies_before(cfg: Any, iv: Any, t: float) -> bool:
    """Whether intervention ``iv`` applies at a tick before model time ``t``."""
    return branch_time(cfg, iv.start) < t


def _plain(cfg: Any) -> dict[str, Any]:
    d = dataclasses.asdict(cfg)
    for k in (*LABELS, "interventions"):
        d["policy"].pop(k, None)
    return d


def _first_difference(a: Any, b: Any, where: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                return f"{where}.{k}".lstrip(".")
            d = _first_difference(a[k], b[k], f"{where}.{k}")
            if d:
                return d
        return ""
    return "" if a == b else (where.lstrip(".") or "(the whole configuration)")


def branchable(cfgs: Sequence[Any], date: Any) -> float:
    """Check that ``cfgs`` can share a trunk up to the tick of ``date``; return that tick's time.

    Raises:
        BranchError: naming the first setting in which an arm differs from the first, or the
            intervention that applies before the branch tick and differs.
    """
    if not cfgs:
        raise BranchError("no configurations to branch")
    t = branch_time(cfgs[0], date)
    if t <= 0:
        raise BranchError(f"branch date {date} is not after the start of the run ({cfgs[0].start})")
    base = _plain(cfgs[0])
    early0 = [(i, iv) for i, iv in enumerate(cfgs[0].policy.interventions) if applies_before(cfgs[0], iv, t)]
    for n, cfg in enumerate(cfgs[1:], start=1):
        diff = _first_difference(base, _plain(cfg))
        if diff:
            raise BranchError(f"arm {n} differs from arm 0 in {diff}: only policy.interventions from {date} on may differ")
        early = [(i, iv) for i, iv in enumerate(cfg.policy.interventions) if applies_before(cfg, iv, t)]
        if early != early0:
            raise BranchError(f"arm {n} has other interventions before {date} than arm 0 "
                              f"(indices {[i for i, _ in early]} against {[i for i, _ in early0]})")
    if cfgs[0].end < _date(date).year:
        raise BranchError(f"branch date {date} is after the end of the run ({cfgs[0].end})")
    return t


def divergence_date(cfgs: Sequence[Any]) -> dt.date | None:
    """The earliest start of an intervention that not every configuration has at the same place.

    That is where the arms' runs can first differ (if everything else is equal, ``branchable``),
    so it is the latest date at which they can branch. None if every list is the same.
    """
    lists = [c.policy.interventions for c in cfgs]
    dates = [_date(iv.start) for ivs in lists for i, iv in enumerate(ivs)
             if not all(len(other) > i and other[i] == iv for other in lists)]
    return min(dates) if dates else None


def adopt(model: Any, cfg: Any) -> None:
    """Make a model stopped at the branch tick the run of ``cfg`` (same trunk, checked by ``branchable``)."""
    model.cfg = cfg
    model.policy.interventions = copy.deepcopy(cfg.policy.interventions)
    for k in LABELS:
        if hasattr(cfg.policy, k):
            setattr(model.policy, k, copy.deepcopy(getattr(cfg.policy, k)))


def run_trunk(cfg: Any, t: float) -> Any:
    """Build the model of ``cfg`` and run it up to (not including) the tick at time ``t``.

    The weekly steps are those of ``AkrimModel.run`` (``env.run(until=...)`` a week at a time), so
    the trunk's state at ``t`` is the state every arm's own run has there.
    """
    from sim.model import AkrimModel

    m = AkrimModel(cfg)
    while m.env.now < min(t, m.end_day):
        m.env.run(until=min(m.env.now + 7.0, m.end_day))
    return m


def die_with_parent(parent: int | None = None, sig: int = 9) -> None:
    """Ask Linux to send ``sig`` to this process when its parent dies (``prctl(PR_SET_PDEATHSIG)``).

    A forked arm, or a pool worker, whose parent is killed would otherwise run on to its end as an
    orphan, burning a core of a shared machine for a result nobody reads. If ``parent`` (the pid
    the caller expects as its parent) is already gone, exit at once. A no-op where ``prctl`` is
    missing (not Linux).
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(sig), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent:  # the parent died before the call
        os._exit(1)


def run_branches(cfgs: Sequence[Any], date: Any,
                 finish: Callable[[int, Any, Any, dict[str, float]], Any] | None = None) -> list[tuple[Any, str | None]]:
    """Run every configuration of ``cfgs`` as one trunk to ``date`` and one forked child per arm.

    Args:
        cfgs: The arms' resolved configurations (``sim.config.AkrimConfig``), branchable at ``date``.
        date: The branch date (ISO string or date): the arms' own interventions start on or after it.
        finish: ``finish(i, model, result, times)`` runs in arm ``i``'s child after its run and returns
            what is sent back (default: the ``RunResult``); it must be picklable. ``times`` holds the
            trunk's and the arm's wall and CPU seconds (``trunk_s``, ``trunk_cpu_s``, ``arm_s``,
            ``arm_cpu_s``).

    Returns:
        Per arm, ``(value, None)`` or ``(None, error text)``: an arm that fails (an exception in its
        child, a child killed) does not stop the others.

    Raises:
        BranchError: the configurations cannot share a trunk, or this platform cannot fork.
    """
    if not hasattr(os, "fork"):
        raise BranchError("this platform has no os.fork: run the arms one by one")
    t = branchable(cfgs, date)
    t0, c0 = time.perf_counter(), time.process_time()
    trunk = run_trunk(cfgs[0], t)
    trunk_s, trunk_cpu = time.perf_counter() - t0, time.process_time() - c0
    out: list[tuple[Any, str | None]] = []
    me = os.getpid()
    for i, cfg in enumerate(cfgs):
        # The arm's result comes back through a pipe, not a file: a parent killed mid-run leaves
        # nothing behind (a temporary file stayed, empty, in /tmp).
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: this arm's run from the branch tick on
            os.close(r)
            code = 0
            die_with_parent(me)  # a killed parent takes its arm with it
            try:
                a0, ac0 = time.perf_counter(), time.process_time()
                adopt(trunk, cfg)
                res = trunk.run()
                times = {"trunk_s": trunk_s, "trunk_cpu_s": trunk_cpu,
                         "arm_s": time.perf_counter() - a0, "arm_cpu_s": time.process_time() - ac0}
                payload = ("ok", finish(i, trunk, res, times) if finish is not None else res)
            except BaseException:
                payload, code = ("failed", traceback.format_exc()), 1
            try:
                with os.fdopen(w, "wb") as fh:
                    pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                os._exit(code)
        os.close(w)
        with os.fdopen(r, "rb") as fh:  # read to the end before waiting: a large result would fill the pipe
            data = fh.read()
        _, status = os.waitpid(pid, 0)
        try:
            kind, value = pickle.loads(data)
        except Exception:  # nothing, or a truncated pickle: the child died before it had written its result
            kind, value = "failed", f"arm {i}: the child ended without a result (wait status {status})"
        item = (value, None) if kind == "ok" else (None, str(value))
        out.append(item)
    return out
