"""Savings recommendations from the team's own traffic, each priced by the what-if simulation."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from spendwatch import store, whatif
from spendwatch.clock import utc_now
from spendwatch.replay import evidence

# Expensive model family → its cheaper sibling. Override with [recommend.siblings] in the TOML config.
SIBLINGS = {
    "gpt-4o": "gpt-4o-mini",
    "gpt-4.1": "gpt-4.1-mini",
    "o1": "o4-mini",
    "o3": "o4-mini",
    "gpt-5": "gpt-5-mini",
}
LONG_PROMPT = 1024       # prompt caching starts at 1,024 tokens
LOW_CACHE_HIT = 0.2
TARGET_CACHE_HIT = Decimal("0.5")


def recommend(con: duckdb.DuckDBPyConnection, *, days: int = 30, now: datetime | None = None,
              start: datetime | None = None, end: datetime | None = None,
              config: dict[str, Any] | None = None, min_monthly_usd: Decimal = Decimal("0.01")) -> list[dict[str, Any]]:
    """Ranked by monthly savings: cheaper siblings, prompt caching on long prompts, the Batch API.
    The window is [start, end), by default the ``days`` days before ``now``."""
    cfg = (config or {}).get("recommend", {}) or {}
    siblings = {**SIBLINGS, **(cfg.get("siblings", {}) or {})}
    non_interactive = set(cfg.get("non_interactive", []) or [])
    now = now or utc_now()
    end = end or now
    start = start or end - timedelta(days=days)
    source, params = whatif.row_source(con, start, end)
    rows = store.fetch_named(con, store.render("recommend_candidates", source=source), params)
    found: list[tuple[str, dict, whatif.Scenario, str]] = []

    def add(kind: str, row: dict, scenario: whatif.Scenario, why: str) -> None:
        found.append((kind, row, scenario, why))

    base = dict(start=start, end=end)
    for r in rows:
        f = (r["feature"],)
        sibling = siblings.get(r["family"])
        if sibling and sibling != r["family"]:
            # a stored replay of the feature on the sibling sets the answer length and escalation rate
            moved = evidence.with_evidence(con, whatif.Scenario(to_model=sibling, from_model=r["model"], features=f,
                                                              **base), output_ratio=None, escalate=None)
            add("cheaper model", r, moved,
                f"{r['family']} → {sibling}: same family, lower price; check quality on a share first (whatif --share)")
        if r["avg_input_tokens"] >= LONG_PROMPT and r["cache_hit_rate"] < LOW_CACHE_HIT:
            add("prompt caching", r, whatif.Scenario(to_model=r["price_model"], from_model=r["model"], features=f,
                                                     cache_hit=TARGET_CACHE_HIT, **base),
                f"prompts average {r['avg_input_tokens']:,.0f} tokens but only {r['cache_hit_rate']:.0%} are cached: "
                "put the stable part of the prompt first")
        if (r["feature"] in non_interactive or 0 < r["batch_share"] < 1) and r["batch_share"] < 1:
            add("Batch API", r, whatif.Scenario(to_model=r["price_model"], from_model=r["model"], features=f,
                                                batch=True, **base),
                "not interactive" if r["feature"] in non_interactive else
                f"already sends {r['batch_share']:.0%} of its requests through the Batch API")
    out: list[dict[str, Any]] = []
    # every scenario priced in one pass over the rows (they share the window)
    results = whatif.simulate_many(con, [scenario for _, _, scenario, _ in found], now=now)
    for (kind, row, scenario, why), res in zip(found, results, strict=True):
        if res.monthly_savings_usd >= min_monthly_usd:
            out.append({"kind": kind, "feature": row["feature"], "model": row["model"], "to": scenario.to_model,
                        "monthly_savings_usd": res.monthly_savings_usd, "savings_pct": res.savings_pct, "why": why,
                        "quality": _quality(con, kind, row["feature"], scenario.to_model, res.monthly_savings_usd)})
    return sorted(out, key=lambda x: x["monthly_savings_usd"], reverse=True)


def _quality(con: duckdb.DuckDBPyConnection, kind: str, feature: str, target: str, monthly: Decimal) -> str | None:
    """A cheaper model's evidence sentence (a stored replay, or "unverified" and the command)."""
    if kind != "cheaper model":
        return None
    return evidence.line(con, feature, target, monthly)
