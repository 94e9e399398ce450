"""``keyed_uniform``'s one-id fast path against its array arithmetic, bit for bit."""

from __future__ import annotations

import numpy as np

from sim.rng import keyed_uniform


def array_version(key, ids):
    """The array arithmetic alone (ids as a 2-element array, then the first element)."""
    a = np.asarray(ids)
    both = keyed_uniform(key, np.stack([a.reshape(-1)[0], a.reshape(-1)[0]]))
    return both[0]


def test_one_id_equals_the_array_arithmetic():
    rng = np.random.default_rng(5)
    keys = [np.uint64(k) for k in rng.integers(0, 2**63, 20, dtype=np.uint64)] + [np.uint64(0), np.uint64(2**64 - 1)]
    ids = [0, 1, 7, 2**31, 2**53 + 1, 2**62, -1, -(2**40)]
    ids += [int(x) for x in rng.integers(-(2**62), 2**62, 50)]
    for key in keys:
        for i in ids:
            want = array_version(key, np.int64(i))
            for form in (i, np.int64(i), np.array(i), np.array([i]), np.array([[i]])):
                got = keyed_uniform(key, form)
                assert np.asarray(got).tobytes() == np.full(np.shape(form), want).tobytes()
                assert type(got) is (np.float64 if np.ndim(form) == 0 else np.ndarray)
        u = np.uint64(2**64 - 5)  # an id above 2**63 as uint64
        assert keyed_uniform(key, u) == array_version(key, np.array([u]))
