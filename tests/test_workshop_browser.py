"""The workshop page in a real browser: Playwright driving Debian's Chromium (issues 6 and 14).

Starts ``akrim workshop`` on a free localhost port and checks, at 1024 x 768 and 1440 x 900:
no element overflows the window horizontally; every chart's text is at least 12 CSS px; a lever
change shows in the feed and in the "changes in force" panel and can be reset there; the
sidebar's run controls and levers are disabled while a game is on; a second team's browser
joins the room's game and appears on the trainer's page. Screenshots go to ``test-artifacts/``;
no request may leave localhost and none may fail.

Skips only when Chromium is absent *and* the ``CI`` environment variable is not set; on CI a
missing browser is a failure (``.ci/run`` installs Debian's chromium).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from experiments.workshop.app import free_port

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ON_CI = bool(os.environ.get("CI"))

if CHROMIUM is None and not ON_CI:
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium); CI installs it and never skips this test",
                allow_module_level=True)
if CHROMIUM is None:
    pytest.fail("CI is set but /usr/bin/chromium is missing: .ci/run must 'apt-get install -y chromium'", pytrace=False)

from playwright.sync_api import sync_playwright  # noqa: E402  (after the skip: only needed with a browser)


@pytest.fixture(scope="module")
def server():
    """``akrim workshop`` on a free port, a short horizon so its baseline is ready in seconds."""
    port = free_port()
    log = ARTIFACTS / "workshop-server.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "experiments.cli", "workshop", f"port={port}", "end=2019", "seed=3"],
                                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"workshop server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.3)
    yield url, port, log
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


VIEWPORTS = {"1024x768": {"width": 1024, "height": 768}, "1440x900": {"width": 1440, "height": 900}}
MIN_CHART_PX = 12.0


def _browser(p, port: int, log: list, viewport: str = "1440x900"):
    """Chromium at ``viewport``, recording every request (Playwright gives it a fresh profile)."""
    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    _watch(page, log)
    return browser, page


def _watch(page, log: list) -> None:
    page.on("request", lambda r: log.append(("request", r.url)))
    page.on("requestfailed", lambda r: log.append(("failed", r.url)))
    page.on("response", lambda r: log.append(("status", f"{r.status} {r.url}")) if r.status >= 400 else None)
    page.on("console", lambda m: log.append(("console", m.text)) if m.type == "error" else None)


# Elements whose right edge passes the window's (a horizontal overflow), ignoring what is hidden.
OVERFLOW_JS = """() => {
  const W = document.documentElement.clientWidth, out = [];
  if (document.documentElement.scrollWidth > W + 1) out.push('page scrolls sideways: ' + document.documentElement.scrollWidth);
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect(), st = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || st.visibility === 'hidden' || st.display === 'none') continue;
    if (r.right > W + 1 || r.left < -1) out.push(el.tagName + '.' + String(el.className).slice(0, 60) + ' ' + Math.round(r.left) + '-' + Math.round(r.right));
  }
  return out.slice(0, 15);
}"""
# Pairs of chart texts in the same SVG whose boxes overlap (labels running into each other).
OVERLAP_JS = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('.akrim-svg svg')) {
    const boxes = Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim())
      .map(t => [t.textContent.trim(), t.getBoundingClientRect()]).filter(([, r]) => r.width > 0);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [a, r] = boxes[i], [b, q] = boxes[j];
      if (r.left < q.right - 1 && q.left < r.right - 1 && r.top < q.bottom - 1 && q.top < r.bottom - 1) out.push(a + ' / ' + b);
    }
  }
  return out.slice(0, 10);
}"""
# The rendered size (CSS px) of every visible chart text: its font size times the SVG's scale on screen.
CHART_TEXT_JS = """() => {
  const out = [];
  for (const t of document.querySelectorAll('.akrim-svg svg text')) {
    const r = t.getBoundingClientRect();
    if (r.width === 0 || !t.textContent.trim()) continue;
    const m = t.getScreenCTM();
    out.push([t.textContent.trim().slice(0, 30), parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)]);
  }
  return out;
}"""


def _check_layout(page, name: str) -> None:
    """No horizontal overflow; every chart text at least MIN_CHART_PX and none overlapping another; a screenshot."""
    over = page.evaluate(OVERFLOW_JS)
    assert not over, f"{name}: elements overflow the window horizontally: {over}"
    texts = page.evaluate(CHART_TEXT_JS)
    assert texts, f"{name}: no chart text found"
    small = [(t, round(px, 1)) for t, px in texts if px < MIN_CHART_PX - 0.05]
    assert not small, f"{name}: chart text under {MIN_CHART_PX} px: {small[:10]}"
    overlaps = page.evaluate(OVERLAP_JS)
    assert not overlaps, f"{name}: chart texts overlap: {overlaps}"
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _assert_offline(log: list, port: int) -> None:
    outside = [u for kind, u in log if kind == "request" and not _local(u, port)]
    assert not outside, f"requests left localhost: {outside[:10]}"
    problems = [(kind, u) for kind, u in log if kind != "request"]
    assert not problems, f"failed requests, HTTP errors or console errors: {problems[:10]}"


def _local(url: str, port: int) -> bool:
    return bool(re.match(rf"^(https?|wss?)://(127\.0\.0\.1|localhost):{port}/", url)) or url.startswith(("data:", "blob:"))


def _wait(page, selector: str, timeout: int, what: str = "") -> None:
    """``page.wait_for_selector`` that, on a timeout, fails with what the page shows (and saves a screenshot)."""
    try:
        page.wait_for_selector(selector, timeout=timeout)
    except Exception as exc:  # playwright's TimeoutError
        what = what or selector
        shot = ARTIFACTS / f"failed-{re.sub(r'[^A-Za-z0-9]+', '-', what)}.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
            text = page.inner_text("body")[-1500:]
        except Exception:
            text = "(page not readable)"
        pytest.fail(f"{what}: {selector!r} not shown within {timeout / 1000:.0f} s ({type(exc).__name__}); "
                    f"screenshot {shot.name}; the page ends with:\n{text}", pytrace=False)


def _wait_text(page, selector: str, parts: tuple[str, ...], timeout: int, what: str) -> str:
    """Wait until ``selector``'s text contains every one of ``parts`` (the page redraws its widgets one by one); return it."""
    js = "([sel, parts]) => { const el = document.querySelector(sel); return !!el && parts.every(p => el.innerText.includes(p)); }"
    try:
        page.wait_for_function(js, arg=[selector, list(parts)], timeout=timeout)
    except Exception as exc:
        try:
            text = page.inner_text(selector)[-1500:]
        except Exception:
            text = "(not readable)"
        pytest.fail(f"{what}: {selector!r} did not show {parts} within {timeout / 1000:.0f} s ({type(exc).__name__}); it shows:\n{text}",
                    pytrace=False)
    return page.inner_text(selector)


def _open(page, url: str) -> None:
    page.goto(url)
    _wait(page, ".akrim-charts-card", 60_000)
    _wait(page, ".akrim-status >> text=baseline ready", 60_000)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_page_fits_the_room(server, viewport):
    """At both sizes: no horizontal overflow and chart text >= 12 px on every tab; a lever change shows and resets."""
    url, port, log_path = server
    log: list = []
    with sync_playwright() as p:
        browser, page = _browser(p, port, log, viewport)
        _open(page, url)
        assert "01 Jan 2014" in page.inner_text(".akrim-status")
        assert "This website runs on Solara" not in page.inner_text("body")
        feed_before = page.inner_text(".akrim-feed")

        # A lever: NLI inspectors to the slider's maximum (keyboard on the slider thumb).
        page.locator(".akrim-lever-n_inspectors .v-slider__thumb-container").focus()
        page.keyboard.press("End")
        _wait(page, ".akrim-lever-n_inspectors .akrim-lever-value >> text=800", 15_000)
        _wait(page, ".akrim-feed >> text=Lever changed: NLI inspectors = 800", 15_000)
        _wait(page, ".akrim-changes [data-key=n_inspectors]", 15_000)
        assert "1 change in force" in page.inner_text(".akrim-status")

        page.locator(".akrim-year").click()  # a year, so the charts have lines and the axis has moved
        _wait(page, ".akrim-status >> text=week 52", 30_000)
        page.wait_for_timeout(800)
        assert page.inner_text(".akrim-feed") != feed_before
        _check_layout(page, f"workshop-live-year1-{viewport}")
        for week in (104, 156, 208):  # four years: the axis has more years than fit as labels at step 1
            page.locator(".akrim-year").click()
            _wait(page, f".akrim-status >> text=week {week}", 30_000)
        page.wait_for_timeout(800)
        live = float(page.get_attribute("[data-kpi=undeclared_share]", "data-live"))
        assert 0 < live < 1
        _check_layout(page, f"workshop-live-{viewport}")
        page.locator(".akrim-groups >> text=Enforcement").click()
        _wait(page, ".akrim-chart-controls_12m", 15_000)
        page.wait_for_timeout(500)
        assert page.locator(".akrim-panel").count() == 4  # at most four charts at a time
        # A year of 800 inspectors gives more controls than the baseline's 215.
        ctrl_live = float(page.get_attribute("[data-kpi=controls_12m]", "data-live"))
        ctrl_base = float(page.get_attribute("[data-kpi=controls_12m]", "data-base"))
        assert ctrl_live > 1.5 * ctrl_base > 0, (ctrl_live, ctrl_base)
        _check_layout(page, f"workshop-enforcement-{viewport}")

        # Reset that one lever from the changes panel.
        page.locator(".akrim-change:has([data-key=n_inspectors]) .akrim-reset-lever").click()
        _wait(page, ".akrim-lever-n_inspectors .akrim-lever-value >> text=215", 15_000)
        _wait(page, ".akrim-changes >> text=None: the run follows the baseline", 15_000)

        page.get_by_role("tab", name="Regions and actors").click()
        _wait(page, ".akrim-map g.region", 15_000)
        assert page.locator(".akrim-map g.region").count() == 8
        assert page.locator(".akrim-network g.actor").count() > 0
        page.wait_for_timeout(500)
        _check_layout(page, f"workshop-regions-{viewport}")
        browser.close()
    _assert_offline(log, port)
    server_log = log_path.read_text()
    assert "Traceback" not in server_log, server_log[-3000:]
    assert "PROF" not in server_log


def _sidebar_disabled(page) -> dict[str, bool]:
    """Whether each run control (and a lever) is disabled in the browser."""
    out = {}
    for cls in ("akrim-play", "akrim-step", "akrim-month", "akrim-year", "akrim-apply"):
        out[cls] = page.locator(f".{cls}").is_disabled()
    out["lever"] = page.locator(".akrim-lever-n_inspectors .v-slider--disabled").count() == 1
    return out


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_policy_game_locks_the_sidebar(server, viewport):
    """During a game the run controls and the levers are disabled; the scoreboard carries intervals and says 'within noise'."""
    url, port, log_path = server
    log: list = []
    with sync_playwright() as p:
        browser, page = _browser(p, port, log, viewport)
        _open(page, url)
        assert not any(_sidebar_disabled(page).values())
        page.get_by_role("tab", name="Policy game").click()
        for label, value in (("First round's year", "2017"), ("Rounds", "1"), ("Paired seeds", "2")):
            box = page.get_by_label(label)
            box.fill(value)
            box.press("Enter")
        page.locator(".akrim-game-start").click()
        _wait(page, "text=Round 1 of 1: 2017", 90_000)
        page.wait_for_timeout(500)
        locked = _sidebar_disabled(page)
        assert all(locked.values()), f"controls still active during the game: {locked}"
        assert "A game is on" in page.inner_text("body")
        page.locator(".akrim-chips-inspectors .v-slider__thumb-container").focus()
        page.keyboard.press("End")  # all ten chips on inspectors
        _wait(page, ".akrim-chips-left >> text=0", 15_000)
        page.locator(".akrim-game-play").click()
        _wait(page, ".akrim-scoreboard", 120_000)
        board = page.inner_text(".akrim-scoreboard")
        assert "2017" in board and "NLI inspectors: 10" in board and "Total, 1 round" in board
        assert "95% interval" in board and "paired seeds" in board
        # A cell within noise is grey and never counted as a win.
        noise = page.locator(".akrim-scoreboard td.noise").count()
        wins = page.locator(".akrim-scoreboard td.good, .akrim-scoreboard td.bad").count()
        assert noise + wins == 6
        assert "Game over" in page.inner_text("body")
        page.wait_for_timeout(300)
        assert not any(_sidebar_disabled(page).values()), "the game is over: the controls are free again"
        page.screenshot(path=str(ARTIFACTS / f"workshop-game-{viewport}.png"), full_page=True)
        over = page.evaluate(OVERFLOW_JS)
        assert not over, over
        page.locator(".akrim-reset").click()  # leave the page's next session a fresh run
        browser.close()
    _assert_offline(log, port)
    assert "Traceback" not in log_path.read_text()


def test_second_team_joins_and_shows_on_the_trainer_page(server):
    """Two teams in their own browsers join the room's game; the trainer sees both, runs a round, sees both scores."""
    url, port, log_path = server
    log: list = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        trainer = browser.new_context(viewport=VIEWPORTS["1440x900"]).new_page()
        _watch(trainer, log)
        trainer.goto(url + "trainer")
        _wait(trainer, ".akrim-room-create", 60_000)
        # the trainer is told what the room's fast scale does to the centres' figures (sim.runner.scale_caveat)
        assert "the centres' KPIs differ from a national run's" in trainer.locator(".akrim-scale-note").inner_text()
        for label, value in (("First round's year", "2017"), ("Rounds", "1"), ("Paired seeds", "2")):
            box = trainer.get_by_label(label)
            box.fill(value)
            box.press("Enter")
        trainer.locator(".akrim-room-create").click()
        _wait(trainer, "text=Teams are joining", 30_000)

        teams = {}
        for name, vp in (("Blue", "1024x768"), ("Red", "1440x900")):
            ctx = browser.new_context(viewport=VIEWPORTS[vp])  # its own browser profile: cookies, session
            page = ctx.new_page()
            _watch(page, log)
            _open(page, url)
            page.get_by_role("tab", name="Policy game").click()
            page.get_by_label("Team name").fill(name)
            page.locator(".akrim-team-join").click()
            _wait(page, f".akrim-team-label >> text={name}", 90_000, f"team {name} joins")
            teams[name] = page
        _wait(trainer, ".akrim-room-team[data-team=Blue]", 30_000)
        _wait(trainer, ".akrim-room-team[data-team=Red]", 90_000)
        trainer.wait_for_function("() => !document.body.innerText.includes('preparing its runs')", timeout=120_000)
        trainer.locator(".akrim-room-open").click()
        _wait(trainer, "text=Round 1 of 1 (2017) is open", 15_000)

        red = teams["Red"]
        _wait(red, ".akrim-team-submit", 15_000)
        assert all(_sidebar_disabled(red).values()), "a team's sidebar is locked during the room's game"
        red.locator(".akrim-chips-police .v-slider__thumb-container").focus()
        red.keyboard.press("End")
        _wait(red, ".akrim-chips-left >> text=0", 15_000)
        red.locator(".akrim-team-submit").click()
        _wait(red, "text=Your allocation is in", 15_000)
        _wait(trainer, "text=1 of 2 teams have submitted", 15_000)
        _wait_text(trainer, ".akrim-room-table", ("Police investigators: 10",), 15_000, "Red's allocation on the trainer's page")
        trainer.locator(".akrim-room-close").click()
        _wait(trainer, "text=The game is over", 120_000, "the round is played")
        _wait_text(trainer, ".akrim-room-table", ("Blue", "Red", "no chips spent", "Police investigators: 10"), 30_000,
                   "both teams' scores on the trainer's page")
        trainer.screenshot(path=str(ARTIFACTS / "workshop-trainer.png"), full_page=True)
        _wait(red, ".akrim-scoreboard", 30_000)
        _wait(teams["Blue"], ".akrim-scoreboard", 30_000)
        red.screenshot(path=str(ARTIFACTS / "workshop-team.png"), full_page=True)
        browser.close()
    _assert_offline(log, port)
    assert "Traceback" not in log_path.read_text()


@pytest.mark.slow
def test_play_speed(server):
    """>= 10 weekly steps per second while playing (the page's default redraw every 2 weeks)."""
    url, port, _ = server
    log: list = []
    with sync_playwright() as p:
        browser, page = _browser(p, port, log)
        _open(page, url)
        w0, t0 = int(page.inner_text(".akrim-week")), time.monotonic()
        page.locator(".akrim-play").click()
        page.wait_for_timeout(8000)
        w1, t1 = int(page.inner_text(".akrim-week")), time.monotonic()
        page.locator(".akrim-play").click()
        browser.close()
    rate = (w1 - w0) / (t1 - t0)
    print(f"workshop play speed: {rate:.1f} weeks/s")
    assert rate >= 10, f"{rate:.1f} weeks/s"


def test_room_network_needs_the_token():
    """On host=0.0.0.0 the server warns, prints a token, refuses requests without it and serves the page with it."""
    port = free_port()
    log = ARTIFACTS / "workshop-server-room.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "experiments.cli", "workshop", f"port={port}", "host=0.0.0.0", "end=2015"],
                                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while "room token" not in log.read_text() or not _answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"workshop server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        text = log.read_text()
        assert "WARNING: listening on 0.0.0.0" in text
        token = re.search(r"room token (\S+)", text).group(1)
        key = re.search(r"key=(\S+)", text).group(1)
        assert re.search(rf"teams open http://\S+:{port}/\?token={re.escape(token)}", text)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
        assert err.value.code == 403
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ctx = browser.new_context(viewport=VIEWPORTS["1024x768"])
            page = ctx.new_page()
            page.goto(f"http://127.0.0.1:{port}/?token={token}")
            _wait(page, ".akrim-status >> text=baseline ready", 60_000)
            page.locator(".akrim-step").click()  # the WebSocket works: the cookie carries the token
            _wait(page, ".akrim-status >> text=week 1", 15_000)
            trainer = ctx.new_page()  # the same browser: the cookie it was given is enough
            trainer.goto(f"http://127.0.0.1:{port}/trainer")
            _wait(trainer, "text=needs the trainer's key", 30_000)
            trainer.goto(f"http://127.0.0.1:{port}/trainer?token={token}&key={key}")
            _wait(trainer, ".akrim-room-create", 30_000)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert "Traceback" not in log.read_text()


def _answers(port: int) -> bool:
    """Whether the server answers at all (403 counts: it is up)."""
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True
