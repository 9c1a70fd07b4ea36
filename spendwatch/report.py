"""Spend reports: the rows behind `spendwatch report`, the Reports page and finance exports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import duckdb

from spendwatch import days, store
from spendwatch.errors import SpendwatchError

# The only group-by columns a report accepts: name → SQL expression (never user text).
DIMENSIONS: dict[str, str] = {
    "feature": "feature",
    "model": "model",
    "project": "project_id",
    "user": "user_id",
    "api_key": "api_key_id",
    "endpoint": "endpoint",
    "status": "status",
    "day": "CAST(date_trunc('day', ts) AS DATE)",
    "week": "CAST(date_trunc('week', ts) AS DATE)",
    "month": "CAST(date_trunc('month', ts) AS DATE)",
}
TIME_DIMENSIONS = {"day", "week", "month"}
METRICS = ("requests", "input_tokens", "cached_tokens", "output_tokens", "cost_usd", "unpriced_requests")


def render_scoped(name: str, scope_col: str | None) -> str:
    """A query whose {{scope}} slot takes an allow-listed column (NULL: all traffic); the value stays a parameter."""
    return store.render(name, scope=DIMENSIONS[scope_col] if scope_col else "NULL")


def parse_by(value: str | list[str] | None) -> list[str]:
    """'feature,model' → ['feature', 'model'], rejecting anything not in DIMENSIONS."""
    if not value:
        return []
    parts = value.split(",") if isinstance(value, str) else value
    cols = [p.strip() for p in parts if p.strip()]
    bad = [c for c in cols if c not in DIMENSIONS]
    if bad:
        raise SpendwatchError(f"unknown --by column {bad[0]!r}; choose from {', '.join(DIMENSIONS)}")
    if len(set(cols)) != len(cols):
        raise SpendwatchError("--by lists a column twice")
    return cols


window = days.bounds  # [first day, last day] inclusive → [start, end); one rule for every command


def spend_report(
    con: duckdb.DuckDBPyConnection, *, by: list[str], start: date | datetime | None = None,
    end: date | datetime | None = None,
) -> list[dict[str, Any]]:
    """One row per group: the --by columns, then METRICS. Ordered by time, then cost descending."""
    by = parse_by(by)
    lo, hi = window(start, end)
    return store.fetch_dicts(con, report_sql(by), {"start": lo, "end": hi})


def report_sql(by: list[str]) -> str:
    """report.sql for allow-listed ``by`` columns: one text that DuckDB and the Spark engine both run."""
    by = parse_by(by)
    select = "".join(f"{DIMENSIONS[c]} AS {c}, " for c in by)
    group = f"GROUP BY {', '.join(DIMENSIONS[c] for c in by)}" if by else ""
    time_cols = [c for c in by if c in TIME_DIMENSIONS]
    order = ", ".join([*time_cols, "cost_usd DESC", *[c for c in by if c not in TIME_DIMENSIONS]]) or "cost_usd DESC"
    return store.render("report", group_select=select, group_by=group, order_by=order + " NULLS LAST")


def unpriced_only(r: dict[str, Any]) -> bool:
    """A row none of whose requests has a price: its cost is unknown, not $0."""
    return r.get("unpriced_requests", 0) > 0 and r.get("requests", 0) - r["unpriced_requests"] <= 0


def blank_unpriced(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for a CSV or XLSX file: an unpriced row's cost is left blank (None) and its count stays in
    ``unpriced_requests``, so a spreadsheet never reads an unknown cost as 0.00."""
    return [{**r, "cost_usd": None} if unpriced_only(r) else r for r in rows]
