"""``akrim calibrate``: argument errors are clear; the small budget runs end to end (slow)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from calibration.calibrate import main, parse

AKRIM = shutil.which("akrim", path=str(Path(sys.executable).parent)) or "akrim"


@pytest.fixture(autouse=True)
def no_calibration(request, monkeypatch):
    """Argument tests must fail before any sampling: a calibration that starts is a test failure."""
    if request.node.get_closest_marker("slow") is None:
        def refuse(*args, **kwargs):
            raise AssertionError("a calibration started although the arguments should have been refused")

        monkeypatch.setattr("calibration.calibrate.fit", refuse)
        monkeypatch.setattr("calibration.npe.calibrate", refuse)


def err(capsys, argv) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def test_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "budget" in out and "screen" in out and "status" in out


@pytest.mark.parametrize("argv,match", [
    (["calibrat"], "action = 'calibrat' (allowed: fit, screen, status"),
    (["budget=small", "fast"], "argument = 'fast' (allowed: key=value"),
    (["budjet=small"], "budjet = 'small' (allowed: a key of akrim calibrate fit: method, budget,"),
    (["budget=huge"], "budget = 'huge' (allowed: small, medium, full)"),
    (["stale=maybe"], "stale = 'maybe' (allowed: rerun, reuse)"),
    (["method=nope"], "method = 'nope' (allowed: npe, abc"),
    (["method=abc", "populations=1"], "populations = '1' (allowed: an integer in [2, 100000])"),
    (["method=abc", "generations=two"], "generations = 'two' (allowed: an integer in [1, 100])"),
    (["populations=10"], "populations=10: a key of method=abc (this is method=npe;"),
    (["method=abc", "simulations=100"], "simulations=100: a key of method=npe (this is method=abc;"),
    (["draws=10"], "draws = '10' (allowed: an integer in [1000, 10000000])"),
    (["simulations=5"], "simulations = '5' (allowed: an integer in [20, 1000000])"),
    (["fidelity=2"], "fidelity = '2' (allowed: a population scale in [0, 1]; 0 for none)"),
    (["fidelity_reps=0"], "fidelity_reps = '0' (allowed: an integer in [1, 100])"),
    (["method=abc", "fidelity=1"], "fidelity=1: a key of method=npe"),
    (["scale=0"], "scale = '0' (allowed: a number in (0, 1])"),
    (["scale=2"], "scale = '2' (allowed: a number in (0, 1])"),
    (["final=maybe"], "final = 'maybe' (allowed: true or false)"),
    (["address="], "address = '' (allowed: a non-empty text)"),
    (["budget=small", "budget=full"], "budget = 'full' (allowed: one value per key (budget is also given as 'small'))"),
    (["screen", "budget=small"], "budget = 'small' (allowed: a key of akrim calibrate screen"),
])
def test_bad_arguments_exit_2_with_a_clear_message(capsys, argv, match):
    code, text = err(capsys, argv)
    assert code == 2
    assert text.startswith("akrim: error: ") and match in text and len(text.strip().splitlines()) == 1, text


def test_missing_files_are_named(capsys, tmp_path):
    code, text = err(capsys, [f"priors={tmp_path / 'nope.yaml'}", f"out={tmp_path}"])
    assert code == 2 and "priors file not found" in text
    code, text = err(capsys, [f"targets={tmp_path / 'nope.yaml'}", f"out={tmp_path}"])
    assert code == 2 and "targets file not found" in text
    code, text = err(capsys, ["status", f"db={tmp_path / 'none.db'}"])
    assert code == 2 and "no calibration history" in text


def test_bad_prior_is_named(capsys, tmp_path):
    p = tmp_path / "priors.yaml"
    p.write_text("priors:\n  - key: world.firms.beta\n    lo: -1\n    hi: 5\n")
    code, text = err(capsys, [f"priors={p}", f"out={tmp_path}"])
    assert code == 2 and "world.firms.beta: [-1, 5] leaves the schema's range [0, 50]" in text
    p.write_text("priors:\n  - key: world.firms.betta\n    lo: 1\n    hi: 5\n")
    code, text = err(capsys, [f"priors={p}", f"out={tmp_path}"])
    assert code == 2 and "world.firms has no field 'betta'" in text


def test_pipeline_check_does_not_replace_a_final_calibration(capsys, tmp_path):
    world = tmp_path / "calibrated.yaml"
    world.write_text("# pipeline_check: false\nname: calibrated\n")
    code, text = err(capsys, [f"world_out={world}", f"out={tmp_path}"])
    assert code == 2 and "holds a final calibration" in text
    (tmp_path / "meta.json").write_text(json.dumps({"pipeline_check": False}))
    code, text = err(capsys, [f"world_out={tmp_path / 'other.yaml'}", f"out={tmp_path}"])
    assert code == 2 and "holds final calibration outputs" in text


def test_parse_defaults_to_fit():
    assert parse(["budget=small", "workers=2"]) == ("fit", {"budget": "small", "workers": "2"})
    assert parse(["screen", "r=6"]) == ("screen", {"r": "6"})


def test_registered_in_the_akrim_command():
    proc = subprocess.run([AKRIM, "calibrate", "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "usage: akrim calibrate" in proc.stdout
    proc = subprocess.run([AKRIM, "calibrate", "budget=nope"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr == "akrim: error: budget = 'nope' (allowed: small, medium, full)\n"


@pytest.mark.slow
def test_small_budget_end_to_end_and_resume(tmp_path):
    """The real model on a local Dask cluster: small budget, then one more generation from the history."""
    out, world = tmp_path / "post", tmp_path / "calibrated.yaml"
    args = [AKRIM, "calibrate", "method=abc", "budget=small", f"out={out}", f"world_out={world}", "progress=false", "workers=2"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    meta = json.loads((out / "meta.json").read_text())
    assert meta["pipeline_check"] is True and meta["generations"] == 2
    sample = pd.read_csv(out / "posterior_sample.csv")
    assert sample.columns[-1] == "weight" and all(c.startswith("world.") for c in sample.columns[:-1])
    html = (out / "report.html").read_text()
    assert "PIPELINE CHECK" in html and "data:image/png;base64," in html and "Validation targets" in html
    assert set(meta["verdicts"].values()) <= {"inside", "near", "outside"}
    assert "# pipeline_check: true" in world.read_text()
    proc = subprocess.run([*args, "generations=3"], capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "resuming calibration" in proc.stdout and "generation 3/3" in proc.stdout
    assert "generation 1/" not in proc.stdout
    assert json.loads((out / "meta.json").read_text())["generations"] == 3


class _Stop(Exception):
    """Raised by a stand-in to stop a command before any run."""


@pytest.fixture
def screen_settings(monkeypatch):
    """What ``akrim calibrate screen`` hands to ``calibration.screening.screen`` (nothing is run)."""
    seen: dict = {}

    def fake_screen(out, **kwargs):
        seen.update(kwargs, out=out)
        raise _Stop

    monkeypatch.setattr("calibration.screening.screen", fake_screen)
    monkeypatch.setattr("calibration.calibrate._quiet_libraries", lambda: None)
    return seen


def test_screen_rerun_stale_is_parsed(screen_settings, tmp_path):
    with pytest.raises(_Stop):
        main(["screen", f"out={tmp_path}", "rerun_stale=true"])
    assert screen_settings["rerun_stale"] is True
    with pytest.raises(_Stop):
        main(["screen", f"out={tmp_path}"])
    assert screen_settings["rerun_stale"] is False  # default: warn about runs of other code versions and reuse them
    assert {k: screen_settings[k] for k in ("scale", "r", "levels", "seed", "noise_reps", "address", "workers", "progress")} == {
        "scale": 0.05, "r": 4, "levels": 4, "seed": 20140101, "noise_reps": 4, "address": None, "workers": None, "progress": True}


@pytest.mark.parametrize("argv,match", [
    (["screen", "rerun_stale=maybe"], "rerun_stale = 'maybe' (allowed: true or false)"),
    (["screen", "rerun_stal=true"], "rerun_stal = 'true' (allowed: a key of akrim calibrate screen: r, levels,"),
    (["screen", "rerun_stal=true"], "did you mean rerun_stale=true?"),
    (["rerun_stale=true"], "rerun_stale = 'true' (allowed: a key of akrim calibrate fit:"),
    (["screen", "r=1"], "r = '1' (allowed: an integer in [2, 1000])"),
    (["screen", "scale=0"], "scale = '0' (allowed: a number in (0, 1])"),
])
def test_screen_bad_arguments_exit_2(screen_settings, capsys, argv, match):
    code, text = err(capsys, argv)
    assert code == 2 and match in text, text
    assert not screen_settings  # refused before the screening starts


def test_help_lists_rerun_stale_under_screen(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    screen_keys = out.split("screen keys:")[1].split("status keys:")[0]
    assert "  rerun_stale " in screen_keys and "recorded by another code version" in screen_keys


def test_screen_passes_rerun_stale_to_execute(monkeypatch, tmp_path):
    from calibration import screening

    seen: dict = {}

    def fake_execute(specs, store, **kwargs):
        seen.update(kwargs)
        raise _Stop

    monkeypatch.setattr("experiments.execute.execute", fake_execute)
    with pytest.raises(_Stop):
        screening.screen(tmp_path, r=2, noise_reps=0, progress=False, rerun_stale=True)
    assert seen["rerun_stale"] is True and "rerun_stale=true" in seen["rerun_hint"]
    with pytest.raises(_Stop):
        screening.screen(tmp_path, r=2, noise_reps=0, progress=False)
    assert seen["rerun_stale"] is False
