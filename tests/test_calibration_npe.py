"""NPE calibration (calibration/npe.py): a known posterior, coverage, resuming, the coverage table, distinct worlds.

The toy problem has an analytic posterior: theta uniform on [0, 1]^2, the "reported" figure is
theta plus Gaussian reporting error (sd 0.1), so the posterior at x is a normal distribution
N(x, 0.1^2) per parameter, truncated to [0, 1]. The network is trained with the same machinery
as the model's calibration (design, reporting error, training, simulation-based calibration).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sbi")

from calibration import npe  # noqa: E402
from calibration.params import Prior  # noqa: E402

SD = np.array([0.1, 0.1])
NAMES = ["a", "b"]


@pytest.fixture(scope="module")
def toy():
    """A trained posterior of the toy problem and its simulation-based calibration on 200 held-out sets."""
    rng = np.random.default_rng(11)
    units = npe.design(2, 1000, seed=3, stream=npe.TRAIN)
    trained = npe.train(units, npe.add_noise(units, SD, np.zeros(2), rng), seed=3)
    test_units = npe.design(2, 200, seed=3, stream=npe.TEST)
    x_test = npe.add_noise(test_units, SD, np.zeros(2), rng)
    res = npe.sbc(trained, test_units, x_test, NAMES, draws=300)
    return trained, res, test_units, rng


def test_toy_posterior_matches_the_analytic_one(toy):
    trained = toy[0]
    draws = trained.sample(np.array([0.5, 0.35]), 3000)
    assert draws.shape == (3000, 2)
    assert np.allclose(draws.mean(axis=0), [0.5, 0.35], atol=0.03)
    assert np.allclose(draws.std(axis=0), SD, rtol=0.3)  # truncation at 0 and 1 is negligible this far inside


def test_toy_coverage_is_near_nominal(toy):
    res = toy[1]
    assert res.m == 200
    for level in (0.5, 0.8, 0.9):
        assert abs(res.coverage_at(npe.ALL_MEAN, level) - level) <= 0.1, res.coverage
        assert abs(res.coverage_at(npe.JOINT, level) - level) <= 0.1, res.coverage
    assert np.all(res.contraction > 0.6)  # sd 0.1 against the prior's 0.29: about 88% contraction
    assert np.all(np.abs(res.z_mean) < 0.3)


def test_coverage_detects_an_overconfident_posterior(toy):
    """Held-out data with three times the reporting error the network was trained for: coverage must collapse."""
    trained, _, test_units, rng = toy
    wrong = npe.sbc(trained, test_units, npe.add_noise(test_units, 3 * SD, np.zeros(2), rng), NAMES, draws=300)
    assert wrong.coverage_at(npe.ALL_MEAN, 0.9) < 0.7
    assert npe.coverage_verdicts(wrong, NAMES)[npe.ALL_MEAN] == "overconfident"


def test_widening_keeps_median_order_and_box():
    rng = np.random.default_rng(0)
    u = rng.beta(8, 3, size=(400, 3, 2))
    assert np.allclose(npe.widen(u, np.ones(2)), u, atol=1e-9)  # factor 1: unchanged
    w = npe.widen(u, np.array([2.0, 0.5]))
    assert np.all((w > 0) & (w < 1))
    assert np.allclose(np.median(w, axis=0), np.median(u, axis=0), atol=1e-6)
    assert np.array_equal(np.argsort(w, axis=0), np.argsort(u, axis=0))  # monotone: ranks unchanged
    iqr = lambda a: np.subtract(*np.quantile(npe._logit(a), [0.75, 0.25], axis=0))  # noqa: E731
    assert np.allclose(iqr(w) / iqr(u), [[2.0, 0.5]] * 3, rtol=0.05)


def test_recalibration_repairs_an_overconfident_posterior_out_of_sample(toy):
    """The flows trained for sd 0.1 meet data with sd 0.3: cross-fitted widening restores coverage, raw stays low."""
    trained, _, test_units, _ = toy
    rng = np.random.default_rng(12)
    x_wrong = npe.add_noise(test_units, 3 * SD, np.zeros(2), rng)
    import copy

    t = copy.copy(trained)
    res = npe.recalibrated_sbc(t, test_units, x_wrong, NAMES, draws=300)
    assert res.raw.coverage_at(npe.ALL_MEAN, 0.9) < 0.7  # the flows as trained: overconfident
    for level in (0.5, 0.8, 0.9):
        assert abs(res.coverage_at(npe.ALL_MEAN, level) - level) <= 0.08, res.coverage
        # the joint region improves but need not become nominal: the true posterior here (sd 0.3, cut by
        # the prior box) is not a widened copy of the flows' narrow one, so its highest-density shape differs
        assert res.coverage_at(npe.JOINT, level) > res.raw.coverage_at(npe.JOINT, level) + 0.15, res.coverage
    assert np.all(res.widening > 1.8) and res.widening_folds.shape == (2, 2)
    assert np.array_equal(t.widening, res.widening) and trained.widening is None
    draws = t.sample(np.array([0.5, 0.35]), 3000)  # the final posterior is widened too
    assert np.all(draws.std(axis=0) > 1.8 * trained.sample(np.array([0.5, 0.35]), 3000).std(axis=0))
    assert np.all((draws > 0) & (draws < 1))


def test_recalibration_leaves_a_calibrated_posterior_nearly_alone(toy):
    import copy

    trained, _, test_units, _ = toy
    x_ok = npe.add_noise(test_units, SD, np.zeros(2), np.random.default_rng(13))
    res = npe.recalibrated_sbc(copy.copy(trained), test_units, x_ok, NAMES, draws=300)
    assert np.all((res.widening > 0.75) & (res.widening < 1.35)), res.widening
    for level in (0.5, 0.8, 0.9):
        assert abs(res.coverage_at(npe.ALL_MEAN, level) - level) <= 0.1, res.coverage


def test_coverage_table_schema(toy, tmp_path):
    cov = toy[1].coverage
    path = tmp_path / "coverage.csv"
    cov.to_csv(path, index=False)
    back = pd.read_csv(path)
    assert list(back.columns) == ["parameter", "level", "coverage"]
    assert set(back["parameter"]) == {*NAMES, npe.ALL_MEAN, npe.JOINT}
    for _, g in back.groupby("parameter"):
        assert sorted(g["level"]) == sorted(npe.LEVELS)
    assert back["coverage"].between(0, 1).all()
    assert back["level"].between(0, 1).all()


def test_design_extends_and_maps_priors():
    a, b = npe.design(3, 10, 1, npe.TRAIN), npe.design(3, 25, 1, npe.TRAIN)
    assert np.array_equal(a, b[:10])  # more runs keep the first ones
    assert not np.array_equal(a, npe.design(3, 10, 1, npe.TEST)[:10])
    p, q = Prior("u", "uniform", 2.0, 6.0), Prior("l", "loguniform", 0.01, 1.0)
    u = np.array([0.0, 0.25, 1.0])
    assert np.allclose(npe.from_unit(p, u), [2.0, 3.0, 6.0])
    assert np.allclose(npe.from_unit(q, u), [0.01, 0.01 ** 0.75, 1.0])
    assert np.allclose(npe.to_unit(q, npe.from_unit(q, u)), u)


class IshigamiProblem(npe.Problem):
    """The Ishigami test model (experiments.testmodels) with noise: runs through the run store like the model's."""

    def __init__(self, hi: float = 3.0) -> None:
        self.priors = [Prior(f"x{i}", "uniform", -hi, hi) for i in (1, 2, 3)]
        self.stats = ["y"]
        self.observed = np.array([3.0])
        self.noise_sd = np.array([0.1])
        self.noise_half = np.zeros(1)

    def spec(self, params, seed, **tags):
        from experiments.runs import RunSpec

        return RunSpec.for_model("ishigami", [*(f"{k}={v!r}" for k, v in params.items()), f"seed={seed}", "noise_sd=0.2"], **tags)

    def summaries(self, record):
        return np.array([float(record["y"].iloc[0])])


def _settings(tmp_path, lines):
    return npe.NPESettings(budget=npe.NPEBudget(simulations=40, sbc=10, scale=1.0, predictive=1, ensemble=2), store=tmp_path / "runs",
                           seed=5, address="none", sbc_draws=50, max_epochs=30, say=lines.append)


def test_stopped_calibration_resumes_recomputing_nothing(tmp_path, monkeypatch):
    import experiments.execute as ex

    real = ex.run_spec_safe
    calls = []

    def counting(spec, key=None):
        calls.append(key)
        if stop_after[0] is not None and len(calls) > stop_after[0]:
            raise KeyboardInterrupt  # the calibration is stopped here (Ctrl-C, a killed job)
        return real(spec, key)

    monkeypatch.setattr(ex, "run_spec_safe", counting)
    lines: list[str] = []
    stop_after = [12]
    with pytest.raises(KeyboardInterrupt):
        npe.calibrate(IshigamiProblem(), _settings(tmp_path, lines))
    first = calls[:12]
    assert len(set(first)) == 12
    calls.clear()
    stop_after[0] = None
    res = npe.calibrate(IshigamiProblem(), _settings(tmp_path, lines))
    assert len(calls) == 50 - 12 and not set(calls) & set(first)  # none of the finished runs again
    assert res.train_runs.reused == 12 and res.train_runs.done == 28 and res.test_runs.done == 10
    assert len(res.sample) == 1000 and np.allclose(res.sample["weight"].sum(), 1.0)
    assert len(res.trained.posteriors) == 2  # an ensemble of two flows
    assert res.sample[["x1", "x2", "x3"]].abs().max().max() <= 3.0  # draws inside the prior
    calls.clear()
    import experiments.runs as runs

    resolved = []
    real_resolve = runs.resolve
    monkeypatch.setattr(runs, "resolve", lambda spec: resolved.append(spec) or real_resolve(spec))
    runs._KEYS.clear()  # as in a new process: keys come from the store's key cache
    again = npe.calibrate(IshigamiProblem(), _settings(tmp_path, lines))
    assert calls == [] and again.train_runs.reused == 40 and again.test_runs.reused == 10
    assert resolved == []  # planning a resumed calibration resolves no configuration
    assert np.array_equal(again.train_runs.x, res.train_runs.x)
    pd.testing.assert_frame_equal(again.sample, res.sample)  # retraining on the same runs is deterministic
    assert not any("not reused" in line for line in lines)
    from calibration.npe_run import store_status

    assert "40 training and 10 held-out runs finished, 0 failed" in store_status(tmp_path / "runs")
    table = npe.runs_table(IshigamiProblem(), {"training": again.train_runs, "heldout": again.test_runs})
    assert list(table.columns) == ["set", "index", "seed", "run_key", "x1", "x2", "x3", "stat:y"]
    assert (table["set"] == "training").sum() == 40 and (table["set"] == "heldout").sum() == 10
    assert np.allclose(table.loc[table["set"] == "training", "stat:y"], again.train_runs.x[:, 0])
    assert table[["x1", "x2", "x3"]].abs().max().max() <= 3.0 and table["run_key"].is_unique


def test_other_priors_or_code_invalidate_the_runs_with_one_line(tmp_path, monkeypatch, capsys):
    import experiments.execute as ex

    lines: list[str] = []
    npe.calibrate(IshigamiProblem(), _settings(tmp_path, lines))
    res = npe.calibrate(IshigamiProblem(hi=2.0), _settings(tmp_path, lines))
    said = [line for line in lines if "not reused" in line]
    assert len(said) == 1 and "priors" in said[0]
    assert res.train_runs.done == 40 and res.train_runs.reused == 0
    capsys.readouterr()
    monkeypatch.setattr(ex, "_code_version", lambda: "9.9.9+other")
    res = npe.calibrate(IshigamiProblem(hi=2.0), _settings(tmp_path, lines))
    err = [line for line in capsys.readouterr().err.splitlines() if "other code versions" in line]
    assert len(err) == 1 and "recomputing 50 of 50" in err[0]  # one line for training and held-out runs
    assert res.train_runs.done == 40


def test_compare_gives_every_replicate_its_own_world(tmp_path):
    from experiments import posterior

    rng = np.random.default_rng(0)
    n = 1000
    sample = pd.DataFrame({"world.firms.beta": rng.uniform(1, 5, n), "world.firms.z0": rng.uniform(-2, 0, n)})
    sample["weight"] = 1.0 / n
    path = tmp_path / "posterior_sample.csv"
    sample.to_csv(path, index=False)
    worlds = posterior.draw(path, 200, seed=7)
    assert len({tuple(w.values()) for w in worlds}) == 200
    assert worlds == posterior.draw(path, 200, seed=7) and worlds != posterior.draw(path, 200, seed=8)
    # through the comparison's plan: replicate r of every scenario gets the same world, replicates differ
    from experiments.compare import CompareOptions, make_plan

    plan = make_plan(CompareOptions(scenarios=["baseline", "more_inspectors"], reps=30, posterior=str(path), scale=0.01))
    assert len({tuple(sorted(w.items())) for w in plan.worlds}) == 30


def test_report_sections(tmp_path):
    from calibration.npe_report import npe_info, npe_sections

    lines: list[str] = []
    res = npe.calibrate(IshigamiProblem(), _settings(tmp_path, lines))
    problem = res.problem
    summary = [{"key": p.key, "contraction": float(c), "contraction_sbc": float(s)}
               for p, c, s in zip(problem.priors, npe.contraction_at_observed(res.units), res.sbc.contraction)]
    html = "\n".join(npe_sections(res, problem, [], summary))
    for heading in ("Simulation-based calibration", "Posterior contraction", "Misspecification check"):
        assert f"<h2>{heading}" in html
    assert html.count("data:image/png;base64,") == 2  # coverage against nominal, rank histograms
    assert "mean over parameters" in html and "joint (highest density region)" in html
    assert all(v in ("inside", "outside") for v in [r["verdict"] for r in res.misspec["per_stat"]])
    info = npe_info({"command": "akrim calibrate", "ensemble": 2, "estimator": "maf", "training_runs": 40, "draws": 1000})
    assert any("2 maf flow(s)" in cell for row in info for cell in row)


def test_head_to_head_table(tmp_path, capsys):
    import json

    from calibration import headtohead

    (tmp_path / "n").mkdir()
    (tmp_path / "a").mkdir()
    fresh = {"median": 1.5, "q10": 1.0, "q90": 2.0}
    (tmp_path / "n" / "meta.json").write_text(json.dumps({
        "method": "npe", "simulations": 150, "training_runs": 100, "heldout_runs": 50, "wall_npe_s": 600, "scale": 0.01,
        "coverage": {"mean over parameters": {"0.5": 0.45, "0.8": 0.75, "0.9": 0.88, "0.95": 0.93}},
        "fresh_run_distance": fresh, "verdicts": {"nli_inspections": "inside", "crime_cost": "near", "fines_nok": "inside"}}))
    (tmp_path / "a" / "meta.json").write_text(json.dumps({
        "simulations": 60, "wall_abc_history_s": 300, "scale": 0.01, "fresh_run_distance": fresh,
        "verdicts": {"nli_inspections": "inside", "crime_cost": "inside"}}))
    assert headtohead.main([f"npe={tmp_path / 'n'}", f"abc={tmp_path / 'a'}", f"out={tmp_path / 't.md'}"]) == 0
    text = (tmp_path / "t.md").read_text()
    npe_row, abc_row = text.splitlines()[2:4]
    assert npe_row.startswith("| NPE | 150 (100 training + 50 held out) | 600 s | 45% / 75% / 88% | 1.50 (1.00-2.00) | 1 of 2 |")
    assert abc_row.startswith("| ABC-SMC | 60 | 300 s | not measured | 1.50 (1.00-2.00) | 2 of 2 |")
    assert headtohead.main([f"npe={tmp_path / 'n'}"]) == 2
    assert "abc = None (allowed: required" in capsys.readouterr().err
    assert headtohead.main([f"npe={tmp_path}", f"abc={tmp_path / 'a'}"]) == 2
    assert "no meta.json there" in capsys.readouterr().err


@pytest.mark.slow
def test_npe_small_budget_end_to_end_and_reuse(tmp_path):
    """The real model on a local Dask cluster: a tiny NPE calibration, then the same command again (nothing re-run)."""
    import json
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    akrim = shutil.which("akrim", path=str(Path(sys.executable).parent)) or "akrim"
    out, world = tmp_path / "post", tmp_path / "calibrated.yaml"
    args = [akrim, "calibrate", "budget=small", "simulations=40", "sbc=10", "predictive=4", "scale=0.01", f"out={out}",
            f"world_out={world}", "progress=false", "workers=2"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    meta = json.loads((out / "meta.json").read_text())
    assert meta["method"] == "npe" and meta["pipeline_check"] is True and meta["training_runs"] == 40
    cov = pd.read_csv(out / "coverage.csv")
    assert list(cov.columns) == ["parameter", "level", "coverage"]
    sample = pd.read_csv(out / "posterior_sample.csv")
    assert len(sample) >= 1000 and sample.columns[-1] == "weight" and all(c.startswith("world.") for c in sample.columns[:-1])
    html = (out / "report.html").read_text()
    assert "Simulation-based calibration" in html and "Misspecification check" in html and "Validation targets" in html
    assert "# pipeline_check: true" in world.read_text() and "neural posterior estimation" in world.read_text()
    proc = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "40 training and 10 held-out runs reused, 0 and 0 run now" in proc.stdout


def test_model_problem_runs_keep_the_regional_rows_its_targets_read():
    """The Oslo centre's targets read the regional table: the calibration runs must record it, and a store
    of national-only records is refused with one clear error instead of NaN in every run."""
    import json

    from calibration.params import load_priors
    from calibration.targets import load_targets
    from experiments.tables import run_tables_safe

    prob = npe.AkrimProblem(load_priors(), load_targets(), 0.1)
    regional = [t.id for t in prob.targets if t.region]
    assert regional and prob.runner is run_tables_safe and prob.fingerprint()["records"] == "tables"
    national_only = pd.DataFrame({"year": [2014], "run_key": ["k1"], "config_json": [json.dumps({"scale": 0.1})]})
    with pytest.raises(npe.NPEError, match="no regional table.*" + regional[0]):
        prob.summaries(national_only)


class BiasedProbe(npe.Problem):
    """A toy with a scale bias: the statistic is x at the high fidelity (scale 1) and x - 0.15 below it.

    So a posterior fitted at the low fidelity to the reported 0.6 sits near x = 0.75; read at the
    reported figure less the measured discrepancy it sits near the truth, 0.6.
    """

    BIAS = -0.15

    def __init__(self, scale: float = 0.1) -> None:
        self.scale = scale
        self.priors = [Prior("x", "uniform", 0.0, 1.0)]
        self.stats = ["y"]
        self.observed = np.array([0.6])
        self.noise_sd = np.array([0.03])
        self.noise_half = np.zeros(1)

    def at_scale(self, scale):
        return BiasedProbe(scale)

    def spec(self, params, seed, **tags):
        from experiments.runs import RunSpec

        return RunSpec.for_model("probe", [f"x={params['x']!r}", f"seed={seed}"], scale=self.scale, **tags)

    def summaries(self, record):
        return np.array([float(record["y"].iloc[0]) + (self.BIAS if self.scale < 1.0 else 0.0)])


def test_multi_fidelity_discrepancy_moves_the_posterior_to_the_truth(tmp_path):
    """Issue 12 (*Scale*): runs at a high fidelity at a few posterior draws measure the calibration
    scale's bias, and the posterior is taken at the reported figure less it; without it the fit
    absorbs the bias into the parameter."""
    def fit(fidelity, store):
        lines: list[str] = []
        b = npe.NPEBudget(simulations=300, sbc=10, scale=0.1, predictive=1, ensemble=1, fidelity=fidelity, fidelity_points=4,
                          fidelity_reps=2)
        st = npe.NPESettings(budget=b, store=tmp_path / store, seed=7, address="none", sbc_draws=50, max_epochs=200,
                             say=lines.append)
        return npe.calibrate(BiasedProbe(0.1), st), lines

    plain, _ = fit(0.0, "plain")
    assert plain.discrepancy is None
    assert abs(plain.sample["x"].median() - 0.75) < 0.04, plain.sample["x"].median()
    multi, lines = fit(1.0, "multi")
    d = multi.discrepancy
    assert d is not None and d.points == 4 and d.reps == 2 and d.hi_scale == 1.0 and d.lo_scale == 0.1
    assert d.delta[0] == pytest.approx(0.15) and bool(d.applied[0])
    assert d.correct(np.array([0.6]))[0] == pytest.approx(0.45)
    assert abs(multi.sample["x"].median() - 0.6) < 0.04, multi.sample["x"].median()
    assert any("scale discrepancy (0.1 against 1" in ln and "y +0.15" in ln for ln in lines), lines
    info = d.as_dict()
    assert info["stats"]["y"]["applied"] and info["stats"]["y"]["mean_hi"] - info["stats"]["y"]["mean_lo"] == pytest.approx(0.15)
    from calibration.npe_report import discrepancy_section

    page = "\n".join(discrepancy_section(d, {}))
    assert "measured and removed" in page and "<span class='inside'>applied</span>" in page and "+0.15" in page
    assert "No scale-bias runs" in "\n".join(discrepancy_section(None, {}))
    # an unbiased problem: nothing applied (the discrepancy is exactly zero)
    monkey = BiasedProbe(0.1)
    monkey.at_scale = lambda s: monkey  # the "high fidelity" is the same model
    store = __import__("experiments.store", fromlist=["ResultStore"]).ResultStore(tmp_path / "same")
    same = npe.measure_discrepancy(monkey, multi.units[:3], 1.0, 1, 7, store, address="none")
    assert same.delta[0] == pytest.approx(0.0) and not bool(same.applied[0])
    with pytest.raises(npe.NPEError, match=r"IshigamiProblem has no population scale .*allowed: fidelity=0"):
        npe.measure_discrepancy(IshigamiProblem(), multi.units[:2, :0], 1.0, 1, 7, store, address="none")
