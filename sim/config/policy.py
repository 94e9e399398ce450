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


@dataclass
class CentrePolicy:
    """One a-krim centre (SPEC 2.6). ``open: null`` means the centre never opens."""

    open: str | None = date_field(None, "SPEC 2.1 table / sim/data/regions.csv")
    analysts: float = param(4.0, 0.0, 1_000.0, doc="analysts in the centre's analysis team")
    analyses_per_analyst_year: float = nonneg(25.0, doc="actor analyses one analyst completes a year")
    dur_analysis: float = nonneg(30.0, doc="days one analysis takes")
    inspection_teams: float = param(2.0, 0.0, 1_000.0, "seed 000: every centre has an inspection team")
    controls_per_team_year: float = nonneg(50.0, doc="joint controls one team carries out a year")
    dur_control: float = nonneg(2.0, doc="days one joint control takes")
    staff_per_agency: float = nonneg(5.0, doc="staff from each of the four agencies (for costs)")
    staff_per_team: float = nonneg(2.0, "seed 000: inspections by at least two agencies", "staff in one inspection team (for costs)")
    priorities_per_meeting: int = param(2, 0, 50, doc="actors a leader group can newly prioritise at one meeting")


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
    return {r: CentrePolicy(open=d) for r, d in opens.items()}


@dataclass
class CentresPolicy:
    """The centres and their shared rhythm."""

    dur_meeting_interval: float = param(14.0, 1.0, 365.0, "seed 000: leader-group meetings twice a month")
    dur_follow_up: float = nonneg(
        180.0,
        "seed 002 (TA10: feedback informs later analyses); length assumption",
        "days a prioritised actor's file stays in follow-up before it collects evidence again",
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
class SanctionsPolicy:
    """The sanction mix (SPEC 4.6): probability of use given a finding, sizes and delays."""

    p_order: float = prob(0.85, doc="order to rectify, given any violation")
    dur_order_delay: float = nonneg(42.0, doc="days until an order's measures are in place")
    p_fine: float = prob(0.06, "seed 002: NOK 19M fines in 2024 (probability assumption)", "fine given a pay/undeclared violation")
    nok_fine_mean: float = nonneg(150_000.0, doc="mean administrative fine, NOK")
    p_coercive_fine: float = prob(0.2, doc="daily coercive fine, given an order that is not complied with")
    nok_coercive_fine: float = nonneg(40_000.0, doc="mean total of a coercive fine")
    p_suspension: float = prob(0.04, doc="stop order given a serious violation (undeclared work found)")
    p_suspension_actor_mult: float = nonneg(3.0, doc="multiplier when the firm belongs to a prioritised actor")
    dur_suspension: float = nonneg(30.0, doc="days a stop order lasts")
    publish_suspensions: bool = False  # seed 003, measure 22 (pilot)
    p_withdraw_approval: float = prob(
        0.5, "seed 003, measure 23", "withdrawal of approval given a serious violation in an approval-scheme sector"
    )
    p_tax_reassess_joint: float = prob(0.6, doc="tax reassessment given undeclared work found in a joint control")
    p_tax_reassess_nli: float = prob(0.1, doc="same, after an ordinary NLI inspection (Tax informed)")
    tax_surcharge: float = param(0.4, 0.0, 2.0, doc="surcharge on reassessed tax")
    lookback_years: float = param(2.0, 0.0, 10.0, doc="years of evasion a reassessment recovers")
    p_clawback: float = prob(0.5, doc="NAV claw-back given undeclared workers on benefits are found")
    p_seizure: float = prob(0.25, doc="asset seizure in a joint control of a prioritised actor")
    seizure_share: float = prob(0.3, doc="share of the actor's capacity seized")
    p_report_nli: float = prob(
        0.05, "seed 002: ~100 NLI police reports in 2024 (probability assumption)", "NLI police report given a serious violation"
    )
    report_actor_mult: float = nonneg(3.0, doc="multiplier on the NLI's police-report chance when the firm is a threat actor's company")
    p_nav_informed_nli: float = prob(0.3, doc="chance NAV follows up an ordinary NLI finding of undeclared work (claw-back)")
    p_report_joint: float = prob(0.35, doc="police report given a serious violation in a joint control")
    p_ban_on_conviction: float = prob(0.5, doc="business ban imposed with a conviction")
    p_ban_after_phoenix: float = prob(
        0.0,
        "assumption (seed 003 m.10 announces a commission on bankruptcy abuse; bans are a candidate measure)",
        "ban when a planned bankruptcy of a known actor is detected",
    )
    dur_ban: float = nonneg(730.0, doc="days a business ban lasts")


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
    police: PolicePolicy = sub(PolicePolicy)
    campaigns: CampaignPolicy = sub(CampaignPolicy)
    consumers: ConsumerPolicy = sub(ConsumerPolicy)
    ntaes: NtaesPolicy = sub(NtaesPolicy)
    interventions: list[Intervention] = field(default_factory=list)
