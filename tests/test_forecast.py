"""Month-end forecast: weekday-aware, checked by hand on a tiny history."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest

from spendwatch import forecast, ingest
from spendwatch.errors import SpendwatchError
from tests.helpers import chat_record


def _day(i: int, day: str, dollars: int, feature: str = "f") -> str:
    # gpt-4o input at $2.50 per 1M: 400,000 tokens = $1
    return chat_record(f"{day}-{i}", "gpt-4o", 400_000 * dollars, 0, feature=feature, ts=f"{day}T12:00:00Z")


def test_weekday_aware_projection(con):
    # 28 days before 2026-11-23 (a Monday): weekdays cost $10/day, weekends $2/day; then 22 days of November.
    lines = []
    d0 = date(2026, 10, 26)
    for k in range(28 + 22):
        d = d0 + timedelta(days=k)
        if d >= date(2026, 11, 23):
            break
        lines.append(_day(0, d.isoformat(), 10 if d.weekday() < 5 else 2))
    ingest.ingest_lines(con, lines, source="t")
    f = forecast.forecast_month_end(con, at=datetime(2026, 11, 23, 0, 0))
    # November 1..22: 15 weekdays x $10 + 7 weekend days x $2 = 164 (Nov 1 2026 is a Sunday)
    assert f["month_to_date_usd"] == D(164)
    # Nov 23..30: Mon-Fri (23-27) = 5 x 10, Sat-Sun (28-29) = 2 x 2, Mon 30 = 10 -> 64; no spread
    assert f["forecast_usd"] == D(164 + 64)
    assert f["low_usd"] == f["high_usd"] == D(228)


def test_scope_and_bad_scope(con):
    ingest.ingest_lines(con, [_day(1, "2026-11-02", 3, "a"), _day(2, "2026-11-02", 5, "b")], source="t")
    f = forecast.forecast_month_end(con, at=datetime(2026, 11, 3), scope_col="feature", scope_value="a")
    assert f["month_to_date_usd"] == D(3)
    with pytest.raises(SpendwatchError):
        forecast.forecast_month_end(con, scope_col="feature; drop table requests", scope_value="x")
