"""Employer submodels, vectorised (SPEC 4.1): churn, growth, and the compliance decision.

Compliance decision (deterrence with bounded rationality, Allingham-Sandmo / Becker)
-----------------------------------------------------------------------------------
A firm that reviews its choice this week sets a target undeclared share

    u* = u_max * sigmoid(z),
    z  = z0 + log(propensity_sector) + honesty_firm + norm_weight * peers_evading
         + beta * (1 - resp_firm * p_hat * K) - pressure_sector

where ``p_hat`` is the firm's *perceived* annual detection probability, ``K`` the expected
sanction per NOK evaded if caught (``sanction_multiple`` times the current sanction mix
relative to the default mix), ``resp_firm`` how strongly this firm responds to detection risk,
``peers_evading`` the share of evaders among firms of the same sector and region, and
``pressure`` buyer/consumer pressure (approval schemes, Norgesmodellen, published suspensions).
``1 - p_hat * K`` is the Allingham-Sandmo net gain per NOK evaded. The firm closes ``adjust`` of
the gap to the target. Underpayment follows the same rule with the sector's underpayment
propensity. Compliant firms keep a small fixed error rate; a threat actor's companies evade at
``u_max_criminal * intent``, and only ``criminal_deterrence`` of that responds to deterrence.

Diminishing returns to deterrence come from three parts, each a parameter (issue 11):

1. **perceived detection saturates**: it drifts towards ``1 - exp(-detect_amplifier x rate)``,
   the chance of at least one control a year at the control rate firms see, which flattens as
   the rate grows;
2. **firms differ in how much they respond**: ``resp_firm`` is lognormal with mean 1 and log-sd
   ``deterrence_sd`` (a keyed draw per firm id): more inspections first deter the responsive firms,
   and those still evading are the ones that respond least;
3. **a hard core**: threat actors' companies evade by intent, not by the odds (``1 -
   criminal_deterrence`` of their evasion does not respond), so no inspection rate removes it.

Perceived detection is learnt: an own inspection pulls ``p_hat`` towards 1 (``learn_own``);
every week it drifts towards the saturating target of the control rate firms of the same sector
and region face (the NLI's expected inspections per firm there, plus the centres' joint controls),
amplified when suspension decisions are published by ``publication_boost`` (seed 003, measure 22).

Random draws are per region (streams ``firms.<purpose>.<region>``). Reviews, exits, entries and
resizes draw a number of values that never depends on the model state, so a lever touching one
region leaves other regions' firms' luck alone. Workplaces released by threat actors pass to
entrants drawn from a separate stream (``firms.takeover.<region>``), whose use does depend on
what happens to actors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit, ndtri

from sim.population import ACTIVE, COMPLIANT, CRIMINAL, OPPORTUNISTIC
from sim.rng import keyed_uniform
from sim.units import WEEK_YEARS

if TYPE_CHECKING:
    from sim.model import AkrimModel


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return expit(x)


def responsiveness(m: AkrimModel, firm_ids: np.ndarray) -> np.ndarray:
    """How strongly each firm responds to perceived detection: lognormal, mean 1 (keyed per firm id)."""
    sd = m.cfg.world.firms.deterrence_sd
    if sd <= 0:
        return np.ones(np.shape(firm_ids))
    u = np.minimum(np.maximum(keyed_uniform(m.resp_key, firm_ids), 1e-9), 1 - 1e-9)  # np.clip, cheaper
    return np.exp(-0.5 * sd**2 + sd * ndtri(u))


def evasion_targets(m: AkrimModel, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Target undeclared and underpaid shares for workplaces ``b`` under current conditions."""
    pop, fw = m.pop, m.cfg.world.firms
    z_u, z_w = _logits(m, b)
    ftype = pop.ftype[b]
    u = np.where(ftype == OPPORTUNISTIC, fw.u_max_opportunistic * _sigmoid(z_u), pop.u_base[b])
    w = np.where(ftype == OPPORTUNISTIC, fw.w_max_opportunistic * _sigmoid(z_w), 0.5 * pop.u_base[b])
    crim = ftype == CRIMINAL
    if crim.any():
        intent = m.ta.intent[pop.owner[b[crim]]]
        u[crim] = _criminal_share(fw, fw.u_max_criminal, intent, z_u[crim])
        w[crim] = _criminal_share(fw, fw.w_max_criminal, intent, z_w[crim])
    return u.astype(np.float32), w.astype(np.float32)


def _logits(m: AkrimModel, b):
    """The logits of the undeclared and underpaid targets of workplaces ``b`` (an index array or one int).

    The one formula of the compliance decision (deterrence, honesty, peer norm, buyer pressure and
    the sector's propensities); with an int index it runs on NumPy scalars, with the same
    operations in the same order, so both give the same bits.
    """
    pop, fw, tb = m.pop, m.cfg.world.firms, m.tables
    s = pop.sector[b]
    peer = m.peer_evading[pop.cell[b]]
    base = fw.z0 + pop.honesty[b] + fw.norm_weight * peer - m.pressure[s]
    net = fw.beta * (1.0 - responsiveness(m, pop.firm_id[b]) * pop.p_hat[b] * m.expected_sanction)
    return base + np.log(tb.evasion_propensity[s]) + net, base + np.log(tb.underpay_propensity[s]) + net


def _criminal_share(fw, cap: float, intent, z):
    """An actor's company's share: ``cap`` x intent, of which a part ``criminal_deterrence`` responds to deterrence."""
    d = fw.criminal_deterrence
    return cap * intent * (1.0 - d + d * _sigmoid(z + 2.0))


def evasion_target_one(m: AkrimModel, b: int) -> tuple[np.float32, np.float32]:
    """``evasion_targets(m, [b])`` for one workplace ``b``, on NumPy scalars.

    The same numbers bit for bit: the same operations, in the same order, on the same types (NumPy
    scalars promote like arrays, and a ufunc on a scalar runs the loop it runs on a one-element
    array). Only the branch that applies is computed. It is used by the one-workplace paths (a
    company registered by an actor, an entrant taking one workplace); the array version costs about
    30 NumPy calls on one-element arrays, about 40 us a call (issue 15).
    ``tests/test_speed_equivalence.py`` compares the two for every kind of firm.
    """
    pop, fw = m.pop, m.cfg.world.firms
    ftype = pop.ftype[b]
    if ftype != OPPORTUNISTIC and ftype != CRIMINAL:
        return np.float32(pop.u_base[b]), np.float32(0.5 * pop.u_base[b])
    z_u, z_w = _logits(m, b)
    if ftype == OPPORTUNISTIC:
        return np.float32(fw.u_max_opportunistic * _sigmoid(z_u)), np.float32(fw.w_max_opportunistic * _sigmoid(z_w))
    intent = m.ta.intent[pop.owner[b]]
    return np.float32(_criminal_share(fw, fw.u_max_criminal, intent, z_u)), np.float32(_criminal_share(fw, fw.w_max_criminal, intent, z_w))


def compliance_weekly(m: AkrimModel) -> None:
    """Perceived-detection learning for all firms; reviews of the compliance choice."""
    pop, fw = m.pop, m.cfg.world.firms
    pub = 1.0 + fw.publication_boost * float(m.policy.sanctions.publish_suspensions)
    # The saturating target per cell, then spread to the firms (the same numbers as per firm).
    target = pop.per_cell(1.0 - np.exp(-fw.detect_amplifier * m.detect_rate_cell * pub))
    pop.p_hat += (fw.learn_peer * (target - pop.p_hat)).astype(np.float32)
    # Evaders per cell: an integer count, exactly the float64 sum of ones.
    # np.compress, not pop.cell[mask]: the same cells, ~5x faster (numpy 2.4's boolean indexing).
    m.peer_evading = np.bincount(np.compress(pop.u > fw.evader_threshold, pop.cell), minlength=pop.n_cells) / m.cell_n_blocks
    p_review = fw.rate_review_year * WEEK_YEARS
    due = []
    for r, blocks in enumerate(m.region_blocks):
        draws = m.streams.get(f"firms.review.{m.tables.regions[r]}").random(blocks.size)
        due.append(np.compress(draws < p_review, blocks))
    b = np.concatenate(due)
    if b.size:
        u_t, w_t = evasion_targets(m, b)
        pop.u[b] += fw.adjust * (u_t - pop.u[b])
        pop.w[b] += fw.adjust * (w_t - pop.w[b])


def settle_initial(m: AkrimModel) -> None:
    """Start every firm near its equilibrium choice under the initial conditions.

    A few fixed-point passes let the peer norm (share of evaders among peers) settle too.
    """
    pop = m.pop
    b = np.arange(pop.n)
    for _ in range(4):
        pop.u[:], pop.w[:] = evasion_targets(m, b)
        evading = (pop.u > m.cfg.world.firms.evader_threshold).astype(np.float64)
        m.peer_evading = np.bincount(pop.cell, weights=evading, minlength=pop.n_cells) / m.cell_n_blocks


def ordinary_entrant(m: AkrimModel, b, r: np.ndarray | None = None) -> None:
    """Ordinary firms take over workplace(s) ``b``.

    ``r`` holds three uniforms per workplace (type, honesty, compliant error rate); they are
    drawn from the region's entry stream if not given.
    """
    from scipy.special import ndtri

    pop, fw = m.pop, m.cfg.world.firms
    b = np.atleast_1d(np.asarray(b, dtype=np.int64))
    if b.size == 0:
        return
    if r is None:  # a takeover outside the weekly churn (an actor's company released): own stream
        r = np.stack([m.streams.entity(f"firms.takeover.{m.tables.regions[pop.region[x]]}", int(x)).random(3) for x in b])
    r = np.asarray(r).reshape(b.size, 3)
    p_opp = np.minimum(0.95, m.cfg.world.population.p_opportunistic * m.tables.evasion_propensity[pop.sector[b]])
    pop.new_occupant(b, int(m.env.now), np.where(r[:, 0] < p_opp, OPPORTUNISTIC, COMPLIANT).astype(np.int8))
    # Honesty ~ N(0, sd) by inverse transform of a uniform (keeps the draw count fixed).
    pop.honesty[b] = ndtri(np.minimum(np.maximum(r[:, 1], 1e-9), 1 - 1e-9)) * fw.honesty_sd
    pop.u_base[b] = -np.log(np.maximum(1.0 - r[:, 2], 1e-12)) * fw.u_compliant
    if b.size == 1:  # one workplace (an actor's company released, a conviction): the scalar path
        pop.u[b], pop.w[b] = evasion_target_one(m, int(b[0]))
    else:
        pop.u[b], pop.w[b] = evasion_targets(m, b)
    pop.aggregate_blocks(b)


def _unique_first(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(x, return_index=True)`` (the same stable sort), without its Python overhead."""
    perm = np.argsort(x, kind="mergesort")
    s = x[perm]
    mask = np.empty(s.size, dtype=bool)
    mask[:1] = True
    np.not_equal(s[1:], s[:-1], out=mask[1:])
    return s[mask], perm[mask]


def firms_weekly(m: AkrimModel) -> None:
    """Ordinary exit and entry (the workplace passes to an entrant) and growth (hire/shed one).

    The draws are per region, from the region's streams; what follows from them is computed for
    all regions at once, in the order one pass per region would give (regions in turn, workplaces
    sorted within a region): regions hold distinct workplaces, so nothing in one region's pass
    depended on another's.
    """
    pop, fw = m.pop, m.cfg.world.firms
    p_exit = fw.rate_exit_year * WEEK_YEARS
    lam_resize = fw.rate_resize_year * WEEK_YEARS
    regions = m.tables.regions
    ex_raw, en_raw, ch_raw, gr_raw = [], [], [], []
    for r, blocks in enumerate(m.region_blocks):
        name = regions[r]
        rng = m.streams.get(f"firms.exit.{name}")
        k = rng.binomial(blocks.size, p_exit)
        ex_raw.append(blocks[rng.integers(0, blocks.size, k)])
        en_raw.append(m.streams.get(f"firms.entry.{name}").random((k, 3)))
        # Growth: a Poisson number of firms hire or shed one worker (fair coin).
        rng = m.streams.get(f"firms.resize.{name}")
        k = rng.poisson(blocks.size * lam_resize)
        ch_raw.append(blocks[rng.integers(0, blocks.size, k)])
        gr_raw.append(rng.random(k) < 0.5)
    nreg, n = len(regions), np.int64(pop.n)
    # Exits: distinct workplaces by (region, workplace), each with the entry draws of its first pick.
    ex = np.concatenate(ex_raw).astype(np.int64)
    key = np.repeat(np.arange(nreg, dtype=np.int64), [x.size for x in ex_raw]) * n + ex
    _, first = _unique_first(key)
    exits = ex[first]
    ok = (pop.owner[exits] < 0) & (pop.status[exits] == ACTIVE)
    entry = np.concatenate(en_raw)[first][ok]
    exits = exits[ok]
    # Growth.
    ch = np.concatenate(ch_raw).astype(np.int64)
    key = np.repeat(np.arange(nreg, dtype=np.int64), [x.size for x in ch_raw]) * n + ch
    _, first = _unique_first(key)
    chosen, grow = ch[first], np.concatenate(gr_raw)[first]
    g = chosen[grow & (pop.size[chosen] < pop.cap[chosen] - 1)]
    sh = chosen[~grow & (pop.size[chosen] > 1)]
    slots = pop.start[g] + pop.size[g]
    pop.size[g] += 1
    pop.size[sh] -= 1
    if slots.size:  # each region's hires draw from its stream; their attributes are set in one call
        per_region = np.bincount(pop.region[g], minlength=nreg)
        draws = [pop.draw_holders(int(c), m.streams.get(f"workers.hire.{regions[r]}")) for r, c in enumerate(per_region) if c]
        r_, told, rq = (np.concatenate(parts, axis=-1) for parts in zip(*draws))
        pop.set_holders(pop.workers, slots, (r_, told, rq), informed=m.p_informed_at_hire)
    ordinary_entrant(m, exits, entry)
    m.inspections.invalidate_weights()
