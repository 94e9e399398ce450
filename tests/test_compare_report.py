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

import numpy as np
import pandas as pd
import pytest

from experiments import costs, labels
from experiments.compare import parse_args, run_comparison
from experiments.effects import EFFECT_COLUMNS
from sim.metrics import KPI_NAMES

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
# Every column name a reader could meet: the KPIs and the effects and cost tables' columns. Names
# with an underscore only: single words such as "convictions" are also plain English.
RAW_NAMES = sorted(
    n for n in {*KPI_NAMES, *EFFECT_COLUMNS, "crime_cost_change_per_nok", "extra_enforcement_nok", "net_cost_change_nok",
                "exploited_worker_years_change", "enforcement_cost_varies"} if "_" in n
)
# The report's visible prose: the body's text without code blocks (commands, configuration keys) or closed details.
VISIBLE_PROSE_JS = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('code, pre, details:not([open]) > :not(summary)').forEach(e => e.remove());
  return body.innerText;
}"""
OVERFLOW_JS = """() => {
  const W = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > W + 1) out.push(el.tagName + ' ' + Math.round(r.right));
  }
  return out.slice(0, 10);
}"""


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


def test_report_speaks_plain_language(report):
    comp, _, html = report
    for k in ("exploited_workers", "undeclared_work_share", "crime_cost_nok"):
        assert labels.kpi_label(k) in html
    assert "Undeclared work (percentage points (pp))" in html  # a share's difference is in pp in the table
    assert "95% interval" in html and "19 times out of 20" in html  # intervals explained in words
    assert "@media print" in html


def test_report_cost_rests_on_the_crime_cost_level(report):
    comp, _, html = report
    assert "EUR 2.4 billion and EUR 9.3 billion" in html and "factor of 3.9" in html
    assert "over the reported range of the crime-cost level" in html
    assert "What the measures cost" in html
    # no_centres and sharing_reform_early change no staff: their measures are flagged, never shown as free
    assert "Information-sharing regulation" in html and "unpriced" in html
    assert "each NOK spent avoids about NOK" not in html  # the old unqualified claim


def test_crime_cost_range_matches_the_calibration_target():
    from calibration.targets import load_targets

    t = next(t for t in load_targets() if t.id == "crime_cost")
    assert costs.level_factors(1.0, 1.0) == pytest.approx(costs.CRIME_COST_RANGE_EUR)  # a level of 1 NOK at 1 NOK/EUR
    assert np.isnan(costs.level_factors(0.0, 9.33)[0])
    lo, hi = (t.display(t.lo), t.display(t.hi))
    assert (lo, hi) == pytest.approx(costs.CRIME_COST_RANGE_EUR)


def test_measure_costs_are_sourced_or_unpriced():
    for m in costs.MEASURE_COSTS:
        assert m.basis, m.measure
        if m.nok_per_year is None and not m.in_model:
            assert "unpriced" in m.basis or "no extra cost" in m.basis, m.measure
        if m.nok_per_year is not None:
            assert "seed" in m.basis, f"{m.measure}: a priced measure names its source"
    priced = costs.price_measures(["sharing.regulation", "nli.n_inspectors", "something.new"])
    assert [p.priced for p in priced] == [False, True, False]
    assert priced[2].measure == "Other change (something.new)"
    assert costs.measure_of("policy.sharing.posted_register_direct_nli").measure.startswith("Direct NLI access")
    assert costs.measure_of("nli.w_random").measure == "Targeting of NLI inspections"
    assert costs.measure_of("sharing.cross_border_exchanges_year").nok_per_year > 0
    assert costs.return_range(2.0, 4.0, (0.5, 2.0)) == (1.0, 8.0)
    assert costs.return_range(-1.0, 4.0, (0.5, 2.0)) == (-2.0, 8.0)


def test_every_kpi_has_a_plain_name():
    for k in KPI_NAMES:
        name = labels.kpi_label(k)
        assert name and "_" not in name and name != k, k
    assert labels.kpi_unit("undeclared_work_share", difference=True) == "percentage points (pp)"
    assert labels.kpi_unit("undeclared_work_share") == "%"
    assert labels.kpi_label("a_new_kpi_nok") == "A new kpi"


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
            visible = page.evaluate(VISIBLE_PROSE_JS)
            overflow = page.evaluate(OVERFLOW_JS)
            page.screenshot(path=str(shot), full_page=True)
            page.emulate_media(media="print")
            page.pdf(path=str(ARTIFACTS / "compare_report.pdf"), format="A4")
            print_overflow = page.evaluate(OVERFLOW_JS)
        finally:
            browser.close()
    assert network == [], f"the report tried to reach the network: {network}"
    assert total == declared and loaded == declared, f"{loaded} of {total} figures loaded, {declared} declared"
    assert "We compared" in summary and len(summary.split()) > 40
    assert tables >= 5
    assert shot.stat().st_size > 50_000
    raw = sorted({name for name in RAW_NAMES if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", visible)})
    assert not raw, f"raw column names in the report's visible text: {raw}"
    assert not overflow, f"elements run off the page: {overflow}"
    assert not print_overflow, f"elements run off the printed page: {print_overflow}"
    assert (ARTIFACTS / "compare_report.pdf").stat().st_size > 50_000
