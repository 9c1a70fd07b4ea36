"""Month-end spend forecast: month to date plus, for each day left, the trailing four weeks'
average for that weekday (Mondays look like Mondays), carried forward at the trend of the last
two weeks against the two before. The interval is an 80 % band from the spread of those weekday
figures.

Spikes: each past day is first capped at its weekday's median + 3 robust standard deviations
(1.4826 x the median absolute deviation of the four same weekdays). One burst (a runaway job for
two hours) is spend made, counted in full in the month to date, but it is not a run rate: uncapped
it was projected onto every remaining same weekday, compounded by the trend and widened the
interval, and a forecast alert fired while the month stayed under budget (issue 16;
bench/forecast_backtest.py measures both). On days without outliers the cap changes nothing."""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from spendwatch import rollups, store
from spendwatch.clock import utc_now
from spendwatch.errors import SpendwatchError
from spendwatch.report import DIMENSIONS

SCOPES = ("feature", "project", "model", "api_key", "user")
TRAILING_DAYS = 28
Z80 = Decimal("1.2816")


def daily_spend(con: duckdb.DuckDBPyConnection, *, start: datetime, end: datetime, scope_col: str | None = None,
                scope_value: str | None = None) -> list[tuple[date, Decimal]]:
    if scope_col is not None and scope_col not in SCOPES:
        raise SpendwatchError(f"unknown scope {scope_col!r}; choose from {', '.join(SCOPES)}")
    source, params = _source(con, start, end, by_user=scope_col == "user")
    sql = store.render("daily_spend", scope=DIMENSIONS[scope_col] if scope_col else "NULL", source=source)
    params |= {"start": start, "end": end, "value": scope_value if scope_col else None}
    return [(r["day"], r["cost_usd"]) for r in store.fetch_named(con, sql, params)]


def _source(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, *,
            by_user: bool) -> tuple[str, dict[str, Any]]:
    """The whole hours of the window from the hourly rollup (whole days from the per-day-and-user one
    when the scope is a user) while the rollups are fresh, the edges from requests_priced."""
    rollup_sql = store.render("daily_spend_rollup", **(
        {"table": "requests_daily_users", "time": "day", "user": "user_id"} if by_user else
        {"table": "requests_hourly", "time": "hour", "user": "NULL::VARCHAR"}))
    return rollups.split_source(con, start, end, rollup_sql=rollup_sql, raw="daily_spend_raw",
                                unit=timedelta(days=1) if by_user else timedelta(hours=1))


def forecast_month_end(con: duckdb.DuckDBPyConnection, *, at: datetime | None = None, scope_col: str | None = None,
                       scope_value: str | None = None) -> dict[str, Any]:
    """Projected spend for the calendar month (UTC) containing ``at``, with an 80 % interval."""
    at = at or utc_now()
    month_start = datetime(at.year, at.month, 1)
    month_end = month_start + timedelta(days=calendar.monthrange(at.year, at.month)[1])
    day_start = datetime(at.year, at.month, at.day)
    history = daily_spend(con, start=day_start - timedelta(days=TRAILING_DAYS), end=day_start,
                          scope_col=scope_col, scope_value=scope_value)
    history = _cap_spikes(history)
    by_weekday: dict[int, list[Decimal]] = defaultdict(list)
    for d, cost in history:
        by_weekday[d.weekday()].append(cost)
    mtd_rows = daily_spend(con, start=month_start, end=at, scope_col=scope_col, scope_value=scope_value)
    month_to_date = sum((Decimal(c) for _, c in mtd_rows), Decimal(0))
    today_so_far = sum((Decimal(c) for d, c in mtd_rows if d == day_start.date()), Decimal(0))

    growth = _daily_growth([Decimal(c) for _, c in history])
    center = day_start - timedelta(days=TRAILING_DAYS / 2)  # the weekday means describe this day
    expected, variance = Decimal(0), Decimal(0)
    left_today = Decimal(str(1 - (at - day_start).total_seconds() / 86400))
    day = day_start
    while day < month_end:
        values = by_weekday.get(day.weekday(), [])
        mean = sum(values, Decimal(0)) / len(values) if values else Decimal(0)
        mean *= growth ** Decimal((day - center).days)
        var = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else Decimal(0)
        if day == day_start:  # today: only the part of the day still to come
            remaining = max(mean * left_today, Decimal(0)) if today_so_far < mean else Decimal(0)
            expected += remaining
            variance += var * left_today * left_today
        else:
            expected += mean
            variance += var
        day += timedelta(days=1)
    spread = Z80 * Decimal(str(math.sqrt(variance))) if variance else Decimal(0)
    forecast = month_to_date + expected
    return {
        "month": month_start.date().isoformat(),
        "as_of": at,
        "month_to_date_usd": month_to_date,
        "forecast_usd": forecast,
        "low_usd": max(month_to_date, forecast - spread),
        "high_usd": forecast + spread,
        "days_left": (month_end - day_start).days,
        "history_days": len(history),
    }


def _median(values: list[Decimal]) -> Decimal:
    v = sorted(values)
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2


def _cap_spikes(history: list[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    """Each day capped at its weekday's median + 3 x 1.4826 x MAD (the weekday's robust standard
    deviation): one outlier among four same weekdays moves neither figure."""
    groups: dict[int, list[Decimal]] = defaultdict(list)
    for d, cost in history:
        groups[d.weekday()].append(Decimal(cost))
    caps = {}
    for wd, values in groups.items():
        m = _median(values)
        caps[wd] = m + 3 * Decimal("1.4826") * _median([abs(v - m) for v in values])
    return [(d, min(Decimal(cost), caps[d.weekday()])) for d, cost in history]


def _daily_growth(days: list[Decimal]) -> Decimal:
    """Day-over-day growth from the last two weeks against the two before (1 when unknown), kept
    within +-5 % a day so one odd fortnight cannot run away with the month."""
    if len(days) < TRAILING_DAYS:
        return Decimal(1)
    prev, last = sum(days[:14], Decimal(0)), sum(days[14:], Decimal(0))
    if prev <= 0 or last <= 0:
        return Decimal(1)
    g = Decimal(str((float(last) / float(prev)) ** (1 / 14)))
    return min(max(g, Decimal("0.95")), Decimal("1.05"))
