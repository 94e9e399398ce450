"""Paired policy arms that share their history, computed as branches of one trunk (``sim.branch``).

``prefill(specs, store)`` finds, among runs not yet in ``store``, the groups of specs that differ
only by interventions from some date on (the same seed, scale, world and levers before it) and
computes each group as one trunk and one forked child per arm, in fresh worker processes. The
records it stores are the ones the ``execute`` runner of ``kind`` would store for each spec
(``run_spec``'s annual record, or ``experiments.tables``' long one) - the same numbers bit for bit
(``tests/test_branch.py``) - so a following ``execute`` of the same specs
finds them done, and runs on its own only what could not be branched (a spec alone in its group,
a failed arm). Nothing here changes what is stored; it only costs less: an experiment of three
arms from 2026 to 2030 at 1:1 computes the twelve years of history once instead of three times.

The provenance of a branched record: ``wall_s`` and ``cpu_s`` are the arm's own time plus an equal
share of the trunk's, so the records of a group add up to what was computed.

Usage (``docs/gen_validation.py`` does this before its ``execute``)::

    from experiments.branch import prefill
    summary = prefill(specs, ResultStore(root), kind="tables_events", workers=2)
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any


@dataclass
class BranchSummary:
    """What ``prefill`` did: groups and arms computed, arms that failed, and the wall time."""

    groups: int = 0
    arms: int = 0
    failed: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    skipped_reason: str = ""

    def line(self) -> str:
        """One line for a log or a document."""
        if self.skipped_reason:
            return f"no branching ({self.skipped_reason})"
        return (f"{self.arms} runs as branches of {self.groups} shared histories in {self.wall_s:.0f} s"
                + (f", {len(self.failed)} failed (run on their own instead)" if self.failed else ""))


KINDS = ("annual", "tables", "tables_events")  # the record each kind stores: run_spec's, run_tables', with events


def _signature(cfg: Any) -> str:
    """Equal for configurations that differ at most in interventions and the scenario's labels."""
    from sim.branch import _plain

    return json.dumps(_plain(cfg), sort_keys=True, default=str)


def groups_of(todo: list[tuple[str, Any]], date: str | None = None) -> list[tuple[str, list[tuple[str, Any]]]]:
    """``(branch date, [(key, spec), ...])`` of the simulator's specs that can share a trunk, two or more each.

    Specs are grouped by everything but their interventions and labels; a group branches at
    ``date`` or, by default, where its intervention lists first differ (``sim.branch.divergence_date``).
    A group that cannot branch there (``sim.branch.branchable``: other interventions before it, a
    date at the start or after the end) is left out, as is a spec that cannot be resolved or runs
    another model: their own runs report them.
    """
    from experiments.runs import resolve
    from sim.branch import BranchError, branchable, divergence_date

    by_sig: dict[str, list[tuple[str, Any, Any]]] = {}
    seen = set()
    for key, spec in todo:
        if key in seen or getattr(spec, "model", "akrim") != "akrim":
            continue
        seen.add(key)
        try:
            cfg = resolve(spec)
        except Exception:  # noqa: BLE001 - a bad spec is reported by its own run
            continue
        by_sig.setdefault(_signature(cfg), []).append((key, spec, cfg))
    out = []
    for members in by_sig.values():
        if len(members) < 2:
            continue
        cfgs = [c for _k, _s, c in members]
        when = date or divergence_date(cfgs)
        if when is None:
            continue
        try:
            branchable(cfgs, when)
        except BranchError:
            continue
        out.append((str(when), [(k, sp) for k, sp, _c in members]))
    return out


def run_group(group: list[tuple[str, Any]], date: str, kind: str) -> list[tuple[str, str, Any]]:
    """Compute one group as branches; ``[(key, "ok", record) | (key, "failed", error)]`` per arm.

    Runs in a worker process of its own (``prefill``), which forks one child per arm.
    """
    from experiments.runs import _code_version, annual_record, resolve
    from experiments.tables import tables_record
    from sim.branch import run_branches

    _code_version()  # asked here, before the fork: the children inherit the answer (asked in a child, it is lost with it)
    events = kind == "tables_events"
    cfgs = []
    for _key, spec in group:
        cfg = resolve(spec)
        cfg.output.events = events  # as run_tables: output switches are not part of the key
        cfgs.append(cfg)
    n = len(group)

    def finish(i: int, _model: Any, res: Any, times: dict[str, float]) -> Any:
        key, spec = group[i]
        wall, cpu = times["arm_s"] + times["trunk_s"] / n, times["arm_cpu_s"] + times["trunk_cpu_s"] / n
        if kind == "annual":
            return annual_record(spec, cfgs[i], res.annual, key, wall, cpu)
        return tables_record(spec, cfgs[i], res, key, events, wall, cpu)

    out = []
    for (key, _spec), (value, err) in zip(group, run_branches(cfgs, date, finish)):
        out.append((key, "ok", value) if err is None else (key, "failed", err))
    return out


def _die_with_parent(parent: int) -> None:
    from sim.branch import die_with_parent

    die_with_parent(parent, 15)  # SIGTERM: the worker's own arms then get their SIGKILL


def prefill(specs: list[Any], store: Any, date: str | None = None, kind: str = "annual", workers: int | None = None,
            progress: bool = True, desc: str = "branched runs") -> BranchSummary:
    """Store, as branches of shared trunks, the runs of ``specs`` that ``store`` lacks and can branch.

    Args:
        specs: RunSpecs, as for ``experiments.execute.execute``.
        store: The ``ResultStore`` the following ``execute`` reads.
        date: The branch date (the arms' own interventions start on or after it); default: for
            each group, where its intervention lists first differ.
        kind: The record to store, as the ``execute`` runner that follows would: ``annual``
            (``run_spec_safe``, the default runner), ``tables`` (``run_tables_safe``) or
            ``tables_events`` (``run_tables_events_safe``, with the event log's registrations).
        workers: Worker processes (groups computed at once); default: the CPU count, at most 2.
        progress: A progress bar over the arms.
        desc: The progress bar's label.

    Returns:
        A ``BranchSummary``. Failed arms are not stored: ``execute`` runs them on their own.
    """
    from experiments.execute import plan

    if kind not in KINDS:
        raise ValueError(f"kind = {kind!r} (allowed: {', '.join(KINDS)})")
    s = BranchSummary()
    if not hasattr(os, "fork"):
        s.skipped_reason = "this platform cannot fork"
        return s
    todo, _keys, _done = plan(specs, store)
    groups = groups_of(todo, date)
    if not groups:
        s.skipped_reason = "no two runs to compute share a history"
        return s
    t0 = time.perf_counter()
    workers = max(1, min(workers or min(os.cpu_count() or 1, 2), len(groups)))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(len(g) for _d, g in groups), desc=desc, unit="run", leave=False)
    # Fresh ("spawn") worker processes: the process that forks the arms runs no other threads.
    ctx = multiprocessing.get_context("spawn")
    # A worker dies with this process (sim.branch.die_with_parent), and its forked arms with it.
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(run_group, g, when, kind) for when, g in groups]
        for fut in as_completed(futures):
            try:
                results = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker that died: its arms run on their own later
                results = []
                s.failed.append(f"a group: {type(exc).__name__}: {exc}")
            for key, status, value in results:
                if status == "ok":
                    store.put(value)
                    s.arms += 1
                else:
                    s.failed.append(f"{key}: {str(value).strip().splitlines()[-1] if value else 'failed'}")
                if bar is not None:
                    bar.update(1)
            s.groups += 1
    if bar is not None:
        bar.close()
    s.wall_s = time.perf_counter() - t0
    return s
