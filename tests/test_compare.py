"""akrim compare: argument checking, paired effects, posterior worlds, resumability, outputs.

The runs here are tiny (scale 0.01, two or three years, two or three replicates, in-process) so
the module stays fast; the report's rendering in Chromium is in test_compare_report.py.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments import posterior
from experiments.compare import CompareError, CompareOptions, load_runs, main, make_plan, parse_args, run_comparison
from experiments.effects import analyse, holm, t_interval
from experiments.runs import resolve
from experiments.store import ResultStore
from sim.config.validate import MISSING_VALUE

TINY_RUN = ["scale=0.01", "end=2015", "address=none", "progress=false"]
TINY = [*TINY_RUN, "posterior=false"]  # tests must not depend on whether a calibration posterior exists


# ---------------------------------------------------------------------------- statistics


def test_t_interval_matches_scipy():
    d = np.array([1.0, 3.0, 2.5, 4.0, 0.5])
    n, m, sd, lo, hi, p = t_interval(d)
    ref = stats.ttest_1samp(d, 0.0)
    half = stats.t.ppf(0.975, 4) * d.std(ddof=1) / np.sqrt(5)
    assert (n, m) == (5, pytest.approx(2.2))
    assert (lo, hi) == (pytest.approx(2.2 - half), pytest.approx(2.2 + half))
    assert p == pytest.approx(ref.pvalue)


def test_t_interval_edge_cases():
    assert t_interval(np.zeros(4))[3:] == (0.0, 0.0, 1.0)  # exactly no effect
    assert t_interval(np.full(4, -2.0))[3:] == (-2.0, -2.0, 0.0)  # a deterministic effect
    n, m, *_rest = t_interval(np.array([1.0, np.nan, 3.0]))
    assert (n, m) == (2, 2.0)
    assert np.isnan(t_interval(np.array([1.0]))[3])


def test_holm_step_down():
    # m = 4: thresholds 0.0125, 0.0167, 0.025, 0.05 on the sorted p-values
    p = np.array([0.01, 0.04, 0.016, 0.3])
    assert holm(p).tolist() == [True, False, True, False]
    assert holm(np.array([0.03, 0.03])).tolist() == [False, False]  # 0.03 > 0.05 / 2
    assert holm(np.array([np.nan, 0.001])).tolist() == [False, True]


def _synthetic(n_rep: int = 6) -> pd.DataFrame:
    """Reference and one scenario that adds exactly 10 inspections and 1,000 NOK of enforcement
    cost a year from 2016 on top of paired noise, and lowers crime cost by 5,000 NOK a year."""
    rng = np.random.default_rng(3)
    rows = []
    for r in range(n_rep):
        noise = rng.normal(0, 3, size=5)
        for i, y in enumerate(range(2014, 2019)):
            base = {
                "year": y,
                "replicate": r,
                "inspections_nli": 100 + noise[i],
                "undeclared_work_share": 0.2 + noise[i] / 100,
                "enforcement_cost_nok": 50_000.0,
                "crime_cost_nok": 1e6 + 1e4 * noise[i],
                "exploited_workers": 500 + noise[i],
            }
            rows.append({**base, "scenario": "ref"})
            eff = (y >= 2016) * (1.0 + rng.normal(0, 0.1))
            rows.append(
                {
                    **base,
                    "scenario": "more",
                    "inspections_nli": base["inspections_nli"] + 10 * eff,
                    "enforcement_cost_nok": 50_000.0 + 1_000.0 * (y >= 2016),
                    "crime_cost_nok": base["crime_cost_nok"] - 5_000.0 * eff,
                    "exploited_workers": base["exploited_workers"] - eff,
                }
            )
    return pd.DataFrame(rows)


def test_analyse_recovers_a_known_effect():
    comp = analyse(_synthetic(), ["ref", "more"], 6)
    assert comp.window == (2016, 2018) and comp.window_auto
    h = comp.horizon().set_index("kpi")
    # Summed over the three window years: about +30 inspections; share unchanged: exactly 0.
    assert h.loc["inspections_nli", "ci_low"] < 30 < h.loc["inspections_nli", "ci_high"]
    assert h.loc["inspections_nli", "distinguishable"]
    assert h.loc["undeclared_work_share", "diff_mean"] == 0.0
    assert not h.loc["undeclared_work_share", "distinguishable"]
    # Before the window the per-year differences are exactly zero.
    e = comp.effects
    assert (e[e["year"] == 2015]["diff_mean"] == 0).all()
    c = comp.cost.iloc[0]
    assert c["extra_enforcement_nok"] == pytest.approx(3_000.0)
    assert c["crime_cost_change_per_nok"] == pytest.approx(c["crime_cost_change_nok"] / 3_000.0)
    assert c["crime_cost_change_per_nok"] == pytest.approx(-5.0, rel=0.2)
    assert c["exploited_change_per_mnok"] == pytest.approx(-3.0 / 0.003, rel=0.2)  # worker-years per NOK 1M


def test_analyse_window_from_and_missing_pairs():
    runs = _synthetic()
    comp = analyse(runs, ["ref", "more"], 6, window_from=2014)
    assert comp.window == (2014, 2018)
    short = runs[~((runs["scenario"] == "more") & (runs["replicate"] >= 1))]  # only replicate 0 is complete
    with pytest.raises(ValueError, match="only 1 of 6 replicates"):
        analyse(short, ["ref", "more"], 6)


# ---------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    "argv, key, value",
    [
        (["reps=3"], "policy", MISSING_VALUE),
        (["policy=[baseline]"], "policy", "[baseline]"),
        (["policy=[baseline,nope]"], "policy", "nope"),
        (["policy=[baseline,more_inspectors+nope]"], "policy", "nope"),
        (["policy=[baseline,baseline]"], "policy", "baseline"),
        (["policy=[baseline,no_centres]", "reps=1"], "reps", "1"),
        (["policy=[baseline,no_centres]", "reps=many"], "reps", "many"),
        (["policy=[baseline,no_centres]", "seed=-4"], "seed", "-4"),
        (["policy=[baseline,no_centres]", "scale=big"], "scale", "big"),
        (["policy=[baseline,no_centres]", "end=soon"], "end", "soon"),
        (["policy=[baseline,no_centres]", "workers=0"], "workers", "0"),
        (["policy=[baseline,no_centres]", "address=localhost"], "address", "localhost"),
        (["policy=[baseline,no_centres]", "progress=maybe"], "progress", "maybe"),
        (["policy=[baseline,no_centres]", "reps=2", "reps=3"], "reps", "3"),
        (["policy=[baseline,no_centres]", "--cfg"], "argument", "--cfg"),
        (["policy=[baseline,no_centres]", "output.plot=true"], "output.plot", "true"),
    ],
)
def test_bad_arguments_name_key_and_value(argv, key, value):
    with pytest.raises(CompareError) as exc:
        parse_args(argv)
    assert exc.value.key == key and exc.value.value == value
    assert f"{key} = {value!r}" in str(exc.value) and "allowed:" in str(exc.value)


@pytest.mark.parametrize(
    "extra, key",
    [
        ("policy.nli.bogus=3", "policy.nli.bogus"),
        ("policy.sanctions.p_fine=1.3", "policy.sanctions.p_fine"),
        ("world.firms.beta=-1", "world.firms.beta"),
        ("from=2040", "from"),
    ],
)
def test_bad_overrides_fail_before_any_run(extra, key):
    with pytest.raises(CompareError) as exc:
        make_plan(parse_args(["policy=[baseline,no_centres]", "reps=2", *TINY, extra]))
    assert exc.value.key == key


def test_parse_good_arguments():
    o = parse_args(
        [
            "policy=[baseline, more_inspectors, liberal_fines+know_your_rights]",
            "reps=5",
            "seed=9",
            "scale=0.05",
            "end=2030",
            "address=tcp://10.0.0.5:8786",
            "policy.nli.size_exponent=0.5",
            "from=2026",
        ]
    )
    assert o.scenarios == ["baseline", "more_inspectors", "liberal_fines+know_your_rights"]
    assert (o.reps, o.seed, o.scale, o.end, o.address, o.window_from) == (5, 9, 0.05, 2030, "tcp://10.0.0.5:8786", 2026)
    assert o.overrides == ["policy.nli.size_exponent=0.5"]
    assert o.common_overrides() == ["scale=0.05", "end=2030", "policy.nli.size_exponent=0.5"]
    assert "policy=[baseline,more_inspectors,liberal_fines+know_your_rights]" in o.command()
    assert parse_args(["policy=baseline,no_centres"]).scenarios == ["baseline", "no_centres"]
    assert (
        o.default_out()
        == parse_args(
            [
                "policy=[baseline,more_inspectors,liberal_fines+know_your_rights]",
                "reps=5",
                "seed=9",
                "scale=0.05",
                "end=2030",
                "policy.nli.size_exponent=0.5",
            ]
        ).default_out()
    )


def test_cli_prints_one_line_error(capsys):
    assert main(["policy=[baseline,no_centres]", "reps=0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["akrim: error: reps = '0' (allowed: an integer in [2, 1000])"]
    assert main(["policy=[baseline,no_centres]", "posterior=/nonexistent/sample.csv"]) == 2
    assert "posterior = '/nonexistent/sample.csv'" in capsys.readouterr().err


def test_help_lists_options(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for opt in ("policy", "reps", "posterior", "workers", "address", "from"):
        assert f"\n  {opt} " in out


# ---------------------------------------------------------------------------- paired runs


def test_plan_pairs_seeds_across_scenarios():
    o = parse_args(["policy=[baseline,no_centres,liberal_fines]", "reps=3", "seed=5", *TINY])
    plan = make_plan(o)
    assert len(plan.specs) == 9 and len(set(plan.seeds)) == 3
    by_rep: dict[int, set[str]] = {}
    for spec, (scen, r) in zip(plan.specs, plan.cells):
        seed = next(ov for ov in spec.overrides if ov.startswith("seed="))
        by_rep.setdefault(r, set()).add(seed)
        assert f"policy={scen}" in spec.overrides
    assert all(len(s) == 1 for s in by_rep.values())  # the same seed for every scenario of a replicate
    assert plan.posterior_file is None


@pytest.fixture(scope="module")
def self_comparison(tmp_path_factory):
    """baseline against a package that sets exactly the same levers (baseline+baseline)."""
    out = tmp_path_factory.mktemp("self")
    o = parse_args(["policy=[baseline,baseline+baseline]", "reps=2", "seed=11", f"out={out}", *TINY])
    comp, summ, _ = run_comparison(o)
    return o, comp, summ, out


def test_baseline_against_itself_gives_exactly_zero(self_comparison):
    o, comp, summ, _ = self_comparison
    assert summ.done == 4 and summ.failed == 0  # both scenarios really ran (different keys)
    e = comp.effects
    assert len(e) > 0 and set(e["scenario"]) == {"baseline+baseline"}
    for col in ("diff_mean", "ci_low", "ci_high"):
        assert (e[col].dropna() == 0.0).all(), col
    assert not e["distinguishable"].any()
    # Not trivially zero: the two replicates differ, so the pairing is what cancels the noise.
    ref = comp.runs[comp.runs["scenario"] == "baseline"]
    a, b = (ref[ref["replicate"] == r].set_index("year")["exploited_workers"] for r in (0, 1))
    assert (a != b).any()
    c = comp.cost.iloc[0]
    assert c["crime_cost_change_nok"] == 0.0 and c["note"] == "no extra enforcement cost in the model"


def test_rerun_recomputes_nothing_and_writes_outputs(self_comparison):
    o, comp, _, out = self_comparison
    comp2, summ2, _ = run_comparison(o)
    assert (summ2.done, summ2.skipped) == (0, 4)
    pd.testing.assert_frame_equal(comp.effects, comp2.effects)
    csv = pd.read_csv(out / "effects.csv")
    pq = pd.read_parquet(out / "effects.parquet")
    assert len(csv) == len(pq) == len(comp.effects)
    # every SPEC 5 KPI per year and over the window
    assert {"exploited_workers", "crime_cost_nok", "undeclared_work_share", "case_days_mean"} <= set(pq["kpi"])
    assert set(pq["period"]) == {"2014", "2015", "2014-2015"}
    assert (out / "cost_effectiveness.csv").is_file() and (out / "report.html").is_file()


def test_load_runs_maps_keys_to_cells(self_comparison):
    o, comp, summ, out = self_comparison
    plan = make_plan(o)
    runs = load_runs(ResultStore(out / "runs"), summ.keys, plan.cells)
    assert sorted(set(zip(runs["scenario"], runs["replicate"]))) == sorted(set(plan.cells))


# ---------------------------------------------------------------------------- posterior worlds


def _write_sample(path, rows=((3.0, -1.5, 1.0), (5.0, -0.5, 3.0), (9.0, 0.5, 0.0))):
    pd.DataFrame(rows, columns=["world.firms.beta", "world.firms.z0", "weight"]).to_csv(path, index=False)
    return path


def test_posterior_draws_by_weight_reproducibly(tmp_path):
    path = _write_sample(tmp_path / "s.csv")
    d1 = posterior.draw(path, 400, seed=4)
    assert d1 == posterior.draw(path, 400, seed=4)
    assert d1 != posterior.draw(path, 400, seed=5)
    betas = np.array([w["world.firms.beta"] for w in d1])
    assert 9.0 not in betas  # weight 0 never drawn
    assert 0.65 < np.mean(betas == 5.0) < 0.85  # weight 3 of 4
    assert posterior.as_overrides(d1[0])[0].startswith("world.firms.beta=")


@pytest.mark.parametrize(
    "frame, msg",
    [
        (pd.DataFrame({"policy.nli.n_inspectors": [1.0]}), "'policy.nli.n_inspectors' is not a world parameter key"),
        (pd.DataFrame({"world.firms.beta": ["high"]}), "world.firms.beta = 'high' in row 1"),
        (pd.DataFrame({"world.firms.beta": [1.0], "weight": [-1.0]}), "weight must be finite, >= 0"),
        (pd.DataFrame({"weight": [1.0]}), "no parameter columns"),
    ],
)
def test_posterior_sample_errors(tmp_path, frame, msg):
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(posterior.PosteriorError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        posterior.load_sample(path)


def test_posterior_option():
    assert posterior.resolve_option("false") is None
    auto = posterior.resolve_option("auto")
    final = posterior.DEFAULT_SAMPLE.is_file() and not posterior.is_pipeline_check(posterior.DEFAULT_SAMPLE)
    assert auto == (posterior.DEFAULT_SAMPLE if final and posterior.is_current(posterior.DEFAULT_SAMPLE) else None)


def test_auto_ignores_a_pipeline_check_posterior(tmp_path, monkeypatch):
    from sim import MODEL_GENERATION

    sample = _write_sample(tmp_path / "posterior_sample.csv")
    monkeypatch.setattr(posterior, "DEFAULT_SAMPLE", sample)
    (tmp_path / "meta.json").write_text(f'{{"pipeline_check": false, "model_generation": {MODEL_GENERATION}}}')
    assert posterior.resolve_option("auto") == sample  # a final calibration of this model
    (tmp_path / "meta.json").write_text(f'{{"pipeline_check": true, "model_generation": {MODEL_GENERATION}}}')
    assert posterior.resolve_option("auto") is None  # not for conclusions: default world
    assert posterior.resolve_option(str(sample)) == sample  # an explicit path is still honoured
    with pytest.raises(posterior.PosteriorError, match="no such file"):
        posterior.resolve_option("/no/such.csv")


def test_a_posterior_of_an_earlier_model_is_not_used(tmp_path, monkeypatch):
    from sim import MODEL_GENERATION

    sample = _write_sample(tmp_path / "posterior_sample.csv")
    monkeypatch.setattr(posterior, "DEFAULT_SAMPLE", sample)
    (tmp_path / "meta.json").write_text(f'{{"pipeline_check": false, "model_generation": {MODEL_GENERATION - 1}}}')
    assert posterior.resolve_option("auto") is None
    with pytest.raises(posterior.PosteriorError, match="fitted to model generation"):
        posterior.resolve_option("true")
    (tmp_path / "meta.json").write_text('{"pipeline_check": false}')  # written before generations existed: 1
    assert posterior.sample_generation(sample) == 1


def test_replicate_r_uses_the_same_draw_in_every_scenario(tmp_path):
    path = _write_sample(tmp_path / "s.csv")
    o = parse_args(["policy=[baseline,no_centres]", "reps=4", "seed=2", *TINY_RUN, f"posterior={path}"])
    plan = make_plan(o)
    assert plan.posterior_file == path and plan.worlds == posterior.draw(path, 4, 2)
    for spec, (_, r) in zip(plan.specs, plan.cells):
        cfg = resolve(spec)
        assert cfg.world.firms.beta == plan.worlds[r]["world.firms.beta"]
        assert cfg.world.firms.z0 == plan.worlds[r]["world.firms.z0"]
    clash = parse_args(["policy=[baseline,no_centres]", "reps=2", *TINY_RUN, f"posterior={path}", "world.firms.beta=2"])
    with pytest.raises(CompareError) as exc:
        make_plan(clash)
    assert exc.value.key == "world.firms.beta"


def test_options_default_out_is_stable():
    a = CompareOptions(["baseline", "no_centres"], reps=3)
    assert a.default_out() == CompareOptions(["baseline", "no_centres"], reps=3).default_out()
    assert a.default_out() != CompareOptions(["baseline", "no_centres"], reps=4).default_out()


def test_runs_of_another_configuration_are_reported_not_reused(self_comparison):
    from experiments.compare import stale_runs
    from experiments.runs import key_of

    o, _, summ, out = self_comparison
    plan = make_plan(o)
    store = ResultStore(out / "runs")
    keys = [key_of(resolve(spec)) for spec in plan.specs]
    assert stale_runs(store, plan, keys) == 0
    old = store.load(keys={keys[0]})
    old["run_key"] = "0123456789abcdef"  # the same scenario and seed under another configuration
    store.put(old)
    assert stale_runs(store, plan, keys) == 1
    assert summ.keys == keys


def test_window_ignores_year_end_shares_moved_by_a_january_measure():
    runs = _synthetic()
    sel = (runs["scenario"] == "more") & (runs["year"] == 2015)
    runs.loc[sel, "undeclared_work_share"] += 0.001  # a year-end observation already after the measure
    assert analyse(runs, ["ref", "more"], 6).window == (2016, 2018)
    runs.loc[sel, "inspections_nli"] += 1.0  # a flow in 2015: the measure acted in 2015
    assert analyse(runs, ["ref", "more"], 6).window == (2015, 2018)


def test_summary_paragraph_states_effects_costs_and_uncertainty():
    from experiments.report import summary_paragraph

    runs = _synthetic()
    comp = analyse(runs, ["ref", "more"], 6)
    text = summary_paragraph(comp, 0.1, None)
    assert text.startswith("We compared 1 policy scenario with ‘ref’ over 2016–2018")
    assert "The measure lowers the number of exploited workers by more than chance can explain: ‘more’ by about 1.0 at any time" in text
    # The return per NOK is never unqualified: it says what it rests on (issue 14), and with the crime-cost level's
    # multipliers it gives the range they allow.
    assert re.search(r"‘more’ costs NOK 0.003 million more in enforcement\. In the model each NOK it spends avoids about NOK [45]\.\d "
                     r"of crime cost \(95% interval .*\); this rests on the model's level of crime cost", text)
    assert "order of magnitude" in text
    ranged = summary_paragraph(comp, 0.1, None, factors=(0.5, 2.0))
    assert re.search(r"the return could lie anywhere from NOK [\d.]+ to NOK [\d.]+ per NOK spent", ranged)
    assert "not yet calibrated" in text and "not a forecast" in text
    # A scenario with no effect is reported as indistinguishable from chance.
    flat = runs.copy()
    more = flat["scenario"] == "more"
    flat.loc[more, "exploited_workers"] = flat.loc[~more, "exploited_workers"].to_numpy()
    text = summary_paragraph(analyse(flat, ["ref", "more"], 6), 0.1, None)
    assert "For ‘more’ the effect on exploited workers cannot be told apart from chance with 6 replicates." in text


def test_whole_number_parameters_are_rounded(tmp_path):
    path = tmp_path / "s.csv"
    pd.DataFrame({"world.actors.n_initial": [1305.7321], "world.firms.beta": [4.25]}).to_csv(path, index=False)
    (world,) = posterior.draw(path, 1, seed=0)
    assert posterior.as_overrides(world) == ["world.actors.n_initial=1306", "world.firms.beta=4.25"]
    o = parse_args(["policy=[baseline,no_centres]", "reps=2", *TINY_RUN, f"posterior={path}"])
    assert resolve(make_plan(o).specs[0]).world.actors.n_initial == 1306


def _sharing(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "information sharing, whose effects" in w]


def test_sharing_scenarios_below_national_scale_carry_a_warning():
    """A comparison of information sharing below scale 1.0 says it is biased; other comparisons do not."""
    tiny = [a for a in TINY if not a.startswith(("scale=", "end="))] + ["end=2030"]  # planned only: nothing runs
    warned = _sharing(make_plan(parse_args(["policy=[baseline,sharing_reform_early,more_inspectors]", "reps=2", "scale=0.05", *tiny])).warnings)
    assert len(warned) == 1 and "scale = 0.05: sharing_reform_early changes information sharing" in warned[0]
    assert "more_inspectors" not in warned[0] and "scale=1.0" in warned[0]
    lever = "policy.interventions=[{start: '2026-01-01', set: {sharing.latency_multiplier: 4}}]"
    assert _sharing(make_plan(parse_args(["policy=[baseline,more_inspectors]", "reps=2", "scale=0.05", *tiny])).warnings) == []
    # The same intervention in every scenario changes no scenario's sharing against the reference.
    assert _sharing(make_plan(parse_args(["policy=[baseline,more_inspectors]", "reps=2", "scale=0.05", lever, *tiny])).warnings) == []
    assert make_plan(parse_args(["policy=[baseline,sharing_reform_early]", "reps=2", "scale=1.0", *tiny])).warnings == []


def test_comparisons_below_one_to_one_say_the_centres_kpis_differ():
    """Below scale 1.0 every comparison carries the scale caveat (sim.runner.scale_caveat) as a
    warning and a report note; at 1.0 it does not."""
    tiny = [a for a in TINY if not a.startswith(("scale=", "end="))] + ["end=2030"]  # planned only: nothing runs
    warned = make_plan(parse_args(["policy=[baseline,more_inspectors]", "reps=2", "scale=0.1", *tiny])).warnings
    assert len(warned) == 1 and warned[0].startswith("warning: Population scale 1:10: the centres' KPIs differ from a national run's")
    assert "about 21% higher" in warned[0] and "confirm them with scale=1" in warned[0] and "national_actors=true" in warned[0]
    warned = make_plan(parse_args(["policy=[baseline,more_inspectors]", "reps=2", "scale=0.2", *tiny])).warnings
    assert len(warned) == 1 and "measured at 1:5" in warned[0]
    assert make_plan(parse_args(["policy=[baseline,more_inspectors]", "reps=2", "scale=1.0", *tiny])).warnings == []


def test_sharing_differs_ignores_other_levers_and_sees_set_against_multiply():
    from types import SimpleNamespace as NS

    from experiments.compare import _sharing_differs

    def cfg(*ivs, sharing=None):
        return NS(policy=NS(sharing=sharing or {"regulation": "2022-06-01"}, interventions=list(ivs)))

    def iv(start, set_=None, mul=None):
        return NS(start=start, set=set_ or {}, multiply=mul or {})

    lat = iv("2026-01-01", {"sharing.latency_multiplier": 4})
    inspectors = iv("2026-01-01", mul={"nli.n_inspectors": 2})
    assert not _sharing_differs(cfg(inspectors, lat), cfg(lat))  # an extra non-sharing intervention
    assert not _sharing_differs(cfg(lat, iv("2026-01-01", {"sharing.regulation": None})), cfg(iv("2026-01-01", {"sharing.regulation": None}), lat))
    assert _sharing_differs(cfg(lat), cfg())
    assert _sharing_differs(cfg(iv("2026-01-01", mul={"sharing.latency_multiplier": 4})), cfg(lat))
    assert _sharing_differs(cfg(lat), cfg(iv("2027-01-01", {"sharing.latency_multiplier": 4})))
    assert _sharing_differs(cfg(sharing={"regulation": "2016-06-01"}), cfg())


def test_scenarios_from_2026_share_their_history_with_the_same_effects(tmp_path):
    """branch=true (the default): baseline and more_inspectors (from 2026) run their history once
    per replicate and fork (experiments.branch); the effects are exactly those of separate runs."""
    import os

    if not hasattr(os, "fork"):
        pytest.skip("branching needs os.fork")
    common = ["policy=[baseline,more_inspectors]", "reps=2", "seed=3", "scale=0.01", "end=2027", "address=none",
              "progress=false", "posterior=false", "workers=1"]
    on = parse_args([*common, f"out={tmp_path / 'on'}"])
    off = parse_args([*common, f"out={tmp_path / 'off'}", "branch=false"])
    assert on.branch and not off.branch and on.command() == off.command()  # how, not what, is computed
    comp_on, summ_on, _ = run_comparison(on)
    comp_off, summ_off, _ = run_comparison(off)
    assert (summ_on.skipped, summ_on.done) == (4, 0)  # all four computed as branches before execute
    assert (summ_off.skipped, summ_off.done) == (0, 4)
    pd.testing.assert_frame_equal(comp_on.effects, comp_off.effects, check_exact=True)
    assert comp_on.effects.query("kpi == 'inspections_nli' and period == '2027'")["diff_mean"].iloc[0] > 0
