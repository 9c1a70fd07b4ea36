"""End to end: `spendwatch demo --no-serve`, then `spendwatch serve` (with a dashboard password) as a
child process, then Debian's headless Chromium (driven by Playwright):

1. a fresh browser session on every page's URL sees only the password box: no page content and no
   sidebar link (issue 14 item 1: Streamlit ran ``dashboard/pages/*.py`` around the gate);
2. after the password every page renders its main figure and no exception, and is screenshotted
   into docs/ for the README;
3. no request leaves the machine (the favicon came from a font CDN) and there is no Deploy button
   or developer menu (issue 16 item 10).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS = Path(__file__).resolve().parents[1] / "docs"
PASSWORD = "correct horse battery staple"
# (URL path, main heading, the page's main figure, words only that page shows)
PAGES = [
    ("overview", "Overview", "Daily cost by model", "Forecast to month end"),
    ("explore", "Explore", "Cost by feature per day", "Group by"),
    ("whatif", "What-if", "Simulated cost", "Move them to"),
    ("alerts", "Alerts", "No alert rules yet", "Recent events"),
    ("reports", "Reports", "Total for the month", "Download CSV"),
    ("rate_limits", "Rate limits", "Peak requests per minute vs limit", "Busiest minute"),
    ("data_health", "Data health", "Requests per source per day", "Quarantined lines"),
]
NAV_TITLES = ["Overview", "Explore", "What-if", "Alerts", "Reports", "Rate limits", "Data health"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen) -> None:
    deadline = time.time() + 40
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"spendwatch serve exited: {proc.stdout.read()}")
            time.sleep(0.3)
    pytest.fail("spendwatch serve did not start")


@pytest.mark.integration
def test_demo_then_serve_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    db = tmp_path / "demo.duckdb"
    cli = [sys.executable, "-m", "spendwatch"]
    r = subprocess.run(
        [*cli, "demo", "--no-serve", "--days", "30", "--db", str(db)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SPENDWATCH_DASHBOARD_PASSWORD": PASSWORD}
    proc = subprocess.Popen(
        [*cli, "serve", "--db", str(db), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    outside: list[str] = []
    try:
        _wait_port(port, proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)

            def watch(page):
                page.on(
                    "request",
                    lambda req: (
                        outside.append(req.url)
                        if urlparse(req.url).hostname not in ("127.0.0.1", None)
                        and req.url.startswith("http")
                        else None
                    ),
                )
                return page

            # 1. every URL, each in a fresh session: the password box and nothing else
            for stem, heading, _figure, _words in [("", "", "", "")] + PAGES:
                ctx = browser.new_context(viewport={"width": 1300, "height": 900})
                page = watch(ctx.new_page())
                page.goto(f"{base}/{stem}")
                page.wait_for_selector("input[type=password]", timeout=45_000)
                page.wait_for_timeout(1500)  # give a page script time to draw, were it running
                body = page.inner_text("body")
                for w in (
                    "Month to date",
                    "Spend in the selected range",
                    *(x for _, h, f, x in PAGES),
                ):
                    assert w not in body, (stem, w)
                if stem:
                    assert (
                        f"h1:has-text('{heading}')"
                        and page.locator(f"h1:has-text('{heading}')").count() == 0
                    )
                assert page.locator("[data-testid=stSidebarNav]").count() == 0, stem
                assert page.locator("[data-testid=stSidebarNavLink]").count() == 0, stem
                assert page.locator("[data-testid=stAppDeployButton]").count() == 0
                assert page.locator("[data-testid=stMainMenu]").count() == 0
                ctx.close()

            # 2. with the password: every page, its figure, no exception, a screenshot for the README
            ctx = browser.new_context(viewport={"width": 1300, "height": 900})
            page = watch(ctx.new_page())
            page.goto(f"{base}/")
            page.fill("input[type=password]", PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_selector("text=Month to date", timeout=45_000)
            links = page.locator("[data-testid=stSidebarNavLink]")
            links.first.wait_for(timeout=30_000)
            assert [t.strip().splitlines()[-1] for t in links.all_inner_texts()] == NAV_TITLES
            for i, (stem, heading, figure, words) in enumerate(PAGES):
                if i:  # in-app navigation keeps the session (a full page load would ask again)
                    page.locator(
                        f"[data-testid=stSidebarNavLink]:has-text('{NAV_TITLES[i]}')"
                    ).click()
                page.wait_for_selector(f"h1:has-text('{heading}')", timeout=30_000)
                page.wait_for_selector(f"text={figure}", timeout=30_000)
                page.wait_for_selector(f"text={words}", timeout=30_000)
                page.wait_for_timeout(
                    500
                )  # let the rest of the run settle before looking for errors
                assert page.locator("[data-testid=stException]").count() == 0, stem
                assert page.get_by_text("Traceback").count() == 0, stem
                shot = tmp_path / f"{stem}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000, stem
                shutil.copyfile(shot, DOCS / f"{stem}.png")
            assert page.locator("[data-testid=stAppDeployButton]").count() == 0
            assert page.locator("[data-testid=stMainMenu]").count() == 0
            browser.close()
        assert outside == []
        # a writer is refused while the server holds the database
        f = tmp_path / "x.jsonl"
        f.write_text('{"ts": "2026-11-01T00:00:00Z", "model": "gpt-4o", "input_tokens": 1}\n')
        held = subprocess.run(
            [*cli, "ingest", str(f), "--db", str(db)], capture_output=True, text=True
        )
        assert held.returncode == 1 and "held by another process" in held.stderr
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
