"""World parameters: what we do not know about Norway's labour market and its criminals.

These are *uncertainties* (EMA Workbench's term): calibration fits them, sensitivity analysis
varies them, and a policy comparison never changes them. Values below are documented plausible
defaults; each says where it comes from or that it is an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import nonneg, param, prob, sub


@dataclass
class PopulationWorld:
    """Size and make-up of the employer and worker populations (national, 1:1)."""

    n_employers: int = param(200_000, 1, 2_000_000, "SPEC 2.3: national ~200k employers (assumption)")
    sectors_file: str = "sectors.csv"  # sim/data/ file; every row sourced
    regions_file: str = "regions.csv"  # sim/data/ file; every row sourced
    slot_headroom: float = param(0.25, 0.0, 2.0, doc="spare job slots per firm for growth, share of size")
    p_opportunistic: float = prob(0.35, doc="share of non-criminal firms that are opportunistic, scaled by sector propensity")
    size_sigma: float = param(1.0, 0.1, 3.0, doc="log-sd of the lognormal firm-size distribution")


@dataclass
class FirmWorld:
    """Employer dynamics and the compliance (deterrence) decision, SPEC 4.1."""

    rate_exit_year: float = param(0.08, 0.0, 1.0, doc="annual exit hazard of an ordinary firm; its job block goes to an entrant")
    rate_resize_year: float = param(0.5, 0.0, 52.0, doc="annual rate at which a firm hires or sheds one worker")
    rate_review_year: float = param(4.0, 0.0, 52.0, doc="how often a firm revisits its compliance choice, per year")
    tax_wedge: float = prob(
        0.40,
        "assumption: income tax + employer NI contributions on a wage",
        "tax and social-security share of the wage bill saved by undeclared work",
    )
    underpay_gain: float = prob(0.30, doc="share of the wage withheld from an underpaid worker")
    u_max_opportunistic: float = prob(0.45, doc="highest undeclared share an opportunistic firm chooses")
    u_max_criminal: float = prob(0.85, doc="highest undeclared share of a threat actor's firm")
    u_compliant: float = prob(0.01, doc="mean undeclared share of a compliant firm (errors, marginal cases)")
    w_max_opportunistic: float = prob(0.35, doc="highest underpaid share an opportunistic firm chooses")
    w_max_criminal: float = prob(0.80, doc="highest underpaid share of a threat actor's firm")
    beta: float = param(4.0, 0.0, 50.0, doc="sharpness of the response to net gain (bounded rationality)")
    z0: float = param(0.5, -10.0, 10.0, doc="intercept of the evasion index")
    norm_weight: float = param(1.0, 0.0, 20.0, doc="weight of the peer norm (share of evaders among peers)")
    honesty_sd: float = param(1.0, 0.0, 5.0, doc="sd of each firm's fixed intrinsic honesty")
    adjust: float = prob(0.5, doc="share of the gap to the target closed at each review")
    sanction_multiple: float = param(3.0, 0.0, 50.0, doc="expected sanction per NOK evaded when caught, before policy levers")
    detect_amplifier: float = param(
        8.0,
        0.0,
        50.0,
        "assumption: perceived detection far above actual control rates (median ~0.4 a year against ~7% of risk-sector firms inspected)", doc="how much firms over-weight the control rate they see among peers; perceived detection = 1 - exp(-amplifier x rate)"
    )
    deterrence_sd: float = param(
        1.5,
        0.0,
        5.0,
        "assumption (firms differ in how strongly they respond to detection risk; e.g. Allingham-Sandmo with heterogeneous risk aversion)",
        "log-sd of a firm's responsiveness to perceived detection (lognormal, mean 1; fixed per firm)",
    )
    p_hat_initial: float = prob(0.13, doc="perceived annual detection probability of a newly entered firm, before it learns (firms present at the start begin at the rates in force)")
    learn_own: float = prob(0.5, doc="jump of perceived detection towards 1 after an own inspection")
    learn_peer: float = prob(0.02, doc="weekly pull of perceived detection towards the observed peer rate")
    publication_boost: float = param(
        0.5, 0.0, 10.0, "seed 003, measure 22 (assumption on size)", "extra weight on peers' inspections when decisions are published"
    )
    remediation_effect: float = prob(0.8, doc="share of evasion removed when an order is complied with")
    criminal_deterrence: float = prob(
        0.15, doc="share of a threat actor's company's evasion that responds to deterrence (the hard core: the rest is fixed by intent)"
    )
    evader_threshold: float = prob(0.05, doc="undeclared share above which a peer counts as an evader (peer norm)")
    memory_weeks: float = param(26.0, 1.0, 520.0, doc="memory of observed control rates (exponential smoothing), weeks")
    tax_collected_share: float = prob(0.3, doc="share of a tax reassessment collected at once; the rest stays a claim on the firm")
    w_fine: float = nonneg(1.0, doc="weight of an expected fine (per NOK 100,000) in the expected-sanction index")
    w_suspension: float = nonneg(2.0, doc="weight of a suspension in the expected-sanction index")
    w_report: float = nonneg(5.0, doc="weight of a police report in the expected-sanction index")
    w_reassessment: float = nonneg(1.0, doc="weight of a tax reassessment (times 1 + surcharge) in the expected-sanction index")
    w_coercive: float = nonneg(0.4, doc="weight of a coercive fine in the expected-sanction index")
    p_comply_order: float = prob(0.5, doc="chance a firm actually implements an order's measures")
    p_comply_order_criminal: float = prob(0.25, doc="chance a threat actor's company implements an order's measures (assumption: half the ordinary chance)")
    remediation_effect_criminal: float = prob(
        0.4, doc="share of evasion removed when a threat actor's company complies with an order (assumption: half the ordinary effect)"
    )


@dataclass
class ActorWorld:
    """Threat actors: numbers, capacity, intent and behaviour, SPEC 2.5 and 4.2."""

    n_initial: int = param(1_100, 0, 100_000, "assumption: latent criminal operators nationally (NTAES identified ~100 of them, seed 001 note viii)")
    companies_mean: float = param(2.2, 1.0, 20.0, "seed 001: one actor, several companies (size assumption)", "mean size of an actor's target portfolio of companies")
    rate_new_year: float | None = param(
        None,
        0.0,
        10_000.0,
        doc="new actors per year nationally (1:1); null (the default): the steady state of the initial stock, n_initial x "
        "(rate_exit_year + rate_desist_year x (1 - intent_initial) + rate_incapacitation_year), so the latent stock neither "
        "drains nor grows unless enforcement changes",
        nullable=True,
    )
    entry_crowding: float = param(
        1.0,
        0.0,
        10.0,
        "assumption (generation 4): the replacement effect of illicit markets - demand for cheap, unregistered labour "
        "outlasts any one operator, so removing operators opens room for new ones (seed 003: actors adapt and new ones "
        "take over; size assumption)",
        "elasticity of entry to crowding: new actors arrive at the steady-state entry x (n_initial / active "
        "actors)^entry_crowding, so the latent stock has a restoring force towards the market's size (0: a fixed entry)",
    )
    rate_incapacitation_year: float = prob(
        0.02,
        "seed 001: ~140 convictions of threat actors in 2014-19 (about 23 a year) among ~1,100 latent actors (n_initial, assumption)",
        "share of the active actors incapacitated (convicted) in a year, as expected in setting the steady-state entry "
        "(rate_new_year null); the model's incapacitation itself is endogenous (sim.police)",
    )
    rate_exit_year: float = prob(
        0.08, doc="annual hazard that an actor leaves work-related crime for reasons outside the model (age, emigration, other crime)"
    )
    p_prior_record: float = prob(0.60, "seed 001 target 72% (initial share before 2014 is an assumption)")
    p_prior_bankruptcy: float = prob(0.35, "seed 001 target 45% (initial share before 2014 is an assumption)")
    capacity_mean_mnok: float = nonneg(5.0, doc="initial capacity, MNOK (money, facilitators)")
    capacity_log_sd: float = param(0.8, 0.0, 3.0, doc="log-sd of an actor's initial capacity (lognormal; its mean stays capacity_mean_mnok)")
    intent_sd: float = prob(0.1, doc="sd of a new actor's intent around intent_initial")
    reinvest: float = prob(0.3, doc="share of illicit profit that adds to capacity")
    capacity_cost_mnok_year: float = nonneg(
        0.0,
        "assumption (generation 4; was 0.4, twice the reinvested profit of the average actor company, so every actor's "
        "capacity drained by construction: docs/experiments/actor_capacity_2026-12-02.md). 0: a company's running costs "
        "are already netted out of the illicit gain the actor takes (extraction)",
        "upkeep of capacity per company and year beyond what the company's own accounts carry (front men, "
        "accountants, facilitators), MNOK",
    )
    capacity_depreciation_year: float = prob(
        0.1,
        "assumption (generation 4): resources are spent, laundered away or lost, and facilitators drift off; a 7-year "
        "half-life. With reinvested profit ~0.45-0.5 MNOK a year per actor (2.2 companies, 2014-19) it puts the steady "
        "state near capacity_mean_mnok, so a new actor neither drains nor hoards on average (measured: median capacity "
        "3.5-3.9 MNOK from 2014 to 2030 on the calibrated world, scale 0.1, 4 seeds)",
        "annual share of an actor's (positive) capacity that is used up: the restoring force that gives capacity a "
        "steady state of reinvested profit / depreciation",
    )
    rate_open_year: float = nonneg(2.0, doc="company registrations per year per company missing from the actor's target portfolio")
    rate_company_close_year: float = prob(0.10, doc="annual hazard that an actor winds up a company (deregistered, no bankruptcy)")
    max_companies: int = param(8, 1, 1_000, doc="most companies one actor runs at once")
    rate_phoenix_year: float = nonneg(
        0.3, "seed 001: 45% had a leading role in a bankrupt firm (rate assumption)", "planned bankruptcies per company-year"
    )
    phoenix_heat_mult: float = nonneg(6.0, doc="multiplier on the phoenix hazard when a company has been inspected or sanctioned")
    displacement_sensitivity: float = nonneg(
        10.0, "seeds 001, 003 (actors shift sectors and regions); size assumption", "logit weight of perceived control rate (controls per firm-year) in an actor's choice of where to operate"
    )
    p_other_region: float = prob(0.15, doc="attractiveness of operating outside the home region relative to at home (mobility cost)")
    p_refocus_month: float = prob(0.2, doc="monthly chance an actor reconsiders where to operate (sector and region)")
    p_successor_moves: float = prob(0.5, doc="chance a phoenix successor is registered where the actor now operates, when that differs")
    camouflage_mean: float = prob(0.4, "seed 001: law-abiding facade (size assumption)")
    p_front_man: float = prob(
        0.8,
        "seed 001 (facilitators, facade); share assumption",
        "chance a company an actor controls is run through a front man: the actor holds no formal role in it, so "
        "neither its planned bankruptcy nor an NLI inspection of it shows on the actor's record (drawn once per company)",
    )
    heat_decay_month: float = prob(0.15, doc="monthly fading of a company's 'heat' (inspections and sanctions felt)")
    firm_visibility: float = param(
        0.2, 0.0, 1.0, doc="risk-based targeting weight of an actor's front company relative to an ordinary firm of its sector and size"
    )
    rate_desist_year: float = nonneg(0.10, doc="desistance hazard of an actor with no intent left (scaled by 1 - intent)")
    p_same_sector: float = prob(
        0.6,
        "seed 001: actors run companies in several sectors (share assumption)",
        "chance an actor's further company is in its focus sector",
    )
    capacity_min_open_mnok: float = nonneg(0.5, doc="capacity an actor needs to register a company, MNOK")
    impunity_days: float = nonneg(180.0, doc="days without a sanction after which intent starts to rise again")
    open_under_investigation: float = prob(0.5, doc="multiplier on company registrations while a police case is open")
    heat_per_inspection: float = nonneg(0.5, doc="heat a company gains from an inspection")
    heat_per_sanction: float = nonneg(1.0, doc="heat a company gains from a sanction")
    felt_suspension_mnok: float = nonneg(0.1, doc="capacity an actor loses when a company is suspended, MNOK")
    felt_publication_mnok: float = nonneg(0.2, doc="capacity lost when the suspension is published (buyers leave), MNOK")
    intent_initial: float = prob(0.8, doc="mean intent of a new actor (0-1)")
    intent_sanction_drop: float = prob(0.15, doc="fall of intent per sanction felt")
    intent_impunity_rise: float = prob(0.02, doc="monthly rise of intent without sanctions")
    intent_after_release: float = prob(0.5, doc="lowest intent of an actor who returns after a prison sentence")
    p_return_after_release: float = prob(0.5, doc="chance a released actor returns to work-related crime")
    p_straw_man: float = prob(0.3, doc="chance a banned actor still opens a company through a front man")
    extraction: float = prob(0.5, doc="share of a firm's illicit gain the actor takes")


@dataclass
class WorkerWorld:
    """Workers' vulnerability, awareness and tips, SPEC 2.4 and 4.3."""

    rate_turnover_year: float = param(0.25, 0.0, 5.0, doc="annual replacement of a job's holder")
    awareness_migrant: float = prob(0.3, doc="mean awareness of rights of a newly arrived migrant")
    awareness_native: float = prob(0.75, doc="mean awareness of rights of a non-migrant worker")
    vulnerability_migrant: float = prob(
        0.6, "seed 003 (migrant workers especially vulnerable); level assumption", "mean vulnerability of a migrant worker"
    )
    vulnerability_native: float = prob(0.2, doc="mean vulnerability of a non-migrant worker")
    vulnerability_spread: float = prob(0.25, doc="width of the uniform spread of vulnerability around its mean")
    awareness_spread: float = prob(0.3, doc="width of the uniform spread of awareness around its mean")
    q_vulnerability: float = prob(0.6, doc="how strongly vulnerability puts a worker first in line for undeclared work or underpayment")
    rate_tip_year: float = nonneg(0.03, doc="annual tip probability of an exploited, fully aware, independent worker")
    tip_dependence: float = prob(0.6, doc="how much a worker's vulnerability (dependence on the employer) suppresses tipping")
    p_tip_union: float = prob(0.3, "seed 003, measure 5 (Fair Play Bygg); share assumption", "share of tips that go through a union")
    p_union_forward: float = prob(0.7, doc="share of union tips forwarded to the NLI")
    dur_union_forward: float = nonneg(30.0, doc="days a union takes to forward a tip")
    awareness_decay_year: float = prob(0.1, doc="share of workers a year whose awareness falls by 30%")
    p_benefit_while_undeclared: float = prob(0.12, doc="share of undeclared workers also drawing benefits")
    benefit_nok_month: float = nonneg(18_000.0, doc="monthly benefit of such a worker, NOK")
    benefit_months_found: float = nonneg(6.0, doc="months of wrongful benefits a claw-back case uncovers")


@dataclass
class DetectionWorld:
    """What an inspection or a register can see."""

    p_detect_undeclared: float = prob(0.4, doc="chance an inspection sees undeclared work in a firm that has it")
    p_detect_underpay: float = prob(0.35, doc="chance an inspection sees underpayment in a firm that has it")
    detect_saturation: float = nonneg(3.0, doc="detection grows linearly with the evading share up to 1/this, then saturates")
    joint_camouflage_factor: float = prob(0.5, doc="share of an actor's camouflage that still works against a joint control")
    p_other_violation: float = prob(
        0.6, "Riksrevisjonen Dok. 3:15 (2015-2016): ~65% of NLI inspections led to a reaction (public_figures.md)", "chance of some other (HSE) violation in any inspected firm"
    )
    joint_detect_mult: float = param(
        1.4, 1.0, 5.0, "seed 000/001: joint controls combine agencies' tools", "detection multiplier for joint controls"
    )
    rate_tax_signal_year: float = nonneg(0.8, doc="tax/register anomaly signals per year from a fully evading firm")
    rate_nav_signal_year: float = nonneg(0.3, doc="benefit-anomaly signals per year from a fully evading firm")
    rate_police_signal_year: float = nonneg(0.2, doc="crime-report signals per year per active threat actor")
    evidence_threshold: float = nonneg(
        1.0,
        "seed 001 (the centres select among many candidate actors; analysis capacity, not intelligence, is the constraint); assumption",
        "evidence score at which a centre queues an actor for analysis (about two recent signals: one signal loses worth in transit)",
    )
    evidence_half_life_days: float = param(
        180.0, 1.0, 1e6, doc="a signal's worth halves for every this many days it spends in transit (stale intelligence)"
    )
    p_link_successor: float = prob(0.5, doc="chance a tax register signal links a phoenix successor to its actor")
    site_intel_half_life_days: float = param(
        60.0,
        1.0,
        1e6,
        "seed 001 (actors move activities between enterprises and sites); length assumption: building sites, cleaning contracts and "
        "restaurant shifts change within weeks",
        "a joint action finds an actor's company at work where the intelligence says with probability 0.5 ** (age / this), "
        "the age counted from when the newest signal naming it was sent (crews, shifts and sites move on)",
    )
    p_report_agency_signal: float = prob(0.02, doc="chance a Tax signal about an actor's company becomes a police report by Tax")
    gone_company_worth: float = prob(
        0.1, doc="worth of a signal about a company that no longer exists when the signal reaches the centre (stale intelligence)"
    )
    p_identify_person: float = prob(
        0.8, doc="chance that checking a worker who works undeclared or without the right to work reveals it (ID, registers, interview)"
    )


@dataclass
class JusticeWorld:
    """How cases end (SPEC 2.6, 4.6): uncertain facts about the justice system."""

    p_convict_base: float = prob(0.10, "seed 001: ~140 of 941 cases convicted (base assumption)", "conviction chance of a case with evidence from one agency")
    convict_per_agency: float = prob(0.05, doc="added conviction chance per extra agency contributing evidence")
    p_drop_evidence_base: float = prob(0.33, "seed 001: ~250 of 941 dropped for evidence", "chance a one-agency case is dropped for lack of evidence")
    drop_per_agency: float = prob(0.05, doc="fall of the drop chance per extra agency")
    case_evidence_half_life_days: float = param(
        180.0,
        1.0,
        1e9,
        "seed 001: ~250 of 941 cases against threat actors were dropped 'due to the status of the evidence'; "
        "seed 002 (TA10: measures on the current intelligence picture); length assumption",
        "a case's conviction chance halves for every this many days the intelligence it rests on was old when it was "
        "reported (0 for evidence secured at work: an inspection or an action that found the company working); the "
        "conviction lost becomes a drop for lack of evidence",
    )
    dur_sentence_mean: float = nonneg(540.0, doc="mean prison sentence, days")
    sentence_log_sd: float = param(0.6, 0.0, 3.0, doc="log-sd of the lognormal sentence length (its mean stays dur_sentence_mean)")
    dur_case_mean: float = nonneg(240.0, doc="mean investigation work time, days")
    dur_case_cv: float = nonneg(0.6, doc="coefficient of variation of the investigation time")


@dataclass
class CostWorld:
    """Money: converting model quantities into NOK."""

    nok_per_eur: float = nonneg(9.33, "Norges Bank 2017 annual average EUR/NOK")
    nok_per_fte_year: float = nonneg(1_200_000.0, doc="full cost of one enforcement FTE, NOK/year")
    phoenix_loss_nok: float = nonneg(1_500_000.0, doc="unpaid taxes and wage claims left by one planned bankruptcy")
    exploitation_harm_nok_year: float = nonneg(30_000.0, doc="non-wage harm per exploited worker-year")
    undeclared_wage_share: float = prob(
        0.5,
        "SPEC 5 / calibration: the measure counts workers 'wholly or partly' undeclared (share assumption)",
        "share of an undeclared worker's wage that is paid undeclared (evaded tax, reassessments and illicit gain are on this part)",
    )


@dataclass
class WorldConfig:
    """All uncertain world parameters. Lives in ``scenarios/world/*.yaml``."""

    name: str = "default"
    description: str = "Documented plausible defaults (not yet calibrated)."
    population: PopulationWorld = sub(PopulationWorld)
    firms: FirmWorld = sub(FirmWorld)
    actors: ActorWorld = sub(ActorWorld)
    workers: WorkerWorld = sub(WorkerWorld)
    detection: DetectionWorld = sub(DetectionWorld)
    justice: JusticeWorld = sub(JusticeWorld)
    costs: CostWorld = sub(CostWorld)
