"""The demo history has the shape the docs promise (rhythm, spike, batch, caching, one unpriced model)."""

from __future__ import annotations

from datetime import datetime

from spendwatch import demo

NOW = datetime(2026, 11, 25, 12)


def test_demo_history_is_realistic_and_repeatable(con):
    n = demo.generate(con, days=30, seed=3, now=NOW)
    assert n > 50_000
    assert demo.generate(con, days=30, seed=3, now=NOW) == 0  # same ids: nothing doubled
    lo, hi, features = con.execute(
        "SELECT min(ts), max(ts), count(DISTINCT feature) FROM requests"
    ).fetchall()[0]
    assert (NOW - lo).days == 29 and hi <= NOW.replace(hour=13)
    assert features == len(demo.FEATURES)
    # one unpriced model, counted, never priced at $0
    unpriced = con.execute(
        "SELECT DISTINCT model FROM requests_priced WHERE cost_usd IS NULL AND status = 'ok'"
    ).fetchall()
    assert unpriced == [("acme-llm-v2",)]
    # nightly batch traffic, and prompt caching on long prompts only
    assert con.execute("SELECT count(*) FROM requests WHERE batch").fetchall()[0][0] > 100
    assert (
        con.execute(
            "SELECT count(*) FROM requests WHERE cached_tokens > 0 AND input_tokens < 1024"
        ).fetchall()[0][0]
        == 0
    )
    # weekdays busier than weekends
    wk, we = con.execute(
        "SELECT avg(n) FILTER (WHERE dow NOT IN (0, 6)), avg(n) FILTER (WHERE dow IN (0, 6)) FROM "
        "(SELECT date_trunc('day', ts) d, dayofweek(ts) dow, count(*) n FROM requests "
        " WHERE ts < $now::DATE GROUP BY ALL)",
        {"now": NOW},
    ).fetchall()[0]
    assert wk > 2 * we


def test_demo_spike_is_the_most_expensive_hour_of_search(con):
    demo.generate(con, days=30, seed=3, now=NOW)
    hour, cost, median = con.execute(
        "WITH h AS (SELECT date_trunc('hour', ts) hr, sum(cost_usd) c FROM requests_priced "
        "WHERE feature = 'search' GROUP BY 1) "
        "SELECT arg_max(hr, c), max(c), median(c) FROM h"
    ).fetchall()[0]
    assert hour.hour in demo.SPIKE_HOURS
    assert (NOW.date() - hour.date()).days == demo.SPIKE_DAYS_AGO
    assert cost > 20 * median
