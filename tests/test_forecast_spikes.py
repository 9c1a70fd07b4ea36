"""Issue 16 item 4: one spike never sends a forecast alert while the month's run rate stays under
budget, and a real change of level still raises the forecast. Figures by hand from the series."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D

from spendwatch import alerts, forecast, ingest
from spendwatch.alerts import rules
from tests.helpers import chat_record

START = date(2026, 9, 1)  # more than the forecast's 70 days of history before every moment below


def _search(con, *, until: date, doubled_from: date | None = None, spike_usd: int = 0) -> None:
    """``search`` spends $9 each weekday and $3 each weekend day (gpt-4o input at $2.50 per 1M:
    3,600,000 tokens = $9, 1,200,000 = $3) from START to the day before ``until``, twice that from
    ``doubled_from``; with ``spike_usd``, a 2-hour burst on Wednesday 2026-11-18 14:00-16:00: 12
    requests of spike_usd / 12 each."""
    lines = []
    d = START
    while d < until:
        tokens = 3_600_000 if d.weekday() < 5 else 1_200_000
        if doubled_from and d >= doubled_from:
            tokens *= 2
        lines.append(
            chat_record(f"s-{d}", "gpt-4o", tokens, 0, feature="search", ts=f"{d}T12:00:00Z")
        )
        d += timedelta(days=1)
    lines += [
        chat_record(
            f"spike-{i}",
            "gpt-4o",
            spike_usd * 400_000 // 12,  # $1 = 400,000 tokens
            0,
            feature="search",
            ts=f"2026-11-18T{14 + i // 6:02d}:{(i % 6) * 10:02d}:00Z",
        )
        for i in range(12 if spike_usd else 0)
    ]
    ingest.ingest_lines(con, lines, source="t", now=datetime(2026, 12, 1))


def _fired(con, at: datetime) -> list[str]:
    return [e.rule for e in alerts.check(con, at=at, now=at, dry_run=True) if e.kind == "forecast"]


def test_a_two_hour_spike_sends_no_forecast_alert(con):
    # The demo: search's run rate ~$215-230 a month, a 2-hour spike, a $300 forecast rule.
    # November 2026 (Nov 1 is a Sunday): 21 weekdays x $9 + 9 weekend days x $3 = 189 + 27 = $216.
    # The spike costs $60 (12 x $5), so the month really ends at 216 + 60 = $276, under $300.
    _search(con, until=date(2026, 11, 20), spike_usd=60)
    rules.save(
        con,
        alerts.make_rule(
            "search-forecast", kind="forecast", budget=300, scope="feature=search", channels=["log"]
        ),
    )
    # The spike's evening, Nov 18 18:00. Month to date: Nov 1-17 = 12 weekdays x 9 + 5 weekend days
    # x 3 = 123, Nov 18 = 9 + 60 = 69 -> 192. Today is past its mean ($9): nothing more today.
    # History: Wednesday Nov 18 is not in it yet (days before today); every day is at its weekday's
    # median (ratio 1), growth 1, no noise. Nov 19..30: Thu 19, Fri 20 = 18; Sat/Sun 21-22 = 6;
    # Mon-Fri 23-27 = 45; Sat/Sun 28-29 = 6; Mon 30 = 9 -> 84; forecast 192 + 84 = 276.
    at = datetime(2026, 11, 18, 18)
    f = forecast.forecast_month_end(con, at=at, scope_col="feature", scope_value="search")
    assert (f["month_to_date_usd"], f["forecast_usd"]) == (D(192), D(276))
    assert f["low_usd"] == f["high_usd"] == D(276)
    assert _fired(con, at) == []
    # The morning after, Nov 19 00:00: the spike day is history now. Its ratio to the Wednesdays'
    # median ($9, nine of ten Wednesdays) is 69 / 9 = 7.67 against a local level of 1 (the median of
    # Nov 12-18: six 1s and 7.67), with zero noise: an outlier, counted as a normal $9 Wednesday. The
    # weekday means of Nov 5-18 are then $9 and $3 again: Nov 19..30 = 84 (all of today is to come),
    # forecast 192 + 84 = 276 -- the spike counted once, as spend made, never as a run rate.
    # (Without this, weekday means of 28 days and a two-week trend, the Wednesday mean was
    # (9 + 9 + 9 + 69) / 4 = 24 and the fortnights 162 against 102: growth (162/102)^(1/14) = 3.4 %
    # a day, compounded to the month's end: a forecast past $300.)
    at = datetime(2026, 11, 19)
    f = forecast.forecast_month_end(con, at=at, scope_col="feature", scope_value="search")
    assert (f["month_to_date_usd"], f["forecast_usd"]) == (D(192), D(276))
    assert f["low_usd"] == f["high_usd"] == D(276)
    assert _fired(con, at) == []


def test_a_level_that_really_doubles_raises_the_forecast(con):
    # search doubles for good from Monday Nov 16: $18 weekdays, $6 weekends; five days of it by
    # Saturday Nov 21 00:00.
    _search(con, until=date(2026, 11, 21), doubled_from=date(2026, 11, 16))
    rules.save(
        con,
        alerts.make_rule(
            "search-forecast", kind="forecast", budget=270, scope="feature=search", channels=["log"]
        ),
    )
    at = datetime(2026, 11, 21)
    f = forecast.forecast_month_end(con, at=at, scope_col="feature", scope_value="search")
    # Month to date: Nov 1-15 = 10 weekdays x 9 + 5 weekend days x 3 = 105; Nov 16-20 = 5 x 18 = 90
    # -> 195.
    # History Sep 12..Nov 20 (70 days): each weekday's median is $9 ($3 weekends; one doubled day
    # among ten), so the ratios are 1 except 2 on Nov 16-20. Local levels: the last four days share
    # the last seven (Nov 14-20: 1, 1, 2, 2, 2, 2, 2 -> 2), Nov 16's window is Nov 13-19 (three 1s,
    # four 2s -> 2), Nov 15's Nov 12-18 (four 1s -> 1): every day sits on its level, zero noise,
    # nothing is an outlier -- the doubling is kept. Trend: of the 2,415 pairwise slopes, 325 (65 x 5)
    # are positive and the rest 0: the median is 0, growth 1.
    # Weekday means of Nov 7-20: weekdays (9 + 18) / 2 = 13.5, weekends 3. Nov 21..30: Sat/Sun 21-22
    # = 6, Mon-Fri 23-27 = 67.5, Sat/Sun 28-29 = 6, Mon 30 = 13.5 -> 93; forecast 195 + 93 = 288.
    assert (f["month_to_date_usd"], f["forecast_usd"]) == (D(195), D("288.0"))
    # (Capping each day at its weekday's median + 3 robust SDs erased the doubling: Monday's
    # 9, 9, 9, 18 have MAD 0, so the forecast stayed at the old run rate: 195 + 66 = 261.)
    # Above the no-change month ($216) and over a $270 budget: the rule fires.
    assert _fired(con, at) == ["search-forecast"]


def test_a_change_is_a_level_from_its_fourth_day(con):
    _search(con, until=date(2026, 11, 21), doubled_from=date(2026, 11, 16))
    rules.save(
        con,
        alerts.make_rule(
            "search-forecast", kind="forecast", budget=270, scope="feature=search", channels=["log"]
        ),
    )
    # Thursday Nov 19 00:00, three doubled days (Mon-Wed) in the history: the last seven days' ratios
    # (Nov 12-18: 1, 1, 1, 1, 2, 2, 2) have median 1, so Nov 16-18 sit 100 % off their level with
    # zero noise: outliers, counted as $9 days. Month to date 105 + 3 x 18 = 159; Nov 19..30 at the
    # old level: Thu-Fri 18, Sat-Sun 6, Mon-Fri 45, Sat-Sun 6, Mon 9 = 84 -> 243: not yet a level.
    at = datetime(2026, 11, 19)
    f = forecast.forecast_month_end(con, at=at, scope_col="feature", scope_value="search")
    assert (f["month_to_date_usd"], f["forecast_usd"]) == (D(159), D(243))
    assert _fired(con, at) == []
    # Friday Nov 20 00:00, four (Mon-Thu): Nov 13-19 -> 1, 1, 1, 2, 2, 2, 2, median 2: the new level,
    # kept. Month to date 105 + 4 x 18 = 177; weekday means of Nov 6-19: Mon-Thu (9 + 18) / 2 = 13.5,
    # Fri 9, weekends 3; Nov 20..30: Fri 9, Sat-Sun 6, Mon-Thu 54, Fri 9, Sat-Sun 6, Mon 13.5 = 97.5
    # -> 274.5 (trend: 264 positive slopes of 2,415, median 0): over $270, the rule fires.
    at = datetime(2026, 11, 20)
    f = forecast.forecast_month_end(con, at=at, scope_col="feature", scope_value="search")
    assert (f["month_to_date_usd"], f["forecast_usd"]) == (D(177), D("274.5"))
    assert _fired(con, at) == ["search-forecast"]


def test_a_spike_on_a_day_that_usually_costs_nothing(con):
    # a weekday-only scope: $9 each weekday, nothing at weekends, from START to Sunday Nov 22; a $60
    # 2-hour spike on Saturday Nov 21 (12 x $5, 14:00-16:00)
    lines = [
        chat_record(f"w-{d}", "gpt-4o", 3_600_000, 0, feature="batch", ts=f"{d}T12:00:00Z")
        for d in (START + timedelta(days=k) for k in range((date(2026, 11, 23) - START).days))
        if d.weekday() < 5
    ]
    lines += [
        chat_record(
            f"sat-{i}",
            "gpt-4o",
            2_000_000,
            0,
            feature="batch",
            ts=f"2026-11-21T{14 + i // 6:02d}:{(i % 6) * 10:02d}:00Z",
        )
        for i in range(12)
    ]
    ingest.ingest_lines(con, lines, source="t", now=datetime(2026, 12, 1))
    rules.save(
        con,
        alerts.make_rule(
            "batch-forecast", kind="forecast", budget=260, scope="feature=batch", channels=["log"]
        ),
    )
    at = datetime(2026, 11, 23)
    f = forecast.forecast_month_end(con, at=at, scope_col="feature", scope_value="batch")
    # Month to date: Nov 2-20 = 15 weekdays x 9 = 135, Sat Nov 21 = 60 -> 195.
    # History Sep 14..Nov 22: the Saturdays' median is $0 (nine of ten), so they are scaled by their
    # mean, 60 / 10 = 6: Nov 21's ratio is 10, the other Saturdays' 0, against local levels of 1
    # (five weekdays at 1 around each); the weekday deviations are 0, so the noise is 0 and every
    # Saturday is an outlier, counted as its median, $0 (Sundays: no spend, no ratio).
    # Weekday means of Nov 9-22: $9, weekends $0. Nov 23..30: Mon-Fri 45 + Mon 30 9 = 54 -> 249, the
    # month's real total (21 weekdays x 9 + 60), under the $260 budget: no alert.
    assert (f["month_to_date_usd"], f["forecast_usd"]) == (D(195), D(249))
    # (Uncounted, the Saturday mean of Nov 14 and 21, (0 + 60) / 2 = 30, went to Saturday Nov 28: 279.)
    assert _fired(con, at) == []
