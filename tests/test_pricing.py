"""Dollar figures computed by hand from published prices (USD per 1M tokens), compared exactly."""

from __future__ import annotations

import json
from decimal import Decimal as D

from spendwatch import ingest, pricing, report
from spendwatch.pricing import catalog
from tests.conftest import SHARED
from tests.helpers import chat_record, cost_of

M = D(1_000_000)


def test_gpt4o_cached_input_at_cached_price(con):
    ingest.ingest_lines(con, [chat_record("a", "gpt-4o", 2006, 300, cached=1920)], source="t")
    # (2006 - 1920) x $2.50 + 1920 x $1.25 + 300 x $10.00, per 1M
    assert cost_of(con, "a") == (D(86) * D("2.50") + D(1920) * D("1.25") + D(300) * D("10.00")) / M


def test_gpt4o_mini_and_o1_reasoning_inside_output(con):
    ingest.ingest_lines(con, [
        chat_record("mini", "gpt-4o-mini", 10_000, 2_000, cached=4_096),
        chat_record("o1", "o1", 5_000, 3_000, cached=1_024, reasoning=2_500),
    ], source="t")
    assert cost_of(con, "mini") == (D(5904) * D("0.15") + D(4096) * D("0.075") + D(2000) * D("0.60")) / M
    # reasoning tokens are inside completion tokens: billed once, at the output price
    assert cost_of(con, "o1") == (D(3976) * D(15) + D(1024) * D("7.50") + D(3000) * D(60)) / M


def test_gpt4o_2024_05_13_has_its_own_price_and_no_cached_discount(con):
    ingest.ingest_lines(con, [chat_record("old", "gpt-4o-2024-05-13", 2048, 100, cached=1024)], source="t")
    assert cost_of(con, "old") == (D(2048) * D(5) + D(100) * D(15)) / M


def test_dated_snapshot_resolves_to_its_price_and_history_applies(con):
    ingest.ingest_lines(con, [
        chat_record("snap", "gpt-4o-2024-08-06", 2006, 300, cached=1920),
        # before prompt caching launched (2024-10-01) cached tokens had no discount
        chat_record("precache", "gpt-4o-2024-08-06", 2006, 300, cached=1920, ts="2024-09-20T00:00:00Z"),
    ], source="t")
    assert cost_of(con, "snap") == D("0.005615")
    assert cost_of(con, "precache") == (D(2006) * D("2.50") + D(300) * D(10)) / M


def test_o3_price_cut_is_effective_dated(con):
    ingest.ingest_lines(con, [
        chat_record("before", "o3", 1_000_000, 1_000_000, ts="2025-06-01T00:00:00Z"),
        chat_record("after", "o3", 1_000_000, 1_000_000, ts="2025-06-11T00:00:00Z"),
    ], source="t")
    assert cost_of(con, "before") == D(10) + D(40)
    assert cost_of(con, "after") == D(2) + D(8)


def test_batch_is_half_price_including_older_traffic(con):
    ingest.ingest_lines(con, [
        chat_record("b1", "gpt-4o-mini", 20, 10, batch=True, ts="2024-12-23T00:00:00Z"),
        chat_record("b2", "gpt-4o", 1_000_000, 1_000_000, cached=400_000, batch=True),
    ], source="t")
    assert cost_of(con, "b1") == (D(20) * D("0.075") + D(10) * D("0.30")) / M  # FACTS.md: 0.0000045
    assert cost_of(con, "b1") == D("0.0000045")
    assert cost_of(con, "b2") == (D(600_000) * D("1.25") + D(400_000) * D("0.625") + D(1_000_000) * D(5)) / M


def test_flex_and_priority_tiers(con):
    ingest.ingest_lines(con, [
        chat_record("flex", "gpt-5", 1_000_000, 1_000_000, service_tier="flex"),
        chat_record("prio", "gpt-4o", 1_000_000, 1_000_000, service_tier="priority"),
        chat_record("std", "gpt-5", 1_000_000, 1_000_000, service_tier="default"),
    ], source="t")
    assert cost_of(con, "flex") == D("0.625") + D(5)
    assert cost_of(con, "prio") == D("4.25") + D(17)
    assert cost_of(con, "std") == D("1.25") + D(10)


def test_fine_tune_at_fine_tune_price(con):
    ingest.ingest_lines(con, [chat_record("ft", "ft:gpt-4o-mini-2024-07-18:acme::abc123", 1_000_000, 500_000)],
                        source="t")
    assert cost_of(con, "ft") == D("0.30") + D("1.20") / 2


def test_unknown_model_is_null_and_counted_unpriced(con):
    ingest.ingest_lines(con, [chat_record("x", "gpt-9-turbo", 1000, 10), chat_record("y", "gpt-4o", 1000, 0)],
                        source="t")
    assert cost_of(con, "x") is None
    (row,) = report.spend_report(con, by=[])
    assert row["unpriced_requests"] == 1 and row["requests"] == 2
    assert row["cost_usd"] == D(1000) * D("2.50") / M


def test_overrides_win_and_discount_applies(con):
    config = {"pricing": {"discount": 0.8, "models": [
        {"model": "gpt-9-turbo", "input": 1, "cached": 0.5, "output": 2},
        {"model": "gpt-4o", "input": 2, "output": 8, "effective_from": "2026-01-01"},
    ]}}
    assert catalog.materialise(con, config)
    ingest.ingest_lines(con, [chat_record("x", "gpt-9-turbo", 1_000_000, 1_000_000, cached=500_000),
                              chat_record("o", "gpt-4o", 1_000_000, 0),
                              chat_record("m", "gpt-4o-mini", 1_000_000, 0)], source="t")
    assert cost_of(con, "x") == D("0.5") + D("0.25") + D(2)
    assert cost_of(con, "o") == D(2)  # negotiated price: no discount on top
    assert cost_of(con, "m") == D("0.15") * D("0.8")
    assert not catalog.materialise(con, config)  # unchanged config: nothing rewritten


def test_fixture_payloads_match_the_facts_table(con):
    """FACTS.md 'Expected costs for the fixtures', ingested from the real payloads."""
    lines = []
    for name, ts in (("chat_completion_cached.json", "2024-10-01T12:00:00Z"),
                     ("chat_completion_reasoning.json", "2025-03-01T00:00:00Z"),
                     ("responses_reasoning_cached.json", "2025-06-01T00:00:00Z")):
        body = json.loads((SHARED / name).read_text())
        lines.append(json.dumps({"request_id": name, "ts": ts, "model": body["model"], "usage": body["usage"]}))
    ingest.ingest_lines(con, lines, source="fixtures")
    assert cost_of(con, "chat_completion_cached.json") == D("0.005615")
    assert cost_of(con, "chat_completion_reasoning.json") == D("0.0044044")
    assert cost_of(con, "responses_reasoning_cached.json") == D("0.0055594")


def test_resolution_rules():
    keys = {"gpt-4o", "gpt-4o-2024-05-13", "o3-mini"}
    assert pricing.resolve("gpt-4o-2024-05-13", keys).price_model == "gpt-4o-2024-05-13"
    assert pricing.resolve("o3-mini-2025-01-31", keys).rule in ("snapshot family", "catalog match")
    assert pricing.resolve("ft:gpt-4.1:acme::x", keys).price_model is None
    assert pricing.resolve("nope", keys).price_model is None
