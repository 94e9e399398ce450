"""The corpus of bad inputs (issue 13): every one refused before any work, in one line that names the key.

Each case runs ``akrim <command> ...`` in-process (``experiments.cli.main``) in an empty working
directory, with every function that would start work (a run, a sweep, a comparison, a fit, a
screening, the workshop server) replaced by one that fails the test. A case passes when the
command exits with code 2, prints at most two lines on stderr that start with ``akrim: error:``
and name the key, prints no traceback, and leaves no file or folder behind. A few cases go
through the real ``akrim`` executable as well.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import experiments.cli as cli

REPO = Path(__file__).resolve().parents[1]
AKRIM = shutil.which("akrim", path=str(Path(sys.executable).parent)) or "akrim"
MORRIS = str(REPO / "experiments" / "sweeps" / "morris_world.yaml")
LHS = str(REPO / "experiments" / "sweeps" / "example.yaml")
IV_BOGUS = "policy.interventions=[{start: '2026-01-01', set: {nli.bogus: 3}}]"
IV_TOO_BIG = "policy.interventions=[{start: '2026-01-01', set: {sanctions.p_fine: 1.5}}]"
DEAD = "tcp://127.0.0.1:1"  # nothing listens on port 1
OK_COMPARE = "policy=[baseline,more_inspectors]"


def tiny_sweep(**extra) -> dict:
    body = {
        "name": "tiny", "model": "akrim", "base": ["scale=0.005", "end=2014"],
        "parameters": {"policy.nli.n_inspectors": {"levels": [200.0, 300.0]}},
        "design": {"method": "factorial"}, "replicates": 2, "seed": 5,
        "outputs": {"kpis": ["inspections_nli"]},
    }
    body.update(extra)
    return body


FILES = {
    "bad.yaml": "name: bad\nnli: {n_inspectors: 3\n",
    "empty.yaml": "",
    "comment.yaml": "# only a comment\n",
    "list.yaml": "- nli\n- sanctions\n",
    "unknown_key.yaml": "nli: {n_inspecters: 300}\n",
    "wrong_type.yaml": "nli: {n_inspectors: lots}\n",
    "out_of_range.yaml": "sanctions: {p_fine: 2.5}\n",
    "inf.yaml": "nli: {n_inspectors: .inf}\n",
    "world_unknown.yaml": "firms: {betta: 3}\n",
    "binary.yaml": "\x00\x01\x02",
    "sweep_bad.yaml": "name: x\nparameters: [\n",
    "sweep_empty.yaml": "",
    "sweep_list.yaml": "- a\n",
    "sweep_unknown_top.yaml": yaml.safe_dump(tiny_sweep(replicate=2)),
    "sweep_model.yaml": yaml.safe_dump(tiny_sweep(model="covasim")),
    "sweep_reps0.yaml": yaml.safe_dump(tiny_sweep(replicates=0)),
    "sweep_reps_huge.yaml": yaml.safe_dump(tiny_sweep(replicates=10**6)),
    "sweep_n_huge.yaml": yaml.safe_dump(tiny_sweep(design={"method": "lhs", "n": 10**9},
                                                   parameters={"world.firms.beta": {"range": [2, 5]}})),
    "sweep_n0.yaml": yaml.safe_dump(tiny_sweep(design={"method": "lhs", "n": 0},
                                               parameters={"world.firms.beta": {"range": [2, 5]}})),
    "sweep_factorial_huge.yaml": yaml.safe_dump(tiny_sweep(
        design={"method": "factorial", "levels": 100},
        parameters={k: {"range": [0.1, 0.5]} for k in ("policy.sanctions.p_fine", "policy.sanctions.p_order", "world.firms.beta",
                                                          "world.actors.reinvest")})),
    "sweep_runs_huge.yaml": yaml.safe_dump(tiny_sweep(design={"method": "lhs", "n": 50_000}, replicates=10,
                                                      parameters={"world.firms.beta": {"range": [2, 5]}})),
    "sweep_kpi.yaml": yaml.safe_dump(tiny_sweep(outputs={"kpis": ["undeclared_share"]})),
    "sweep_stat.yaml": yaml.safe_dump(tiny_sweep(outputs={"stat": "median"})),
    "sweep_years.yaml": yaml.safe_dump(tiny_sweep(outputs={"years": [2010, 2014]})),
    "sweep_base_scale.yaml": yaml.safe_dump(tiny_sweep(base=["scale=7"])),
    "sweep_base_inf.yaml": yaml.safe_dump(tiny_sweep(base=["scale=0.005", "policy.nli.n_inspectors=inf"])),
    "sweep_base_seed.yaml": yaml.safe_dump(tiny_sweep(base=["seed=3"])),
    "sweep_no_params.yaml": yaml.safe_dump(tiny_sweep(parameters={})),
    "sweep_param_range.yaml": yaml.safe_dump(tiny_sweep(parameters={"policy.sanctions.p_fine": {"range": [0.1, 1.3]}},
                                                        design={"method": "lhs", "n": 4})),
    "sweep_param_key.yaml": yaml.safe_dump(tiny_sweep(parameters={"world.firms.betta": {"range": [1, 2]}},
                                                      design={"method": "lhs", "n": 4})),
    "sweep_param_inf.yaml": yaml.safe_dump(tiny_sweep(parameters={"world.firms.beta": {"range": [1, float("inf")]}},
                                                      design={"method": "lhs", "n": 4})),
    "sweep_method.yaml": yaml.safe_dump(tiny_sweep(design={"method": "grid"})),
    "sweep_seed.yaml": yaml.safe_dump(tiny_sweep(seed=-1)),
    "sweep_name.yaml": yaml.safe_dump(tiny_sweep(name="bad name!")),
    "sobol_other.yaml": yaml.safe_dump({"name": "ishigami_x", "model": "ishigami", "parameters": {"x1": {}, "x2": {}, "x3": {}},
                                        "design": {"method": "sobol", "n": 8, "seed": 1}}),
}

# (id, argv with {in} for the folder of the files above, a word the message must contain: the key)
CASES: list[tuple[str, list[str], str]] = [
    # ------------------------------------------------------------------ akrim run
    ("run-prob-above-one", ["run", "policy.sanctions.p_fine=1.3"], "policy.sanctions.p_fine"),
    ("run-negative-capacity", ["run", "policy.police.n_investigators=-5"], "policy.police.n_investigators"),
    ("run-end-before-start", ["run", "start=2020", "end=2018"], "end"),
    ("run-seed-text", ["run", "seed=abc"], "seed"),
    ("run-seed-negative", ["run", "seed=-1"], "seed"),
    ("run-seed-float", ["run", "seed=1.5"], "seed"),
    ("run-scale-text", ["run", "scale=abc"], "scale"),
    ("run-scale-zero", ["run", "scale=0"], "scale"),
    ("run-scale-huge", ["run", "scale=5"], "scale"),
    ("run-scale-nan", ["run", "scale=nan"], "scale"),
    ("run-scale-inf", ["run", "scale=inf"], "scale"),
    ("run-end-text", ["run", "end=soon"], "end"),
    ("run-end-far", ["run", "end=2200"], "end"),
    ("run-start-early", ["run", "start=1900"], "start"),
    ("run-unknown-lever", ["run", "policy.nli.bogus=1"], "policy.nli.bogus"),
    ("run-typo-lever", ["run", "policy.nli.n_inspecters=1000"], "policy.nli.n_inspecters"),
    ("run-plus-typo", ["run", "+policy.nli.n_inspecters=1000"], "policy.nli.n_inspecters"),
    ("run-plus-existing", ["run", "+policy.nli.n_inspectors=1000"], "policy.nli.n_inspectors"),
    ("run-tilde", ["run", "~policy.nli"], "policy.nli"),
    ("run-unknown-section", ["run", "policy.bogus.x=1"], "policy.bogus.x"),
    ("run-unknown-top", ["run", "bogus=1"], "bogus"),
    ("run-world-typo", ["run", "world.firms.betta=2"], "world.firms.betta"),
    ("run-section-as-value", ["run", "policy.nli=3"], "policy.nli"),
    ("run-value-as-section", ["run", "seed.x=3"], "seed.x"),
    ("run-inspectors-inf", ["run", "policy.nli.n_inspectors=inf"], "policy.nli.n_inspectors"),
    ("run-inspectors-minus-inf", ["run", "policy.nli.n_inspectors=-inf"], "policy.nli.n_inspectors"),
    ("run-inspectors-nan", ["run", "policy.nli.n_inspectors=nan"], "policy.nli.n_inspectors"),
    ("run-inspectors-huge", ["run", "policy.nli.n_inspectors=1e9"], "policy.nli.n_inspectors"),
    ("run-inspectors-text", ["run", "policy.nli.n_inspectors=abc"], "policy.nli.n_inspectors"),
    ("run-investigators-huge", ["run", "policy.police.n_investigators=1e7"], "policy.police.n_investigators"),
    ("run-unbounded-inf", ["run", "world.actors.capacity_mean_mnok=inf"], "world.actors.capacity_mean_mnok"),
    ("run-employers-zero", ["run", "world.population.n_employers=0"], "world.population.n_employers"),
    ("run-employers-negative", ["run", "world.population.n_employers=-1"], "world.population.n_employers"),
    ("run-employers-huge", ["run", "world.population.n_employers=1000000000000"], "world.population.n_employers"),
    ("run-actors-huge", ["run", "world.actors.n_initial=1000000000"], "world.actors.n_initial"),
    ("run-max-companies-zero", ["run", "world.actors.max_companies=0"], "world.actors.max_companies"),
    ("run-new-actors-huge", ["run", "world.actors.rate_new_year=1e8"], "world.actors.rate_new_year"),
    ("run-analysts-huge", ["run", "policy.centres.by_region.oslo.analysts=1e6"], "policy.centres.by_region.oslo.analysts"),
    ("run-policy-unknown", ["run", "policy=nonexistent"], "policy"),
    ("run-package-unknown-first", ["run", "policy=nonexistent+baseline"], "policy"),
    ("run-package-unknown-second", ["run", "policy=baseline+nope"], "policy"),
    ("run-policy-empty", ["run", "policy="], "policy"),
    ("run-world-unknown", ["run", "world=nope"], "world"),
    ("run-policy-file-syntax", ["run", "policy={in}/bad.yaml"], "policy"),
    ("run-policy-file-empty", ["run", "policy={in}/empty.yaml"], "policy"),
    ("run-policy-file-comment-only", ["run", "policy={in}/comment.yaml"], "policy"),
    ("run-policy-file-list", ["run", "policy={in}/list.yaml"], "policy"),
    ("run-policy-file-unknown-key", ["run", "policy={in}/unknown_key.yaml"], "n_inspecters"),
    ("run-policy-file-wrong-type", ["run", "policy={in}/wrong_type.yaml"], "n_inspectors"),
    ("run-policy-file-out-of-range", ["run", "policy={in}/out_of_range.yaml"], "policy.sanctions.p_fine"),
    ("run-policy-file-inf", ["run", "policy={in}/inf.yaml"], "policy.nli.n_inspectors"),
    ("run-policy-file-missing", ["run", "policy={in}/missing.yaml"], "policy"),
    ("run-policy-file-binary", ["run", "policy={in}/binary.yaml"], "policy"),
    ("run-world-file-syntax", ["run", "world={in}/bad.yaml"], "world"),
    ("run-world-file-empty", ["run", "world={in}/empty.yaml"], "world"),
    ("run-world-file-unknown", ["run", "world={in}/world_unknown.yaml"], "betta"),
    ("run-bad-date", ["run", "policy.sharing.regulation=2022-13-45"], "policy.sharing.regulation"),
    ("run-bad-centre-date", ["run", "policy.centres.by_region.alta.open=autumn"], "policy.centres.by_region.alta.open"),
    ("run-unknown-region", ["run", "policy.centres.by_region.nowhere.open=null"], "policy.centres.by_region.nowhere"),
    ("run-intervention-unknown-lever", ["run", IV_BOGUS], "nli.bogus"),
    ("run-intervention-out-of-range", ["run", IV_TOO_BIG], "policy.sanctions.p_fine"),
    ("run-repeated-key", ["run", "seed=1", "seed=2"], "seed"),
    ("run-list-without-m", ["run", "policy=baseline,no_centres"], "policy"),
    ("run-multirun-bad-value", ["run", "-m", "seed=1,abc"], "seed"),
    ("run-multirun-bad-scenario", ["run", "-m", "policy=baseline,nope"], "policy"),
    ("run-multirun-too-many", ["run", "-m", "seed=range(0,2000)"], "-m"),
    ("run-cfg-hydra", ["run", "--cfg", "hydra"], "--cfg"),
    ("run-hydra-key", ["run", "hydra.run.dir=/tmp/x"], "hydra.run.dir"),
    ("run-bare-word", ["run", "frobnicate"], "argument"),
    ("run-unknown-flag", ["run", "--bogus"], "argument"),
    ("run-bool-text", ["run", "output.plot=maybe"], "output.plot"),
    ("run-bool-lever-number", ["run", "policy.sanctions.publish_suspensions=3"], "policy.sanctions.publish_suspensions"),
    ("run-index-key", ["run", "policy.interventions[0].start=2020-01-01"], "policy.interventions[0].start"),
    ("run-intervention-not-yaml", ["run", "policy.interventions=[{bad"], "policy.interventions"),
    ("run-interventions-not-a-list", ["run", "policy.interventions=3"], "policy.interventions"),
    ("run-multirun-unparsable", ["run", "-m", "seed=choice("], "seed"),
    ("run-multirun-repeated", ["run", "-m", "seed=1,2", "seed=3"], "seed"),
    ("run-unknown-sector", ["run", "policy.consumers.norgesmodellen_sectors=[nope]"], "policy.consumers.norgesmodellen_sectors"),
    ("run-link-above-one", ["run", "policy.sharing.before.tax_to_centre.completeness=2"], "policy.sharing.before.tax_to_centre.completeness"),
    ("run-interpolation", ["run", "policy.nli.n_inspectors=${oc.env:HOME}"], "policy.nli.n_inspectors"),
    ("run-list-for-number", ["run", "policy.nli.n_inspectors=[1,2]"], "policy.nli.n_inspectors"),
    ("run-year-float", ["run", "end=2015.5"], "end"),
    # ------------------------------------------------------------------ akrim compare
    ("compare-no-policy", ["compare", "reps=3"], "policy"),
    ("compare-one-scenario", ["compare", "policy=[baseline]"], "policy"),
    ("compare-unknown-scenario", ["compare", "policy=[baseline,nope]"], "policy"),
    ("compare-unknown-package-part", ["compare", "policy=[baseline,more_inspectors+nope]"], "policy"),
    ("compare-duplicate", ["compare", "policy=[baseline,baseline]"], "policy"),
    ("compare-bad-name", ["compare", "policy=[baseline,no-centres!]"], "policy"),
    ("compare-reps-one", ["compare", OK_COMPARE, "reps=1"], "reps"),
    ("compare-reps-text", ["compare", OK_COMPARE, "reps=many"], "reps"),
    ("compare-reps-huge", ["compare", OK_COMPARE, "reps=100000000"], "reps"),
    ("compare-reps-inf", ["compare", OK_COMPARE, "reps=inf"], "reps"),
    ("compare-seed-negative", ["compare", OK_COMPARE, "seed=-4"], "seed"),
    ("compare-scale-text", ["compare", OK_COMPARE, "scale=big"], "scale"),
    ("compare-scale-inf", ["compare", OK_COMPARE, "scale=inf"], "scale"),
    ("compare-scale-zero", ["compare", OK_COMPARE, "scale=0"], "scale"),
    ("compare-end-text", ["compare", OK_COMPARE, "end=soon"], "end"),
    ("compare-end-early", ["compare", OK_COMPARE, "end=1900"], "end"),
    ("compare-end-before-start", ["compare", OK_COMPARE, "start=2020", "end=2018"], "end"),
    ("compare-from-after-end", ["compare", OK_COMPARE, "from=2040"], "from"),
    ("compare-workers-zero", ["compare", OK_COMPARE, "workers=0"], "workers"),
    ("compare-workers-huge", ["compare", OK_COMPARE, "workers=100000"], "workers"),
    ("compare-address-malformed", ["compare", OK_COMPARE, "address=localhost"], "address"),
    ("compare-address-dead", ["compare", OK_COMPARE, f"address={DEAD}"], "address"),
    ("compare-workers-with-address", ["compare", OK_COMPARE, "workers=2", "address=tcp://10.0.0.5:8786"], "workers"),
    ("compare-progress-text", ["compare", OK_COMPARE, "progress=maybe"], "progress"),
    ("compare-rerun-text", ["compare", OK_COMPARE, "rerun_stale=maybe"], "rerun_stale"),
    ("compare-repeated", ["compare", OK_COMPARE, "reps=2", "reps=3"], "reps"),
    ("compare-flag", ["compare", OK_COMPARE, "--cfg"], "argument"),
    ("compare-typo-key", ["compare", OK_COMPARE, "rep=3"], "rep"),
    ("compare-unknown-lever", ["compare", OK_COMPARE, "policy.nli.bogus=3"], "policy.nli.bogus"),
    ("compare-typo-lever", ["compare", OK_COMPARE, "policy.nli.n_inspecters=3"], "policy.nli.n_inspecters"),
    ("compare-lever-out-of-range", ["compare", OK_COMPARE, "policy.sanctions.p_fine=1.3"], "policy.sanctions.p_fine"),
    ("compare-lever-inf", ["compare", OK_COMPARE, "policy.nli.n_inspectors=inf"], "policy.nli.n_inspectors"),
    ("compare-world-out-of-range", ["compare", OK_COMPARE, "world.firms.beta=-1"], "world.firms.beta"),
    ("compare-world-unknown", ["compare", OK_COMPARE, "world=nope"], "world"),
    ("compare-employers-zero", ["compare", OK_COMPARE, "world.population.n_employers=0"], "world.population.n_employers"),
    ("compare-policy-name", ["compare", OK_COMPARE, "policy.name=x"], "policy.name"),
    ("compare-output-key", ["compare", OK_COMPARE, "output.plot=true"], "output.plot"),
    ("compare-posterior-missing", ["compare", OK_COMPARE, "posterior=/nonexistent/sample.csv"], "posterior"),
    ("compare-out-empty", ["compare", OK_COMPARE, "out="], "out"),
    # ------------------------------------------------------------------ akrim sweep
    ("sweep-no-file", ["sweep"], "file"),
    ("sweep-file-missing", ["sweep", "file={in}/nowhere.yaml"], "file"),
    ("sweep-file-empty-value", ["sweep", "file="], "file"),
    ("sweep-file-syntax", ["sweep", "file={in}/sweep_bad.yaml"], "file"),
    ("sweep-file-empty", ["sweep", "file={in}/sweep_empty.yaml"], "file"),
    ("sweep-file-list", ["sweep", "file={in}/sweep_list.yaml"], "file"),
    ("sweep-unknown-top-key", ["sweep", "file={in}/sweep_unknown_top.yaml"], "replicate"),
    ("sweep-unknown-model", ["sweep", "file={in}/sweep_model.yaml"], "model"),
    ("sweep-replicates-zero", ["sweep", "file={in}/sweep_reps0.yaml"], "replicates"),
    ("sweep-replicates-huge", ["sweep", "file={in}/sweep_reps_huge.yaml"], "replicates"),
    ("sweep-design-n-huge", ["sweep", "file={in}/sweep_n_huge.yaml"], "design.n"),
    ("sweep-design-n-zero", ["sweep", "file={in}/sweep_n0.yaml"], "design.n"),
    ("sweep-factorial-huge", ["sweep", "file={in}/sweep_factorial_huge.yaml"], "design"),
    ("sweep-runs-huge", ["sweep", "file={in}/sweep_runs_huge.yaml"], "replicates"),
    ("sweep-bad-kpi", ["sweep", "file={in}/sweep_kpi.yaml"], "outputs.kpis"),
    ("sweep-bad-stat", ["sweep", "file={in}/sweep_stat.yaml"], "outputs.stat"),
    ("sweep-bad-years", ["sweep", "file={in}/sweep_years.yaml"], "outputs.years"),
    ("sweep-base-out-of-range", ["sweep", "file={in}/sweep_base_scale.yaml"], "scale"),
    ("sweep-base-inf", ["sweep", "file={in}/sweep_base_inf.yaml"], "policy.nli.n_inspectors"),
    ("sweep-base-seed", ["sweep", "file={in}/sweep_base_seed.yaml"], "base"),
    ("sweep-no-parameters", ["sweep", "file={in}/sweep_no_params.yaml"], "parameters"),
    ("sweep-range-outside-schema", ["sweep", "file={in}/sweep_param_range.yaml"], "policy.sanctions.p_fine"),
    ("sweep-unknown-parameter", ["sweep", "file={in}/sweep_param_key.yaml"], "world.firms.betta"),
    ("sweep-range-inf", ["sweep", "file={in}/sweep_param_inf.yaml"], "world.firms.beta"),
    ("sweep-unknown-method", ["sweep", "file={in}/sweep_method.yaml"], "method"),
    ("sweep-seed-negative", ["sweep", "file={in}/sweep_seed.yaml"], "seed"),
    ("sweep-bad-name", ["sweep", "file={in}/sweep_name.yaml"], "name"),
    ("sweep-workers-zero", ["sweep", f"file={LHS}", "workers=0"], "workers"),
    ("sweep-workers-text", ["sweep", f"file={LHS}", "workers=two"], "workers"),
    ("sweep-address-malformed", ["sweep", f"file={LHS}", "address=10.0.0.1"], "address"),
    ("sweep-address-dead", ["sweep", f"file={LHS}", f"address={DEAD}"], "address"),
    ("sweep-workers-with-address", ["sweep", f"file={LHS}", "workers=2", "address=tcp://10.0.0.5:8786"], "workers"),
    ("sweep-dry-run-text", ["sweep", f"file={LHS}", "dry_run=maybe"], "dry_run"),
    ("sweep-typo-key", ["sweep", "fil=x.yaml"], "fil"),
    ("sweep-bare-word", ["sweep", LHS], "argument"),
    ("sweep-repeated", ["sweep", f"file={LHS}", f"file={MORRIS}"], "file"),
    # ------------------------------------------------------------------ akrim sensitivity
    ("sens-nothing", ["sensitivity"], "file"),
    ("sens-typo-key", ["sensitivity", "out=x", "kpi=y"], "kpi"),
    ("sens-conf-high", ["sensitivity", "out=x", "conf=1.5"], "conf"),
    ("sens-conf-nan", ["sensitivity", "out=x", "conf=nan"], "conf"),
    ("sens-resamples-few", ["sensitivity", "out=x", "resamples=5"], "resamples"),
    ("sens-seed-zero", ["sensitivity", "out=x", "seed=0"], "seed"),
    ("sens-plots-text", ["sensitivity", "out=x", "plots=maybe"], "plots"),
    ("sens-workers-without-file", ["sensitivity", "out=x", "workers=2"], "workers"),
    ("sens-rerun-without-file", ["sensitivity", "out=x", "rerun_stale=true"], "rerun_stale"),
    ("sens-empty-store", ["sensitivity", "out={in}/no_store"], "out"),
    ("sens-lhs-design", ["sensitivity", f"file={LHS}"], "file"),
    ("sens-bad-kpi", ["sensitivity", f"file={MORRIS}", "kpis=nope"], "kpis"),
    ("sens-kpis-empty", ["sensitivity", f"file={MORRIS}", "kpis="], "kpis"),
    ("sens-file-syntax", ["sensitivity", "file={in}/sweep_bad.yaml"], "file"),
    ("sens-address-dead", ["sensitivity", f"file={MORRIS}", f"address={DEAD}"], "address"),
    ("sens-sweep-mismatch", ["sensitivity", "file={in}/sobol_other.yaml", "sweep=other"], "sweep"),
    # ------------------------------------------------------------------ akrim calibrate
    ("cal-unknown-action", ["calibrate", "calibrat"], "action"),
    ("cal-bare-word", ["calibrate", "budget=small", "fast"], "argument"),
    ("cal-typo-key", ["calibrate", "budjet=small"], "budjet"),
    ("cal-budget-unknown", ["calibrate", "budget=huge"], "budget"),
    ("cal-populations-one", ["calibrate", "populations=1"], "populations"),
    ("cal-populations-huge", ["calibrate", "populations=1000000000"], "populations"),
    ("cal-generations-text", ["calibrate", "generations=two"], "generations"),
    ("cal-generations-huge", ["calibrate", "generations=100000"], "generations"),
    ("cal-predictive-zero", ["calibrate", "predictive=0"], "predictive"),
    ("cal-scale-zero", ["calibrate", "scale=0"], "scale"),
    ("cal-scale-two", ["calibrate", "scale=2"], "scale"),
    ("cal-scale-nan", ["calibrate", "scale=nan"], "scale"),
    ("cal-hours-zero", ["calibrate", "hours=0"], "hours"),
    ("cal-hours-inf", ["calibrate", "hours=inf"], "hours"),
    ("cal-final-text", ["calibrate", "final=maybe"], "final"),
    ("cal-address-empty", ["calibrate", "address="], "address"),
    ("cal-address-dead", ["calibrate", f"address={DEAD}"], "address"),
    ("cal-workers-zero", ["calibrate", "workers=0"], "workers"),
    ("cal-seed-negative", ["calibrate", "seed=-1"], "seed"),
    ("cal-repeated", ["calibrate", "budget=small", "budget=full"], "budget"),
    ("cal-priors-missing", ["calibrate", "priors={in}/nope.yaml", "out={in}/cal"], "priors"),
    ("cal-targets-missing", ["calibrate", "targets={in}/nope.yaml", "out={in}/cal"], "targets"),
    ("cal-screen-budget", ["calibrate", "screen", "budget=small"], "budget"),
    ("cal-screen-r-one", ["calibrate", "screen", "r=1"], "r"),
    ("cal-screen-levels-one", ["calibrate", "screen", "levels=1"], "levels"),
    ("cal-screen-noise-negative", ["calibrate", "screen", "noise=-1"], "noise"),
    ("cal-screen-scale-inf", ["calibrate", "screen", "scale=inf"], "scale"),
    ("cal-screen-rerun-text", ["calibrate", "screen", "rerun_stale=maybe"], "rerun_stale"),
    ("cal-status-unknown-key", ["calibrate", "status", "out=x"], "out"),
    ("cal-status-no-db", ["calibrate", "status", "db={in}/none.db"], "db"),
    # ------------------------------------------------------------------ akrim workshop
    ("ws-unknown-key", ["workshop", "colour=red"], "colour"),
    ("ws-typo-key", ["workshop", "sed=3"], "sed"),
    ("ws-bare-word", ["workshop", "fast"], "argument"),
    ("ws-port-huge", ["workshop", "port=99999"], "port"),
    ("ws-port-negative", ["workshop", "port=-1"], "port"),
    ("ws-port-text", ["workshop", "port=abc"], "port"),
    ("ws-scale-huge", ["workshop", "scale=5"], "scale"),
    ("ws-scale-nan", ["workshop", "scale=nan"], "scale"),
    ("ws-seed-text", ["workshop", "seed=x"], "seed"),
    ("ws-end-before-start", ["workshop", "start=2016", "end=2015"], "end"),
    ("ws-default-end-before-start", ["workshop", "start=2040"], "end"),
    ("ws-interval-zero", ["workshop", "play_interval=0"], "play_interval"),
    ("ws-host-unknown", ["workshop", "host=nowhere.invalid"], "host"),
    ("ws-host-empty", ["workshop", "host="], "host"),
    ("ws-host-foreign", ["workshop", "host=192.0.2.1"], "host"),
    ("ws-repeated", ["workshop", "seed=1", "seed=2"], "seed"),
    # ------------------------------------------------------------------ akrim itself
    ("akrim-unknown-command", ["frobnicate"], "command"),
]

COMMANDS = ("run", "compare", "sweep", "sensitivity", "calibrate", "workshop")


class WorkStarted(BaseException):
    """Raised by the stand-ins of every function that starts work: a bad input got through."""


def _stop(*_a, **_k):
    raise WorkStarted("work started: the input was not refused up front")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("inputs")
    for name, text in FILES.items():
        (d / name).write_text(text)
    return d


@pytest.fixture
def no_work(monkeypatch):
    import calibration.calibrate as cal
    import calibration.screening as screening
    import experiments.compare as cmp
    import experiments.execute as execute
    import experiments.sensitivity as sens
    import experiments.sweep as sweep
    import experiments.workshop.app as app
    import sim.runner as runner

    for mod, name in ((runner, "run_config"), (execute, "execute"), (cmp, "run_comparison"), (sweep, "run_sweep"),
                      (sens, "run_sweep"), (sens, "analyse"), (cal, "fit"), (screening, "screen"), (app, "offline_environment")):
        monkeypatch.setattr(mod, name, _stop)


def _listing(d: Path) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*"))


def test_the_corpus_is_large_and_covers_every_command():
    assert len(CASES) >= 120
    ids = [c[0] for c in CASES]
    assert len(set(ids)) == len(ids)
    per = {cmd: sum(1 for _, argv, _ in CASES if argv[0] == cmd) for cmd in COMMANDS}
    assert all(n >= 10 for n in per.values()), per


@pytest.mark.parametrize("argv, key", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_before_any_work(argv, key, inputs, no_work, tmp_path, monkeypatch, capsys):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    before = _listing(inputs)
    repo_before = {d: _listing(REPO / d) for d in ("calibration/posterior", "scenarios") if (REPO / d).is_dir()}
    packages_before = set(Path("/tmp").glob("akrim-package-*"))
    argv = [a.replace("{in}", str(inputs)) for a in argv]
    code = cli.main(argv)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, (code, err, out)
    assert 1 <= len(lines) <= 2 and lines[0].startswith("akrim: error: "), err
    assert key in lines[0], f"{key!r} not named in {lines[0]!r}"
    assert "Traceback" not in err + out
    assert "Outputs:" not in out
    assert _listing(cwd) == [], "a refused command left files behind"
    assert _listing(inputs) == before
    for d, listing in repo_before.items():
        assert _listing(REPO / d) == listing, f"a refused command changed {d}"
    assert set(Path("/tmp").glob("akrim-package-*")) <= packages_before, "a temporary folder of a package was left behind"


@pytest.mark.parametrize("argv, key", [
    (["run", "policy.nli.n_inspectors=inf"], "policy.nli.n_inspectors"),
    (["run", "+policy.nli.n_inspecters=1000"], "policy.nli.n_inspecters"),
    (["compare", OK_COMPARE, "reps=100000000"], "reps"),
    (["sweep", f"file={LHS}", f"address={DEAD}"], "address"),
    (["sensitivity", f"file={MORRIS}", "kpis=nope"], "kpis"),
    (["calibrate", "budget=nope"], "budget"),
    (["workshop", "port=99999"], "port"),
])
def test_the_real_entry_point_refuses_too(argv, key, tmp_path):
    proc = subprocess.run([AKRIM, *argv], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("akrim: error: ") and key in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and list(tmp_path.iterdir()) == []


def test_help_of_every_command_has_description_keys_and_examples(capsys):
    for cmd in COMMANDS:
        assert cli.main([cmd, "--help"]) == 0
        text = capsys.readouterr().out
        assert "usage: akrim" in text and "examples:" in text, cmd
        assert "default" in text, cmd
        assert len(text.splitlines()) < 80, f"akrim {cmd} --help is {len(text.splitlines())} lines"


def test_help_piped_into_head_ends_quietly(tmp_path):
    for cmd in ("compare", "run"):
        proc = subprocess.run(f"'{AKRIM}' {cmd} --help | head -1", shell=True, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0 and proc.stdout.startswith("usage: akrim")
        assert "BrokenPipeError" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_an_unexpected_exception_is_one_line_not_a_traceback(monkeypatch, capsys):
    import experiments.compare as cmp

    def boom(argv):
        raise RuntimeError("something broke\nsecond line")

    monkeypatch.setattr(cmp, "main", boom)
    monkeypatch.delenv("AKRIM_DEBUG", raising=False)
    assert cli.main(["compare", "policy=[baseline,no_centres]"]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["akrim: error: RuntimeError: something broke (unexpected; AKRIM_DEBUG=1 shows the traceback)"]
