"""Month-end spend forecast: month to date plus, for each day left, the last two weeks' mean for
that weekday (Mondays look like Mondays), carried forward at the trend of up to ten weeks. The
interval is an 80 % band from the day-to-day noise around the local level, the baseline's error and
the trend's.

Spikes (issue 16). One burst (a runaway job for two hours) is spend made, counted in full in the
month to date, but it is not a run rate, so nothing after the month to date may extrapolate it:

- each past day is set against its local level: the day divided by its weekday's median, against
  the median of those ratios over the 7 days around it. A day more than 3 robust standard
  deviations off it (1.4826 x the median absolute deviation over the whole history) is an outlier
  and counts as a normal day at that level. One odd day among seven is replaced; a change that
  holds for 4 of 7 days is the new level and passes whole;
- the trend is a Theil-Sen slope (the median of all pairwise slopes) of the log ratios over up to
  70 days, so one day cannot tilt it; a long window because a two-week trend compounded over the
  rest of the month ran 10 % high on clean data and a spike's real cost then tipped a rule over;
- a scope's first day with spend is usually partial (it started mid-day) and is skipped, leading
  days without spend too (the scope did not exist yet).

bench/forecast_backtest.py measures MAPE and the false alerts of a forecast rule with and without
spikes."""

from __future__ import annotations

import calendar
import itertools
import math
import statistics
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
BASELINE_DAYS = 14  # the weekday means: the last two weeks
TREND_DAYS = 70  # the trend and the spikes' local levels: up to ten weeks of history
MIN_TREND_DAYS = 28  # with less history the trend is 1 (flat)
LOCAL_DAYS = 7  # a day's local level: the median over the 7 days around it
OUTLIER_SDS = 3  # a day this many robust standard deviations off its local level is an outlier
MAX_GROWTH = 0.05  # the trend's bound, per day
Z80 = Decimal("1.2816")
ROBUST_SD = Decimal("1.4826")  # median absolute deviation -> standard deviation (normal noise)


def daily_spend(
    con: duckdb.DuckDBPyConnection,
    *,
    start: datetime,
    end: datetime,
    scope_col: str | None = None,
    scope_value: str | None = None,
) -> list[tuple[date, Decimal]]:
    if scope_col is not None and scope_col not in SCOPES:
        raise SpendwatchError(f"unknown scope {scope_col!r}; choose from {', '.join(SCOPES)}")
    source, params = _source(con, start, end, by_user=scope_col == "user")
    sql = store.render(
        "daily_spend", scope=DIMENSIONS[scope_col] if scope_col else "NULL", source=source
    )
    params |= {"start": start, "end": end, "value": scope_value if scope_col else None}
    return [(r["day"], r["cost_usd"]) for r in store.fetch_named(con, sql, params)]


def _source(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, *, by_user: bool
) -> tuple[str, dict[str, Any]]:
    """The whole hours of the window from the hourly rollup (whole days from the per-day-and-user one
    when the scope is a user) while the rollups are fresh, the edges from requests_priced."""
    rollup_sql = store.render(
        "daily_spend_rollup",
        **(
            {"table": "requests_daily_users", "time": "day", "user": "user_id"}
            if by_user
            else {"table": "requests_hourly", "time": "hour", "user": "NULL::VARCHAR"}
        ),
    )
    return rollups.split_source(
        con,
        start,
        end,
        rollup_sql=rollup_sql,
        raw="daily_spend_raw",
        unit=timedelta(days=1) if by_user else timedelta(hours=1),
    )


def forecast_month_end(
    con: duckdb.DuckDBPyConnection,
    *,
    at: datetime | None = None,
    scope_col: str | None = None,
    scope_value: str | None = None,
) -> dict[str, Any]:
    """Projected spend for the calendar month (UTC) containing ``at``, with an 80 % interval. One
    query reads the history and the month to date (whole hours from the rollup while it is fresh)."""
    at = at or utc_now()
    today = at.date()
    rows = daily_spend(
        con,
        start=datetime(at.year, at.month, at.day) - timedelta(days=TREND_DAYS),
        end=at,
        scope_col=scope_col,
        scope_value=scope_value,
    )
    return project(
        [(d, Decimal(c)) for d, c in rows if d < today],
        [(d, Decimal(c)) for d, c in rows if d >= today.replace(day=1)],
        at=at,
    )


def project(
    history: list[tuple[date, Decimal]], month_rows: list[tuple[date, Decimal]], *, at: datetime
) -> dict[str, Any]:
    """The forecast from daily figures: ``history`` the days before ``at``'s day, oldest first;
    ``month_rows`` the month's days up to ``at`` (today's partial). Kept apart from the query so the
    back-test and the tests can check the arithmetic on series they build."""
    month_start = datetime(at.year, at.month, 1)
    month_end = month_start + timedelta(days=calendar.monthrange(at.year, at.month)[1])
    day_start = datetime(at.year, at.month, at.day)
    history, noise = _replace_outliers(_trim(history))
    growth, slope_sd = _growth(history, noise)
    baseline = history[-BASELINE_DAYS:]
    by_weekday: dict[int, list[Decimal]] = defaultdict(list)
    for d, cost in baseline:
        by_weekday[d.weekday()].append(cost)
    month_to_date = sum((c for _, c in month_rows), Decimal(0))
    today_so_far = sum((c for d, c in month_rows if d == day_start.date()), Decimal(0))

    center = day_start - timedelta(days=BASELINE_DAYS // 2)  # the weekday means describe this day
    left_today = Decimal(str(1 - (at - day_start).total_seconds() / 86400))
    expected, day_variance, lever = Decimal(0), Decimal(0), Decimal(0)
    day = day_start
    while day < month_end:
        values = by_weekday.get(day.weekday(), [])
        mean = sum(values, Decimal(0)) / len(values) if values else Decimal(0)
        mean *= growth ** Decimal((day - center).days)
        if day == day_start:
            # today: only what is still to come, unless today is already past its mean
            mean = mean * left_today if today_so_far < mean else Decimal(0)
        expected += mean
        day_variance += mean * mean
        lever += mean * (day - center).days  # how much a slope error moves this day
        day += timedelta(days=1)
    # the 80 % band: each day's own noise, the baseline's (a mean of len(baseline) noisy days) under
    # all of them, and the trend's error compounded from the baseline's centre to each day
    variance = (
        noise * noise * (day_variance + (expected * expected / len(baseline) if baseline else 0))
    )
    variance += lever * lever * slope_sd * slope_sd
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


def _trim(history: list[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    """History from the scope's first full day: leading days without spend are before it existed, and
    its first day with spend usually started mid-day (read whole, it is a dip that fakes a trend)."""
    first = next((i for i, (_, c) in enumerate(history) if c > 0), len(history))
    return history[first + 1 :] if first else history


def _weekday_medians(history: list[tuple[date, Decimal]]) -> dict[int, Decimal]:
    groups: dict[int, list[Decimal]] = defaultdict(list)
    for d, cost in history:
        groups[d.weekday()].append(cost)
    return {wd: statistics.median(values) for wd, values in groups.items()}


def _replace_outliers(
    history: list[tuple[date, Decimal]],
) -> tuple[list[tuple[date, Decimal]], Decimal]:
    """Each day more than OUTLIER_SDS robust standard deviations from its local level replaced by that
    level; also returns the relative standard deviation (the day-to-day noise).

    A day's ratio is its spend over its weekday's median; its local level is the median ratio of the
    LOCAL_DAYS days around it (the last seven for the last days). One odd day among seven moves
    neither, and stands for a normal day of its weekday at that level (a spike is not run rate, nor
    is an outage); a change that holds for four days of seven is the local level itself and is kept.
    A weekday whose median is $0 (weekends of a weekday-only scope) is scaled by its mean instead, so a
    spike there is an outlier too and counts as its usual $0."""
    medians = _weekday_medians(history)
    totals: dict[int, list[Decimal]] = defaultdict(list)
    for d, cost in history:
        totals[d.weekday()].append(cost)
    scale = {
        wd: m if m > 0 else sum(totals[wd], Decimal(0)) / len(totals[wd])
        for wd, m in medians.items()
    }
    ratios = [cost / scale[d.weekday()] if scale[d.weekday()] > 0 else None for d, cost in history]
    n = len(ratios)
    local: list[Decimal | None] = []
    for i in range(n):
        lo = min(max(i - LOCAL_DAYS // 2, 0), max(n - LOCAL_DAYS, 0))
        around = [r for r in ratios[lo : lo + LOCAL_DAYS] if r is not None]
        local.append(statistics.median(around) if around else None)
    deviations = [
        abs(r / lv - 1) for r, lv in zip(ratios, local, strict=True) if r is not None and lv
    ]
    noise = ROBUST_SD * statistics.median(deviations) if deviations else Decimal(0)
    kept = []
    for (d, cost), r, lv in zip(history, ratios, local, strict=True):
        odd = r is not None and lv and abs(r / lv - 1) > OUTLIER_SDS * noise
        kept.append((d, lv * medians[d.weekday()] if odd else cost))
    return kept, noise


def _growth(history: list[tuple[date, Decimal]], noise: Decimal) -> tuple[Decimal, Decimal]:
    """Day-over-day growth and its standard error: the Theil-Sen slope (median of all pairwise
    slopes) of each day's log ratio to its weekday's median, over the whole history (1 with fewer
    than MIN_TREND_DAYS days), kept within +-MAX_GROWTH a day. A median of slopes: one day, however
    odd, cannot tilt it. The error is a least-squares slope's: noise / sqrt(sum (x - mean x)^2)."""
    medians = _weekday_medians(history)
    points = [
        (i, math.log(cost / medians[d.weekday()]))
        for i, (d, cost) in enumerate(history)
        if medians[d.weekday()] > 0 and cost > 0
    ]
    if len(points) < MIN_TREND_DAYS:
        return Decimal(1), Decimal(0)
    slope = statistics.median(
        (y2 - y1) / (x2 - x1) for (x1, y1), (x2, y2) in itertools.combinations(points, 2)
    )
    mean_x = sum(x for x, _ in points) / len(points)
    spread_x = Decimal(str(math.sqrt(sum((x - mean_x) ** 2 for x, _ in points))))
    growth = Decimal(str(min(max(math.exp(slope), 1 - MAX_GROWTH), 1 + MAX_GROWTH)))
    return growth, noise / spread_x
