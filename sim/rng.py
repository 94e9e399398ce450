"""Named random streams: one generator per purpose, all derived from the run seed.

Every random decision in the model draws from a stream named for its purpose (and, for the
dense populations, for its region), e.g. ``"firms.exit.oslo"`` or ``"police.outcome"``. The
stream's seed is ``SeedSequence([run_seed, stable_hash(name)])`` where ``stable_hash`` is a
BLAKE2b digest of the name, so it is the same on every machine and Python version (Python's
``hash()`` is salted per process and must never be used for this).

Why: a policy change that alters how many draws one purpose consumes must not shift the draws
of any other purpose (common random numbers). Scenario differences are then real differences,
not re-shuffled luck.

Each stream also **restarts every week** (issue 11): its generator is a counter-based Philox
whose key comes from ``(run_seed, name)`` and whose counter starts at the model's week
(``Streams.week``, set by the clock at each tick). So a lever that changes how many draws a
purpose consumes in one week (one more signal, one company fewer) shifts that purpose's draws
for the rest of that week only, never the weeks after: without the restart a perturbation as
small as a latency x1.001 re-shuffled every later phoenix bankruptcy, registration and signal
of the run, and paired scenario differences were as noisy as unpaired ones.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["Streams", "stable_hash", "replicate_seeds", "keyed_uniform"]


def stable_hash(name: str) -> int:
    """Return a 64-bit integer digest of ``name`` that is stable across runs and machines."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


_ZEROS4 = (0, 0, 0, 0)  # Philox's output buffer, emptied by a restart (buffer_pos 4: nothing buffered)


class Streams:
    """A lazily built set of named ``numpy.random.Generator`` objects for one run.

    Args:
        seed: The run seed (a non-negative integer).
    """

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        self.seed = int(seed)
        self.week = -1  # the model's week (the clock sets it at each tick); -1 while the model is built
        self._streams: dict[str, np.random.Generator] = {}
        self._state: dict[str, list] = {}  # name -> [week the generator was restarted for, bit generator, its key]
        self._entity: dict[str, list] = {}  # name -> [unused, bit generator, key, generator] for Streams.entity
        self._used: set[str] = set()

    def get(self, name: str) -> np.random.Generator:
        """Return the generator for ``name``, restarted for the current week on its first use in it.

        The generator for (name, week) is ``Philox(key=SeedSequence([seed, blake2b_64(name)]),
        counter=(0, 0, week + 1, 0))``: its draws depend on the seed, the name, the week and how
        many draws the purpose made earlier in the same week, and on nothing else. (Philox counts
        its blocks in the lowest counter word, so one week's draws never run into the next's.)
        """
        st = self._state.get(name)
        if st is None:
            st = self._new(name)
        if st[0] != self.week:
            st[0] = self.week
            self._restart(st, 0)
        return self._streams[name]

    def entity(self, name: str, ident: int) -> np.random.Generator:
        """The generator for ``name`` restarted for entity ``ident`` (0 <= ident < 2**63) this week.

        For event-by-event purposes (an actor registering a company, a planned bankruptcy's
        successor): the draws of one entity's occasion are a fixed function of (seed, name, week,
        entity), so how many other entities drew before it this week changes nothing. The returned
        generator is shared: use it up before asking for the next entity's.
        """
        st = self._entity.get(name)
        if st is None:  # its own generator: the plain stream of the same name is not disturbed
            bg, key = self._philox(name)
            st = self._entity[name] = [None, bg, key, np.random.Generator(bg)]
        self._restart(st, int(ident) + 1)
        return st[3]

    def _philox(self, name: str) -> tuple[np.random.Philox, list[int]]:
        """A Philox bit generator keyed by (seed, name), and its key (two ints); records ``name`` as used."""
        key = np.random.SeedSequence([self.seed, stable_hash(name)]).generate_state(2, dtype=np.uint64)
        self._used.add(name)
        return np.random.Philox(key=key), key.tolist()

    def _new(self, name: str) -> list:
        bg, key = self._philox(name)
        self._streams[name] = np.random.Generator(bg)
        st = self._state[name] = [None, bg, key]
        return st

    def _restart(self, st: list, ident: int) -> None:
        # Plain lists, not uint64 arrays: Philox's state setter reads them element by element, and
        # Python ints are three times cheaper to read there (0.63 against 1.9 us a restart).
        st[1].state = {
            "bit_generator": "Philox",
            "state": {"counter": [0, ident, self.week + 1, 0], "key": st[2]},
            "buffer": _ZEROS4,
            "buffer_pos": 4,
            "has_uint32": 0,
            "uinteger": 0,
        }

    __getitem__ = get

    def key(self, name: str) -> np.uint64:
        """A 64-bit key for ``name`` in this run, for :func:`keyed_uniform` (consumes no stream)."""
        return np.uint64(np.random.SeedSequence([self.seed, stable_hash(name)]).generate_state(1, dtype=np.uint64)[0])

    def position(self, name: str) -> tuple:
        """Where stream ``name`` stands: (week, counter words, buffer position) - comparable with ``==``."""
        st = self._streams[name].bit_generator.state
        return (self._state[name][0], *(int(c) for c in st["state"]["counter"]), int(st["buffer_pos"]), int(st["has_uint32"]))

    def names(self) -> list[str]:
        """Names of the streams used so far (sorted)."""
        return sorted(self._used)


def replicate_seeds(seed: int, n: int) -> list[int]:
    """Seeds for ``n`` replicates spawned from ``seed`` with ``SeedSequence.spawn``."""
    children = np.random.SeedSequence(seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
# 0-d arrays: ufuncs take them faster than numpy scalars (no scalar promotion path).
_A1, _A2 = np.array(_M1), np.array(_M2)
_S30, _S27, _S31, _S11 = (np.array(k, dtype=np.uint64) for k in (30, 27, 31, 11))
_INV53 = 1.0 / 9007199254740992.0


_MASK64 = (1 << 64) - 1
_M1_INT, _M2_INT = int(_M1), int(_M2)


def _keyed_one(key: int, i: int) -> float:
    """``keyed_uniform`` for one id, in Python integers modulo 2**64: the same bits.

    Every step is the uint64 operation of the array version (wrapping multiplication as
    ``& _MASK64``, an id's two's complement as ``i & _MASK64``); ``z >> 11`` is below 2**53, so
    its conversion to float and the product with 2**-53 are exact, as in the array version.
    """
    z = (i & _MASK64) ^ key
    z ^= z >> 30
    z = (z * _M1_INT) & _MASK64
    z ^= z >> 27
    z = (z * _M2_INT) & _MASK64
    z ^= z >> 31
    return (z >> 11) * _INV53


def keyed_uniform(key: np.uint64, ids) -> np.ndarray:
    """Uniform(0, 1) numbers that are a fixed function of ``(key, id)`` (SplitMix64 finaliser).

    For attributes of an entity that must not depend on when or how often they are looked up
    (e.g. whether an actor holds a formal role in a given company): no stream is consumed, so
    looking one up never shifts any other draw, and the same company always gives the same answer.

    ``key`` and ``ids`` broadcast. The arithmetic is on a flat uint64 array, in place (array
    integer arithmetic wraps modulo 2**64 without the overflow check of numpy scalars), so one id
    costs a few microseconds; a 0-d result is returned as a numpy float64 scalar.
    """
    if isinstance(key, np.integer):  # one id: the same arithmetic on Python ints (15 -> 2 us a call)
        if isinstance(ids, (int, np.integer)) and not isinstance(ids, bool):
            return np.float64(_keyed_one(int(key), int(ids)))
        if isinstance(ids, np.ndarray) and ids.size == 1 and ids.dtype.kind in "iu":
            one = _keyed_one(int(key), int(ids.reshape(-1)[0]))
            return np.float64(one) if ids.ndim == 0 else np.array([one]).reshape(ids.shape)
    z = np.asarray(ids).astype(np.uint64) ^ key
    shape = np.shape(z)
    z = np.array(z, dtype=np.uint64).reshape(-1)
    rs, xor, mul = np.right_shift, np.bitwise_xor, np.multiply
    xor(z, rs(z, _S30), out=z)
    mul(z, _A1, out=z)
    xor(z, rs(z, _S27), out=z)
    mul(z, _A2, out=z)
    xor(z, rs(z, _S31), out=z)
    rs(z, _S11, out=z)
    out = z.astype(np.float64)
    out *= _INV53
    return out.reshape(shape) if shape else out[0]
