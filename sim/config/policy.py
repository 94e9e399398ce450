"""Policy levers: what ministries and agencies choose (SPEC 4.7).

A scenario file in ``scenarios/policy/`` overrides these and nothing else. Levers that change
during a run are written as ``interventions``: dated ``set``/``multiply`` operations on lever
keys, applied by the policy calendar (SPEC 3, step 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.config.fields import date_field, nonneg, param, prob, sub

REGIONS = ("oslo", "bergen", "stavanger", "kristiansand", "trondheim", "tonsberg", "bodo", "alta")
AGENCY_LINKS = (
    "nli_to_centre",
    "tax_to_centre",
    "nav_to_centre",
    "police_to_centre",
    "tax_to_nli",
    "nav_to_nli",
    "police_to_nli",
)
NLI_LINKS = ("tax_to_nli", "nav_to_nli", "police_to_nli")  # the only links where there is no centre


@dataclass
class NliPolicy:
    """Ordinary NLI inspections (SPEC 2.6, 4.5)."""

    n_inspectors: float = param(215.0, 0.0, 100_000.0, "seed 002: ~15,000 inspections a year at ~70 per inspector")
    inspections_per_inspector: float = nonneg(70.0, "seed 002")
    w_random: float = nonneg(0.2, doc="share of ordinary inspections chosen at random")
    w_risk_based: float = nonneg(0.7, doc="share chosen by sector risk priority")
    w_intelligence_led: float = nonneg(0.1, doc="share chosen from signals about firms and actors")
    size_exponent: float = param(1.0, 0.0, 2.0, doc="risk-based targeting weight grows with firm size to this power")
    sector_weights: dict[str, float] = field(
        default_factory=dict,
        metadata={
            "src": "seed 003 measure 11 (broad follow-up of industries with improper practices); lever",
            "doc": "multiplier on the risk-based targeting weight of a sector (sector name -> factor; absent = 1): a sector-focused campaign",
        },
    )
    region_weights: dict[str, float] = field(
        default_factory=dict,
        metadata={"src": "lever", "doc": "multiplier on the risk-based targeting weight of a region (region name -> factor; absent = 1)"},
    )


@dataclass
class CentrePolicy:
    """One a-krim centre (SPEC 2.6). ``open: null`` means the centre never opens.

    Capacity follows from staff: the analysis team does ``analysts x analyses_per_analyst_year``
    actor analyses a year; the operations staff (``inspection_teams x staff_per_team``) carry out
    ``actions_per_staff_year`` joint actions per person a year, each controlling several
    businesses (``CentresPolicy.firms_per_action``). Defaults are sized by the region: the Oslo
    centre had 35 staff in 2018 (public_figures.md), the others in proportion to employment with
    at least two staff from each agency (assumption).
    """

    open: str | None = date_field(None, "SPEC 2.1 table / sim/data/regions.csv")
    staff_per_agency: float = param(2.0, 0.0, 1_000.0, "public_figures.md: Oslo centre 35 staff (2018); others by employment (assumption)", "staff from each of the four agencies")
    analysts: float = param(2.0, 0.0, 1_000.0, "seed 000: every centre has an analysis team (size assumption)", "analysts in the centre's analysis team (part of the staff)")
    analyses_per_analyst_year: float = nonneg(
        6.0, "assumption (seed 002, TA10: an analysis collates registers, open sources and partners' data into a report)", "threat-actor analyses one analyst completes a year"
    )
    dur_analysis: float = nonneg(30.0, doc="days one analysis takes once started")
    inspection_teams: float = param(3.0, 0.0, 1_000.0, "seed 000: every centre has an inspection team (size from staff, assumption)", "joint inspection teams (part of the staff)")
    staff_per_team: float = nonneg(2.0, "seed 000: inspections by at least two agencies", "staff in one joint inspection team")
    actions_per_staff_year: float = nonneg(
        1.3,
        "public_figures.md: 85 joint actions in 2017 by about 66 operations staff of seven centres (assumption: proportional to staff)",
        "joint actions a year per member of the operations staff",
    )
    priorities_per_meeting: float = param(2.0, 0.0, 50.0, doc="actors a leader group can newly prioritise at one meeting (1:1)")


def _default_centres() -> dict[str, CentrePolicy]:
    opens = {  # SPEC 2.1 (KPMG 2022 as reported; Alta: seed 003, measure 31)
        "oslo": "2014-01-01",
        "bergen": "2014-01-01",
        "stavanger": "2014-01-01",
        "kristiansand": "2015-01-01",
        "trondheim": "2015-01-01",
        "tonsberg": "2017-01-01",
        "bodo": "2017-01-01",
        "alta": "2022-09-01",
    }
    # Staff: Oslo 35 in 2018 (public_figures.md, elmagasinet.no 2019); the others 35 x their
    # employment share / Oslo's, at least 8 (two from each agency): assumption. About a quarter of
    # the staff analyse (assumption); the rest work in two-person joint teams (seed 000), which
    # gives ~67 operations staff in the seven centres of 2017 (85 actions at 1.3 a head).
    staff = {"oslo": 35.0, "bergen": 10.0, "stavanger": 8.0, "kristiansand": 8.0, "trondheim": 12.0, "tonsberg": 8.0, "bodo": 8.0, "alta": 8.0}
    out = {}
    for r, d in opens.items():
        analysts = max(2.0, round(staff[r] / 4.0))
        teams = max(1.0, (staff[r] - analysts) / 2.0)
        out[r] = CentrePolicy(open=d, staff_per_agency=staff[r] / 4.0, analysts=analysts, inspection_teams=teams)
    return out


@dataclass
class CentresPolicy:
    """The centres and their shared rhythm."""

    dur_meeting_interval: float = param(14.0, 1.0, 365.0, "seed 000: leader-group meetings twice a month")
    dur_follow_up: float = nonneg(
        180.0,
        "seed 002 (TA10: feedback informs later analyses); length assumption",
        "days a prioritised actor's file stays in follow-up before it collects evidence again",
    )
    dur_action_window: float = nonneg(
        90.0,
        "seed 002 (TA10: measures are planned on the current intelligence picture); length assumption",
        "days a priority stays valid without an action; then it lapses and the actor is weighed again at the next meeting",
    )
    firms_per_action: float = nonneg(
        25.0, "public_figures.md: ~2,100 businesses controlled in 85 joint actions (2017)", "businesses one joint action controls"
    )
    persons_per_firm: float = nonneg(
        3.0,
        "public_figures.md: ~5,700 persons in ~1,500 businesses (2015), ~6,400 in ~3,200 (2016)",
        "workers checked (identity, employment, right to work) per business controlled in a joint action",
    )
    files_per_analyst: float | None = param(
        None,
        0.0,
        1_000.0,
        "seed 001 note viii: NTAES's 2020 picture had 102 actors identified (80 + 22) with about two dozen analysts in the centres (assumption)",
        "threat actors a centre can work on at once per analyst (a cap on the central actors' portfolio); null (the default "
        "from generation 7): no cap, the portfolio is bounded by the analysts' throughput and dur_work (issue 11: a capped "
        "portfolio does not scale)",
        nullable=True,
    )
    dur_file_dormant: float = nonneg(
        730.0, doc="days without new evidence after which a centre closes an actor's file (the actor stops being a central threat actor)"
    )
    dur_work: float | None = param(
        180.0,
        1.0,
        36_500.0,
        "assumption (issue 11: a portfolio bounded by time, not by places, is linear in the population and so scales)",
        "days a centre keeps working on an identified actor it has not prioritised since its identification or its last "
        "prioritisation; then its file is closed and the actor stops being central there. null: no limit, the portfolio is "
        "bounded by files_per_analyst alone (model generation 6 had null with files_per_analyst 4)",
        nullable=True,
    )
    p_case_on_priority: float = prob(
        0.4,
        "seed 002, TA10 (the control group plans measures across agencies); probability assumption",
        "chance the police open a case on each known company of a newly prioritised actor (no field action needed)",
    )
    p_audit_on_priority: float = prob(
        0.4, "seed 002, TA10; probability assumption", "chance Tax audits each known company of a newly prioritised actor"
    )
    sector_priority: dict[str, float] = field(
        default_factory=dict,
        metadata={
            "src": "seed 002 (NTAES assessments inform the leader groups); lever",
            "doc": "multiplier on the leader groups' priority score of actors whose focus is this sector (sector -> factor; absent = 1)",
        },
    )
    by_region: dict[str, CentrePolicy] = field(default_factory=_default_centres)


@dataclass
class Link:
    """Sharing one agency's signals with a partner: delay and the chance it is shared at all."""

    latency_days: float = nonneg(30.0, doc="mean days from an agency's signal to its arrival at the partner")
    completeness: float = prob(0.8, doc="chance a signal is shared at all")


def _links(lat: dict[str, float], comp: dict[str, float]) -> dict[str, Link]:
    return {k: Link(latency_days=lat[k], completeness=comp[k]) for k in AGENCY_LINKS}


def _before_regulation() -> dict[str, Link]:  # seed 002: before June 2022 sharing slow and partial
    lat = {
        "nli_to_centre": 30,
        "tax_to_centre": 120,
        "nav_to_centre": 120,
        "police_to_centre": 90,
        "tax_to_nli": 180,
        "nav_to_nli": 180,
        "police_to_nli": 120,
    }
    comp = {
        "nli_to_centre": 0.8,
        "tax_to_centre": 0.45,
        "nav_to_centre": 0.4,
        "police_to_centre": 0.5,
        "tax_to_nli": 0.25,
        "nav_to_nli": 0.2,
        "police_to_nli": 0.3,
    }
    return _links(lat, comp)


def _after_regulation() -> dict[str, Link]:  # seed 002/003 m.31: regulation of June 2022
    lat = {
        "nli_to_centre": 14,
        "tax_to_centre": 30,
        "nav_to_centre": 30,
        "police_to_centre": 30,
        "tax_to_nli": 45,
        "nav_to_nli": 45,
        "police_to_nli": 45,
    }
    comp = {
        "nli_to_centre": 0.9,
        "tax_to_centre": 0.8,
        "nav_to_centre": 0.75,
        "police_to_centre": 0.8,
        "tax_to_nli": 0.6,
        "nav_to_nli": 0.5,
        "police_to_nli": 0.6,
    }
    return _links(lat, comp)


def _no_centre() -> dict[str, Link]:
    """Agencies working separately in a region without a centre: only agency-to-NLI links exist."""
    lat = {"tax_to_nli": 240, "nav_to_nli": 240, "police_to_nli": 180}
    comp = {"tax_to_nli": 0.15, "nav_to_nli": 0.1, "police_to_nli": 0.2}
    return {k: Link(latency_days=lat[k], completeness=comp[k]) for k in NLI_LINKS}


@dataclass
class SharingPolicy:
    """Information sharing per agency pair and legal regime (SPEC 4.4)."""

    regulation: str | None = date_field("2022-06-01", "seed 002; seed 003 measure 31")
    latency_multiplier: float = param(1.0, 0.0, 50.0, doc="multiplies every link's latency (a single lever for 'faster/slower sharing')")
    before: dict[str, Link] = field(default_factory=_before_regulation)
    after: dict[str, Link] = field(default_factory=_after_regulation)
    no_centre: dict[str, Link] = field(default_factory=_no_centre)
    posted_register_direct_nli: bool = False  # seed 002: NLI reaches the register only through Tax
    posted_register_latency_days: float = nonneg(90.0, doc="days for register data to reach NLI via Tax")
    rate_posted_register_checks_year: float = nonneg(400.0, doc="register look-ups on posting firms per year (1:1)")
    cross_border_from: str | None = date_field("2017-05-30", "seed 004: Norway-Lithuania agreement of 30 May 2017")
    cross_border_exchanges_year: float = nonneg(5.0, "seed 004: 10 exchanges in 2017-18")
    cross_border_latency_days: float = nonneg(60.0, "seed 004 (IMI); latency assumption")
    cross_border_joint_inspections_year: float = nonneg(2.0, "seed 004: 4 joint inspections in 2017-18")


@dataclass
class CentreSanctions:
    """The sanction mix of the centres' joint actions: the agencies act together on site.

    Stop orders are the centres' main tool (public_figures.md: 352 stop orders against 94 coercive
    fines in 2016, 518 against 172 in 2017, in the centres' efforts); Tax and NAV are present, so
    reassessments and benefit changes follow directly.
    """

    p_suspension: float = prob(
        0.6,
        "public_figures.md: stop orders 352 / 518 in 2016 / 2017 (probability assumption, fitted)",
        "stop order given workers found working undeclared or without the right to work",
    )
    p_order: float = prob(0.9, doc="order to rectify, given any violation found in a joint action")
    p_coercive_fine: float = prob(
        0.3, "public_figures.md: coercive fines 94 / 172 in 2016 / 2017", "daily coercive fine, given an order not complied with"
    )
    p_fine: float = prob(0.06, doc="administrative fine given a pay or undeclared-work violation")
    p_report: float = prob(0.7, doc="police report given a pay or undeclared-work violation in a prioritised actor's company")
    p_report_other: float = prob(0.05, doc="police report given such a violation in another business controlled in the action")
    p_tax_reassess: float = prob(0.6, doc="tax reassessment given undeclared work found (Tax present)")
    p_benefit_change: float = prob(
        0.9, "public_figures.md: NAV changed or stopped 82 benefits in the centres' efforts (2017)", "NAV changes or stops the benefit of a checked person found working undeclared while on benefits"
    )
    p_seizure: float = prob(0.25, doc="asset seizure in a joint action against a prioritised actor")
    seizure_share: float = prob(0.3, doc="share of the actor's capacity seized")


@dataclass
class SanctionsPolicy:
    """The sanction mix (SPEC 4.6): probability of use given a finding, sizes and delays.

    The top-level probabilities are those of the NLI's ordinary inspections; ``centre`` holds the
    joint actions' mix; Tax and NAV's own audits sanction through ``policy.tax`` / ``policy.nav``.
    """

    p_order: float = prob(0.85, doc="order to rectify, given any violation")
    dur_order_delay: float = nonneg(42.0, doc="days until an order's measures are in place")
    p_fine: float = prob(0.06, "seed 002: NOK 19M fines in 2024 (probability assumption)", "fine given a pay/undeclared violation")
    nok_fine_mean: float = nonneg(150_000.0, doc="mean administrative fine, NOK")
    fine_log_sd: float = param(0.6, 0.0, 3.0, doc="log-sd of the lognormal fine size (its mean stays nok_fine_mean)")
    p_coercive_fine: float = prob(0.1, doc="daily coercive fine, given an order that is not complied with")
    nok_coercive_fine: float = nonneg(40_000.0, doc="mean total of a coercive fine")
    p_suspension: float = prob(0.04, doc="stop order given a serious violation (undeclared work found)")
    dur_suspension: float = nonneg(30.0, doc="days a stop order lasts")
    publish_suspensions: bool = False  # seed 003, measure 22 (pilot)
    p_withdraw_approval: float = prob(
        0.5, "seed 003, measure 23", "withdrawal of approval given a serious violation in an approval-scheme sector"
    )
    p_tax_reassess_nli: float = prob(0.1, doc="tax reassessment after an ordinary NLI finding of undeclared work (Tax informed)")
    tax_surcharge: float = param(0.4, 0.0, 2.0, doc="surcharge on reassessed tax")
    lookback_years: float = param(2.0, 0.0, 10.0, doc="years of evasion a reassessment recovers")
    p_clawback: float = prob(0.5, doc="NAV claw-back given undeclared workers on benefits are found")
    p_report_nli: float = prob(
        0.05, "seed 002: ~100 NLI police reports in 2024 (probability assumption)", "NLI police report given a serious violation"
    )
    report_actor_mult: float = nonneg(3.0, doc="multiplier on the NLI's police-report chance when the firm is a threat actor's company")
    p_nav_informed_nli: float = prob(0.3, doc="chance NAV follows up an ordinary NLI finding of undeclared work (claw-back)")
    p_ban_on_conviction: float = prob(0.5, doc="business ban imposed with a conviction")
    p_ban_after_phoenix: float = prob(
        0.0,
        "assumption (seed 003 m.10 announces a commission on bankruptcy abuse; bans are a candidate measure)",
        "ban when a planned bankruptcy of a known actor is detected",
    )
    dur_ban: float = nonneg(730.0, doc="days a business ban lasts")
    centre: CentreSanctions = sub(CentreSanctions)


@dataclass
class TaxPolicy:
    """The Tax Administration's own audits of work-related crime, outside the centres' actions."""

    n_audits_year: float = nonneg(
        500.0, "assumption (order of magnitude; seed 001/002 name Tax controls, no count)", "audits of businesses a year on undeclared work (1:1)"
    )
    p_detect: float = prob(0.5, doc="chance an audit establishes undeclared work that the firm has (before camouflage)")
    p_report: float = prob(0.05, doc="police report by Tax given undeclared work established in an actor's company")


@dataclass
class NavPolicy:
    """NAV's own benefit controls outside the centres' actions."""

    n_controls_year: float = nonneg(
        300.0, "assumption (order of magnitude; seed 002: NOK 24M wrongful support identified in 2024)", "controls of benefit recipients' employers a year (1:1)"
    )
    p_detect: float = prob(0.5, doc="chance a control establishes undeclared work by benefit recipients at the employer")


@dataclass
class PolicePolicy:
    """Police and prosecution capacity (SPEC 2.6, 3 step 7)."""

    n_investigators: float = param(80.0, 0.0, 100_000.0, doc="investigators on work-related crime (1:1)")
    cases_per_investigator_year: float = nonneg(6.0, doc="cases one investigator can take on a year")
    case_time_factor: float = param(
        1.0,
        0.05,
        10.0,
        "seed 003, measure 32 (quick and noticeable sanctions)",
        "multiplies investigation and prosecution time (below 1 = faster)",
    )


@dataclass
class CampaignPolicy:
    """Worker awareness campaigns (seed 003, measures 14-15)."""

    know_your_rights_from: str | None = date_field(
        "2015-01-01", "assumption (seed 003 m.14: the campaign exists and 'is to be continued'; start year assumed)"
    )
    reach_year: float = prob(0.10, doc="share of migrant workers reached per year")
    boost: float = prob(0.3, doc="rise in awareness of a reached worker")
    id_check_info_from: str | None = date_field(None, "seed 003, measure 15")
    p_id_check_info: float = prob(0.5, doc="share of new migrant hires informed at the ID check")
    nok_cost_year: float = nonneg(10_000_000.0, doc="cost of the campaign per year while it runs, NOK")


@dataclass
class ConsumerPolicy:
    """Buyer and consumer pressure: approval schemes, Norgesmodellen (seed 003 m.18-23)."""

    approval_cleaning_from: str | None = date_field(
        "2012-09-01", "assumption (date of the scheme as publicly known; seed 003 m.23 names the scheme)"
    )
    approval_car_valeting_from: str | None = date_field("2021-07-01", "assumption (seed 003 m.23: 'recently introduced' in 2022)")
    approval_temp_agencies_from: str | None = date_field(None, "seed 003, measure 23 (proposed)")
    norgesmodellen_from: str | None = date_field(None, "seed 003 (construction and cleaning first)")
    norgesmodellen_sectors: list[str] = field(default_factory=lambda: ["construction", "cleaning"])
    approval_pressure: float = param(0.6, 0.0, 10.0, doc="evasion-index penalty in an approval-scheme sector")
    procurement_pressure: float = param(0.4, 0.0, 10.0, doc="evasion-index penalty under Norgesmodellen")
    publication_pressure: float = param(0.3, 0.0, 10.0, doc="extra consumer penalty when suspensions are published")


@dataclass
class NtaesPolicy:
    """NTAES: national strategic analysis only (seed 002)."""

    start: str | None = date_field("2016-01-01", "seed 000: NTAES set up in 2016")
    staff: float = nonneg(10.0, "seed 002: ten staff")
    dur_interval: float = param(365.0, 30.0, 3650.0, doc="days between strategic assessments")
    reweight_per_staff: float = prob(0.05, doc="weight of new evidence in sector priorities per analyst")
    exposed_only: bool = field(
        default=True,
        metadata={
            "src": "seed 003 measure 30 and seed 002: NTAES assesses work-related crime, whose industries the strategy names (sectors.csv risk_sector); "
            "model generation 5",
            "doc": "NTAES re-weights the priorities of the exposed industries among themselves and leaves other sectors' priority alone; "
            "false: it re-weights every sector, which equalises average hit rates and draws controls out of the exposed industries (ODD 8.12)",
        },
    )


@dataclass
class Intervention:
    """A dated change of levers: ``set`` replaces values, ``multiply`` scales them."""

    start: str = date_field("2026-01-01")
    set: dict[str, Any] = field(default_factory=dict)
    multiply: dict[str, float] = field(default_factory=dict)
    note: str = ""


@dataclass
class PolicyConfig:
    """All levers. Lives in ``scenarios/policy/*.yaml``."""

    name: str = "baseline"
    description: str = "History as it happened."
    source: str = ""
    nli: NliPolicy = sub(NliPolicy)
    centres: CentresPolicy = sub(CentresPolicy)
    sharing: SharingPolicy = sub(SharingPolicy)
    sanctions: SanctionsPolicy = sub(SanctionsPolicy)
    tax: TaxPolicy = sub(TaxPolicy)
    nav: NavPolicy = sub(NavPolicy)
    police: PolicePolicy = sub(PolicePolicy)
    campaigns: CampaignPolicy = sub(CampaignPolicy)
    consumers: ConsumerPolicy = sub(ConsumerPolicy)
    ntaes: NtaesPolicy = sub(NtaesPolicy)
    interventions: list[Intervention] = field(default_factory=list)
