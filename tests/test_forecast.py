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
    return chat_record(
        f"{day}-{i}", "gpt-4o", 400_000 * dollars, 0, feature=feature, ts=f"{day}T12:00:00Z"
    )


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
    ingest.ingest_lines(
        con, [_day(1, "2026-11-02", 3, "a"), _day(2, "2026-11-02", 5, "b")], source="t"
    )
    f = forecast.forecast_month_end(
        con, at=datetime(2026, 11, 3), scope_col="feature", scope_value="a"
    )
    assert f["month_to_date_usd"] == D(3)
    with pytest.raises(SpendwatchError):
        forecast.forecast_month_end(con, scope_col="feature; drop table requests", scope_value="x")


def _month_with_spike(con, *, spike: bool) -> None:
    # the same prices as above from 2026-10-12 to 2026-11-22 (six weeks: every trailing window is
    # full); with ``spike``, 3 hours on Wednesday 2026-11-18 cost $300 more
    # (12 requests x 10 M gpt-4o input tokens x $2.50/1M = 12 x $25)
    lines = []
    d0 = date(2026, 10, 12)
    for k in range(42):
        d = d0 + timedelta(days=k)
        lines.append(_day(0, d.isoformat(), 10 if d.weekday() < 5 else 2))
    if spike:
        lines += [
            chat_record(
                f"spike-{i}",
                "gpt-4o",
                10_000_000,
                0,
                feature="search",
                ts=f"2026-11-18T{14 + i // 4:02d}:{(i % 4) * 15:02d}:00Z",
            )
            for i in range(12)
        ]
    ingest.ingest_lines(con, lines, source="t", now=datetime(2026, 11, 23))


def test_one_spike_is_spend_made_not_a_run_rate(con):
    _month_with_spike(con, spike=True)
    f = forecast.forecast_month_end(con, at=datetime(2026, 11, 23, 0, 0))
    # the spike is in the month to date: 164 + 300 = 464
    assert f["month_to_date_usd"] == D(464)
    # history Oct 13..Nov 22 (Oct 12, the first day with spend, is skipped as maybe partial): the
    # Wednesdays' median is 10, so Nov 18's ratio is 310 / 10 = 31 against a local level of 1 (the
    # median of Nov 15-21) with no noise: an outlier, counted as a $10 Wednesday. Every other day sits
    # at ratio 1: growth 1, and the weekday means of Nov 9-22 are 10 and 2: Nov 23..30 = 64 as without
    # the spike
    assert f["forecast_usd"] == D(464 + 64)
    # the spread: the median deviation from the local level is 0 (one of 41 days deviates); none
    assert f["low_usd"] == f["high_usd"] == D(528)


def test_one_spike_sends_no_forecast_alert_under_budget(con):
    from spendwatch import alerts
    from spendwatch.alerts import rules

    _month_with_spike(con, spike=True)
    # $600 a month: the month ends at 528 (above), under budget; the spike alone must not page anyone
    rules.save(
        con, alerts.make_rule("month-forecast", kind="forecast", budget=600, channels=["log"])
    )
    # the evening of the spike: Nov 1..17 = 12 weekdays x 10 + 5 weekend days x 2 = 130, Nov 18 = 310;
    # Nov 19..30 at the weekday means = 88 (today already passed its mean: nothing more) -> 528
    at = datetime(2026, 11, 18, 18, 0)
    assert forecast.forecast_month_end(con, at=at)["forecast_usd"] == D(130 + 310 + 88)
    assert [e.kind for e in alerts.check(con, at=at, now=at, dry_run=True)] == []
    # ... while a budget the run rate really exceeds still fires: $450 < 528
    rules.save(con, alerts.make_rule("tight", kind="forecast", budget=450, channels=["log"]))
    assert [e.rule for e in alerts.check(con, at=datetime(2026, 11, 23), now=at, dry_run=True)] == [
        "tight"
    ]
