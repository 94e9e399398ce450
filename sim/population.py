"""Employers and workers as struct-of-arrays (the many agents), SPEC 2.3 and 2.4.

Representation
--------------
* **Workplaces (blocks).** Employer state is held per *workplace*: a fixed block of job slots
  in one sector and region. Each block is occupied by one firm at a time (``firm_id``). When a
  firm exits, its workplace goes to a successor: an ordinary entrant, a threat actor's new
  company, or the phoenix successor of a planned bankruptcy. The workers stay in the block, so
  "workers move to the successor" is a relabelling, not a copy, and workers are conserved by
  construction.
* **Workers (slots).** Workers are slots grouped contiguously by block (``start[b]`` to
  ``start[b] + cap[b]``), so employer-level values spread to workers with ``np.repeat`` and sum
  back with ``np.add.reduceat``. A slot is employed when its rank in the block is below the
  firm's ``size``; growth and shrinkage switch single slots on and off.
* **Who is undeclared or underpaid** is a threshold rule: worker ``i`` in firm ``b`` is
  undeclared when ``q[i] < u[b]`` and underpaid when ``q[i] < w[b]``. ``q`` is fixed for a job
  holder and lower for vulnerable workers, so the most vulnerable are exploited first, and a
  firm's choice of ``u`` decides *which* workers are affected without redrawing anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.data import Tables

COMPLIANT, OPPORTUNISTIC, CRIMINAL = 0, 1, 2
ACTIVE, SUSPENDED = 0, 1
NEVER = -(10**9)


@dataclass
class Workers:
    """Job slots grouped by workplace; one entry per slot."""

    block: np.ndarray  # int32, workplace of the slot
    rank: np.ndarray  # int32, rank of the slot within its workplace
    migrant: np.ndarray  # bool
    posted: np.ndarray  # bool
    vuln: np.ndarray  # float32 in [0, 1]
    aware: np.ndarray  # float32 in [0, 1]
    q: np.ndarray  # float32 in [0, 1): position in the firm's evasion order

    @property
    def n(self) -> int:
        """Number of slots."""
        return int(self.block.size)


class Population:
    """Workplaces (employer state) and their worker slots.

    Args:
        tables: Sector and region tables.
        world: The world configuration (``population``, ``firms``, ``workers`` sections used).
        scale: Population scale factor (1.0 = national).
        rng: Generator used once, to build the initial population.
    """

    def __init__(self, tables: Tables, world, scale: float, rng: np.random.Generator, sector_scale: np.ndarray | None = None) -> None:
        self.t = tables
        self.world = world
        nsec, nreg = len(tables.sectors), len(tables.regions)
        pop = world.population
        # Firms per sector from employment / mean size, normalised to the national firm count.
        firms_sec = tables.employment / tables.mean_size
        firms_sec *= pop.n_employers / firms_sec.sum()
        sc = np.full(nsec, float(scale)) if sector_scale is None else np.asarray(sector_scale, dtype=float)  # scale by sector
        counts = np.rint(np.outer(firms_sec, tables.region_share) * sc[:, None]).astype(np.int64)
        counts = np.maximum(counts, 1)  # every sector x region cell has at least one workplace
        sector = np.repeat(np.repeat(np.arange(nsec), nreg), counts.ravel()).astype(np.int8)
        region = np.repeat(np.tile(np.arange(nreg), nsec), counts.ravel()).astype(np.int8)
        nb = sector.size
        # Sizes: lognormal with the sector mean, at least 1 worker.
        sig = pop.size_sigma
        mu = np.log(tables.mean_size[sector]) - 0.5 * sig**2
        size = np.maximum(1, np.rint(rng.lognormal(mu, sig))).astype(np.int32)
        # Rescale so sector employment matches the table (rounding leaves it within ~1%).
        emp_target = tables.employment * sc
        emp_now = np.bincount(sector, weights=size, minlength=nsec)
        factor = emp_target / np.maximum(emp_now, 1)
        size = np.maximum(1, np.rint(size * factor[sector])).astype(np.int32)
        cap = (size + np.ceil(size * pop.slot_headroom)).astype(np.int32) + 1

        self.n = nb
        self.sector, self.region = sector, region
        self.cap, self.size = cap, size
        self.start = np.zeros(nb, dtype=np.int64)
        np.cumsum(cap[:-1], out=self.start[1:])
        self.firm_id = np.arange(nb, dtype=np.int64)
        self.next_firm_id = nb
        self.ftype = np.zeros(nb, dtype=np.int8)
        self.status = np.zeros(nb, dtype=np.int8)
        self.owner = np.full(nb, -1, dtype=np.int32)
        self.u = np.zeros(nb, dtype=np.float32)
        self.w = np.zeros(nb, dtype=np.float32)
        self.p_hat = np.full(nb, world.firms.p_hat_initial, dtype=np.float32)
        self.honesty = rng.normal(0.0, world.firms.honesty_sd, nb).astype(np.float32)
        self.t_born = np.zeros(nb, dtype=np.int32)
        self.t_last_insp = np.full(nb, NEVER, dtype=np.int32)
        self.n_insp = np.zeros(nb, dtype=np.int32)
        self.ctrl_year = np.full(nb, -1, dtype=np.int16)  # last year the firm was controlled
        self.heat = np.zeros(nb, dtype=np.float32)  # sanctions/inspections felt (actor firms)
        self.susp_until = np.full(nb, NEVER, dtype=np.int32)
        self.approved = np.ones(nb, dtype=bool)
        self.flag_nli = np.zeros(nb, dtype=np.float32)  # NLI's intelligence about the firm
        self.liab = np.zeros(nb, dtype=np.float64)  # outstanding claims, NOK (1:1 per firm)
        # Aggregates from the workers (refreshed by aggregate()).
        self.n_und = np.zeros(nb, dtype=np.int32)
        self.n_under = np.zeros(nb, dtype=np.int32)
        self.n_expl = np.zeros(nb, dtype=np.int32)
        self.n_posted = np.zeros(nb, dtype=np.int32)
        self.tip_w = np.zeros(nb, dtype=np.float32)
        # Firm types for the non-criminal population.
        p_opp = np.clip(pop.p_opportunistic * tables.evasion_propensity[sector], 0, 0.95)
        self.ftype[:] = np.where(rng.random(nb) < p_opp, OPPORTUNISTIC, COMPLIANT)
        self.u_base = rng.exponential(world.firms.u_compliant, nb).astype(np.float32)
        # Index of workplaces per sector x region cell (static: blocks keep sector and region).
        cell = sector.astype(np.int32) * nreg + region
        order = np.argsort(cell, kind="stable")
        bounds = np.searchsorted(cell[order], np.arange(nsec * nreg + 1))
        self.cell = cell
        self.cell_blocks = [order[bounds[c] : bounds[c + 1]] for c in range(nsec * nreg)]
        # Built cell by cell, every cell non-empty: each cell's workplaces are one contiguous run
        # (cell_sums and cell_float_sums rely on it).
        if not (np.all(cell[1:] >= cell[:-1]) and np.all(np.diff(bounds) > 0)):
            raise RuntimeError("workplaces must be stored cell by cell, every cell non-empty")
        self.cell_start = bounds[:-1]
        self._cell_counts = np.diff(bounds)
        # The workplaces in round-robin order over the cells (the first of every cell, then the
        # second, ...), each cell's in their own order: for ``cell_float_sums``.
        self._cell_rr = np.lexsort((cell, np.arange(nb) - self.cell_start[cell]))
        self._cell_rr_key = cell[self._cell_rr].astype(np.intp)
        self.wage = tables.wage[sector]  # annual wage per worker, NOK (workplaces keep their sector)
        # Per sector, P(migrant | not posted), so that P(migrant) = migrant_share (set_holders).
        ps, ms = tables.posted_share, tables.migrant_share
        self._p_migrant_not_posted = (ms - ps) / np.maximum(1.0 - ps, 1e-9)
        self.n_cells = nsec * nreg
        self.workers = self._build_workers(rng)
        self.aggregate()

    # ------------------------------------------------------------------ workers
    def _build_workers(self, rng: np.random.Generator) -> Workers:
        ns = int(self.cap.sum())
        block = np.repeat(np.arange(self.n, dtype=np.int32), self.cap)
        rank = (np.arange(ns, dtype=np.int64) - np.repeat(self.start, self.cap)).astype(np.int32)
        wk = Workers(
            block=block,
            rank=rank,
            migrant=np.zeros(ns, dtype=bool),
            posted=np.zeros(ns, dtype=bool),
            vuln=np.zeros(ns, dtype=np.float32),
            aware=np.zeros(ns, dtype=np.float32),
            q=np.zeros(ns, dtype=np.float32),
        )
        self._hire(wk, np.arange(ns), rng)
        return wk

    def _hire(self, wk: Workers, idx: np.ndarray, rng: np.random.Generator, informed: float = 0.0) -> None:
        """Give slots ``idx`` new holders (attributes drawn for their workplace's sector)."""
        self.set_holders(wk, idx, self.draw_holders(idx.size, rng), informed)

    @staticmethod
    def draw_holders(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The uniforms ``n`` new job holders consume, in the order they are drawn."""
        r = rng.random((4, n), dtype=np.float32)
        told = rng.random(n)  # drawn even when nobody is informed: fixed draw count
        rq = rng.random(n, dtype=np.float32)
        return r, told, rq

    def set_holders(self, wk: Workers, idx: np.ndarray, draws: tuple[np.ndarray, np.ndarray, np.ndarray], informed: float = 0.0) -> None:
        """Set the attributes of the new holders of slots ``idx`` from their ``draw_holders`` uniforms.

        Element by element, so holders drawn from several streams can be set in one call.
        """
        r, told_u, rq = draws
        ww = self.world.workers
        sec = self.sector[wk.block[idx]]
        posted = r[0] < self.t.posted_share[sec]
        migrant = posted | (r[1] < self._p_migrant_not_posted[sec])  # P(migrant) = migrant_share
        vmean = np.where(migrant, ww.vulnerability_migrant, ww.vulnerability_native)
        amean = np.where(migrant, ww.awareness_migrant, ww.awareness_native)
        # np.minimum(np.maximum(x, 0), 1) is np.clip(x, 0, 1) without its Python-level overhead.
        vuln = np.minimum(np.maximum(vmean + ww.vulnerability_spread * (r[2] - 0.5), 0.0), 1.0).astype(np.float32)
        aware = np.minimum(np.maximum(amean + ww.awareness_spread * (r[3] - 0.5), 0.0), 1.0).astype(np.float32)
        told = told_u < informed
        aware = np.where(migrant & told, np.minimum(1, aware + 0.3), aware)
        wk.posted[idx], wk.migrant[idx] = posted, migrant
        wk.vuln[idx], wk.aware[idx] = vuln, aware.astype(np.float32)
        # Vulnerable workers sit low in the evasion order: exploited first.
        wk.q[idx] = (rq * (1.0 - ww.q_vulnerability * vuln)).astype(np.float32)

    def turnover(self, idx: np.ndarray, rng: np.random.Generator, informed: float = 0.0) -> None:
        """Replace the holders of slots ``idx`` (job turnover)."""
        if idx.size:
            self._hire(self.workers, idx, rng, informed)

    def per_cell(self, values: np.ndarray) -> np.ndarray:
        """``values[self.cell]``: one value per cell spread to its workplaces.

        A ``repeat`` over the contiguous cells: 0.03 ms instead of 0.28 ms for the gather (200k).
        """
        return np.repeat(values, self._cell_counts)

    def cell_sums(self, values: np.ndarray) -> np.ndarray:
        """Exact per-cell sums (int64) of integer ``values``, one per workplace.

        Sums of integers are exact in any order, so as floats they equal
        ``np.bincount(self.cell, weights=values)`` (exact below 2**53), bit for bit. A bincount
        with weights over cells in order adds into one bin after another, each addition waiting
        for the last: 4 ns a workplace, against a fraction of that for a ``reduceat`` over the
        contiguous cells.
        """
        return np.add.reduceat(values, self.cell_start, dtype=np.int64)

    def cell_float_sums(self, values: np.ndarray) -> np.ndarray:
        """``np.bincount(self.cell, weights=values, minlength=self.n_cells)``, bit for bit, twice as fast.

        Every cell's values are added in the same order (ascending workplace), so its float sum
        is the same number; but one cell's additions are interleaved with the other cells', so
        they do not wait on each other (0.38 ms instead of 0.78 ms for 200k workplaces).
        """
        return np.bincount(self._cell_rr_key, weights=np.take(values, self._cell_rr), minlength=self.n_cells)

    def active_mask(self) -> np.ndarray:
        """Boolean mask of employed slots (rank below the firm's size)."""
        return self.workers.rank < np.repeat(self.size, self.cap)

    def aggregate(self) -> None:
        """Recompute per-workplace worker aggregates (undeclared, underpaid, exploited, tips).

        Suspended workplaces count no active workers while suspended.

        One sparse pass: a slot is exploited exactly when it is active and ``q < max(u, w)`` of
        its workplace, a small share of the slots, so the counts are ``bincount``s over those
        slots only. The float32 tip weights are summed per workplace exactly as
        ``np.add.reduceat`` over the whole slot array would sum them (bit for bit): a workplace
        with at most two exploited slots gets the float32 sum of their values (order-free), the
        others their own segments through ``reduceat``.
        """
        dependence = self.world.workers.tip_dependence
        wk = self.workers
        nb = self.n
        size_eff = np.where(self.status == SUSPENDED, 0, self.size)
        # Candidates: q below the larger threshold (undeclared or underpaid if active).
        cand = np.flatnonzero(wk.q < np.repeat(np.maximum(self.u, self.w), self.cap))
        blk = wk.block[cand]
        # np.compress, not boolean indexing: the same elements, 4-6x faster on masks that are
        # neither sparse nor dense (numpy 2.4: 650 us against 120 us on 200k elements, 25% true).
        # A slot's rank is its offset in the workplace: from ``start`` (in cache), not ``wk.rank``
        # (one more pass over a slot-sized array, memory-bound at 1:1).
        keep = np.flatnonzero(cand - self.start[blk] < size_eff[blk])
        cand, blk = cand[keep], blk[keep]
        qc = wk.q[cand]
        self.n_und = np.bincount(np.compress(qc < self.u[blk], blk), minlength=nb).astype(np.int32)
        self.n_under = np.bincount(np.compress(qc < self.w[blk], blk), minlength=nb).astype(np.int32)
        self.n_expl = np.bincount(blk, minlength=nb).astype(np.int32)
        p = np.flatnonzero(wk.posted)
        pb = wk.block[p]
        self.n_posted = np.bincount(np.compress(p - self.start[pb] < size_eff[pb], pb), minlength=nb).astype(np.int32)
        vals = wk.aware[cand] * (1.0 - dependence * wk.vuln[cand])
        self.tip_w = self._tip_sums(cand, blk, vals.astype(np.float32), self.n_expl)

    def _tip_sums(self, cand: np.ndarray, blk: np.ndarray, vals: np.ndarray, n_expl: np.ndarray) -> np.ndarray:
        """Per-workplace float32 sums of ``vals`` (at slots ``cand`` of workplaces ``blk``), as reduceat gives them."""
        nb = self.n
        # At most two non-zero terms: any summation order gives the correctly rounded float32 sum,
        # which is the float64 sum (exact for two float32 values) rounded once.
        out = np.bincount(blk, weights=vals, minlength=nb).astype(np.float32)
        many = np.flatnonzero(n_expl >= 3)
        if many.size:
            caps = self.cap[many].astype(np.int64)
            seg = np.zeros(many.size, dtype=np.int64)
            np.cumsum(caps[:-1], out=seg[1:])
            local = np.zeros(int(caps.sum()), dtype=np.float32)
            shift = np.zeros(nb, dtype=np.int64)
            shift[many] = seg - self.start[many]  # slot + shift = position in ``local``
            sel = np.flatnonzero(n_expl[blk] >= 3)
            local[cand[sel] + shift[blk[sel]]] = vals[sel]
            out[many] = np.add.reduceat(local, seg, dtype=np.float32)
        return out

    def aggregate_blocks(self, blocks: np.ndarray) -> None:
        """Recompute aggregates for some workplaces only (after an order, an entry, ...)."""
        b = np.asarray(blocks, dtype=np.int64)
        if b.size == 1:
            self._aggregate_one(int(b.reshape(-1)[0]))
            return
        dependence = self.world.workers.tip_dependence
        b = np.unique(b)
        if b.size == 0:
            return
        caps = self.cap[b].astype(np.int64)
        seg = np.zeros(b.size, dtype=np.int64)
        np.cumsum(caps[:-1], out=seg[1:])
        idx = np.repeat(self.start[b] - seg, caps) + np.arange(int(caps.sum()))
        wk = self.workers
        size_eff = np.where(self.status[b] == SUSPENDED, 0, self.size[b])
        act = wk.rank[idx] < np.repeat(size_eff, caps)
        q = wk.q[idx]
        und = act & (q < np.repeat(self.u[b], caps))
        under = act & (q < np.repeat(self.w[b], caps))
        expl = und | under
        self.n_und[b] = np.add.reduceat(und, seg, dtype=np.int32)
        self.n_under[b] = np.add.reduceat(under, seg, dtype=np.int32)
        self.n_expl[b] = np.add.reduceat(expl, seg, dtype=np.int32)
        self.n_posted[b] = np.add.reduceat(act & wk.posted[idx], seg, dtype=np.int32)
        tipw = np.where(expl, wk.aware[idx] * (1.0 - dependence * wk.vuln[idx]), 0.0)
        self.tip_w[b] = np.add.reduceat(tipw, seg).astype(np.float32)

    def _aggregate_one(self, b: int) -> None:
        """``aggregate_blocks`` for one workplace (slices, no gathering; the same numbers)."""
        wk = self.workers
        s = int(self.start[b])
        se = 0 if self.status[b] == SUSPENDED else int(self.size[b])  # active slots are the first ``se``
        q = wk.q[s : s + se]
        und = q < self.u[b]
        under = q < self.w[b]
        expl = und | under
        self.n_und[b] = np.count_nonzero(und)
        self.n_under[b] = np.count_nonzero(under)
        ne = np.count_nonzero(expl)
        self.n_expl[b] = ne
        self.n_posted[b] = np.count_nonzero(wk.posted[s : s + se])
        if ne == 0:
            self.tip_w[b] = 0.0
            return
        dependence = self.world.workers.tip_dependence
        tipw = np.zeros(int(self.cap[b]), dtype=np.float32)
        tipw[:se] = np.where(expl, wk.aware[s : s + se] * (1.0 - dependence * wk.vuln[s : s + se]), 0.0)
        self.tip_w[b] = np.add.reduceat(tipw, [0])[0]

    # ------------------------------------------------------------------ firms
    def new_occupant(self, b, t: int, ftype, owner=-1):
        """Give workplace(s) ``b`` a new firm (fresh id, no history); return the new firm id(s)."""
        b = np.asarray(b)
        n = b.size
        fid = np.arange(self.next_firm_id, self.next_firm_id + n, dtype=np.int64).reshape(b.shape)
        self.next_firm_id += n
        self.firm_id[b] = fid
        self.ftype[b] = ftype
        self.owner[b] = owner
        self.status[b] = ACTIVE
        self.t_born[b] = t
        self.t_last_insp[b] = NEVER
        self.n_insp[b] = 0
        self.ctrl_year[b] = -1
        self.heat[b] = 0.0
        self.susp_until[b] = NEVER
        self.approved[b] = True
        self.flag_nli[b] = 0.0
        self.liab[b] = 0.0
        self.p_hat[b] = self.world.firms.p_hat_initial
        return int(fid) if fid.ndim == 0 else fid

    def wage_bill(self, blocks: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Annual wage bill (NOK, at the model's scale) of workplaces ``blocks``."""
        return self.size[blocks] * self.wage[blocks]
