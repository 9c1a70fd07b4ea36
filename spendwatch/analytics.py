"""The figures the dashboard shows, as plain functions over the store (tested without Streamlit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from spendwatch import store


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def has_data(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT EXISTS (SELECT 1 FROM requests)").fetchall()[0][0]


def overview_totals(con: duckdb.DuckDBPyConnection, *, now: datetime | None = None) -> dict[str, Any]:
    """Today, month to date, unpriced count and what prompt caching saved this month (all UTC)."""
    row = store.fetch_dicts(con, store.query("overview_totals"), {"now": now or utc_now()})[0]
    inp = row["month_input_tokens"] or 0
    row["cache_hit_rate"] = (Decimal(row["month_cached_tokens"]) / Decimal(inp)) if inp else Decimal(0)
    return row


def daily_cost_by_model(
    con: duckdb.DuckDBPyConnection, *, start: datetime | None = None, end: datetime | None = None,
    days: int = 30, now: datetime | None = None,
) -> pd.DataFrame:
    """One row per (day, model): priced spend; cost as float for charting only (display)."""
    now = now or utc_now()
    end = end or (now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1))
    start = start or end - timedelta(days=days)
    df = con.execute(store.query("daily_cost_by_model"), {"start": start, "end": end}).df()
    df["cost_usd"] = df["cost_usd"].astype(float)
    return df
