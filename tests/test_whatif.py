"""What-if levers, each checked against dollars computed by hand from published prices (per 1M tokens):
gpt-4o $2.50 / $1.25 cached / $10; gpt-4o-mini $0.15 / $0.075 / $0.60, batch $0.075 / $0.30 (cached 50 %)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from decimal import Decimal as D

import pytest

from spendwatch import ingest, whatif
from spendwatch.errors import SpendwatchError
from tests.helpers import chat_record

M = D(1_000_000)
N = 200
START, END = datetime(2026, 11, 1), datetime(2026, 12, 1)
ORIG = (D(7952) * D("2.50") + D(2048) * D("1.25") + D(1000) * D(10)) / M  # 0.03244
MINI = (D(7952) * D("0.15") + D(2048) * D("0.075") + D(1000) * D("0.60")) / M  # 0.0019464


@pytest.fixture
def seeded(con):
    lines = [chat_record(f"req-{i}", "gpt-4o-2024-08-06", 10_000, 1000, cached=2048, feature="search",
                         ts=f"2026-11-{1 + i % 28:02d}T10:00:00Z") for i in range(N)]
    lines.append(chat_record("other", "gpt-4o-mini-2024-07-18", 1000, 100, feature="chat", ts="2026-11-05T00:00:00Z"))
    ingest.ingest_lines(con, lines, source="t")
    return con


def run(con, **kw) -> whatif.WhatIfResult:
    return whatif.simulate(con, whatif.Scenario(to_model="gpt-4o-mini", from_model="gpt-4o", start=START, end=END, **kw))


def test_full_move_to_mini(seeded):
    r = run(seeded)
    assert ORIG == D("0.03244") and MINI == D("0.0019464")
    assert r.current_cost_usd == N * ORIG
    assert r.simulated_cost_usd == N * MINI
    assert r.savings_usd == N * (ORIG - MINI)
    assert [(x["feature"], x["model"], x["moved_requests"]) for x in r.rows] == [("search", "gpt-4o-2024-08-06", N)]
    assert r.monthly_savings_usd == r.savings_usd  # a 30-day window is one month


def test_share_is_an_exact_fraction(seeded):
    # share moves that fraction of every group's tokens and cost: the expected value, not a sample
    a = run(seeded, share=D("0.5"))
    assert a.rows[0]["moved_requests"] == 100
    assert a.simulated_cost_usd == N * (D("0.5") * MINI + D("0.5") * ORIG) == D("3.43864")
    b = run(seeded, share=D("0.3"))
    assert b.rows[0]["moved_requests"] == 60
    assert b.simulated_cost_usd == N * (D("0.3") * MINI + D("0.7") * ORIG) == D("4.658384")
    c = run(seeded, share=D("0.005"))  # 1 of 200 requests in expectation
    assert c.rows[0]["moved_requests"] == 1
    assert c.simulated_cost_usd == N * ORIG - D("0.005") * N * (ORIG - MINI)
    assert run(seeded, share=D("0.001")).rows[0]["moved_requests"] == D("0.2")
    assert run(seeded, share=D(0)).simulated_cost_usd == N * ORIG


def test_escalation_pays_both(seeded):
    assert run(seeded, escalate=D("0.25")).simulated_cost_usd == N * (MINI + D("0.25") * ORIG)


def test_cache_hit_rate(seeded):
    per = (D(5000) * D("0.15") + D(5000) * D("0.075") + D(1000) * D("0.60")) / M
    assert run(seeded, cache_hit=D("0.5")).simulated_cost_usd == N * per


def test_batch_rates(seeded):
    per = (D(7952) * D("0.075") + D(2048) * D("0.0375") + D(1000) * D("0.30")) / M
    assert run(seeded, batch=True).simulated_cost_usd == N * per


def test_output_ratio_and_range(seeded):
    half = (D(7952) * D("0.15") + D(2048) * D("0.075") + D(500) * D("0.60")) / M
    assert run(seeded, output_ratio=D("0.5")).simulated_cost_usd == N * half
    r = run(seeded, with_range=True)
    low = (D(9000 - D("1843.2")) * D("0.15") + D("1843.2") * D("0.075") + D(600) * D("0.60")) / M
    high = (D(11000 - D("2252.8")) * D("0.15") + D("2252.8") * D("0.075") + D(1400) * D("0.60")) / M
    assert r.range["simulated_low_usd"] == N * low
    assert r.range["simulated_high_usd"] == N * high


def test_all_levers_combined(seeded):
    r = run(seeded, share=D("0.5"), escalate=D("0.2"), cache_hit=D("0.5"), batch=True)
    assert r.rows[0]["moved_requests"] == 100
    moved = (D(5000) * D("0.075") + D(5000) * D("0.0375") + D(1000) * D("0.30")) / M + D("0.2") * ORIG
    assert moved == D("0.0073505")  # 375 + 187.5 + 300 per 1M tokens, plus 0.2 x 0.03244
    assert r.simulated_cost_usd == 100 * moved + 100 * ORIG == D("3.97905")


def test_historical_vs_current_prices(con):
    ingest.ingest_lines(con, [chat_record("old", "gpt-4o", 1_000_000, 1_000_000, ts="2025-06-01T00:00:00Z")], source="t")
    kw = dict(to_model="o3", start=datetime(2025, 5, 1), end=datetime(2025, 7, 1))
    assert whatif.simulate(con, whatif.Scenario(prices="historical", **kw)).simulated_cost_usd == D(10) + D(40)
    assert whatif.simulate(con, whatif.Scenario(prices="current", **kw)).simulated_cost_usd == D(2) + D(8)


def test_unknown_target_and_bad_fractions(seeded, db_path):
    with pytest.raises(SpendwatchError, match="closest known: gpt-4o-mini"):
        whatif.simulate(seeded, whatif.Scenario(to_model="gpt-4o-minni"))
    seeded.close()
    cli = [sys.executable, "-m", "spendwatch", "whatif", "--db", str(db_path)]
    r = subprocess.run([*cli, "--to", "gpt-4o-minni"], capture_output=True, text=True)
    assert r.returncode == 1 and "closest known" in r.stderr
    r = subprocess.run([*cli, "--to", "gpt-4o-mini", "--share", "1.5"], capture_output=True, text=True)
    assert r.returncode == 2
    r = subprocess.run([*cli, "--to", "gpt-4o-mini", "--from", "gpt-4o", "--from-date", "2026-11-01",
                        "--to-date", "2026-12-01", "--format", "json"], capture_output=True, text=True)
    out = json.loads(r.stdout, parse_float=D)
    assert {"current_cost_usd", "simulated_cost_usd", "savings_usd", "savings_pct", "rows"} <= set(out)
    assert out["simulated_cost_usd"] == N * MINI
