"""Recommendations are ranked by monthly savings computed from published prices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

from spendwatch import ingest, recommend
from tests.helpers import chat_record

M = D(1_000_000)
NOW = datetime(2026, 11, 30)


def test_recommendations(con):
    lines = [chat_record(f"s{i}", "gpt-4o-2024-08-06", 4000, 500, feature="search", ts=f"2026-11-{1 + i:02d}T10:00:00Z")
             for i in range(20)]
    lines += [chat_record(f"m{i}", "gpt-4o-mini", 500, 100, feature="chat", ts=f"2026-11-{1 + i:02d}T10:00:00Z")
              for i in range(20)]
    ingest.ingest_lines(con, lines, source="t")
    recs = recommend.recommend(con, days=30, now=NOW, config={"recommend": {"non_interactive": ["search"]}})
    by_kind = {(r["kind"], r["feature"]): r for r in recs}
    orig = (D(4000) * D("2.50") + D(500) * D(10)) / M          # per search request on gpt-4o
    mini = (D(4000) * D("0.15") + D(500) * D("0.60")) / M       # the same on gpt-4o-mini
    cached = (D(2000) * D("2.50") + D(2000) * D("1.25") + D(500) * D(10)) / M  # half the prompt cached
    batch = orig / 2
    # 30-day window = one month
    assert by_kind[("cheaper model", "search")]["monthly_savings_usd"] == 20 * (orig - mini)
    assert by_kind[("prompt caching", "search")]["monthly_savings_usd"] == 20 * (orig - cached)
    assert by_kind[("Batch API", "search")]["monthly_savings_usd"] == 20 * (orig - batch)
    assert ("cheaper model", "chat") not in by_kind  # already the cheap sibling; short prompts
    assert [r["monthly_savings_usd"] for r in recs] == sorted((r["monthly_savings_usd"] for r in recs), reverse=True)
