"""Formal role of an actor in its companies (ODD 8.5 *Formal role*): one per-company flag, a keyed
hash of the firm id, decides both the bankruptcy role and the link to NLI-inspected businesses."""

from __future__ import annotations

import numpy as np
from conftest import make_cfg, run
from scipy import stats

from sim.events import KIND
from sim.model import AkrimModel
from sim.rng import Streams, keyed_uniform


def test_keyed_uniform_is_a_fixed_uniform_function_of_key_and_id():
    ids = np.arange(200_000, dtype=np.int64)
    key = Streams(7).key("actors.formal_role")
    u = keyed_uniform(key, ids)
    assert np.array_equal(u, keyed_uniform(Streams(7).key("actors.formal_role"), ids))  # same run seed, same values
    assert ((u >= 0) & (u < 1)).all()
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01  # neighbouring firm ids are independent
    other = keyed_uniform(Streams(8).key("actors.formal_role"), ids)
    assert abs(np.corrcoef(u, other)[0, 1]) < 0.01  # another seed: other companies have a front man
    assert keyed_uniform(key, np.array([123]))[0] == u[123]  # looking one company up gives the same answer


def test_looking_up_a_formal_role_consumes_no_stream():
    m = AkrimModel(make_cfg("scale=0.01", "end=2014", events=False))
    used = m.streams.names()
    m.formal_role(np.arange(1000))
    assert m.streams.names() == used


def _linked_from_events(m: AkrimModel) -> set[int]:
    c = m.log.cols
    kind, firm, actor = (np.asarray(c[k]) for k in ("kind", "firm", "actor"))
    insp = np.isin(kind, [KIND["inspection_nli"], KIND["inspection_joint"]]) & (actor >= 0)
    hit = insp & m.formal_role(np.where(firm >= 0, firm, 0))
    return set(actor[hit].tolist())


def test_actors_are_linked_exactly_through_inspected_companies_with_a_formal_role():
    m, _ = run("scale=0.02", "end=2017", "seed=5")
    linked = set(np.flatnonzero(m.ta.nli_linked[: m.ta.n]).tolist())
    assert linked == _linked_from_events(m)
    assert 0 < len(linked)
    c = m.log.cols
    kind, actor = np.asarray(c["kind"]), np.asarray(c["actor"])
    inspected = set(actor[np.isin(kind, [KIND["inspection_nli"], KIND["inspection_joint"]]) & (actor >= 0)].tolist())
    assert linked < inspected  # some inspected actors hide behind front men


def test_front_man_share_moves_both_register_shares():
    def shares(p: float) -> tuple[float, float, int]:
        # Among all active actors (the annual columns count central actors only, too few here).
        m, res = run("scale=0.02", "end=2019", "seed=3", f"world.actors.p_front_man={p}", events=False)
        t = m.ta
        act = t.active_mask()
        return float(t.nli_linked[: t.n][act].mean()), float(t.bankrupt_role[: t.n][act].mean()), int(t.nli_linked.sum())

    all_front = shares(1.0)
    none_front = shares(0.0)
    default = shares(0.8)
    assert all_front[2] == 0 and all_front[0] == 0.0  # nobody visible in the registers is ever linked
    assert none_front[0] > default[0] > 0.0
    assert none_front[1] > default[1] > all_front[1]  # bankruptcy roles: only from companies with a formal role
