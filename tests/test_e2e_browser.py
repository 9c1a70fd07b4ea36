"""End to end: `spendwatch demo --no-serve`, then `spendwatch serve` as a child process, then Debian's
headless Chromium (driven by Playwright) opens every page, finds its main figure and no exception, and
screenshots it (tests/artifacts/overview.png for the README, every page under the test's tmp dir)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# (URL path = page file stem, main heading, the page's main figure)
PAGES = [
    ("explore", "Explore", "Cost by feature per day"),
    ("whatif", "What-if", "Simulated cost"),
    ("alerts", "Alerts", "No alert rules yet"),
    ("reports", "Reports", "Total for the month"),
    ("rate_limits", "Rate limits", "Peak requests per minute vs limit"),
    ("data_health", "Data health", "Requests per source per day"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.integration
def test_demo_then_serve_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    db = tmp_path / "demo.duckdb"
    cli = [sys.executable, "-m", "spendwatch"]
    r = subprocess.run([*cli, "demo", "--no-serve", "--days", "30", "--db", str(db)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    port = _free_port()
    proc = subprocess.Popen([*cli, "serve", "--db", str(db), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 40
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("spendwatch serve did not start")
        ARTIFACTS.mkdir(exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("text=Month to date", timeout=45_000)
            page.wait_for_selector(".js-plotly-plot", timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
            page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
            assert page.locator("[data-testid=stException]").count() == 0
            assert page.get_by_text("Forecast to month end").count() == 1
            assert page.get_by_text("Daily cost by model").count() >= 1
            for stem, heading, figure in PAGES:
                page.goto(f"http://127.0.0.1:{port}/{stem}")
                page.wait_for_selector(f"h1:has-text('{heading}')", timeout=30_000)
                page.wait_for_selector(f"text={figure}", timeout=30_000)
                page.wait_for_timeout(300)  # let the rest of the run settle before looking for errors
                page.screenshot(path=str(tmp_path / f"{stem}.png"), full_page=True)
                assert page.locator("[data-testid=stException]").count() == 0, stem
                assert page.get_by_text("Traceback").count() == 0, stem
            browser.close()
            assert all((tmp_path / f"{stem}.png").stat().st_size > 10_000 for stem, _, _ in PAGES)
        # a writer is refused while the server holds the database
        f = tmp_path / "x.jsonl"
        f.write_text('{"ts": "2026-11-01T00:00:00Z", "model": "gpt-4o", "input_tokens": 1}\n')
        held = subprocess.run([*cli, "ingest", str(f), "--db", str(db)], capture_output=True, text=True)
        assert held.returncode == 1 and "held by another process" in held.stderr
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
