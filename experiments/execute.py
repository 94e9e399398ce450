"""Running many specs on a Dask cluster, resumably, with a progress bar.

``execute(specs, store)``:

* resolves every spec and computes its key (bad configurations are reported before any run);
* skips specs whose key is already in the store (finished runs are never recomputed), but
  checks the ``code_version`` recorded with those runs: if some came from another version of the
  code, it prints one warning line to stderr (how many of the reused runs, which versions, the
  current one, how to recompute) and reuses them anyway - or, with ``rerun_stale=True``, runs
  them again and overwrites them (see ``ResultStore.stale`` for what a version can tell);
* submits the rest to Dask - a ``LocalCluster`` by default (one single-threaded worker process
  per core, parallelism across runs), or an existing scheduler when ``address`` is given (see
  ``docs/cluster.md`` for SLURM with dask-jobqueue); ``address="none"`` runs in this process;
* writes each result to the store as it arrives (atomically), records failures with their
  traceback without stopping the others; a worker that dies has its runs rescheduled by Dask
  (``distributed.scheduler.allowed-failures``), after which they are recorded as failed;
* shows runs done / failed / remaining and the time left;
* shares the store safely with other commands running at the same time: each run is claimed
  before it is computed (``ResultStore.claim``), runs claimed by another live process are not
  computed here but waited for (their results are then read from the store like any finished
  run), and a claim left by a killed process is taken over, so every run is computed once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from experiments.runs import RunSpec, _code_version, run_spec_safe, spec_key
from experiments.store import ResultStore


@dataclass
class ExecSummary:
    """What an ``execute`` call did."""

    total: int = 0
    skipped: int = 0
    done: int = 0
    failed: int = 0
    keys: list[str] = field(default_factory=list)  # keys of all specs, in input order
    failed_keys: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    code_version: str = ""  # the current code version (this process's)
    stale: dict[str, str] = field(default_factory=dict)  # stored runs of other code versions: key -> version
    rerun_stale: bool = False  # whether those were run again (else reused)
    by_others: int = 0  # runs computed meanwhile by another process sharing the store (waited for, not run here)

    @property
    def runs_per_hour(self) -> float:
        """Throughput of the runs actually executed."""
        return 3600.0 * self.done / self.wall_s if self.wall_s > 0 and self.done else 0.0


def default_workers() -> int:
    """One worker per core (at least one)."""
    return max(1, os.cpu_count() or 1)


def make_client(address: str | None = None, n_workers: int | None = None):
    """A Dask client: to ``address`` if given, else to a new LocalCluster of worker processes."""
    import dask
    from dask.distributed import Client, LocalCluster

    if address:
        return Client(address)
    # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536. Setting it turns off glibc's
    # dynamic mmap threshold, so every large temporary numpy array of a run is mmap'd and faulted
    # in afresh: measured on this model (scale 0.1, 2014-2015), 1.4M page faults and 3 s of system
    # time per 5 runs instead of 50k and 0.1 s, i.e. ~1.8x the CPU per run of the same run in one
    # process. Simulation workers keep no data between tasks, so they do not need the trimming.
    # A value the user exported is kept (it is inherited by the workers anyway).
    # The workers' statistical profiler only feeds the dashboard, which is off here.
    settings: dict[str, Any] = {"distributed.worker.profile.enabled": False}
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        settings["distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"] = None
    with warnings.catch_warnings(), dask.config.set(settings), _workers_ignore_sigint():
        warnings.filterwarnings("ignore", message=r"Port \d+ is already in use")  # another cluster on this machine
        cluster = LocalCluster(n_workers=n_workers or default_workers(), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster)


@contextlib.contextmanager
def _workers_ignore_sigint():
    """Start worker processes with Ctrl-C ignored; the main process alone handles it.

    Ctrl-C in a terminal signals the whole process group. Without this, each worker process dies
    with its own KeyboardInterrupt traceback (about 35 lines of noise per worker) while the main
    process is already stopping the cluster. Spawned children inherit an ignored SIGINT, and
    Python keeps it ignored. Only possible from the main thread; elsewhere nothing changes.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def plan(specs: Iterable[RunSpec], store: ResultStore) -> tuple[list[tuple[str, RunSpec]], list[str], set[str]]:
    """Resolve specs to keys; return (todo, all_keys, done) with duplicates removed from todo."""
    done = store.done_keys()
    todo, keys, seen = [], [], set()
    for spec in specs:
        k = spec_key(spec)
        keys.append(k)
        if k in done or k in seen:
            continue
        seen.add(k)
        todo.append((k, spec))
    return todo, keys, done


MIN_WINDOW = 64  # runs in flight on a Dask cluster at least (more with more worker threads)
RERUN_HINT = "to recompute them, use a new store or delete their files (policy=*/<run_key>.parquet)"


def stale_warning(stale: dict[str, str], n_stored: int, current: str, rerun: bool = False, hint: str = RERUN_HINT,
                  what: str = "reused") -> str:
    """The one-line warning about ``n_stored`` stored runs of which ``stale`` (key -> version) came from other code versions."""
    by_version = Counter(stale.values()).most_common()
    shown = ", ".join(f"{v} ({n})" for v, n in by_version[:3])
    if len(by_version) > 3:
        shown += f" and {len(by_version) - 3} more"
    if rerun:
        return (f"note: recomputing {len(stale)} of {n_stored} stored runs that came from other code versions ({shown}; "
                f"current {current}); their records are overwritten")
    return (f"warning: {len(stale)} of {n_stored} {what} runs came from other code versions ({shown}; current {current}) "
            f"and may be results of the old model; {hint}")


def _failed_since(store: ResultStore, key: str, since: float) -> bool:
    """Whether ``key`` was recorded as failed after ``since`` (by another process, while we waited)."""
    try:
        return (store.root / "_failed" / f"{key}.json").stat().st_mtime >= since - 1.0
    except FileNotFoundError:
        return False


def execute(specs: Iterable[RunSpec], store: ResultStore, address: str | None = None, n_workers: int | None = None,
            progress: bool = True, desc: str = "runs", client: Any = None, rerun_stale: bool = False,
            rerun_hint: str = RERUN_HINT, poll_s: float = 1.0, runner: Any = None) -> ExecSummary:
    """Run every spec not yet in ``store``; see the module docstring.

    ``rerun_stale`` runs again the stored runs recorded by another code version (default: warn
    and reuse them, which keeps every experiment resumable across commits). ``rerun_hint``
    ends the warning: how the user of the calling command recomputes them.
    """
    runner = runner or run_spec_safe  # looked up at call time (tests may replace it)
    from tqdm.auto import tqdm

    specs = list(specs)
    todo, keys, done = plan(specs, store)
    stored = set(keys) & done
    current = _code_version()
    stale = store.stale(stored, current) if stored else {}
    if stale:
        print(stale_warning(stale, len(stored), current, rerun_stale, rerun_hint), file=sys.stderr, flush=True)
        if rerun_stale:
            first: dict[str, RunSpec] = {}
            for k, spec in zip(keys, specs):
                if k in stale:
                    first.setdefault(k, spec)
            todo += list(first.items())
    summ = ExecSummary(total=len(set(keys)), skipped=len(set(keys)) - len(todo), keys=keys, code_version=current,
                       stale=stale, rerun_stale=rerun_stale and bool(stale))
    t0 = time.perf_counter()
    bar = tqdm(total=len(todo), desc=desc, unit="run", disable=not progress, dynamic_ncols=True)
    bar.set_postfix(done=0, failed=0, remaining=len(todo), skipped=summ.skipped)

    def record(k: str, spec: RunSpec, status: str, rec: Any, err: str | None) -> None:
        if status == "ok":
            store.put(rec)
            summ.done += 1
        else:
            store.put_failure(k, spec, err or "unknown error")
            summ.failed += 1
            summ.failed_keys.append(k)
        bar.update(1)
        bar.set_postfix(done=summ.done, failed=summ.failed, remaining=len(todo) - summ.done - summ.failed, skipped=summ.skipped)

    started = time.time()
    own_client = client is None
    clients: list[Any] = [client]

    def finished_meanwhile(k: str) -> bool:
        """Whether run ``k``, planned as to do, was finished (or failed) by another process since.

        Counted as computed by another process. A stale run being recomputed counts only when its
        record is now of the current code version.
        """
        if store.is_done(k) and (k not in stale or store.code_versions([k]).get(k) == current):
            summ.by_others += 1
        elif _failed_since(store, k, started) and k not in summ.failed_keys:
            summ.failed += 1
            summ.failed_keys.append(k)
        else:
            return False
        bar.update(1)
        return True

    def run_batch(cands: list[tuple[str, RunSpec]]) -> list[tuple[str, RunSpec]]:
        """Claim and run the candidates one by one as slots free up; return those another process holds."""
        theirs: list[tuple[str, RunSpec]] = []
        pending = iter(cands)

        def next_claimed() -> tuple[str, RunSpec] | None:
            for k, spec in pending:
                if store.claim(k):
                    if finished_meanwhile(k):  # another process ran it and released its claim after we planned
                        store.release(k)
                        continue
                    return k, spec
                theirs.append((k, spec))
            return None

        if address == "none":
            while (item := next_claimed()) is not None:
                k, spec = item
                try:
                    record(k, spec, *runner(spec, k))
                finally:
                    store.release(k)
            return theirs
        from dask.distributed import as_completed

        if clients[0] is None:
            clients[0] = make_client(address, n_workers)
        cl = clients[0]
        # Runs are claimed when they are submitted, a window at a time, so that another command on
        # the same store can take the runs not yet started instead of waiting for all of them.
        window = max(MIN_WINDOW, 4 * sum(cl.nthreads().values()))
        futs: dict[Any, tuple[str, RunSpec]] = {}
        ac = as_completed()

        def submit_next() -> bool:
            item = next_claimed()
            if item is None:
                return False
            k, spec = item
            fut = cl.submit(runner, spec, k, key=f"akrim-run-{k}", pure=False)
            futs[fut] = item
            ac.add(fut)
            return True

        try:
            for _ in range(window):
                if not submit_next():
                    break
            for fut in ac:
                k, spec = futs.pop(fut)  # drop our reference: the result is freed once stored
                try:
                    status, rec, err = fut.result()
                except Exception as exc:  # e.g. KilledWorker after the allowed retries
                    status, rec, err = "failed", None, f"{type(exc).__name__}: {exc}"
                try:
                    record(k, spec, status, rec, err)
                finally:
                    store.release(k)
                submit_next()
        finally:
            for k, _ in futs.values():  # stopped early: the runs in flight are no longer ours
                store.release(k)
        return theirs

    try:
        waiting = list(todo)
        first = True
        while waiting:
            theirs = run_batch(waiting)
            if first and theirs and progress:
                print(f"note: {len(theirs)} of these runs were being computed by another process on this store; "
                      "waited for them instead of computing them again", file=sys.stderr, flush=True)
            first = False
            waiting = []
            while theirs:
                done_now = store.done_keys()
                failed_now = {k for k, _ in theirs if _failed_since(store, k, started)}
                still = []
                for k, spec in theirs:
                    if k in done_now and not (rerun_stale and k in stale):
                        summ.by_others += 1
                        bar.update(1)
                    elif store.claimed(k):
                        still.append((k, spec))
                    elif k in failed_now:  # the other process ran it and it failed: not run twice
                        summ.failed += 1
                        summ.failed_keys.append(k)
                        bar.update(1)
                    else:  # the other process stopped (killed): claim it in the next round
                        waiting.append((k, spec))
                theirs = still
                if theirs and not waiting:
                    time.sleep(poll_s)
                elif waiting:
                    waiting += theirs
                    theirs = []
    finally:
        if own_client and clients[0] is not None:
            cluster = getattr(clients[0], "cluster", None)
            clients[0].close()
            if cluster is not None:
                cluster.close()
        bar.close()
        summ.wall_s = time.perf_counter() - t0
    return summ
