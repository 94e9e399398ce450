"""The fast kernels compute bit for bit what the straightforward code they replaced computed (issue 15).

Each reference below is the earlier, plain numpy version of a kernel; the fast one must give the
same bits on a live model state (after some weeks, with suspended workplaces and threat actors'
companies), so that speed work never changes model output.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import load_config
from sim.model import AkrimModel
from sim.population import SUSPENDED
from sim.rng import keyed_uniform


def ref_aggregate(pop):
    """The reduceat version of ``Population.aggregate`` (returns the five arrays)."""
    dependence = pop.world.workers.tip_dependence
    wk = pop.workers
    size_eff = np.where(pop.status == SUSPENDED, 0, pop.size)
    active = wk.rank < np.repeat(size_eff, pop.cap)
    q = wk.q
    und = active & (q < np.repeat(pop.u, pop.cap))
    under = active & (q < np.repeat(pop.w, pop.cap))
    expl = und | under
    st = pop.start
    tipw = np.where(expl, wk.aware * (1.0 - dependence * wk.vuln), 0.0).astype(np.float32)
    return (
        np.add.reduceat(und, st, dtype=np.int32),
        np.add.reduceat(under, st, dtype=np.int32),
        np.add.reduceat(expl, st, dtype=np.int32),
        np.add.reduceat(active & wk.posted, st, dtype=np.int32),
        np.add.reduceat(tipw, st, dtype=np.float32),
    )


def current(pop):
    return pop.n_und.copy(), pop.n_under.copy(), pop.n_expl.copy(), pop.n_posted.copy(), pop.tip_w.copy()


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.fixture(scope="module")
def model():
    cfg = load_config(["scale=0.02", "seed=11", "output.progress=false", "output.events=false"])
    m = AkrimModel(cfg)
    for _ in range(30):
        m.step()
    pop = m.pop
    rng = np.random.default_rng(0)
    # Stress the kernels: many evading firms (big u, w), some suspended ones.
    b = rng.choice(pop.n, pop.n // 5, replace=False)
    pop.u[b] = rng.random(b.size).astype(np.float32)
    pop.w[b] = rng.random(b.size).astype(np.float32)
    pop.status[rng.choice(pop.n, 20, replace=False)] = SUSPENDED
    return m


def test_aggregate_matches_reduceat(model):
    pop = model.pop
    pop.aggregate()
    for got, want in zip(current(pop), ref_aggregate(pop)):
        assert same_bits(got, want)
    assert pop.n_expl.max() >= 3  # the reduceat branch of the tip sums ran


def test_aggregate_blocks_matches_full(model):
    pop = model.pop
    pop.aggregate()
    want = ref_aggregate(pop)
    rng = np.random.default_rng(1)
    for arr in (pop.n_und, pop.n_under, pop.n_expl, pop.n_posted):
        arr[:] = -7
    pop.tip_w[:] = -7.0
    blocks = rng.permutation(pop.n)
    singles, rest = blocks[:300], blocks[300:]
    for b in singles:
        pop.aggregate_blocks(np.array([b]))
    pop.aggregate_blocks(rest[: rest.size // 2])
    pop.aggregate_blocks(np.concatenate([rest[rest.size // 2 :], rest[:10]]))  # duplicates
    for got, w in zip(current(pop), want):
        assert same_bits(got, w)


def test_keyed_uniform_matches_vector_form():
    key = np.uint64(0x1234_5678_9ABC_DEF0)
    ids = np.array([0, 1, 2, 2**40 + 3, 2**62], dtype=np.uint64)
    vec = keyed_uniform(key, ids)
    for i, x in zip(ids, vec):
        assert keyed_uniform(key, np.uint64(i)) == x


def test_risk_weights_match_per_workplace_formula(model):
    m = model
    pop, tb, nli = m.pop, m.tables, m.policy.nli
    ins = m.inspections
    original = nli.size_exponent
    for exponent in (original, 0.5, 1):
        nli.size_exponent = exponent
        ins.invalidate_weights()
        vis = np.where(pop.owner >= 0, m.cfg.world.actors.firm_visibility, 1.0)
        sw = np.array([nli.sector_weights.get(s, 1.0) for s in tb.sectors])
        rw = np.array([nli.region_weights.get(r, 1.0) for r in tb.regions])
        w = m.sector_priority[pop.sector] * sw[pop.sector] * rw[pop.region] * np.power(pop.size, nli.size_exponent) * vis
        assert same_bits(ins.risk_weights(), np.where(pop.status == 0, w, 0.0))
    nli.size_exponent = original
    ins.invalidate_weights()


def test_prefetched_sanction_uniforms_are_the_per_finding_ones(model):
    s = model.sanctions
    b = np.arange(50)
    s.prefetch(b, "centre")
    pre = dict(s._pre)
    s.clear_prefetch()
    assert len(pre) == 50
    for ident, u in pre.items():
        assert s.uniforms(ident) == u


def test_quantiles_match_scipy():
    from scipy.stats import binom, hypergeom

    from sim.quantiles import binom_ppf, hypergeom_ppf

    rng = np.random.default_rng(5)
    M = rng.integers(1, 400, 3000)
    n = np.minimum(rng.integers(0, 60, M.size), M)
    N = np.minimum(rng.integers(0, 12, M.size), M)
    q = rng.random(M.size)
    q[:5] = 0.0
    n[5:20] = 0
    N[20:30] = M[20:30]
    assert same_bits(hypergeom_ppf(q, M, n, N), hypergeom.ppf(q, M, n, N))
    for i in range(40):  # the scalar calls of the model
        assert same_bits(hypergeom_ppf(q[i], M[i], n[i], N[i]), hypergeom.ppf(q[i], M[i], n[i], N[i]))
    for _ in range(300):
        nn, pp, qq = int(rng.integers(0, 500)), float(rng.random()), float(rng.random())
        assert same_bits(binom_ppf(qq, nn, pp), binom.ppf(qq, nn, pp))
    assert same_bits(binom_ppf(0.0, 7, 0.3), binom.ppf(0.0, 7, 0.3))
    assert same_bits(binom_ppf(0.5, np.arange(30), 0.2), binom.ppf(0.5, np.arange(30), 0.2))


def ref_keyed_uniform(key, ids):
    """The earlier keyed_uniform (numpy scalars under errstate)."""
    m1, m2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
    z = np.asarray(ids).astype(np.uint64) ^ key
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * m1
        z = (z ^ (z >> np.uint64(27))) * m2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def test_keyed_uniform_matches_reference():
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 2**63, 5, dtype=np.uint64)
    ids = rng.integers(0, 2**62, 200, dtype=np.int64)
    for got, want in (
        (keyed_uniform(keys[0], ids), ref_keyed_uniform(keys[0], ids)),
        (keyed_uniform(keys[:, None], ids[None, :].astype(np.uint64)), ref_keyed_uniform(keys[:, None], ids[None, :].astype(np.uint64))),
        (keyed_uniform(keys, np.uint64(12345)), ref_keyed_uniform(keys, np.uint64(12345))),
        (keyed_uniform(keys[1], np.array([7])), ref_keyed_uniform(keys[1], np.array([7]))),
        (keyed_uniform(keys[1], ids[:0]), ref_keyed_uniform(keys[1], ids[:0])),
    ):
        assert same_bits(got, want)
    scalar = keyed_uniform(keys[2], 99)
    assert type(scalar) is type(ref_keyed_uniform(keys[2], 99)) and scalar == ref_keyed_uniform(keys[2], 99)


def test_unique_first_is_numpy_unique():
    from sim.firms import _unique_first

    rng = np.random.default_rng(8)
    for size in (0, 1, 2, 50, 3000):
        x = rng.integers(0, 40, size).astype(np.int64)
        u, i = _unique_first(x)
        u0, i0 = np.unique(x, return_index=True)
        assert same_bits(u, u0) and same_bits(i, i0)


@pytest.mark.parametrize("deterrence_sd", [None, 0.0])
def test_evasion_target_one_is_the_array_version(deterrence_sd):
    """sim.firms.evasion_target_one (the one-workplace path) gives the array version's bits for every
    kind of firm - compliant, opportunistic and an actor's company - and without responsiveness."""
    from sim.firms import evasion_target_one, evasion_targets
    from sim.population import COMPLIANT, CRIMINAL, OPPORTUNISTIC

    ov = ["scale=0.02", "seed=12", "output.progress=false", "output.events=false", "end=2016"]
    ov += [] if deterrence_sd is None else [f"world.firms.deterrence_sd={deterrence_sd}"]
    m = AkrimModel(load_config(ov))
    for _ in range(60):  # some perceived detection and peer evasion, actors' companies registered
        m.step()
    pop = m.pop
    kinds = {k: np.flatnonzero(pop.ftype == k) for k in (COMPLIANT, OPPORTUNISTIC, CRIMINAL)}
    assert all(v.size for v in kinds.values()), {k: v.size for k, v in kinds.items()}
    rng = np.random.default_rng(1)
    blocks = np.concatenate([rng.choice(v, min(v.size, 150), replace=False) for v in kinds.values()])
    for b in blocks:
        u1, w1 = evasion_target_one(m, int(b))
        u, w = evasion_targets(m, np.array([b]))
        assert same_bits(np.float32(u1), u[0]) and same_bits(np.float32(w1), w[0]), (b, pop.ftype[b], u1, u[0], w1, w[0])
        assert type(u1) is np.float32 and type(w1) is np.float32
