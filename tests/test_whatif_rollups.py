"""The what-if and the recommendations read the what-if rollup for the whole hours of their window when
the rollups are fresh (the requests for the minutes at either edge), with results equal to the raw path's."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal as D

from spendwatch import recommend, rollups, whatif
from tests.test_rollups_paths import seed_varied

ALIGNED = dict(start=datetime(2026, 10, 5), end=datetime(2026, 11, 20))
ODD = dict(start=datetime(2026, 10, 5, 7, 41, 3), end=datetime(2026, 11, 20, 16, 12))
SCENARIOS = [
    whatif.Scenario(to_model="gpt-4o-mini", **ALIGNED),
    whatif.Scenario(to_model="gpt-4o-mini", with_range=True, **ODD),
    whatif.Scenario(to_model="gpt-4.1-nano", from_model="gpt-4o", share=D("0.35"), escalate=D("0.1"), **ODD),
    whatif.Scenario(to_model="gpt-4o-mini", features=("f1", "f2"), projects=("p1",), cache_hit=D("0.5"),
                    batch=True, output_ratio=D("0.7"), with_range=True, **ODD),
    whatif.Scenario(to_model="o3", prices="historical", share=D("0.5"), **ODD),
    whatif.Scenario(to_model="gpt-4o-mini", from_model="acme-x", **ODD),  # only unpriced requests
    whatif.Scenario(to_model="gpt-4o-mini", **dict(start=datetime(2026, 10, 5, 7, 10), end=datetime(2026, 10, 5, 7, 50))),
]


def _plain(r: whatif.WhatIfResult) -> dict:
    return r.as_dict()


def test_rollup_path_equals_raw_path(con):
    seed_varied(con)
    raw = [_plain(whatif.simulate(con, s)) for s in SCENARIOS]
    recs = recommend.recommend(con, days=30, now=datetime(2026, 11, 20, 9, 30), config={"recommend": {
        "non_interactive": ["f3"]}})
    rollups.refresh(con, full=True)
    assert rollups.whole_units(con, ODD["start"], ODD["end"]) is not None
    assert [_plain(whatif.simulate(con, s)) for s in SCENARIOS] == raw
    assert recommend.recommend(con, days=30, now=datetime(2026, 11, 20, 9, 30), config={"recommend": {
        "non_interactive": ["f3"]}}) == recs
    assert {r["kind"] for r in recs} == {"cheaper model", "prompt caching", "Batch API"}
    assert raw[0]["current_cost_usd"] > 0 and raw[1]["range"]["simulated_low_usd"] < raw[1]["simulated_cost_usd"]
    assert sum(r["unpriced_requests"] for r in raw[5]["rows"]) > 0 and raw[5]["current_cost_usd"] == 0


def test_one_pass_for_many_scenarios_equals_one_each(con):
    seed_varied(con)
    rollups.refresh(con, full=True)
    many = whatif.simulate_many(con, SCENARIOS)
    assert [_plain(r) for r in many] == [_plain(whatif.simulate(con, s)) for s in SCENARIOS]
    # the range's low and high passes are the central pass at the scaled ratios
    s = SCENARIOS[3]
    low = whatif.simulate(con, replace(s, with_range=False, output_ratio=s.output_ratio * (1 - whatif.RANGE_OUTPUT)))
    assert many[3].range["simulated_low_usd"] != many[3].simulated_cost_usd
    assert low.simulated_cost_usd >= many[3].range["simulated_low_usd"]  # input also 10 % lower there


def test_rollup_is_what_it_reads(con):
    """Proof that the fresh path reads the what-if rollup: doctored rollup rows show up in the figures,
    except for the edge minutes, which come from the requests."""
    seed_varied(con)
    s = SCENARIOS[0]
    before = whatif.simulate(con, s)
    rollups.refresh(con, full=True)
    con.execute("UPDATE requests_whatif_hourly SET cost_fusd = cost_fusd * 3")
    assert whatif.simulate(con, s).current_cost_usd == 3 * before.current_cost_usd
    # a window starting 2 minutes before a priced request, mid-hour: its first minutes are an edge
    ts = con.execute("SELECT ts FROM requests_priced WHERE status = 'ok' AND cost_fusd IS NOT NULL "
                     "AND minute(ts) >= 5 AND ts > $a ORDER BY ts LIMIT 1", {"a": s.start}).fetchone()[0]
    start = ts.replace(second=0) - timedelta(minutes=2)
    next_hour = ts.replace(minute=0, second=0) + timedelta(hours=1)
    edge = whatif.simulate(con, replace(s, start=start, end=next_hour))
    assert edge.current_cost_usd > 0
    con.execute("UPDATE requests_whatif_hourly SET cost_fusd = cost_fusd / 3")
    whole = whatif.simulate(con, replace(s, start=next_hour))
    con.execute("UPDATE requests_whatif_hourly SET cost_fusd = cost_fusd * 3")
    assert whatif.simulate(con, replace(s, start=start)).current_cost_usd == (
        3 * whole.current_cost_usd + edge.current_cost_usd)
