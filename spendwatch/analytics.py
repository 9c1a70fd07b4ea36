"""The figures the dashboard shows, as plain functions over the store (tested without Streamlit)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from spendwatch import store
from spendwatch.clock import utc_now


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


# --- The dashboard's range-aware figures (Overview, Reports, What-if); added for issue 7. ---

REPORT_GROUPS = ("feature", "project", "api_key", "cost_centre")
UNASSIGNED = "(unassigned)"


def top_features(con: duckdb.DuckDBPyConnection, f: Any, *, n: int = 10) -> pd.DataFrame:
    """Features by cost in the window of ``f`` (an explore.Filters), with the previous period of
    equal length beside them: ``feature``, ``cost_usd``, ``previous_usd``, ``change_usd``, ``change_pct``
    (None when the feature cost nothing before). Exact decimals."""
    from spendwatch import explore

    now = {r["feature"]: r for r in explore.grouped(con, f, by=["feature"])}
    before = {r["feature"]: r["cost_usd"] for r in explore.grouped(con, f.previous(), by=["feature"])}
    rows = []
    for feature, r in now.items():
        prev = before.get(feature, Decimal(0))
        change = r["cost_usd"] - prev
        rows.append({"feature": feature, "cost_usd": r["cost_usd"], "previous_usd": prev, "change_usd": change,
                     "change_pct": (change / prev * 100) if prev else None, "requests": r["requests"]})
    by_cost = sorted(rows, key=lambda x: x["cost_usd"], reverse=True)[:n]
    return pd.DataFrame(by_cost, columns=["feature", "cost_usd", "previous_usd", "change_usd", "change_pct", "requests"])


def month_window(month: date) -> tuple[datetime, datetime]:
    """The UTC calendar month holding ``month`` as [start, end)."""
    start = datetime(month.year, month.month, 1)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, end


def report_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Months with requests, newest first (the Reports page's month picker)."""
    from spendwatch import rollups

    source = "source_hourly" if rollups.is_fresh(con) else "source_plain"
    sql = store.render("report_months", source=store.query(source))
    return [m for (m,) in con.execute(sql).fetchall()]


def month_report(con: duckdb.DuckDBPyConnection, *, month: date, by: str = "feature",
                 cost_centres: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The finance report of one UTC month: rows of ``by`` then report.METRICS, the same rows and
    totals as ``spendwatch report --by BY`` over that month. ``by='cost_centre'`` sums features
    through ``cost_centres`` (feature → centre, from the TOML ``[cost_centres]``); features it does
    not list land in '(unassigned)'."""
    from spendwatch import explore, report

    if by not in REPORT_GROUPS:
        raise ValueError(f"unknown report grouping {by!r}; choose from {', '.join(REPORT_GROUPS)}")
    start, end = month_window(month)
    f = explore.Filters(start, end)
    dim = "feature" if by == "cost_centre" else by
    rows = [{dim: r[dim], **{m: r[m] for m in report.METRICS}} for r in explore.grouped(con, f, by=[dim])]
    if by != "cost_centre":
        return rows
    centres: dict[str, dict[str, Any]] = {}
    for r in rows:
        name = (cost_centres or {}).get(r["feature"], UNASSIGNED)
        acc = centres.setdefault(name, {"cost_centre": name, **{m: 0 for m in report.METRICS}})
        for m in report.METRICS:
            acc[m] += r[m]
    for acc in centres.values():
        acc["cost_usd"] = Decimal(acc["cost_usd"])
    return sorted(centres.values(), key=lambda x: (-x["cost_usd"], x["cost_centre"]))


def report_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The totals row of a report (sums of report.METRICS)."""
    from spendwatch import report

    out: dict[str, Any] = {m: sum((r[m] for r in rows), 0) for m in report.METRICS}
    out["cost_usd"] = Decimal(out["cost_usd"])
    return out


def report_bytes(rows: list[dict[str, Any]], *, columns: list[str], fmt: str, title: str | None = None) -> bytes:
    """A report as a download: 'csv' (formula-neutralised text), 'xlsx' (currency columns, a totals
    row, frozen header) or 'parquet' (exact decimals)."""
    import io

    from spendwatch import exports, report

    if fmt in ("csv", "xlsx"):  # an unpriced row: blank cost, its count in unpriced_requests (never 0.00)
        rows = report.blank_unpriced(rows)
    if fmt == "csv":
        return exports.to_csv_text(rows, columns).encode("utf-8")
    buf = io.BytesIO()
    if fmt == "xlsx":
        exports.write_xlsx(rows, buf, columns=columns, title=title)
    elif fmt == "parquet":
        exports.write_parquet(rows, buf, columns=columns)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return buf.getvalue()


def target_models(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Models a what-if can move traffic to: the cheaper siblings first, then every priced model."""
    from spendwatch import pricing, recommend

    keys = pricing.price_keys(con)
    first = [m for m in dict.fromkeys(recommend.SIBLINGS.values()) if m in keys]
    return first + sorted(k for k in keys if k not in first)


def overview_figures(con: duckdb.DuckDBPyConnection, *, now: datetime | None = None) -> dict[str, Any]:
    """The figures of :func:`overview_totals` (same keys, same values), computed through
    explore.grouped so that the whole hours come from the hourly rollup when it is fresh."""
    from spendwatch import explore

    now = now or utc_now()
    end = now + timedelta(seconds=1)  # as overview_totals: ts < now + 1 second
    day = explore.totals(con, explore.Filters(now.replace(hour=0, minute=0, second=0, microsecond=0), end))
    month = explore.totals(con, explore.Filters(datetime(now.year, now.month, 1), end))
    inp = month["input_tokens"]
    return {
        "today_usd": day["cost_usd"],
        "month_to_date_usd": month["cost_usd"],
        "month_requests": month["requests"],
        "month_unpriced_requests": month["unpriced_requests"],
        "month_cached_tokens": month["cached_tokens"],
        "month_input_tokens": inp,
        "month_cache_savings_usd": month["cache_savings_usd"],
        "cache_hit_rate": (Decimal(month["cached_tokens"]) / Decimal(inp)) if inp else Decimal(0),
    }
