"""The finance report over any period (a month, a quarter, a date range) by one or two dimensions:
the rows behind the Reports page, its pivot table and its downloads. Money stays exact here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from spendwatch import analytics, report

# What a report can be grouped by: the explore dimensions finance asks for, plus cost centres
# (features summed through the [cost_centres] mapping).
DIMENSIONS = {
    "cost_centre": "Cost centre",
    "feature": "Feature",
    "model": "Model",
    "project": "Project",
    "api_key": "API key",
    "user": "User",
}
IN_PROGRESS = "in progress"


def last_complete_month(now: datetime) -> date:
    """The first day of the last calendar month (UTC) that has ended by ``now``."""
    first = date(now.year, now.month, 1)
    return (first - timedelta(days=1)).replace(day=1)


def month_label(month: date, now: datetime) -> str:
    """'November 2026', or 'December 2026 (in progress)' for the running month."""
    running = (month.year, month.month) == (now.year, now.month)
    return f"{month:%B %Y}" + (f" ({IN_PROGRESS})" if running else "")


def default_month(months: list[date], now: datetime) -> date | None:
    """The month the page opens on: the last complete month; the newest month with data when that
    one has none (a database younger than a month)."""
    last = last_complete_month(now)
    return last if last in months else (months[0] if months else None)


def quarter_of(d: date) -> tuple[int, int]:
    return d.year, (d.month - 1) // 3 + 1


def quarters(months: list[date]) -> list[tuple[int, int]]:
    """The (year, quarter) pairs holding the given months, newest first."""
    return sorted({quarter_of(m) for m in months}, reverse=True)


def quarter_label(q: tuple[int, int], now: datetime) -> str:
    running = quarter_of(now.date()) == q
    return f"Q{q[1]} {q[0]}" + (f" ({IN_PROGRESS})" if running else "")


def quarter_window(q: tuple[int, int]) -> tuple[datetime, datetime]:
    """[start, end) of a calendar quarter (UTC)."""
    year, n = q
    start = datetime(year, 3 * (n - 1) + 1, 1)
    end = datetime(year + (n == 4), 1 if n == 4 else 3 * n + 1, 1)
    return start, end


def range_window(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC days ``first``..``last`` inclusive as [start, end) (swapped when picked backwards)."""
    first, last = min(first, last), max(first, last)
    return datetime(first.year, first.month, first.day), datetime(
        last.year, last.month, last.day
    ) + timedelta(days=1)


def in_progress(end: datetime, now: datetime) -> bool:
    """True when the period has not ended yet, so its figures will still grow."""
    return end > now


def rows(
    con: duckdb.DuckDBPyConnection,
    *,
    start: datetime,
    end: datetime,
    by: list[str],
    cost_centres: dict[str, str] | None = None,
    values: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """One row per combination of ``by`` (one or two of DIMENSIONS) then report.METRICS, over
    [start, end); ``cost_centre`` sums features through ``cost_centres`` (others '(unassigned)').
    ``values``: the dashboard's value filters by Filters field (``features``, ``projects``, ``models``,
    ``api_keys``, ``users``); none: all traffic. Ordered by cost descending. Unfiltered totals equal
    `spendwatch report` over the same window."""
    from spendwatch import explore

    bad = [b for b in by if b not in DIMENSIONS]
    if bad or not by or len(by) > 2 or len(set(by)) != len(by):
        raise ValueError(f"group by one or two of {', '.join(DIMENSIONS)}")
    dims = ["feature" if b == "cost_centre" else b for b in by]
    dims = list(dict.fromkeys(dims))  # cost centre × feature groups by feature once
    f = explore.Filters(start, end, **{k: tuple(v) for k, v in (values or {}).items()})
    raw = explore.grouped(con, f, by=dims)
    centres = cost_centres or {}
    acc: dict[tuple, dict[str, Any]] = {}
    for r in raw:
        key_vals = {
            b: (centres.get(r["feature"], analytics.UNASSIGNED) if b == "cost_centre" else r[b])
            for b in by
        }
        key = tuple(key_vals[b] for b in by)
        row = acc.setdefault(key, {**key_vals, **{m: 0 for m in report.METRICS}})
        for m in report.METRICS:
            row[m] += r[m]
    out = list(acc.values())
    for r in out:
        r["cost_usd"] = Decimal(r["cost_usd"])
    return sorted(
        out, key=lambda r: (-r["cost_usd"], *((r[b] is None, str(r[b] or "")) for b in by))
    )


def pivot(
    rs: list[dict[str, Any]],
    *,
    row: str,
    col: str,
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """``rs`` (grouped by ``row`` and ``col``) as a pivot: one line per ``row`` value with the cost of
    each ``col`` value (None where that cell is unpriced or empty), then ``cost_usd`` (the line's
    total), ``requests`` and ``unpriced_requests``. Lines by total cost, then a "Total" line; columns by
    total cost.
    Returns (lines, [(cell key 'c0', 'c1' …, the ``col`` value as a header)] in order): keys never
    collide with a value, whatever the data holds."""
    col_cost: dict[Any, Decimal] = {}
    for r in rs:
        col_cost[r[col]] = col_cost.get(r[col], Decimal(0)) + r["cost_usd"]
    cols = sorted(col_cost, key=lambda c: (-col_cost[c], c is None, str(c or "")))
    lines: dict[Any, dict[str, Any]] = {}
    for r in rs:
        line = lines.setdefault(
            r[row],
            {
                row: r[row],
                "cells": {},
                "cost_usd": Decimal(0),
                "requests": 0,
                "unpriced_requests": 0,
            },
        )
        line["cells"][r[col]] = None if report.unpriced_only(r) else r["cost_usd"]
        line["cost_usd"] += r["cost_usd"]
        line["requests"] += r["requests"]
        line["unpriced_requests"] += r["unpriced_requests"]
    out = []
    for line in sorted(
        lines.values(), key=lambda x: (-x["cost_usd"], x[row] is None, str(x[row] or ""))
    ):
        cells = line.pop("cells")
        out.append(
            {
                row: line[row],
                **{f"c{i}": cells.get(c) for i, c in enumerate(cols)},
                "cost_usd": line["cost_usd"],
                "requests": line["requests"],
                "unpriced_requests": line["unpriced_requests"],
            }
        )
    if (
        out
    ):  # the totals line: each column's cost (None where the whole column is unpriced or empty)
        total: dict[str, Any] = {row: "Total"}
        for i in range(len(cols)):
            cells = [line[f"c{i}"] for line in out if line[f"c{i}"] is not None]
            total[f"c{i}"] = sum(cells, Decimal(0)) if cells else None
        for m in ("cost_usd", "requests", "unpriced_requests"):
            total[m] = sum((line[m] for line in out), Decimal(0) if m == "cost_usd" else 0)
        out.append(total)
    return out, [(f"c{i}", "(none)" if c is None else str(c)) for i, c in enumerate(cols)]
