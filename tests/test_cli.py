"""The ``akrim`` command line (SPEC 9): a run folder end to end, and clear errors for bad input."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

AKRIM = shutil.which("akrim", path=str(Path(sys.executable).parent)) or "akrim"

# SPEC section 5, the data contract: listed here by hand on purpose, so that renaming or dropping
# a column breaks this test.
SPEC5_COLUMNS = [
    "year",
    "inspections_nli", "inspections_joint", "firms_controlled", "violations_found",
    "orders", "fines_count", "coercive_fines_count", "suspensions_count",
    "fines_nok", "wrongful_benefits_nok", "tax_reassessed_nok", "assets_seized_nok",
    "police_reports", "police_reports_nli", "cases_against_ta",
    "convictions", "cases_dropped_evidence", "case_days_mean",
    "active_threat_actors", "ta_capacity_total", "ta_capacity_reduced_share",
    "ta_linked_to_inspected_share", "ta_previously_reported_share", "ta_bankruptcy_role_share",
    "companies_per_ta", "phoenix_bankruptcies",
    "undeclared_work_share",
    "exploited_workers", "workers_remediated", "enterprises_remediated", "tips",
    "crime_cost_nok", "enforcement_cost_nok",
]
EVENT_COLUMNS = ["t_day", "kind", "region", "sector", "firm", "actor"]


def akrim(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([AKRIM, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("cli")
    proc = akrim("run", "scale=0.01", "end=2015", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    folders = [p for p in (cwd / "outputs").glob("*/*") if p.is_dir()]
    assert len(folders) == 1, folders
    return proc, folders[0]


def test_run_folder_layout(cli_run):
    _, out = cli_run
    assert out.name.endswith("_baseline")
    for name in (".hydra/config.yaml", "run_info.json", "annual.parquet", "annual.csv",
                 "annual_region.parquet", "annual_region.csv", "annual_sector.parquet", "annual_sector.csv",
                 "events.parquet", "overview.png"):
        assert (out / name).is_file(), f"missing {name}"
        assert (out / name).stat().st_size > 0, f"empty {name}"
    assert not list(out.glob(".*.tmp")), "half-written files left behind"


def test_console_script_ends_run_with_every_line_written_and_its_exit_code(cli_run, tmp_path):
    """experiments.cli.entry ends `akrim run` without the interpreter's teardown: stdout (a pipe
    here) still carries the last line, the figure's helper process is gone, and a bad input still
    exits with 2."""
    proc, out = cli_run
    assert proc.stdout.rstrip().splitlines()[-1] == f"Outputs: {out}"
    assert "drawn in this process" not in proc.stderr  # the helper drew overview.png
    assert "leaked semaphore" not in proc.stderr and "Warning" not in proc.stderr  # atexit handlers still ran
    bad = akrim("run", "scale=abc", cwd=tmp_path)
    assert bad.returncode == 2 and "scale" in bad.stderr and "Traceback" not in bad.stderr


def test_a_run_below_one_to_one_prints_the_scale_caveat(cli_run):
    """akrim run at 1:100 says, under its summary, that the centres' KPIs differ from a national run
    at that scale, by how much at the nearest measured scale and where that is measured
    (sim.runner.scale_caveat); the caveat is None at 1:1."""
    from sim.runner import scale_caveat

    proc, _ = cli_run
    text = " ".join(proc.stdout.split())
    assert "Population scale 1:100: the centres' KPIs differ from a national run's at this scale (measured at 1:20" in text
    assert "docs/validation.md section 6" in text and "confirm them with scale=1" in text
    assert "national_actors=true" in text  # the switch that makes the centres' KPIs scale-invariant
    assert scale_caveat(1.0) is None and scale_caveat(2.0) is None
    assert "measured at 1:5" in scale_caveat(0.2) and "measured at 1:5" in scale_caveat(0.5)
    c = scale_caveat(0.1)
    assert "measured at 1:10: cases against central threat actors in 2014-19 about 2% lower" in c
    assert "in 2022-25, after the sharing regulation, about 21% higher" in c


def test_run_info_has_seed_and_code_version(cli_run):
    _, out = cli_run
    info = json.loads((out / "run_info.json").read_text())
    assert info["seed"] == 20140101
    assert info["scale"] == 0.01 and info["start"] == 2014 and info["end"] == 2015
    from experiments.posterior import DEFAULT_SAMPLE, is_current

    # the calibrated world is the default once it is fitted to this model generation (test_calibration_world.py)
    assert info["policy"] == "baseline" and info["world"] == ("calibrated" if is_current(DEFAULT_SAMPLE) else "default")
    import sim

    assert isinstance(info["code_version"], str) and info["code_version"].startswith(sim.__version__)
    assert "firms.exit.oslo" in info["random_streams"]


def test_resolved_config_is_saved_and_reproduces_the_run_config(cli_run):
    _, out = cli_run
    saved = yaml.safe_load((out / ".hydra" / "config.yaml").read_text())
    assert saved["seed"] == 20140101 and saved["scale"] == 0.01 and saved["end"] == 2015
    assert saved["policy"]["name"] == "baseline"
    assert saved["policy"]["nli"]["n_inspectors"] > 0 and "firms" in saved["world"]
    overrides = yaml.safe_load((out / ".hydra" / "overrides.yaml").read_text())
    assert sorted(overrides) == ["end=2015", "scale=0.01"]


def test_annual_table_has_every_spec5_column(cli_run):
    _, out = cli_run
    pq = pd.read_parquet(out / "annual.parquet")
    csv = pd.read_csv(out / "annual.csv")
    for df, what in ((pq, "annual.parquet"), (csv, "annual.csv")):
        missing = [c for c in SPEC5_COLUMNS if c not in df.columns]
        assert not missing, f"{what} lacks SPEC 5 columns {missing}"
        assert df["year"].tolist() == [2014, 2015]
    pd.testing.assert_frame_equal(pq[SPEC5_COLUMNS], csv[SPEC5_COLUMNS], check_dtype=False, rtol=1e-12)
    assert (pq["inspections_nli"] > 1000).all()  # scaled back to 1:1


def test_breakdown_tables_and_event_log(cli_run):
    _, out = cli_run
    for stem, label in (("annual_region", "region"), ("annual_sector", "sector")):
        pq = pd.read_parquet(out / f"{stem}.parquet")
        csv = pd.read_csv(out / f"{stem}.csv")
        assert {"year", label, "inspections_nli"} <= set(pq.columns)
        assert len(pq) == len(csv) > 0
    ev = pd.read_parquet(out / "events.parquet")
    assert all(c in ev.columns for c in EVENT_COLUMNS)
    assert len(ev) > 100 and (ev["kind"] == "inspection_nli").any()


def test_overview_is_a_valid_png(cli_run):
    _, out = cli_run
    data = (out / "overview.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 600 and height >= 400
    assert data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82")
    import matplotlib.image as mpimg

    img = mpimg.imread(out / "overview.png")
    assert img.shape[0] == height and img.shape[1] == width
    assert img.std() > 0.01  # not a blank canvas


def test_stdout_has_summary_table_and_output_path(cli_run):
    proc, out = cli_run
    lines = proc.stdout.splitlines()
    head = [ln for ln in lines if ln.startswith("year")]
    assert head and "NLI insp." in head[0]
    assert any(ln.startswith("2014 ") for ln in lines) and any(ln.startswith("2015 ") for ln in lines)
    outputs = [ln for ln in lines if ln.startswith("Outputs:")]
    assert len(outputs) == 1
    assert Path(outputs[0].split(":", 1)[1].strip()).resolve() == out.resolve()
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- errors

CLI_ERRORS = {
    "probability_above_one": (["policy.sanctions.p_fine=1.3"], ["policy.sanctions.p_fine", "1.3"]),
    "negative_capacity": (["policy.police.n_investigators=-5"], ["policy.police.n_investigators", "-5"]),
    "end_before_start": (["start=2020", "end=2018"], ["end", "2018", "2020"]),
    "wrong_type_seed": (["seed=abc"], ["seed", "abc"]),
    "wrong_type_scale": (["scale=abc"], ["scale", "abc"]),
    "unknown_key": (["policy.nli.bogus=1"], ["policy.nli.bogus"]),
    "invalid_date": (["policy.sharing.regulation=2022-13-45"], ["policy.sharing.regulation", "2022-13-45"]),
    "unknown_scenario": (["policy=nonexistent"], ["nonexistent", "baseline"]),
    "intervention_unknown_lever": (["policy.interventions=[{start: '2026-01-01', set: {nli.bogus: 3}}]"], ["nli.bogus"]),
}


@pytest.mark.parametrize("args,words", CLI_ERRORS.values(), ids=CLI_ERRORS.keys())
def test_bad_input_exits_nonzero_with_a_clear_message(tmp_path, args, words):
    proc = akrim("run", "scale=0.01", *args, cwd=tmp_path, timeout=120)
    assert proc.returncode != 0
    for w in words:
        assert w in proc.stderr, f"{w!r} not on stderr: {proc.stderr!r}"
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Outputs:" not in proc.stdout
    assert not list(tmp_path.glob("outputs/*/*/annual.parquet")), "a rejected run wrote results"


def test_help_and_unknown_command(tmp_path):
    ok = akrim("--help", cwd=tmp_path)
    assert ok.returncode == 0 and "akrim run" in ok.stdout
    bad = akrim("frobnicate", cwd=tmp_path)
    assert bad.returncode != 0 and "frobnicate" in bad.stderr and "Traceback" not in bad.stderr
    ver = akrim("--version", cwd=tmp_path)
    import sim

    assert ver.returncode == 0 and sim.__version__ in ver.stdout


# --------------------------------------------------------------------------- the forms of akrim run


def test_cfg_job_prints_the_checked_configuration_of_a_scenario_file(tmp_path, capsys):
    import experiments.cli as cli

    f = tmp_path / "my_scenario.yaml"
    f.write_text("description: more inspectors at once\nnli: {n_inspectors: 321}\n"
                 "interventions:\n  - {start: '2020-01-01', multiply: {sanctions.p_fine: 2.0}}\n")
    assert cli.main(["run", f"policy={f}", "--cfg", "job", "seed=3"]) == 0
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["seed"] == 3 and cfg["policy"]["name"] == "my_scenario" and cfg["policy"]["nli"]["n_inspectors"] == 321
    assert cfg["policy"]["interventions"][-1]["multiply"] == {"sanctions.p_fine": 2.0}
    assert cli.main(["run", "policy=more_inspectors+liberal_fines", "--cfg", "job"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["policy"]["name"] == "more_inspectors+liberal_fines"


def test_multirun_runs_every_combination_into_its_own_folders(tmp_path, monkeypatch, capsys):
    import experiments.cli as cli

    monkeypatch.chdir(tmp_path)
    argv = ["run", "-m", "scale=0.003", "end=2014", "output.progress=false", "output.summary=false", "output.plot=false",
            "output.events=false", "seed=1,2"]
    assert cli.main(argv) == 0
    runs = sorted((tmp_path / "multirun").glob("*/*/*_baseline"))
    assert [p.name for p in runs] == ["0_baseline", "1_baseline"]
    seeds = [json.loads((p / "run_info.json").read_text())["seed"] for p in runs]
    assert seeds == [1, 2]
    assert "seed=2" in yaml.safe_load((runs[1] / ".hydra" / "overrides.yaml").read_text())


def test_run_help_is_short_and_lists_keys_with_ranges(capsys):
    import experiments.cli as cli

    assert cli.main(["run", "--help"]) == 0
    text = capsys.readouterr().out
    assert len(text.splitlines()) < 40
    assert "scale" in text and "[default 0.1; a number in [0.0001, 2]]" in text and "more_inspectors" in text and "-m" in text
    assert "national_actors" in text and "[default false; true or false]" in text  # the switch, with what it does
