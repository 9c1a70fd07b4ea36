"""End to end: `spendwatch demo --no-serve`, then `spendwatch serve` as a child process, then Debian's
headless Chromium (driven by Playwright) opens the dashboard and finds its main figures."""

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
            assert page.locator("[data-testid=stException]").count() == 0
            assert page.get_by_text("Forecast to month end").count() == 1
            assert page.get_by_text("Daily cost by model").count() >= 1
            browser.close()
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
