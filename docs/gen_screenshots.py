"""Regenerate the README's pictures: the workshop page, the trainer's view, a comparison report, the overview figure.

Usage (from the repository root, with Debian's Chromium installed; takes a few minutes)::

    .venv/bin/python docs/gen_screenshots.py            # all four pictures into docs/img/
    .venv/bin/python docs/gen_screenshots.py workshop   # only some: workshop, trainer, report, overview

It starts ``akrim workshop`` on a free localhost port, plays the page for a few simulated years
and shoots it at 1440 x 900; sets up a room game with two teams in their own browser contexts,
plays a round and shoots the trainer's page; runs a small comparison and shoots the top of its
report; runs the baseline on the default world and draws its overview. Every PNG is reduced to
a 256-colour palette so it stays under ``MAX_BYTES``. Re-run it after the model changes: the
pictures show whatever the model does then, nothing is hard-coded.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
IMG = ROOT / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAX_BYTES = 300_000
VIEW = {"width": 1440, "height": 900}


def shrink(path: Path) -> None:
    """Reduce a PNG to a 256-colour palette (and halve it if still too big)."""
    from PIL import Image

    im = Image.open(path).convert("RGB")
    for factor in (1.0, 0.8, 0.65, 0.5):
        out = im if factor == 1.0 else im.resize((int(im.width * factor), int(im.height * factor)), Image.LANCZOS)
        out.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        if path.stat().st_size <= MAX_BYTES:
            break
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1000:.0f} KB")


def start_server(end: int = 2035, seed: int = 1) -> tuple[subprocess.Popen, str]:
    """``akrim workshop`` on a free localhost port; returns the process and its address."""
    from experiments.workshop.app import free_port

    port = free_port()
    log = open(Path(tempfile.gettempdir()) / "akrim-gen-screenshots.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "experiments.cli", "workshop", f"port={port}", f"end={end}", f"seed={seed}"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(200):
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the workshop server did not start")


def workshop(p, url: str) -> None:
    """The page after a few simulated years with one lever changed."""
    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport=VIEW)
    page.goto(url)
    page.wait_for_selector(".akrim-status >> text=baseline ready", timeout=120_000)
    page.locator(".akrim-lever-n_inspectors .v-slider__thumb-container").focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")  # inspectors up from 215
    for _ in range(6):
        page.locator(".akrim-year").click()
        page.wait_for_timeout(1500)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(IMG / "workshop.png"))
    browser.close()
    shrink(IMG / "workshop.png")


def trainer(p, url: str) -> None:
    """The trainer's page after one round played by two teams."""
    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    tr = browser.new_context(viewport=VIEW).new_page()
    tr.goto(url + "trainer")
    tr.wait_for_selector(".akrim-room-create", timeout=60_000)
    for label, value in (("Rounds", "2"), ("Paired seeds", "3")):
        box = tr.get_by_label(label)
        box.fill(value)
        box.press("Enter")
    tr.locator(".akrim-room-create").click()
    tr.wait_for_selector("text=Teams are joining", timeout=60_000)
    teams = {}
    for name, chips in (("Inspectorate", "inspectors"), ("Police", "police")):
        page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
        page.goto(url)
        page.wait_for_selector(".akrim-charts-card", timeout=120_000)
        page.get_by_role("tab", name="Policy game").click()
        page.get_by_label("Team name").fill(name)
        page.locator(".akrim-team-join").click()
        page.wait_for_selector(f".akrim-team-label >> text={name}", timeout=60_000)
        teams[name] = (page, chips)
    tr.wait_for_function("() => !document.body.innerText.includes('preparing its runs')", timeout=600_000)
    tr.locator(".akrim-room-open").click()
    for page, chips in teams.values():
        page.wait_for_selector(".akrim-team-submit", timeout=60_000)
        page.locator(f".akrim-chips-{chips} .v-slider__thumb-container").focus()
        page.keyboard.press("End")
        page.locator(".akrim-team-submit").click()
        page.wait_for_selector("text=Your allocation is in", timeout=30_000)
    tr.locator(".akrim-room-close").click()
    tr.wait_for_selector("text=is played", timeout=600_000)
    tr.wait_for_timeout(1500)
    tr.screenshot(path=str(IMG / "workshop_trainer.png"))
    browser.close()
    shrink(IMG / "workshop_trainer.png")


def report(p) -> None:
    """The top of a small comparison's report (three scenarios, three replicates, scale 0.02)."""
    from experiments.compare import parse_args, run_comparison

    out = Path(tempfile.mkdtemp()) / "cmp"
    o = parse_args(["policy=[baseline,more_inspectors,register_direct_access]", "reps=3", "seed=1", "scale=0.02", "end=2030",
                    f"out={out}", "address=none", "progress=false"])
    run_comparison(o)
    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1280, "height": 1500})
    page.goto((out / "report.html").resolve().as_uri())
    page.wait_for_load_state("load")
    page.screenshot(path=str(IMG / "compare_report.png"))
    browser.close()
    shrink(IMG / "compare_report.png")


def overview() -> None:
    """The overview figure of a baseline run on the default (calibrated) world, scale 0.1, 2014-2035."""
    from sim.config import load_config
    from sim.model import AkrimModel
    from sim.plots import overview as draw

    cfg = load_config(["scale=0.1", "seed=1", "output.progress=false"])
    res = AkrimModel(cfg).run()
    draw(res.annual, cfg, IMG / "overview_baseline.png")
    shrink(IMG / "overview_baseline.png")


def main(which: list[str]) -> int:
    """Regenerate the pictures named in ``which`` (all if empty)."""
    from playwright.sync_api import sync_playwright

    which = which or ["workshop", "trainer", "report", "overview"]
    unknown = set(which) - {"workshop", "trainer", "report", "overview"}
    if unknown:
        print(f"gen_screenshots: unknown picture(s) {', '.join(sorted(unknown))}; allowed: workshop, trainer, report, overview",
              file=sys.stderr)
        return 2
    IMG.mkdir(parents=True, exist_ok=True)
    if "overview" in which:
        overview()
    with sync_playwright() as p:
        if "report" in which:
            report(p)
        if {"workshop", "trainer"} & set(which):
            proc, url = start_server(end=2030)
            try:
                if "workshop" in which:
                    workshop(p, url)
                if "trainer" in which:
                    trainer(p, url)
            finally:
                proc.terminate()
                proc.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
