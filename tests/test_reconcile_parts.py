"""A recorded 2026 day of Usage and Costs API pages covering every part (audio, long context, tool
calls, priority on a dated name, cache writes, storage, fine-tuning training) reconciles with every
dollar either matched or given its specific reason (issue 15).

Fixtures: tests/fixtures/usage_completions_2026_parts_page.json, costs_page_2026_parts.json
(project proj_Parts…, 2026-11-02). Figures by hand, rates from genai-prices 0.2.3 / FACTS-2026:
  gpt-realtime  logged 500 x $4 + 1,500 audio x $32 + 200 x $16 + 800 audio x $64 = $0.1044 = billed
  gpt-5.4       logged (one request, 300K in > 272K: long context) 200K x $5 + 100K x $0.50 + 1K x $22.50
                = $1.0725 + 3 web searches x $0.01 = $1.1025; billed two long-context requests: $2.145
  web search    billed $0.06 (6 calls, no model); 3 of them are in the logs (on the gpt-5.4 row)
  o3-2025-04-16 priority: 1M x $3.50 + 100K x $14 = $4.90 = billed
  gpt-5.6       40K x $4 + 20K x $0.40 + 40K cache writes x $5 + 2K x $20 = $0.408 = billed
  gpt-audio     logged without audio details: 1,000 x $2.50 + 500 x $10 = $0.0075;
                billed 400 x $2.50 + 600 audio x $32 + 100 x $10 + 400 audio x $64 = $0.0468
  Vector storage $0.30, Fine-tuning training $1.20: no request behind them
  billed total 0.1044 + 2.145 + 0.06 + 4.90 + 0.408 + 0.0468 + 0.30 + 1.20 = $9.1642
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest

from spendwatch import ingest, reconcile
from spendwatch.collectors import openai_usage
from spendwatch.collectors.openai_usage import RetryPolicy
from tests.fake_openai import FIX, FakeOpenAI

P = "proj_Parts7Yk2mQ9rLs4"
TS = "2026-11-02T10:00:00Z"
FAST = RetryPolicy(attempts=3, initial=0.001, max_wait=0.01, jitter=0.001, sleep=lambda s: None)
GENERIC = ("negotiated price or catalog gap", "non-token charges")


def _rec(rid, model, usage, **extra):
    return json.dumps(
        {"request_id": rid, "ts": TS, "model": model, "project_id": P, "usage": usage, **extra}
    )


@pytest.fixture
def day(con, monkeypatch):
    ingest.ingest_lines(
        con,
        [
            _rec(
                "rt",
                "gpt-realtime",
                {
                    "input_tokens": 2000,
                    "output_tokens": 1000,
                    "input_token_details": {"text_tokens": 500, "audio_tokens": 1500},
                    "output_token_details": {"text_tokens": 200, "audio_tokens": 800},
                },
            ),
            _rec(
                "lc",
                "gpt-5.4",
                {
                    "input_tokens": 300_000,
                    "output_tokens": 1000,
                    "input_tokens_details": {"cached_tokens": 100_000},
                },
                tool_calls={"web_search": 3},
            ),
            _rec(
                "pri",
                "o3-2025-04-16",
                {"prompt_tokens": 1_000_000, "completion_tokens": 100_000},
                service_tier="priority",
            ),
            _rec(
                "cw",
                "gpt-5.6",
                {
                    "input_tokens": 100_000,
                    "output_tokens": 2000,
                    "input_tokens_details": {"cached_tokens": 20_000, "cache_write_tokens": 40_000},
                },
            ),
            _rec("au", "gpt-audio", {"prompt_tokens": 1000, "completion_tokens": 500}),
        ],
        source="test",
    )
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        fake.serve_buckets(
            "usage/completions",
            json.loads((FIX / "usage_completions_2026_parts_page.json").read_text())["data"],
        )
        fake.serve_buckets(
            "costs", json.loads((FIX / "costs_page_2026_parts.json").read_text())["data"]
        )
        openai_usage.sync_openai(
            con, "sk-admin-test-parts", since=date(2026, 11, 2), until=date(2026, 11, 3), retry=FAST
        )
    return con


def test_every_dollar_is_matched_or_has_its_specific_reason(day):
    rows = reconcile.reconcile(day, start=date(2026, 11, 2), end=date(2026, 11, 2))
    by_model = {r["model"]: r for r in rows}
    assert sum(r["billed_usd"] for r in rows) == D("9.1642")
    for r in rows:
        assert r["reason"], r
        assert not any(g in r["reason"] for g in GENERIC), r
    assert by_model["gpt-realtime"]["reason"] == "matches"
    assert (
        by_model["gpt-realtime"]["billed_usd"]
        == by_model["gpt-realtime"]["logged_cost_usd"]
        == D("0.1044")
    )
    assert (
        by_model["o3-2025-04-16"]["reason"] == "matches"
    )  # priority on a dated name, $4.90 both sides
    assert by_model["gpt-5.6"]["reason"] == "matches"  # cache writes at $5, $0.408 both sides
    assert by_model["gpt-5.6"]["usage_cost_usd"] == D(
        "0.408"
    )  # input_cache_write_tokens priced too
    lc = by_model["gpt-5.4"]["reason"]
    assert "partly instrumented: the logs hold 1 of 2 requests" in lc
    assert "long-context surcharge (input): billed $2.00, the logs price $1.00" in lc
    assert "tool calls billed without a model: the logs price $0.03 of web search here" in lc
    assert by_model[None]["reason"] == "tool calls not in the logs: $0.06 of web search"
    audio = by_model["gpt-audio"]["reason"]
    assert "audio billed at audio rates (audio input): billed $0.02, the logs price $0.00" in audio
    assert "audio billed at audio rates (audio output): billed $0.03, the logs price $0.00" in audio
    # the Usage API's audio counts price the usage side at audio rates: $0.0468, equal to the bill
    assert by_model["gpt-audio"]["usage_cost_usd"] == D("0.0468")
    assert (
        by_model["(vector storage)"]["reason"] == "storage: not per request ($0.30 vector storage)"
    )
    assert (
        by_model["(fine tuning training)"]["reason"]
        == "fine-tuning: not per request ($1.20 fine tuning training)"
    )
    assert by_model["(vector storage)"]["logged_requests"] == 0


def test_the_day_rolled_up_names_each_part(day):
    (row,) = reconcile.reconcile(day, start=date(2026, 11, 2), end=date(2026, 11, 2), by="day")
    assert row["billed_usd"] == D("9.1642")
    for part in (
        "long-context surcharge",
        "audio billed at audio rates",
        "tool calls (web search)",
        "storage: not per request",
        "fine-tuning: not per request",
    ):
        assert part in row["reason"], part
    assert not any(g in row["reason"] for g in GENERIC)


def test_relative_tolerance_flags_a_small_day_gap():
    tol = reconcile.Tolerance()
    assert tol.differ(D("0.113"), D("0.10"))  # 13 % and 1.3 cents
    assert not tol.differ(D("1000.004"), D("1000"))  # under a cent
    assert not tol.differ(D("1004"), D("1000"))  # 0.4 %: within 0.5 %
    assert tol.differ(D("1006"), D("1000"))
