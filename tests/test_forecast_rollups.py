"""The forecast reads the hourly rollup (per-day-and-user for a user scope) when the rollups are fresh,
with results equal to the raw path's, to the femto-dollar."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from spendwatch import forecast, rollups
from tests.test_rollups_paths import seed_varied

CASES = [
    (None, None),
    ("feature", "f1"),
    ("model", "gpt-4o-2024-08-06"),
    ("project", "p0"),
    ("user", "u2"),
    ("api_key", "nobody"),
]
MOMENTS = [
    datetime(2026, 11, 23, 13, 37, 12),
    datetime(2026, 11, 24, 12),
    datetime(2026, 11, 1, 0, 20),
]


@pytest.mark.parametrize("at", MOMENTS)
def test_rollup_path_equals_raw_path(con, at):
    seed_varied(con)
    raw = [forecast.forecast_month_end(con, at=at, scope_col=c, scope_value=v) for c, v in CASES]
    spend_raw = forecast.daily_spend(con, start=datetime(2026, 10, 1, 5, 30), end=at)
    assert rollups.whole_units(con, datetime(2026, 10, 20), at) is None  # no rollups yet: raw
    rollups.refresh(con, full=True)
    assert rollups.whole_units(con, datetime(2026, 10, 20), at) is not None
    assert [
        forecast.forecast_month_end(con, at=at, scope_col=c, scope_value=v) for c, v in CASES
    ] == raw
    assert forecast.daily_spend(con, start=datetime(2026, 10, 1, 5, 30), end=at) == spend_raw
    # the seed starts 2026-10-01 00:00; its first day with spend is skipped (usually partial), so the
    # history runs from Oct 2 to the day before ``at`` (Nov 23 13:37 -> Oct 2..Nov 22 = 30 + 22 = 52 days)
    assert (
        raw[0]["month_to_date_usd"] > 0
        and raw[0]["history_days"] == (at.date() - date(2026, 10, 2)).days
    )


def test_rollup_is_what_it_reads(con):
    """Proof that the fresh path reads the rollups: doctored rollup rows show up in the figures."""
    seed_varied(con)
    at = datetime(2026, 11, 23, 13, 37)
    before = forecast.forecast_month_end(con, at=at)
    before_user = forecast.forecast_month_end(con, at=at, scope_col="user", scope_value="u1")
    rollups.refresh(con, full=True)
    con.execute("UPDATE requests_hourly SET cost_fusd = cost_fusd * 2")
    con.execute("UPDATE requests_daily_users SET cost_fusd = cost_fusd * 2")
    after = forecast.forecast_month_end(con, at=at)
    after_user = forecast.forecast_month_end(con, at=at, scope_col="user", scope_value="u1")
    # the whole hours double; only the minutes of the last hour (13:00-13:37) come from the requests
    edge = sum(c for _, c in forecast.daily_spend(con, start=datetime(2026, 11, 23, 13), end=at))
    assert after["month_to_date_usd"] == 2 * before["month_to_date_usd"] - edge
    edge_day = sum(
        c
        for _, c in forecast.daily_spend(
            con, start=datetime(2026, 11, 23), end=at, scope_col="user", scope_value="u1"
        )
    )
    assert after_user["month_to_date_usd"] == 2 * before_user["month_to_date_usd"] - edge_day
