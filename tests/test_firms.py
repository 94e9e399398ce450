"""sim.firms: the compliance decision (SPEC 4.1) - deterrence lowers evasion, with diminishing returns."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_cfg

from sim.firms import evasion_targets
from sim.model import AkrimModel
from sim.population import COMPLIANT, CRIMINAL, OPPORTUNISTIC


@pytest.fixture(scope="module")
def model():
    return AkrimModel(make_cfg("scale=0.02", "end=2014"))


def _mean_target(m, blocks, p_hat: float, sanction: float | None = None) -> float:
    old_p, old_k = m.pop.p_hat.copy(), m.expected_sanction
    try:
        m.pop.p_hat[blocks] = p_hat
        if sanction is not None:
            m.expected_sanction = sanction
        u, _ = evasion_targets(m, blocks)
        return float(u.mean())
    finally:
        m.pop.p_hat[:] = old_p
        m.expected_sanction = old_k


def test_deterrence_has_diminishing_returns(model):
    """Drop in target undeclared share from p_hat 0.1->0.3 is larger than from 0.5->0.7."""
    opp = np.flatnonzero(model.pop.ftype == OPPORTUNISTIC)
    assert opp.size > 100
    u = {p: _mean_target(model, opp, p) for p in (0.1, 0.3, 0.5, 0.7)}
    early, late = u[0.1] - u[0.3], u[0.5] - u[0.7]
    assert early > 0 and late >= 0, u
    # In perceived detection alone the returns diminish (x1.5 here); the inspection rate's own
    # saturation adds more: tests/test_mechanisms.py checks the curve per added inspector.
    assert early > 1.5 * late, f"no diminishing returns: drop 0.1->0.3 = {early:.4f}, 0.5->0.7 = {late:.4f}"


def test_higher_perceived_detection_never_raises_evasion(model):
    opp = np.flatnonzero(model.pop.ftype == OPPORTUNISTIC)
    grid = np.linspace(0.0, 1.0, 11)
    u = np.array([_mean_target(model, opp, p) for p in grid])
    assert np.all(np.diff(u) <= 1e-7), u
    assert u[0] > 1.5 * u[-1] and u[0] > 0.05  # deterrence matters (the least responsive firms keep evading: deterrence_sd)
    # Firm by firm too, not just on average.
    old = model.pop.p_hat.copy()
    try:
        model.pop.p_hat[opp] = 0.1
        lo, _ = evasion_targets(model, opp)
        model.pop.p_hat[opp] = 0.4
        hi, _ = evasion_targets(model, opp)
    finally:
        model.pop.p_hat[:] = old
    assert np.all(hi <= lo)


def test_tougher_sanctions_lower_evasion_with_diminishing_returns(model):
    opp = np.flatnonzero(model.pop.ftype == OPPORTUNISTIC)
    k0 = model.expected_sanction
    u = {f: _mean_target(model, opp, 0.15, k0 * f) for f in (1.0, 2.0, 4.0, 8.0)}
    assert u[1.0] > u[2.0] > u[4.0] >= u[8.0], u
    # Per unit of sanction added, each doubling buys less: firms differ in how they respond
    # (deterrence_sd), so the responsive ones leave first.
    per_unit = [(u[1.0] - u[2.0]) / 1.0, (u[2.0] - u[4.0]) / 2.0, (u[4.0] - u[8.0]) / 4.0]
    assert per_unit[0] > per_unit[1] > per_unit[2], per_unit
    assert per_unit[2] < 0.5 * per_unit[0], per_unit


def test_responsiveness_heterogeneity_is_what_flattens_the_response(model):
    """Without heterogeneity (deterrence_sd = 0) the response to a doubling of the sanction is
    steeper at first and dies out faster: the heterogeneity is what gives every doubling a similar
    absolute effect (an elasticity) instead of a cliff."""
    import copy

    opp = np.flatnonzero(model.pop.ftype == OPPORTUNISTIC)
    k0 = model.expected_sanction
    homo = copy.copy(model)
    homo.cfg = copy.deepcopy(model.cfg)
    homo.cfg.world.firms.deterrence_sd = 0.0
    def drops(m):
        u = {f: _mean_target(m, opp, 0.15, k0 * f) for f in (1.0, 2.0, 4.0, 8.0)}
        return (u[1.0] - u[2.0]), (u[4.0] - u[8.0])
    (h_first, h_last), (d_first, d_last) = drops(homo), drops(model)
    assert h_last / max(h_first, 1e-12) < d_last / max(d_first, 1e-12)


def test_liberal_fines_raise_expected_sanction():
    base = AkrimModel(make_cfg("scale=0.01", "end=2014"))
    tough = AkrimModel(make_cfg("scale=0.01", "end=2014", "policy.sanctions.p_fine=0.5"))
    assert tough.expected_sanction > base.expected_sanction


def test_compliant_and_criminal_firms_are_not_deterred_like_opportunistic(model):
    pop = model.pop
    comp = np.flatnonzero(pop.ftype == COMPLIANT)
    u_lo = _mean_target(model, comp, 0.0)
    u_hi = _mean_target(model, comp, 1.0)
    assert u_lo == pytest.approx(u_hi)  # fixed error rate
    assert u_lo < 0.05
    crim = np.flatnonzero(pop.ftype == CRIMINAL)
    assert crim.size > 0
    c_lo, c_hi = _mean_target(model, crim, 0.0), _mean_target(model, crim, 1.0)
    opp = np.flatnonzero(pop.ftype == OPPORTUNISTIC)
    o_lo = _mean_target(model, opp, 0.0)
    assert c_hi > o_lo, "an actor's company should evade more than an opportunistic firm"
    assert c_hi <= c_lo and (c_lo - c_hi) < 0.5 * c_lo  # only weakly moved by deterrence
