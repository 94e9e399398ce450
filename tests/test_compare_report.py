"""The comparison report: self-contained HTML that renders in headless Chromium with every figure.

One tiny comparison (scale 0.01, 2014-2016, two replicates, three scenarios, worlds from a
synthetic posterior sample) is run once for the module. The browser test opens the report from
disk with every network request blocked, counts the figures that loaded (``naturalWidth > 0``)
against the number the report declares, checks the summary, and saves a screenshot as a test
artefact under ``test-artifacts/``.

The browser test skips only when Chromium is absent *and* the ``CI`` environment variable is not
set; on CI a missing browser is a failure (``.ci/run`` installs Debian's chromium).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from experiments.compare import parse_args, run_comparison

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ON_CI = bool(os.environ.get("CI"))
SCENARIOS = ["baseline", "no_centres", "sharing_reform_early"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Run the tiny comparison; return (comparison, output folder, report HTML)."""
    tmp = tmp_path_factory.mktemp("report")
    sample = tmp / "posterior_sample.csv"
    pd.DataFrame({"world.firms.beta": [3.5, 4.5], "world.firms.z0": [-1.2, -0.8], "weight": [1.0, 1.0]}).to_csv(sample, index=False)
    o = parse_args(
        [
            f"policy=[{','.join(SCENARIOS)}]",
            "reps=2",
            "seed=3",
            "scale=0.01",
            "end=2016",
            f"posterior={sample}",
            f"out={tmp / 'cmp'}",
            "address=none",
            "progress=false",
        ]
    )
    comp, summ, out = run_comparison(o)
    assert summ.failed == 0
    return comp, out, (out / "report.html").read_text(encoding="utf-8")


def test_report_is_self_contained(report):
    _, _, html = report
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "the report refers to the network"
    assert "@import" not in html and "url(" not in html
    srcs = re.findall(r"""<img[^>]*src="([^"]+)\"""", html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    declared = int(re.search(r"<meta name=akrim-figures content='(\d+)'>", html).group(1))
    assert declared == len(srcs) == 8  # forest + 6 time series + cost plane


def test_report_content(report):
    comp, out, html = report
    summary = re.search(r"<p id=summary>(.*?)</p>", html, re.S).group(1)
    assert summary.startswith("We compared 2 policy scenarios with ‘baseline’")
    assert "posterior" in summary and "posterior_sample.csv" in html  # which world was used
    for s in SCENARIOS:
        assert f"<b>{s}</b>" in html
    # assumptions: the levers each scenario changes, with their sources
    assert "policy.sharing.regulation" in html and "seed 002; seed 003 measure 31" in html
    assert "policy.centres.by_region.oslo.open" in html and "never (null)" in html
    # reproduce: the exact command
    assert "akrim compare &#x27;policy=[baseline,no_centres,sharing_reform_early]&#x27; reps=2 seed=3" in html
    assert "world.firms.beta" in html
    # the effects tables
    eff = pd.read_parquet(out / "effects.parquet")
    assert set(eff["scenario"]) == {"no_centres", "sharing_reform_early"}
    assert comp.window[0] == 2014  # no_centres differs from the first year


@pytest.mark.skipif(
    CHROMIUM is None and not ON_CI, reason="Debian's chromium is not installed (apt-get install -y chromium); CI installs it"
)
def test_report_renders_in_chromium(report):
    if CHROMIUM is None:
        pytest.fail("CI is set but /usr/bin/chromium is missing: .ci/run must 'apt-get install -y chromium'", pytrace=False)
    from playwright.sync_api import sync_playwright

    _, out, html = report
    declared = int(re.search(r"<meta name=akrim-figures content='(\d+)'>", html).group(1))
    network: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "compare_report.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})

            def guard(route):
                if route.request.url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    network.append(route.request.url)
                    route.abort()

            page.route("**/*", guard)
            page.goto((out / "report.html").resolve().as_uri())
            page.wait_for_load_state("load")
            loaded = page.evaluate("Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length")
            total = page.evaluate("document.images.length")
            summary = page.inner_text("#summary")
            tables = page.evaluate("document.querySelectorAll('table').length")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert network == [], f"the report tried to reach the network: {network}"
    assert total == declared and loaded == declared, f"{loaded} of {total} figures loaded, {declared} declared"
    assert "We compared" in summary and len(summary.split()) > 40
    assert tables >= 5
    assert shot.stat().st_size > 50_000
