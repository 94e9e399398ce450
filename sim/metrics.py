"""KPIs (SPEC 5): their definitions, accumulation during a run, and the annual tables.

Kinds of KPI:
    flow   counted or summed over the calendar year (scaled back to 1:1 by ``1 / scale``)
    nok    money summed over the year, NOK (scaled back to 1:1)
    cost   money computed from 1:1 levers (not scaled)
    stock  a count at year end (scaled back to 1:1)
    level  a count averaged over the year's monthly observations (scaled back to 1:1)
    share  a ratio at year end or over the year's monthly observations (not scaled)
    mean   an average (not scaled)
"""

from __future__ import annotations

import numpy as np

# name, kind, breakdown ("rs" = by region and sector, "r" = by region only, "" = national), meaning
KPI_DEFS: tuple[tuple[str, str, str, str], ...] = (
    ("inspections_nli", "flow", "rs", "ordinary NLI inspections completed"),
    ("inspections_joint", "flow", "rs", "businesses controlled in the centres' joint (>=2 agencies) actions"),
    ("inspections_nli_reaction", "flow", "rs", "ordinary NLI inspections that led to an order or a sanction"),
    ("firms_controlled", "flow", "rs", "distinct firms inspected or controlled in the year"),
    ("violations_found", "flow", "rs", "inspections or controls that found at least one violation"),
    ("orders", "flow", "rs", "orders to rectify"),
    ("fines_count", "flow", "rs", "administrative fines (overtredelsesgebyr)"),
    ("coercive_fines_count", "flow", "rs", "daily coercive fines"),
    ("suspensions_count", "flow", "rs", "suspensions (stop orders)"),
    ("fines_nok", "nok", "rs", "administrative fines imposed, NOK"),
    ("wrongful_benefits_nok", "nok", "rs", "wrongful financial support identified by NAV, NOK"),
    (
        "wrongful_benefits_nli_nok",
        "nok",
        "rs",
        "wrongful financial support identified after the NLI's ordinary inspections, NOK (part of wrongful_benefits_nok; seed 002 reports it)",
    ),
    ("tax_reassessed_nok", "nok", "rs", "tax reassessed incl. surcharge, NOK"),
    ("assets_seized_nok", "nok", "rs", "assets seized or confiscated, NOK"),
    ("police_reports", "flow", "rs", "cases reported to the police by any agency"),
    (
        "police_reports_nli",
        "flow",
        "rs",
        "cases reported to the police by the NLI after its ordinary inspections (joint-control reports count as the centre's)",
    ),
    ("cases_against_ta", "flow", "rs", "police cases opened against threat actors"),
    ("convictions", "flow", "rs", "cases ending in conviction"),
    ("cases_dropped_evidence", "flow", "rs", "cases dropped because of the evidence"),
    ("convictions_ta", "flow", "rs", "convictions in cases against threat actors (seed 001 counts these)"),
    ("cases_dropped_evidence_ta", "flow", "rs", "cases against threat actors dropped because of the evidence"),
    ("case_days_mean", "mean", "", "mean days from police report to outcome, cases ending in the year"),
    ("cases_against_latent_actors", "flow", "rs", "police cases opened against threat actors' companies the centres have not identified"),
    ("active_threat_actors", "stock", "rs", "latent criminal operators active (not incarcerated or desisted) at year end"),
    (
        "central_threat_actors",
        "stock",
        "rs",
        "threat actors the centres have identified (analysed, file open) and that are active, at year end (seed 001 note viii counts them)",
    ),
    ("ta_capacity_total", "stock", "r", "total capacity of active actors at year end, MNOK"),
    ("ta_capacity_reduced_share", "share", "", "share of central threat actors whose capacity fell over the year"),
    ("ta_linked_to_inspected_share", "share", "", "share of central threat actors with a company inspected by the NLI since the start of the run"),
    (
        "ta_previously_reported_share",
        "share",
        "",
        "share of central threat actors that had been reported to the police when a centre identified them (seed 001: previously reported)",
    ),
    ("ta_bankruptcy_role_share", "share", "", "share of central threat actors who have led a company into bankruptcy"),
    ("companies_per_ta", "mean", "", "active companies per active threat actor at year end"),
    ("phoenix_bankruptcies", "flow", "rs", "planned (phoenix) bankruptcies"),
    (
        "phoenix_before_target",
        "flow",
        "rs",
        "phoenix bankruptcies run by actors an agency had already shared a signal about, before any joint action found one of their companies at work "
        "(the cycles sharing could have forestalled; counted over all known actors, so unlike phoenix_before_target_mean it does not depend on which actors were hit)",
    ),
    (
        "undeclared_work_share",
        "share",
        "rs",
        "share of employees in the risk sectors (sectors.csv risk_sector) working wholly or partly undeclared, mean of monthly observations",
    ),
    ("exploited_workers", "level", "rs", "employees undeclared or underpaid, mean of monthly observations"),
    ("exploited_workers_ta", "level", "rs", "of them, employees of threat actors' companies (the harm the knowledge process can reach)"),
    (
        "workers_remediated",
        "flow",
        "rs",
        "employees of the enterprises that implemented measures restoring workers' conditions after an inspection (as seed 002 counts them)",
    ),
    ("enterprises_remediated", "flow", "rs", "enterprises that implemented measures after an inspection"),
    ("tips", "flow", "rs", "tips from workers reaching the NLI (directly or via a union)"),
    (
        "crime_cost_nok",
        "nok",
        "rs",
        "cost of work-related crime: evaded tax and contributions, wage theft, wrongful benefits, phoenix losses and harm, NOK",
    ),
    ("enforcement_cost_nok", "cost", "", "cost of enforcement: NLI inspectors, centre staff, police investigators, NTAES, campaigns, NOK"),
    # The centres' joint efforts (what the a-krim annual figures count; SPEC 5).
    ("centre_actions", "flow", "r", "joint actions of the centres"),
    ("centre_firms_controlled", "flow", "rs", "businesses controlled in the centres' joint actions"),
    ("centre_persons_controlled", "flow", "rs", "persons checked in the centres' joint actions"),
    ("centre_fines_count", "flow", "rs", "administrative fines from the centres' joint actions"),
    ("centre_coercive_fines_count", "flow", "rs", "daily coercive fines from the centres' joint actions"),
    ("centre_suspensions_count", "flow", "rs", "stop orders from the centres' joint actions"),
    ("centre_police_reports", "flow", "rs", "police reports from the centres' joint efforts (joint actions, and cases opened when an actor is prioritised)"),
    ("centre_benefit_changes", "flow", "rs", "benefits NAV changed or stopped after the centres' joint actions (persons)"),
    # The agencies' own work outside the centres.
    ("tax_audits", "flow", "rs", "the Tax Administration's own audits on undeclared work"),
    ("tax_findings", "flow", "rs", "Tax audits that established undeclared work"),
    ("nav_controls", "flow", "rs", "NAV's own controls of benefit recipients' employers"),
    ("nav_findings", "flow", "rs", "NAV controls that established undeclared work by benefit recipients"),
    ("benefit_changes", "flow", "rs", "benefits changed or stopped (persons), all origins"),
    # Beyond SPEC 5: diagnostics used by tests and reports.
    ("actors_prioritised", "flow", "r", "threat actors prioritised by a leader group (first time or again after follow-up)"),
    ("actions_on_actors", "flow", "r", "joint actions against a prioritised actor (the rest of centre_actions are sweeps)"),
    ("actions_target_gone", "flow", "r", "actions against a prioritised actor that found none of its companies at work (gone, or the tip was stale)"),
    (
        "phoenix_before_target_mean",
        "mean",
        "",
        "mean phoenix bankruptcies an actor ran between the first signal an agency sent about it and the first joint action that found one of its companies",
    ),
    ("days_to_first_priority_mean", "mean", "", "mean days from the first signal an agency sent about an actor to the first prioritisation of the file it opened"),
    (
        "desk_case_evidence_days_mean",
        "mean",
        "",
        "mean age, in days, of the intelligence the police cases opened at the desk on a centre's priority rest on (the file's newest signal about the company), over the cases opened in the year",
    ),
    ("companies_opened", "flow", "rs", "companies registered by threat actors (not phoenix successors in the same workplace)"),
    ("actor_moves", "flow", "rs", "threat actors moving where they operate (displacement), by destination"),
    ("signals_shared", "flow", "r", "signals that reached a partner or a centre"),
    ("signals_lost", "flow", "r", "signals never shared (incomplete sharing)"),
    ("employers_active", "stock", "rs", "active workplaces at year end"),
    ("workers_employed", "level", "rs", "employed workers, mean of monthly observations"),
    ("perceived_detection_mean", "share", "", "mean perceived annual detection probability of opportunistic firms at year end"),
)
KPI_NAMES = tuple(k[0] for k in KPI_DEFS)
KPI_KIND = {k[0]: k[1] for k in KPI_DEFS}
KPI_BREAKDOWN = {k[0]: k[2] for k in KPI_DEFS}
SCALED = {"flow", "nok", "stock", "level"}


class Metrics:
    """Accumulates KPIs by year, and by year x region and year x sector.

    Args:
        years: Calendar years of the run.
        n_regions: Number of regions.
        n_sectors: Number of sectors.
        scale: Population scale factor (results are divided by it where the kind says so).
    """

    def __init__(self, years: list[int], n_regions: int, n_sectors: int, scale: float) -> None:
        self.years = list(years)
        self.scale = scale
        ny, nk = len(years), len(KPI_NAMES)
        self.idx = {k: i for i, k in enumerate(KPI_NAMES)}
        self.nat = np.zeros((ny, nk))
        self.reg = np.zeros((ny, n_regions, nk))
        self.sec = np.zeros((ny, n_sectors, nk))
        # Numerators/denominators for means and shares, by year.
        self.num = np.zeros((ny, nk))
        self.den = np.zeros((ny, nk))
        self.num_r = np.zeros((ny, n_regions, nk))
        self.den_r = np.zeros((ny, n_regions, nk))
        self.num_s = np.zeros((ny, n_sectors, nk))
        self.den_s = np.zeros((ny, n_sectors, nk))
        self.wsec: np.ndarray | None = None  # weights of events by sector (``weigh``); None: every event counts 1
        self.aw = 1.0

    def weigh(self, wsec: np.ndarray, aw: float) -> None:
        """Weigh events by sector (``wsec``) and actor-level events without a sector (``aw``).

        With threat actors at national count (``national_actors``) a workplace in a risk sector
        stands for one national firm, not ``1/scale`` of them, so its events count ``scale``
        before the division by the scale; an event with no sector (a priority, an action) is an
        actor-level one and counts ``aw``.
        """
        self.wsec, self.aw = np.asarray(wsec, dtype=float), float(aw)

    def add(self, y: int, name: str, region: int = -1, sector: int = -1, value: float = 1.0) -> None:
        """Add ``value`` to flow KPI ``name`` in year index ``y`` (and its region/sector cell)."""
        k = self.idx[name]
        if self.wsec is not None:
            if sector >= 0:
                value = value * self.wsec[sector]
            elif KPI_KIND[name] in SCALED:
                value = value * self.aw
        self.nat[y, k] += value
        if region >= 0:
            self.reg[y, region, k] += value
        if sector >= 0:
            self.sec[y, sector, k] += value

    def add_arrays(self, y: int, name: str, region: np.ndarray, sector: np.ndarray, value: np.ndarray) -> None:
        """Vectorised ``add`` for many events at once."""
        k = self.idx[name]
        if self.wsec is not None:
            value = value * self.wsec[sector]
        self.nat[y, k] += float(np.sum(value))
        np.add.at(self.reg[y, :, k], region, value)
        np.add.at(self.sec[y, :, k], sector, value)

    def ratio(
        self,
        y: int,
        name: str,
        num: float,
        den: float,
        num_r: np.ndarray | None = None,
        den_r: np.ndarray | None = None,
        num_s: np.ndarray | None = None,
        den_s: np.ndarray | None = None,
    ) -> None:
        """Accumulate numerator and denominator of a share/mean/level KPI."""
        k = self.idx[name]
        self.num[y, k] += num
        self.den[y, k] += den
        if num_r is not None:
            self.num_r[y, :, k] += num_r
            self.den_r[y, :, k] += den_r
        if num_s is not None:
            self.num_s[y, :, k] += num_s
            self.den_s[y, :, k] += den_s

    def set_stock(self, y: int, name: str, value: float, by_r: np.ndarray | None = None, by_s: np.ndarray | None = None) -> None:
        """Set a year-end stock KPI (national and optional breakdowns)."""
        k = self.idx[name]
        self.nat[y, k] = value
        if by_r is not None:
            self.reg[y, :, k] = by_r
        if by_s is not None:
            self.sec[y, :, k] = by_s

    def _finish(self, flows: np.ndarray, num: np.ndarray, den: np.ndarray) -> np.ndarray:
        out = flows.copy()
        ratio_kpis = [k for k in KPI_NAMES if KPI_KIND[k] in ("share", "mean", "level")]
        for name in ratio_kpis:  # no observation in a year (or cell) -> NaN, never 0
            k = self.idx[name]
            with np.errstate(invalid="ignore", divide="ignore"):
                out[..., k] = np.where(den[..., k] > 0, num[..., k] / den[..., k], np.nan)
        for name in KPI_NAMES:
            if KPI_KIND[name] in SCALED:
                out[..., self.idx[name]] /= self.scale
        return out

    def annual(self):
        """National annual table: one row per year, every KPI a column."""
        import pandas as pd

        vals = self._finish(self.nat, self.num, self.den)
        df = pd.DataFrame(vals, columns=list(KPI_NAMES))
        df.insert(0, "year", self.years)
        return df

    def _long(self, flows, num, den, names: tuple[str, ...], label: str, allowed: str):
        import pandas as pd

        vals = self._finish(flows, num, den)
        ny, ng, _ = vals.shape
        cols = [k for k in KPI_NAMES if allowed in KPI_BREAKDOWN[k]]
        data = {"year": np.repeat(self.years, ng), label: np.tile(np.array(names, dtype=object), ny)}
        data.update({k: vals[:, :, self.idx[k]].ravel() for k in cols})
        return pd.DataFrame(data)  # built at once: a column inserted at a time cost 13 ms a run

    def by_region(self, regions: tuple[str, ...]):
        """Per-region annual table (KPIs with a regional breakdown)."""
        return self._long(self.reg, self.num_r, self.den_r, regions, "region", "r")

    def by_sector(self, sectors: tuple[str, ...]):
        """Per-sector annual table (KPIs with a sector breakdown)."""
        return self._long(self.sec, self.num_s, self.den_s, sectors, "sector", "s")


# ---------------------------------------------------------------------------- observation
def undeclared_share(pop, tables) -> float:
    """Share of employees in the risk sectors who work (wholly or partly) undeclared (SPEC 5).

    The one definition of ``undeclared_work_share``: undeclared workers over employed workers,
    both counted in the risk sectors of ``sectors.csv`` (``risk_sector``); a suspended workplace
    employs nobody while suspended. ``undeclared_cells`` gives the counts per cell (for the
    regional and sectoral tables).
    """
    und, emp = undeclared_cells(pop, tables)
    return float(np.float64(und.sum()) / max(np.float64(emp.sum()), 1.0))


def undeclared_cells(pop, tables, risk_only: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``undeclared_share``'s undeclared and employed workers per cell: int64 grids, sectors x regions.

    ``risk_only=False`` counts every sector (for the by-sector table). Integer sums
    (``Population.cell_sums``) are exact, so any total of them as a float is the float sum of
    the per-workplace counts (exact below 2**53) whatever the order of summation: the numbers
    are those of the earlier per-workplace ``np.where`` and ``np.bincount`` formulation.
    """
    ns, nr = len(tables.sectors), len(tables.regions)
    und = pop.cell_sums(pop.n_und).reshape(ns, nr)
    emp = pop.cell_sums(np.where(pop.status == 0, pop.size, 0)).reshape(ns, nr)
    if risk_only:
        risk = tables.risk_sector.astype(bool)[:, None]
        und, emp = und * risk, emp * risk
    return und, emp


class Observer:
    """Records the model's state into ``Metrics``: monthly levels, crime cost and year-end stocks.

    Args:
        model: The model observed (read only: the observer changes no model state but the
            actors' capacity-at-year-start memory it needs for ``ta_capacity_reduced_share``).
    """

    def __init__(self, model) -> None:
        self.m = model
        self.t_last_cost = 0.0

    def month(self, y: int) -> None:
        """Observe the month just ended (year index ``y``): undeclared work, exploited, employed."""
        m = self.m
        pop, mt, tb = m.pop, m.metrics, m.tables
        nr, ns = len(tb.regions), len(tb.sectors)
        # Every quantity is a count: exact integer sums per sector x region cell, then per region
        # and per sector - the same float64 numbers as ``np.bincount``'s sums (exact for
        # integers), at a fraction of their cost (``Population.cell_sums``).
        und, emp = undeclared_cells(pop, tb)  # risk sectors: by region
        wcol = m.wsec[:, None] if m.national_actors else None  # national firms per block, by sector
        if wcol is not None:
            und, emp = und * wcol, emp * wcol
        und_r, emp_r = und.sum(axis=0).astype(float), emp.sum(axis=0).astype(float)
        und, emp = undeclared_cells(pop, tb, risk_only=False)  # every sector: by sector
        if wcol is not None:
            und, emp = und * wcol, emp * wcol
        und_s, emp_s = und.sum(axis=1).astype(float), emp.sum(axis=1).astype(float)
        mt.ratio(y, "undeclared_work_share", und_r.sum(), emp_r.sum(), und_r, emp_r, und_s, emp_s)
        ones_r, ones_s = np.ones(nr), np.ones(ns)
        expl = pop.cell_sums(pop.n_expl).reshape(ns, nr)
        ta = pop.cell_sums(np.where(pop.owner >= 0, pop.n_expl, 0)).reshape(ns, nr)
        if wcol is not None:
            expl, ta = expl * wcol, ta * wcol
        for name, g in (("exploited_workers", expl), ("exploited_workers_ta", ta), ("workers_employed", emp)):
            by_r, by_s = g.sum(axis=0).astype(float), g.sum(axis=1).astype(float)
            mt.ratio(y, name, by_r.sum(), 1.0, by_r, ones_r, by_s, ones_s)

    def crime_cost(self, y: int) -> None:
        """Accrue the cost of work-related crime since the last accrual to year index ``y``."""
        m = self.m
        pop, fw, ww, cw = m.pop, m.cfg.world.firms, m.cfg.world.workers, m.cfg.world.costs
        days = m.env.now - self.t_last_cost
        self.t_last_cost = m.env.now
        wage = pop.wage
        per_year = (
            pop.n_und * wage * cw.undeclared_wage_share * fw.tax_wedge
            + pop.n_under * wage * fw.underpay_gain
            + pop.n_und * ww.p_benefit_while_undeclared * ww.benefit_nok_month * 12.0
            + pop.n_expl * cw.exploitation_harm_nok_year
        )
        cost = per_year * days / 365.25
        if m.national_actors:
            cost = cost * m.wblk
        mt = m.metrics
        k = mt.idx["crime_cost_nok"]
        mt.nat[y, k] += cost.sum()
        # Most workplaces cost nothing: a bin's sum skips its zeros exactly (x + 0.0 == x), so the
        # bincounts run over the others only, in the same order (the same sums, bit for bit).
        nz = np.flatnonzero(cost != 0)
        cnz = cost[nz]
        mt.reg[y, :, k] += np.bincount(pop.region[nz], weights=cnz, minlength=len(m.tables.regions))
        mt.sec[y, :, k] += np.bincount(pop.sector[nz], weights=cnz, minlength=len(m.tables.sectors))

    def year_end(self, y: int) -> None:
        """Year-end stocks and shares for year index ``y``."""
        if y < 0:
            return
        m = self.m
        pop, mt, t, tb = m.pop, m.metrics, m.ta, m.tables
        nr, ns = len(tb.regions), len(tb.sectors)
        act = t.active_mask()
        home = t.home_region[: t.n]
        focus = t.focus_sector[: t.n]
        aw = m.aw  # actors at national count: each stands for one national actor, not 1/scale
        mt.set_stock(y, "active_threat_actors", int(act.sum()) * aw, by_r=np.bincount(home[act], minlength=nr) * aw, by_s=np.bincount(focus[act], minlength=ns) * aw)
        cen = act & t.central[: t.n]
        mt.set_stock(y, "central_threat_actors", int(cen.sum()) * aw, by_r=np.bincount(home[cen], minlength=nr) * aw, by_s=np.bincount(focus[cen], minlength=ns) * aw)
        cap = np.maximum(t.capacity[: t.n][act], 0.0)
        mt.set_stock(y, "ta_capacity_total", cap.sum() * aw, by_r=np.bincount(home[act], weights=cap, minlength=nr) * aw)
        den = float(cen.sum())  # no central actor -> the shares are NaN for the year
        for name, mask in (
            ("ta_capacity_reduced_share", t.capacity[: t.n] < t.capacity_year_start[: t.n]),
            ("ta_linked_to_inspected_share", t.nli_linked[: t.n]),
            ("ta_previously_reported_share", t.record_at_id[: t.n]),
            ("ta_bankruptcy_role_share", t.bankrupt_role[: t.n]),
        ):
            mt.ratio(y, name, float((mask & cen).sum()), den)
        owned = pop.owner >= 0
        mt.ratio(y, "companies_per_ta", float(owned.sum()), float(act.sum()))
        active_firms = pop.status == 0
        wa = m.wblk[active_firms] if m.national_actors else None  # national firms per workplace
        mt.set_stock(
            y,
            "employers_active",
            float(active_firms.sum()) if wa is None else float(wa.sum()),
            by_r=np.bincount(pop.region[active_firms], weights=wa, minlength=nr),
            by_s=np.bincount(pop.sector[active_firms], weights=wa, minlength=ns),
        )
        opp = pop.ftype == 1
        ph = pop.p_hat[opp]
        if m.national_actors:
            mt.ratio(y, "perceived_detection_mean", float(np.dot(ph, m.wblk[opp])), float(m.wblk[opp].sum()))
        else:
            mt.ratio(y, "perceived_detection_mean", float(ph.sum()), float(opp.sum()))
        t.capacity_year_start[: t.n] = t.capacity[: t.n]
