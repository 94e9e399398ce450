"""Threat actors (trusselaktører), SPEC 2.5 and 4.2: few and rich, so Mesa agents.

A ``ThreatActor`` is a ``mesa.Agent``. Its numeric state (capacity, intent, camouflage, status)
lives in the model's ``ActorTable`` arrays so that weekly hazards are drawn for all actors in one
call; the agent object carries the rest (its companies, record, what happened to it) and reads
and writes its row of the table through properties.

Lifecycle (weekly unless stated): new actors arrive; actors register companies (one actor,
several companies, several sectors); companies go through planned bankruptcies with a phoenix
successor that takes the workers; monthly, illicit profit grows capacity and upkeep shrinks it,
intent rises with impunity, and actors whose perceived risk in their sector/region is well above
the alternatives move there (displacement). Conviction incapacitates for a sentence and may bring
a business ban; released actors may return; actors may desist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.units import WEEK_YEARS

if TYPE_CHECKING:
    from sim.model import AkrimModel

ACTIVE, INCARCERATED, DESISTED = 0, 1, 2
STATUS_NAMES = ("active", "incarcerated", "desisted")


class ActorTable:
    """Struct-of-arrays for the actors' numeric state (grows by doubling)."""

    FIELDS = {
        "capacity": np.float64,
        "capacity_year_start": np.float64,
        "intent": np.float64,
        "camouflage": np.float64,
        "status": np.int8,
        "ban_until": np.float64,
        "under_investigation": np.int32,
        "record": np.int32,
        "bankrupt_role": np.bool_,
        "nli_linked": np.bool_,
        "n_phoenix": np.int32,
        "t_last_sanction": np.float64,
        "home_region": np.int8,
        "focus_sector": np.int8,
        "focus_region": np.int8,
        "n_firms": np.int32,
    }

    def __init__(self, n: int = 64) -> None:
        self.n = 0
        for name, dt in self.FIELDS.items():
            setattr(self, name, np.zeros(n, dtype=dt))

    def append(self) -> int:
        """Add a row; return its index (the actor's ``aid``)."""
        if self.n == self.capacity.size:
            for name in self.FIELDS:
                old = getattr(self, name)
                new = np.zeros(old.size * 2, dtype=old.dtype)
                new[: old.size] = old
                setattr(self, name, new)
        self.n += 1
        return self.n - 1

    def active_mask(self) -> np.ndarray:
        """Which actors are active (not incarcerated, not desisted)."""
        return self.status[: self.n] == ACTIVE


def _field(name: str):
    return property(
        lambda self: getattr(self.model.ta, name)[self.aid], lambda self, v: getattr(self.model.ta, name).__setitem__(self.aid, v)
    )


class ThreatActor(mesa.Agent):
    """A threat actor running a network of companies.

    Seed 001: "an individual, a group of individuals or an organisation that has a known
    intention to, and capacity to take over, change or destroy values".

    Args:
        model: The model.
        aid: Row in the model's ActorTable.
    """

    capacity = _field("capacity")
    intent = _field("intent")
    camouflage = _field("camouflage")
    status_code = _field("status")
    ban_until = _field("ban_until")
    under_investigation = _field("under_investigation")
    record = _field("record")

    def __init__(self, model: AkrimModel, aid: int) -> None:
        super().__init__(model)
        self.aid = aid
        self.firms: set[int] = set()  # workplaces (blocks) of the actor's current companies
        self.t_arrived = model.env.now
        self.t_first_prioritised: float | None = None
        self.n_companies_ever = 0

    @property
    def status(self) -> str:
        """``active``, ``under investigation``, ``banned``, ``incarcerated`` or ``desisted``."""
        code = int(self.status_code)
        if code != ACTIVE:
            return STATUS_NAMES[code]
        if self.under_investigation > 0:
            return "under investigation"
        if self.ban_until > self.model.env.now:
            return "banned"
        return "active"

    @property
    def is_active(self) -> bool:
        """Active in the market (including under investigation or banned)."""
        return int(self.status_code) == ACTIVE


# ---------------------------------------------------------------------------- lifecycle
def spawn_actor(m: AkrimModel, rng: np.random.Generator, initial: bool) -> ThreatActor:
    """Create a new actor with its first companies."""
    w = m.cfg.world.actors
    aid = m.ta.append()
    a = ThreatActor(m, aid)
    m.actor_list.append(a)
    t = m.ta
    t.capacity[aid] = rng.lognormal(np.log(w.capacity_mean_mnok) - 0.32, 0.8)
    t.capacity_year_start[aid] = t.capacity[aid]
    t.intent[aid] = np.clip(rng.normal(w.intent_initial, 0.1), 0.05, 1.0)
    t.camouflage[aid] = np.clip(rng.beta(2, 2) * 2 * w.camouflage_mean, 0, 0.95)
    t.status[aid] = ACTIVE
    t.ban_until[aid] = -1.0
    t.record[aid] = int(rng.random() < w.p_prior_record)
    t.bankrupt_role[aid] = rng.random() < w.p_prior_bankruptcy
    t.t_last_sanction[aid] = -1e9
    # Home region by employment; focus sector among risk sectors weighted by propensity x jobs.
    t.home_region[aid] = t.focus_region[aid] = rng.choice(len(m.tables.regions), p=m.tables.region_share)
    t.focus_sector[aid] = rng.choice(len(m.tables.sectors), p=m.actor_sector_weights)
    n_comp = 1 + rng.poisson(max(w.companies_mean - 1.0, 0.0))
    for k in range(min(n_comp, w.max_companies)):
        sector = (
            t.focus_sector[aid] if k == 0 or rng.random() < w.p_same_sector else rng.choice(len(m.tables.sectors), p=m.actor_sector_weights)
        )
        open_company(m, a, int(sector), int(t.focus_region[aid]), rng, log=not initial)
    if not initial:
        m.log.add(m.env.now, "actor_new", region=int(t.home_region[aid]), actor=aid)
    return a


def open_company(m: AkrimModel, a: ThreatActor, sector: int, region: int, rng: np.random.Generator, log: bool = True) -> int:
    """Register a company for actor ``a``: it takes over a workplace in the given cell."""
    pop = m.pop
    blocks = pop.cell_blocks[sector * len(m.tables.regions) + region]
    for _ in range(12):
        b = int(blocks[rng.integers(blocks.size)])
        if pop.owner[b] < 0 and pop.status[b] == 0:
            break
    else:
        return -1
    fid = pop.new_occupant(b, int(m.env.now), ftype=2, owner=a.aid)
    m.firm_became_criminal(b)
    a.firms.add(b)
    m.ta.n_firms[a.aid] = len(a.firms)
    a.n_companies_ever += 1
    if log:
        m.log.add(m.env.now, "company_opened", region=region, sector=sector, firm=fid, actor=a.aid)
    return b


def release_company(m: AkrimModel, a: ThreatActor, b: int) -> None:
    """The actor loses workplace ``b``: an ordinary entrant takes it over (workers stay)."""
    a.firms.discard(b)
    m.ta.n_firms[a.aid] = len(a.firms)
    m.ordinary_entrant(b)


def phoenix(m: AkrimModel, a: ThreatActor, b: int, rng: np.random.Generator) -> None:
    """Planned bankruptcy of the company in ``b``; a successor owned by the actor takes the workers.

    Logs ``bankruptcy_phoenix`` (firm = the bankrupt firm) and, when a successor is registered,
    ``company_succeeded`` (firm = the successor's id, value = the bankrupt firm's id).
    """
    pop, t = m.pop, m.ta
    old = int(pop.firm_id[b])
    sector, region = int(pop.sector[b]), int(pop.region[b])
    m.crime_loss(b, m.cfg.world.costs.phoenix_loss_nok + float(pop.liab[b]))
    m.metrics.add(m.year_idx, "phoenix_bankruptcies", region, sector)
    t.n_phoenix[a.aid] += 1
    if m.formal_role(old):  # a company run through a front man leaves no role on the actor's record
        t.bankrupt_role[a.aid] = True
    m.log.add(m.env.now, "bankruptcy_phoenix", region=region, sector=sector, firm=old, actor=a.aid)
    banned = t.ban_until[a.aid] > m.env.now
    if banned and rng.random() >= m.cfg.world.actors.p_straw_man:
        release_company(m, a, b)
        return
    fid = pop.new_occupant(b, int(m.env.now), ftype=2, owner=a.aid)
    # The successor's id for whoever draws the network (no random number, no KPI): firm = new, value = old.
    m.log.add(m.env.now, "company_succeeded", region=region, sector=sector, firm=fid, actor=a.aid, value=float(old))
    m.firm_became_criminal(b)
    m.signals.successor_registered(a, b, fid, old)
    # Bankruptcy-abuse measure: a known actor's planned bankruptcy may bring a business ban.
    p_ban = m.policy.sanctions.p_ban_after_phoenix
    if p_ban > 0 and m.centre_knows(a) and rng.random() < p_ban:
        impose_ban(m, a)


def impose_ban(m: AkrimModel, a: ThreatActor) -> None:
    """Business ban: the actor may not register companies until it expires."""
    m.ta.ban_until[a.aid] = m.env.now + m.policy.sanctions.dur_ban
    m.log.add(m.env.now, "business_ban", region=int(m.ta.home_region[a.aid]), actor=a.aid)


def incarcerate(m: AkrimModel, a: ThreatActor, days: float) -> None:
    """Conviction: the actor's companies close and it is out of the market for ``days``."""
    m.ta.status[a.aid] = INCARCERATED
    for b in list(a.firms):
        release_company(m, a, b)
    m.log.add(m.env.now, "actor_incarcerated", region=int(m.ta.home_region[a.aid]), actor=a.aid, value=days)
    m.schedule(days, _release, m, a)


def _release(m: AkrimModel, a: ThreatActor) -> None:
    rng = m.streams.get("actors.release")
    if m.ta.status[a.aid] != INCARCERATED:
        return
    if rng.random() < m.cfg.world.actors.p_return_after_release:
        m.ta.status[a.aid] = ACTIVE
        m.ta.intent[a.aid] = max(m.ta.intent[a.aid], 0.5)
        m.log.add(m.env.now, "actor_released", region=int(m.ta.home_region[a.aid]), actor=a.aid)
    else:
        desist(m, a)


def desist(m: AkrimModel, a: ThreatActor) -> None:
    """The actor leaves work-related crime; its companies pass to ordinary entrants."""
    m.ta.status[a.aid] = DESISTED
    for b in list(a.firms):
        release_company(m, a, b)
    m.log.add(m.env.now, "actor_desisted", region=int(m.ta.home_region[a.aid]), actor=a.aid)


def actors_weekly(m: AkrimModel) -> None:
    """New actors; company registrations; planned bankruptcies; desistance (one draw per purpose)."""
    w = m.cfg.world.actors
    n_new = m.streams.get("actors.arrivals").poisson(w.rate_new_year * m.scale * WEEK_YEARS)
    for _ in range(n_new):
        spawn_actor(m, m.streams.get("actors.spawn"), initial=False)
    t = m.ta
    n = t.n
    act = t.active_mask()
    r = m.streams.get("actors.weekly").random((2, n))
    now = m.env.now
    nfirms = t.n_firms[:n]
    can_open = act & (nfirms < w.max_companies) & (t.capacity[:n] > w.capacity_min_open_mnok)
    banned = t.ban_until[:n] > now
    p_open = w.rate_open_year * WEEK_YEARS * t.intent[:n] * np.sqrt(np.maximum(t.capacity[:n], 0) / max(w.capacity_mean_mnok, 1e-9))
    p_open = np.where(banned, p_open * w.p_straw_man, p_open)
    p_open = np.where(t.under_investigation[:n] > 0, p_open * w.open_under_investigation, p_open)
    for aid in np.flatnonzero(can_open & (r[0] < p_open)):
        a = m.actor_list[aid]
        open_company(m, a, int(t.focus_sector[aid]), int(t.focus_region[aid]), m.streams.get("actors.open"))
    # Planned bankruptcies, per company; hotter companies (inspected, sanctioned) go first.
    owned = np.flatnonzero(m.pop.owner >= 0)
    if owned.size:
        heat = np.minimum(m.pop.heat[owned], 1.0)
        p_ph = w.rate_phoenix_year * WEEK_YEARS * (1.0 + w.phoenix_heat_mult * heat)
        hit = owned[m.streams.get("actors.phoenix").random(owned.size) < p_ph]
        for b in hit:
            a = m.actor_list[m.pop.owner[b]]
            if a.is_active:
                phoenix(m, a, int(b), m.streams.get("actors.phoenix_succ"))
    p_desist = w.rate_desist_year * WEEK_YEARS * (1.0 - t.intent[:n])
    for aid in np.flatnonzero(act & (r[1] < p_desist)):
        desist(m, m.actor_list[aid])


def actors_monthly(m: AkrimModel, months: float) -> None:
    """Profit and upkeep move capacity; impunity raises intent; high perceived risk displaces."""
    w = m.cfg.world.actors
    fw = m.cfg.world.firms
    pop, t = m.pop, m.ta
    n = t.n
    owned = pop.owner >= 0
    working = pop.status == 0  # a suspended company earns nothing
    gain = (pop.u * fw.tax_wedge + pop.w * fw.underpay_gain) * pop.wage_bill() * w.extraction * working
    profit = np.bincount(pop.owner[owned], weights=gain[owned], minlength=n)[:n] / 1e6 * months / 12.0
    nfirms = np.bincount(pop.owner[owned], minlength=n)[:n]
    act = t.active_mask()
    t.capacity[:n] += np.where(act, w.reinvest * profit - w.capacity_cost_mnok_year * nfirms * months / 12.0, 0.0)
    m.pop.heat[owned] *= 1.0 - w.heat_decay_month * months
    quiet = (m.env.now - t.t_last_sanction[:n]) > w.impunity_days
    t.intent[:n] = np.where(act & quiet, t.intent[:n] + w.intent_impunity_rise * months * (1.0 - t.intent[:n]), t.intent[:n])
    # Exhausted actors with no companies give up.
    for aid in np.flatnonzero(act & (t.capacity[:n] <= 0) & (nfirms == 0)):
        desist(m, m.actor_list[aid])
    _displacement(m, act)


def _displacement(m: AkrimModel, act: np.ndarray) -> None:
    """Move an actor's focus to the lowest-risk cell when its current cell is clearly riskier."""
    w = m.cfg.world.actors
    t = m.ta
    nreg = len(m.tables.regions)
    risk = m.cell_risk  # perceived annual control rate per firm, by sector x region cell
    risk_sectors = np.flatnonzero(m.tables.risk_sector)
    rng = m.streams.get("actors.displace")
    for aid in np.flatnonzero(act):
        s, r = int(t.focus_sector[aid]), int(t.focus_region[aid])
        here = risk[s * nreg + r]
        cand_cells = np.concatenate([risk_sectors * nreg + r, s * nreg + np.arange(nreg)])
        best = int(cand_cells[np.argmin(risk[cand_cells])])
        if here - risk[best] > w.displacement_threshold and rng.random() < w.p_displace_month:
            t.focus_sector[aid], t.focus_region[aid] = best // nreg, best % nreg
            m.log.add(m.env.now, "displacement", region=best % nreg, sector=best // nreg, actor=int(aid), value=float(here - risk[best]))
