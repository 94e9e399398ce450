"""sim.runner: run folders written from Python, and the saved configuration reproduces the run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from conftest import make_cfg
from omegaconf import OmegaConf

from sim.config import AkrimConfig, to_object, validate
from sim.runner import run_config, summary_table


def test_run_config_writes_a_reproducible_run_folder(tmp_path):
    cfg = make_cfg("scale=0.01", "start=2014", "end=2015", "seed=99", "policy.nli.n_inspectors=300", "output.plot=false")
    res = run_config(cfg, tmp_path)
    for name in ("annual.parquet", "annual.csv", "annual_region.parquet", "annual_sector.parquet",
                 "events.parquet", "run_info.json", ".hydra/config.yaml"):
        assert (tmp_path / name).is_file(), name
    assert not (tmp_path / "overview.png").exists()  # output.plot=false honoured
    info = json.loads((tmp_path / "run_info.json").read_text())
    assert info["seed"] == 99 and info["code_version"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "annual.parquet"), res.annual, check_exact=True)

    # The saved configuration rebuilds the same config, and re-running it gives the same table.
    saved = OmegaConf.merge(OmegaConf.structured(AkrimConfig), OmegaConf.load(tmp_path / ".hydra" / "config.yaml"))
    cfg2 = to_object(saved)
    validate(cfg2)
    assert cfg2 == cfg
    res2 = run_config(cfg2)
    pd.testing.assert_frame_equal(res2.annual, res.annual, check_exact=True)


def test_summary_table_rows_and_formats():
    annual = pd.DataFrame({"year": [2014, 2015], "inspections_nli": [15000.0, 16000.0],
                           "undeclared_work_share": [0.2, np.nan], "crime_cost_nok": [9.0e10, 1.0e11]})
    text = summary_table(annual).splitlines()
    assert text[0].startswith("year") and "NLI insp." in text[0] and "undecl. %" in text[0]
    assert set(text[1]) == {"-"}
    assert text[2].startswith("2014") and "15,000" in text[2] and "20.0%" in text[2] and "90.0" in text[2]
    assert "n/a" in text[3]


def test_config_yaml_is_the_text_omegaconf_writes_for_every_scenario():
    """sim.runner.config_yaml (PyYAML on the dataclass fields) writes what OmegaConf.to_yaml of the
    structured config writes, for every shipped policy and world, a package of measures and odd
    values (a date, a null, a string that looks like a number)."""
    from pathlib import Path

    from sim.config import load_config
    from sim.runner import config_yaml

    root = Path(__file__).resolve().parent.parent / "scenarios"
    cases = [[f"policy={f.stem}"] for f in sorted((root / "policy").glob("*.yaml"))]
    cases += [[f"world={f.stem}"] for f in sorted((root / "world").glob("*.yaml"))]
    cases += [["policy=more_inspectors+liberal_fines", "policy.sharing.regulation=null", "seed=0", "scale=1e-3"]]
    assert len(cases) > 20
    for ov in cases:
        cfg = load_config(ov)
        assert config_yaml(cfg) == OmegaConf.to_yaml(OmegaConf.structured(cfg)), ov


def test_modules_outside_the_model_are_never_imported_by_a_run():
    """sim.runner.NOT_MODEL_FILES take no part in a run's numbers: building and running the model
    never imports them, so edits to them cannot change stored runs (the experiment layer imports
    sim.runner for the code version only)."""
    import subprocess
    import sys

    from sim.runner import NOT_MODEL_FILES

    mods = [f[:-3].replace("/", ".") for f in NOT_MODEL_FILES]
    code = ("import sys; from sim.config import load_config; from sim.model import AkrimModel; "
            "AkrimModel(load_config(['scale=0.005', 'end=2014', 'seed=1', 'output.progress=false'])).run(); "
            f"print(sorted(m for m in {mods!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


def test_scale_caveat_quotes_the_validation_document():
    """sim.runner.SCALE_GAP (the sizes akrim run and akrim compare quote below 1:1) are the pooled
    differences of docs/validation.md section 6: regenerating the document with other numbers
    fails here until SCALE_GAP is updated with it."""
    import re
    from pathlib import Path

    from sim.runner import SCALE_GAP

    text = (Path(__file__).resolve().parents[1] / "docs" / "validation.md").read_text()
    start = text.index("## 6. Scale invariance")
    sec = text[start:text.index("\n## ", start)]  # section 6 only (6b, with actors at national count, follows it)
    pooled = {}
    cell = r"([+-][0-9.]+)% \([^)]*\) \| [0-9.]+"
    for kpi, scale, build, after in re.findall(
            r"^\| (cases_against_ta|central_threat_actors) \| ([0-9.]+) \| 1 \|(?:[^|]*\|){4} " + cell + r" \| " + cell + r" \|$", sec, re.M):
        pooled[(kpi, float(scale))] = (float(build), float(after))
    assert pooled, "no pooled differences found in docs/validation.md section 6"
    for scale, cases, central, central_after in SCALE_GAP:
        assert round(pooled[("cases_against_ta", scale)][0]) == cases, (scale, pooled)
        assert round(pooled[("central_threat_actors", scale)][0]) == central, (scale, pooled)
        assert round(pooled[("central_threat_actors", scale)][1]) == central_after, (scale, pooled)
