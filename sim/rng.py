"""Named random streams: one generator per purpose, all derived from the run seed.

Every random decision in the model draws from a stream named for its purpose (and, for the
dense populations, for its region), e.g. ``"firms.exit.oslo"`` or ``"police.outcome"``. The
stream's seed is ``SeedSequence([run_seed, stable_hash(name)])`` where ``stable_hash`` is a
BLAKE2b digest of the name, so it is the same on every machine and Python version (Python's
``hash()`` is salted per process and must never be used for this).

Why: a policy change that alters how many draws one purpose consumes must not shift the draws
of any other purpose (common random numbers). Scenario differences are then real differences,
not re-shuffled luck.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["Streams", "stable_hash", "replicate_seeds"]


def stable_hash(name: str) -> int:
    """Return a 64-bit integer digest of ``name`` that is stable across runs and machines."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


class Streams:
    """A lazily built set of named ``numpy.random.Generator`` objects for one run.

    Args:
        seed: The run seed (a non-negative integer).
    """

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        """Return the generator for ``name``, creating it on first use."""
        gen = self._streams.get(name)
        if gen is None:
            ss = np.random.SeedSequence([self.seed, stable_hash(name)])
            gen = np.random.Generator(np.random.PCG64(ss))
            self._streams[name] = gen
        return gen

    __getitem__ = get

    def names(self) -> list[str]:
        """Names of the streams used so far (sorted)."""
        return sorted(self._streams)


def replicate_seeds(seed: int, n: int) -> list[int]:
    """Seeds for ``n`` replicates spawned from ``seed`` with ``SeedSequence.spawn``."""
    children = np.random.SeedSequence(seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]
