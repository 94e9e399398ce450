"""Threat actors (trusselaktører), SPEC 2.5 and 4.2: few and rich, so Mesa agents.

A ``ThreatActor`` is a ``mesa.Agent``. Its numeric state (capacity, intent, camouflage, status)
lives in the model's ``ActorTable`` arrays so that weekly hazards are drawn for all actors in one
call; the agent object carries the rest (its companies, record, what happened to it) and reads
and writes its row of the table through properties.

Two kinds of threat actor (issue 11): the *latent* population of criminal operators (every
actor here; ``active_threat_actors``), and the *central* threat actors, the ones a centre has
identified through its knowledge process and works on (``central``; set and cleared by
``sim.centres``; ``central_threat_actors``, and the ``ta_*_share`` columns are among them, as seed
001 computes its shares over the ~100 actors NTAES had identified).

Lifecycle (weekly unless stated):

* **entry and exit** - new actors arrive at ``rate_new_year`` (or the initial stock's steady state)
  times the room the market leaves (``crowding_factor``: fewer active actors draw more newcomers); each active actor leaves at
  ``rate_exit_year`` (outside reasons) plus a desistance hazard that grows as its intent falls;
  conviction incapacitates for a sentence (released actors return with ``p_return_after_release``),
  so the stock settles where entry balances exit, incapacitation and desistance;
* **a portfolio that settles** - an actor aims at a portfolio of ``n_target`` companies (one actor,
  several companies, several sectors); it registers a company at ``rate_open_year`` per missing
  company and winds companies up at ``rate_company_close_year``, so companies per actor settle
  near the target instead of growing to the cap;
* **planned bankruptcies** - each company goes bankrupt at ``rate_phoenix_year`` (higher when
  "hot": inspected or sanctioned); a phoenix successor owned by the actor takes the workers, or,
  when the actor now operates elsewhere, is registered there (``p_successor_moves``);
* **where to operate (displacement)** - monthly, with ``p_refocus_month``, an actor reconsiders
  the sector and region it operates in (``_refocus``): actors spread over the risk-sector cells in
  proportion to each cell's market (employment x sector propensity) x
  ``exp(-displacement_sensitivity x control rate)``, moving between regions more slowly
  (``p_other_region``). Pressure in one cell moves actors to the others in proportion to their
  markets (never all to the single least-controlled cell); choosing another region moves the
  actor's base there. New actors and further companies choose within their region by the same
  weights;
* **capacity and intent** (monthly) - reinvested illicit profit grows capacity, upkeep per company
  and depreciation (``capacity_depreciation_year``) shrink it, so it settles where they balance;
  intent rises with impunity and falls with sanctions felt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.rng import keyed_uniform
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
        "record_at_id": np.bool_,  # had a police record when a centre last identified it
        "bankrupt_role": np.bool_,
        "nli_linked": np.bool_,
        "n_phoenix": np.int32,
        "t_last_sanction": np.float64,
        "home_region": np.int8,
        "focus_sector": np.int8,
        "focus_region": np.int8,
        "n_firms": np.int32,
        "n_target": np.int32,
        "central": np.bool_,
        "t_identified": np.float64,
        "phoenix_at_first_signal": np.int32,
        "hit_since_known": np.bool_,  # an action has found one of its companies at work since an agency first shared a signal about it
        "t_first_signal": np.float64,  # when an agency first shared a signal about the actor  # phoenix bankruptcies run when an agency first shared a signal (-1: none yet)
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


# ---------------------------------------------------------------------------- where to operate
def location_weights(m: AkrimModel, home: int) -> np.ndarray:
    """Choice weights over sector x region cells for an actor based in region ``home``.

    ``market x exp(-sensitivity x perceived control rate) x mobility``: the market of a cell is its
    employment times the sector's propensity to evade (risk sectors only); the control rate is what
    an actor's company there sees a year (``m.actor_cell_risk``); operating outside the home region
    weighs ``p_other_region``.
    """
    w = m.cfg.world.actors
    nreg = len(m.tables.regions)
    mob = np.full(nreg, w.p_other_region)
    mob[home] = 1.0
    risk = np.asarray(m.actor_cell_risk, dtype=float)
    return m.actor_market * np.exp(-w.displacement_sensitivity * risk) * np.tile(mob, len(m.tables.sectors))


def choose_cell(m: AkrimModel, home: int, u: float) -> int:
    """The cell an actor based in ``home`` chooses, by inverse transform of the uniform ``u``."""
    cdf = np.cumsum(location_weights(m, home))
    return int(min(np.searchsorted(cdf, u * cdf[-1], side="right"), cdf.size - 1))


def _sector_in_region(m: AkrimModel, region: int, u: float) -> int:
    """A sector for a further company in ``region``, by the location weights within that region."""
    nreg = len(m.tables.regions)
    wt = location_weights(m, region).reshape(len(m.tables.sectors), nreg)[:, region]
    cdf = np.cumsum(wt)
    return int(min(np.searchsorted(cdf, u * cdf[-1], side="right"), cdf.size - 1))


# ---------------------------------------------------------------------------- lifecycle
def spawn_actor(m: AkrimModel, rng: np.random.Generator, initial: bool) -> ThreatActor:
    """Create a new actor with its first companies."""
    w = m.cfg.world.actors
    aid = m.ta.append()
    a = ThreatActor(m, aid)
    m.actor_list.append(a)
    t = m.ta
    r = rng.random(6)
    sig = w.capacity_log_sd
    from scipy.special import ndtri

    t.capacity[aid] = np.exp(np.log(max(w.capacity_mean_mnok, 1e-9)) - 0.5 * sig**2 + sig * ndtri(np.clip(r[0], 1e-9, 1 - 1e-9)))
    t.capacity_year_start[aid] = t.capacity[aid]
    t.intent[aid] = np.clip(w.intent_initial + w.intent_sd * ndtri(np.clip(r[1], 1e-9, 1 - 1e-9)), 0.05, 1.0)
    t.camouflage[aid] = np.clip(rng.beta(2, 2) * 2 * w.camouflage_mean, 0, 0.95)
    t.status[aid] = ACTIVE
    t.ban_until[aid] = -1.0
    t.record[aid] = int(r[2] < w.p_prior_record)
    t.bankrupt_role[aid] = r[3] < w.p_prior_bankruptcy
    t.t_last_sanction[aid] = -1e9
    t.t_identified[aid] = -1.0
    t.phoenix_at_first_signal[aid] = -1
    t.hit_since_known[aid] = False
    nreg = len(m.tables.regions)
    home = int(min(np.searchsorted(np.cumsum(m.tables.region_share), r[4] * m.tables.region_share.sum(), side="right"), nreg - 1))
    cell = choose_cell(m, home, r[5])
    t.home_region[aid] = cell % nreg
    t.focus_sector[aid], t.focus_region[aid] = cell // nreg, cell % nreg
    n_target = min(1 + rng.poisson(max(w.companies_mean - 1.0, 0.0)), w.max_companies)
    t.n_target[aid] = n_target
    for k in range(n_target):
        sector = t.focus_sector[aid] if k == 0 or rng.random() < w.p_same_sector else _sector_in_region(m, int(t.focus_region[aid]), rng.random())
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
        m.metrics.add(m.year_idx, "companies_opened", region, sector)
    return b


def release_company(m: AkrimModel, a: ThreatActor, b: int) -> None:
    """The actor loses workplace ``b``: an ordinary entrant takes it over (workers stay)."""
    a.firms.discard(b)
    m.ta.n_firms[a.aid] = len(a.firms)
    m.ordinary_entrant(b)


def phoenix(m: AkrimModel, a: ThreatActor, b: int) -> None:
    """Planned bankruptcy of the company in ``b``; a successor owned by the actor takes over.

    The successor takes the same workplace (the workers move with it) unless the actor now
    operates in another cell and the successor is registered there (``p_successor_moves``); the
    old workplace then passes to an ordinary entrant. Logs ``bankruptcy_phoenix`` (firm = the
    bankrupt firm) and, when a successor is registered, ``company_succeeded`` (firm = the
    successor's id, value = the bankrupt firm's id).
    """
    pop, t, w = m.pop, m.ta, m.cfg.world.actors
    old = int(pop.firm_id[b])
    rng = m.streams.entity("actors.phoenix_succ", old)  # the bankruptcy's own draws (keyed by the bankrupt firm)
    sector, region = int(pop.sector[b]), int(pop.region[b])
    m.crime_loss(b, m.cfg.world.costs.phoenix_loss_nok + float(pop.liab[b]))
    m.metrics.add(m.year_idx, "phoenix_bankruptcies", region, sector)
    t.n_phoenix[a.aid] += 1
    if t.phoenix_at_first_signal[a.aid] >= 0 and not t.hit_since_known[a.aid]:
        # A cycle the agencies could have forestalled: they had shared intelligence on the actor,
        # and no action had yet found it at work (SPEC 4.4: slower sharing, more cycles before targeting).
        m.metrics.add(m.year_idx, "phoenix_before_target", region, sector)
    if m.formal_role(old):  # a company run through a front man leaves no role on the actor's record
        t.bankrupt_role[a.aid] = True
    m.log.add(m.env.now, "bankruptcy_phoenix", region=region, sector=sector, firm=old, actor=a.aid)
    r = rng.random(3)
    banned = t.ban_until[a.aid] > m.env.now
    if banned and r[0] >= w.p_straw_man:
        release_company(m, a, b)
        return
    nb = b
    fs, fr = int(t.focus_sector[a.aid]), int(t.focus_region[a.aid])
    if (fs, fr) != (sector, region) and r[1] < w.p_successor_moves:
        release_company(m, a, b)
        nb = open_company(m, a, fs, fr, rng, log=False)
        if nb < 0:
            return
        fid = int(pop.firm_id[nb])
    else:
        fid = pop.new_occupant(b, int(m.env.now), ftype=2, owner=a.aid)
        m.firm_became_criminal(b)
    # The successor's id for whoever draws the network (no random number, no KPI): firm = new, value = old.
    m.log.add(m.env.now, "company_succeeded", region=int(pop.region[nb]), sector=int(pop.sector[nb]), firm=fid, actor=a.aid, value=float(old))
    m.signals.successor_registered(a, nb, fid, old)
    # Bankruptcy-abuse measure: a known actor's planned bankruptcy may bring a business ban.
    p_ban = m.policy.sanctions.p_ban_after_phoenix
    if p_ban > 0 and m.centre_knows(a) and r[2] < p_ban:
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
    rng = m.streams.entity("actors.release", a.aid)
    if m.ta.status[a.aid] != INCARCERATED:
        return
    if rng.random() < m.cfg.world.actors.p_return_after_release:
        m.ta.status[a.aid] = ACTIVE
        m.ta.intent[a.aid] = max(m.ta.intent[a.aid], m.cfg.world.actors.intent_after_release)
        m.log.add(m.env.now, "actor_released", region=int(m.ta.home_region[a.aid]), actor=a.aid)
    else:
        desist(m, a)


def desist(m: AkrimModel, a: ThreatActor) -> None:
    """The actor leaves work-related crime; its companies pass to ordinary entrants."""
    m.ta.status[a.aid] = DESISTED
    for b in list(a.firms):
        release_company(m, a, b)
    m.log.add(m.env.now, "actor_desisted", region=int(m.ta.home_region[a.aid]), actor=a.aid)


def crowding_factor(m: AkrimModel) -> float:
    """How much room the market leaves new actors: ``(n_initial / active actors)^entry_crowding``.

    The replacement effect (ODD §8.5): the demand that draws operators in (cheap, unregistered
    labour) outlasts any one of them, so a market with fewer active actors than its usual
    ``n_initial`` draws more newcomers, and a crowded one fewer. With ``entry_crowding`` 0 the entry
    is fixed. Counted among the active actors of this run (scaled), at least one.
    """
    w = m.cfg.world.actors
    if w.entry_crowding == 0.0 or w.n_initial <= 0:
        return 1.0
    n_act = max(int(np.count_nonzero(m.ta.active_mask())), 1)
    return float((w.n_initial * m.act_s / n_act) ** w.entry_crowding)


def entry_rate_year(w, crowding: float = 1.0) -> float:
    """New actors a year nationally: ``rate_new_year``, or, when it is null, the initial stock's steady state; times ``crowding``.

    The steady state replaces the actors expected to leave in a year: ``n_initial x (rate_exit_year
    + rate_desist_year x (1 - intent_initial) + rate_incapacitation_year)``. Without it an initial
    stock above (below) ``rate_new_year`` / hazard drained (grew) for a decade whatever the
    enforcement (issue 11: -20% from 2019-21 to 2028-30 on the calibrated world). ``crowding``
    (``crowding_factor``) scales it by how much room the market leaves: the exits a run actually
    has (intent settling above ``intent_initial``, incapacitation as enforced) differ from those
    assumed, and the crowding brings the stock back towards the market's size instead of letting
    it drift.
    """
    if w.rate_new_year is not None:
        return float(w.rate_new_year) * crowding
    return float(w.n_initial) * (w.rate_exit_year + w.rate_desist_year * (1.0 - w.intent_initial) + w.rate_incapacitation_year) * crowding


def actors_weekly(m: AkrimModel) -> None:
    """New actors; registrations and wind-ups; planned bankruptcies; exit and desistance."""
    w = m.cfg.world.actors
    n_new = m.streams.get("actors.arrivals").poisson(entry_rate_year(w, crowding_factor(m)) * m.act_s * WEEK_YEARS)
    for _ in range(n_new):  # each new actor's draws are its own (keyed by its id): CRN across scenarios
        spawn_actor(m, m.streams.entity("actors.spawn", m.ta.n), initial=False)
    t = m.ta
    n = t.n
    act = t.active_mask()
    r = m.streams.get("actors.weekly").random((2, n))
    now = m.env.now
    nfirms = t.n_firms[:n]
    gap = np.maximum(t.n_target[:n] - nfirms, 0)
    can_open = act & (gap > 0) & (nfirms < w.max_companies) & (t.capacity[:n] > w.capacity_min_open_mnok)
    banned = t.ban_until[:n] > now
    p_open = 1.0 - np.exp(-w.rate_open_year * WEEK_YEARS * gap * t.intent[:n])
    p_open = np.where(banned, p_open * w.p_straw_man, p_open)
    p_open = np.where(t.under_investigation[:n] > 0, p_open * w.open_under_investigation, p_open)
    for aid in np.flatnonzero(can_open & (r[0] < p_open)):
        a = m.actor_list[aid]
        rng_open = m.streams.entity("actors.open", int(aid))
        fr = int(t.focus_region[aid])
        sector = int(t.focus_sector[aid]) if rng_open.random() < w.p_same_sector else _sector_in_region(m, fr, rng_open.random())
        open_company(m, a, sector, fr, rng_open)
    # Planned bankruptcies and wind-ups, per company; hotter companies (inspected, sanctioned) go first.
    owned = np.flatnonzero(m.pop.owner >= 0)
    if owned.size:
        heat = np.minimum(m.pop.heat[owned], 1.0)
        p_ph = w.rate_phoenix_year * WEEK_YEARS * (1.0 + w.phoenix_heat_mult * heat)
        # Keyed by (workplace, week): which other companies an actor owns changes no company's draw.
        u = keyed_uniform(m.phoenix_key, ((owned.astype(np.uint64)[None, :] * 2 + np.arange(2, dtype=np.uint64)[:, None]) << 16) + m.week)
        for b in owned[u[0] < p_ph]:
            a = m.actor_list[m.pop.owner[b]]
            if a.is_active and m.pop.owner[b] == a.aid:
                phoenix(m, a, int(b))
        for b in owned[(u[1] < w.rate_company_close_year * WEEK_YEARS) & (u[0] >= p_ph)]:
            aid = int(m.pop.owner[b])
            if aid >= 0 and m.actor_list[aid].is_active and m.pop.status[b] == 0:
                release_company(m, m.actor_list[aid], int(b))
                m.log.add(now, "company_wound_up", region=int(m.pop.region[b]), sector=int(m.pop.sector[b]), actor=aid)
    p_leave = 1.0 - np.exp(-WEEK_YEARS * (w.rate_exit_year + w.rate_desist_year * (1.0 - t.intent[:n])))
    for aid in np.flatnonzero(act & (r[1] < p_leave)):
        desist(m, m.actor_list[aid])


def actors_monthly(m: AkrimModel, months: float) -> None:
    """Profit and upkeep move capacity; impunity raises intent; actors reconsider where to operate."""
    w = m.cfg.world.actors
    fw = m.cfg.world.firms
    pop, t = m.pop, m.ta
    n = t.n
    owned = pop.owner >= 0
    working = pop.status == 0  # a suspended company earns nothing
    share = m.cfg.world.costs.undeclared_wage_share
    gain = (pop.u * share * fw.tax_wedge + pop.w * fw.underpay_gain) * pop.wage_bill() * w.extraction * working
    profit = np.bincount(pop.owner[owned], weights=gain[owned], minlength=n)[:n] / 1e6 * months / 12.0
    nfirms = np.bincount(pop.owner[owned], minlength=n)[:n]
    act = t.active_mask()
    # Reinvested profit adds, upkeep and depreciation take away: capacity settles near reinvested
    # profit / depreciation instead of draining or growing by construction (generation 4).
    spent = w.capacity_depreciation_year * np.maximum(t.capacity[:n], 0.0) * months / 12.0
    t.capacity[:n] += np.where(act, w.reinvest * profit - w.capacity_cost_mnok_year * nfirms * months / 12.0 - spent, 0.0)
    m.pop.heat[owned] *= 1.0 - w.heat_decay_month * months
    quiet = (m.env.now - t.t_last_sanction[:n]) > w.impunity_days
    t.intent[:n] = np.where(act & quiet, t.intent[:n] + w.intent_impunity_rise * months * (1.0 - t.intent[:n]), t.intent[:n])
    # Exhausted actors with no companies give up.
    for aid in np.flatnonzero(act & (t.capacity[:n] <= 0) & (nfirms == 0)):
        desist(m, m.actor_list[aid])
    _refocus(m, t.active_mask())


def _refocus(m: AkrimModel, act: np.ndarray) -> None:
    """Some actors reconsider where they operate (displacement); the base follows the region.

    A reconsidering actor looks at a cell drawn in proportion to the markets and moves there with
    probability ``min(1, exp(-sensitivity x (risk there - risk here)))``, times ``p_other_region``
    when the cell is in another region (a mobility cost that slows moves both ways). This is an
    independence Metropolis chain: actors spread over cells in proportion to ``market x
    exp(-sensitivity x risk)``, so pressure in one cell moves actors to all the others by their
    markets, and no region fills up with actors because it is large or because it is the least
    controlled.
    """
    w = m.cfg.world.actors
    t = m.ta
    nreg = len(m.tables.regions)
    u = m.streams.get("actors.displace").random((3, t.n))
    movers = np.flatnonzero(act & (u[0] < w.p_refocus_month))
    if movers.size == 0:
        return
    cdf = np.cumsum(m.actor_market)
    cand = np.minimum(np.searchsorted(cdf, u[1, movers] * cdf[-1], side="right"), cdf.size - 1)
    here = t.focus_sector[movers].astype(np.int64) * nreg + t.focus_region[movers]
    risk = np.asarray(m.actor_cell_risk, dtype=float)
    p_acc = np.minimum(1.0, np.exp(-w.displacement_sensitivity * (risk[cand] - risk[here])))
    p_acc = np.where(cand % nreg != here % nreg, p_acc * w.p_other_region, p_acc)
    for aid, cell, old in zip(movers[(u[2, movers] < p_acc) & (cand != here)], cand[(u[2, movers] < p_acc) & (cand != here)], here[(u[2, movers] < p_acc) & (cand != here)]):
        s, r = int(cell) // nreg, int(cell) % nreg
        t.focus_sector[aid], t.focus_region[aid] = s, r
        t.home_region[aid] = r
        m.metrics.add(m.year_idx, "actor_moves", r, s)
        m.log.add(m.env.now, "displacement", region=r, sector=s, actor=int(aid), value=float(int(old) % nreg))
