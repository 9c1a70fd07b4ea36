"""The dashboard pages (Explore, What-if, Reports, Rate limits, Data health) through streamlit's
AppTest on a small seeded database and on an empty one, and the core functions behind them.

Seed (all yesterday, UTC; published prices per 1M tokens: gpt-4o $2.50 in / $1.25 cached / $10 out,
gpt-4o-mini $0.15 / $0.075 / $0.60):

  r1 search gpt-4o       1,000,000 in,         0 cached, 1,000,000 out: 2.50 + 10.00            = $12.50
  r2 search gpt-4o       2,000,000 in, 1,000,000 cached,         0 out: 1M x 2.50 + 1M x 1.25   =  $3.75
  r6 search gpt-4o       0 tokens, HTTP 429                                                      =  $0.00
  r3 chat   gpt-4o-mini  1,000,000 in,         0 cached, 1,000,000 out: 0.15 + 0.60             =  $0.75
  r4 chat   gpt-4o-mini  4,000,000 in, 2,000,000 cached,   500,000 out: 0.30 + 0.15 + 0.30      =  $0.75
  r5 labs   in-house-model 10 in, 10 out: no price (unpriced, never $0)
  total $17.75 over 6 requests; search $16.25, chat $1.50, labs $0 (1 unpriced)
  tokens (input + output): 2M + 2M + 0 + 2M + 4.5M + 20 = 10,500,020
  caching saved: r2 1M x (2.50 - 1.25) = $1.25, r4 2M x (0.15 - 0.075) = $0.15
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from spendwatch import (
    analytics,
    explore,
    health,
    ingest,
    ratelimits,
    report,
    rollups,
    runtime,
    store,
)
from spendwatch.errors import SpendwatchError
from spendwatch.pricing import catalog
from tests.helpers import chat_record

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "dashboard" / "views"
NOW = datetime.now(UTC).replace(tzinfo=None)
Y = NOW.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(hours=12)  # yesterday 12:00 UTC

# AppTest's switch_page() runs a page without the entry script, so the sidebar would be missing;
# this harness draws the real sidebar and then runs the page named in session state, as app.py does.
HARNESS = """
import runpy
import streamlit as st
from spendwatch.dashboard import sidebar
sidebar.render()
runpy.run_path(st.session_state["_test_page"], run_name="__main__")
"""


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def seed_lines() -> list[str]:
    web = {"project_id": "proj_web", "api_key_id": "key_web"}
    app = {"project_id": "proj_app", "api_key_id": "key_app"}
    return [
        chat_record("r1", "gpt-4o", 1_000_000, 1_000_000, ts=_ts(Y), feature="search", user_id="u1", **web,
                    ratelimit={"limit_requests": 500, "remaining_requests": 440,
                               "limit_tokens": 30_000, "remaining_tokens": 12_000}),
        chat_record("r2", "gpt-4o", 2_000_000, 0, cached=1_000_000, ts=_ts(Y + timedelta(minutes=30)),
                    feature="search", user_id="u2", **web),
        chat_record("r6", "gpt-4o", 0, 0, ts=_ts(Y + timedelta(hours=1)), feature="search", user_id="u2",
                    status="error", error_type="RateLimitError", http_status=429, **web),
        chat_record("r3", "gpt-4o-mini", 1_000_000, 1_000_000, ts=_ts(Y + timedelta(hours=2, seconds=10)),
                    feature="chat", user_id="u1", **app),
        chat_record("r4", "gpt-4o-mini", 4_000_000, 500_000, cached=2_000_000,
                    ts=_ts(Y + timedelta(hours=2, seconds=40)), feature="chat", user_id="u3", **app),
        chat_record("r5", "in-house-model", 10, 10, ts=_ts(Y + timedelta(hours=3)), feature="labs"),
        "this line is not JSON",
    ]


@pytest.fixture(autouse=True)
def _fresh_runtime():
    runtime.reset()
    yield
    runtime.reset()


@pytest.fixture
def seeded(tmp_path) -> Path:
    db = tmp_path / "seed.duckdb"
    con = store.connect(db)
    catalog.materialise(con)
    ingest.ingest_lines(con, seed_lines(), source="file:/data/seed.jsonl", kind="file")
    con.close()
    return db


@pytest.fixture
def seeded_con(seeded):
    con = store.connect(seeded)
    yield con
    con.close()


def _app(db: Path, monkeypatch, page: str, *, config: str | None = None, state: dict | None = None) -> AppTest:
    monkeypatch.setenv("SPENDWATCH_DB", str(db))
    if config is not None:
        cfg = db.with_suffix(".toml")
        cfg.write_text(config)
        monkeypatch.setenv("SPENDWATCH_CONFIG", str(cfg))
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_string(HARNESS, default_timeout=60)
    at.session_state["_test_page"] = str(PAGES / f"{page}.py")
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _figure_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


# --- pages on the seeded database ---------------------------------------------------------------

def test_explore_page_table_chart_drill_and_explain(seeded, monkeypatch):
    at = _app(seeded, monkeypatch, "explore")
    assert [t.value for t in at.title] == ["Explore"]
    m = _metrics(at)
    assert m["Cost"] == "$17.75"            # 12.50 + 3.75 + 0.75 + 0.75
    assert m["Requests"] == "6"
    assert m["Tokens"] == "10,500,020"
    assert _figure_titles(at) == ["Cost by feature per day"]
    table = at.dataframe[0].value
    assert list(table["feature"]) == ["search", "chat", "labs"]
    # numbers stay numbers (column_config formats them); labs has no price: blank and "unpriced", never $0.00
    assert list(table["cost_usd"].fillna(-1)) == [16.25, 1.50, -1]
    assert round(table["share"][0], 4) == 0.9155     # 16.25 / 17.75
    assert list(table["unpriced"]) == ["", "", "unpriced (1 requests)"]

    # select "search": its three requests, newest first (r6, r2, r1); explain the second one (r2)
    at.session_state["explore_pick"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.session_state["explore_request_pick"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert list(at.dataframe[1].value["request_id"]) == ["r6", "r2", "r1"]
    assert [s.value for s in at.main.subheader] == ["Requests: search", "Cost explain: r2"]
    # (2,000,000 - 1,000,000) x $2.50/1M + 1,000,000 x $1.25/1M + 0 x $10/1M = 2.50 + 1.25 = $3.75
    assert at.code[0].value == ("(2,000,000 − 1,000,000) × $2.50/1M + 1,000,000 × $1.25/1M"
                                " + 0 × $10.00/1M = $3.75")
    assert _metrics(at)["Cost of this request"] == "$3.75"
    assert any("standard" in md.value and "Source" in md.value for md in at.markdown)


def test_explore_two_dimensions_tokens_and_filters(seeded, monkeypatch):
    at = _app(seeded, monkeypatch, "explore", state={
        "sw_explore_by": "model", "sw_explore_by2": "project", "sw_explore_metric": "tokens",
        "sw_explore_grain": "hour", "sw_feature": ["chat", "labs"]})
    table = at.dataframe[0].value
    assert list(table["model"]) == ["gpt-4o-mini", "in-house-model"]
    assert list(table["tokens"]) == [6_500_000, 20]  # r3 2M + r4 4.5M; r5 20
    assert _metrics(at)["Cost"] == "$1.50"
    assert _figure_titles(at) == ["Tokens by model and project per hour"]


def test_choices_survive_page_switches(seeded, monkeypatch):
    at = _app(seeded, monkeypatch, "explore")
    at.selectbox(key="sw_explore_by").set_value("model").run()
    at.sidebar.multiselect(key="sw_feature").set_value(["search"]).run()
    at.session_state["_test_page"] = str(PAGES / "reports.py")
    at.run()
    assert [t.value for t in at.title] == ["Reports"]
    at.session_state["_test_page"] = str(PAGES / "explore.py")
    at.run()
    assert at.selectbox(key="sw_explore_by").value == "model"
    assert at.sidebar.multiselect(key="sw_feature").value == ["search"]
    assert _metrics(at)["Cost"] == "$16.25"


def test_whatif_page(seeded, monkeypatch):
    # Two whole days [Y-1 00:00, today 00:00) UTC: per month = 30 / 2 = 15.
    at = _app(seeded, monkeypatch, "whatif", state={
        "sw_range": (Y.date() - timedelta(days=1), Y.date()), "sw_whatif_features": ["search"],
        "sw_whatif_target": "gpt-4o-mini"})
    assert [t.value for t in at.title] == ["What-if"]
    m = _metrics(at)
    # search now: 12.50 + 3.75 = 16.25 (r6 is an error: left out, and cost $0 anyway)
    assert m["Current cost"] == "$16.25"
    # on gpt-4o-mini: r1 1M x 0.15 + 1M x 0.60 = 0.75; r2 1M x 0.15 + 1M x 0.075 = 0.225; 0.975
    assert m["Simulated cost"] == "$0.98"
    # range: input +-10 %, output +-40 %. High sim: r1 1.1M x .15 + 1.4M x .6 = 1.005,
    # r2 1.1M x .15 + 1.1M x .075 = .2475 → 1.2525; low sim: .135 + .36 + .135 + .0675 = .6975.
    # (16.25 - 1.2525) x 15 = 224.9625; (16.25 - 0.6975) x 15 = 233.2875
    assert m["Savings per month"] == "$224.96 – $233.29"
    assert _figure_titles(at) == ["Current vs simulated cost by feature"]
    assert any("move to gpt-4o-mini" in md.value for md in at.markdown)  # the assumptions in words
    assert "Recommendations" in [s.value for s in at.main.subheader]

    at.slider(key="sw_whatif_share").set_value(0).run()
    assert _metrics(at)["Simulated cost"] == "$16.25"


def test_whatif_to_the_same_model_saves_nothing(seeded, monkeypatch):
    at = _app(seeded, monkeypatch, "whatif", state={"sw_whatif_features": ["search"], "sw_whatif_target": "gpt-4o"})
    assert _metrics(at)["Simulated cost"] == "$16.25"  # same model: same cost


def test_reports_page_totals_match_cli_and_downloads(seeded, monkeypatch):
    at = _app(seeded, monkeypatch, "reports", config='[cost_centres]\nsearch = "Growth"\n')
    assert [t.value for t in at.title] == ["Reports"]
    m = _metrics(at)
    assert m["Total for the month"] == "$17.75"
    assert m["Requests"] == "6"
    assert m["Unpriced requests"] == "1"
    table = at.dataframe[0].value
    assert list(table["feature"]) == ["search", "chat", "labs", "Total"]
    assert list(table["cost_usd"].fillna(-1)) == [16.25, 1.50, -1, 17.75]
    assert list(table["unpriced"]) == ["", "", "unpriced (1 requests)", "unpriced (1 requests)"]
    assert len(at.get("download_button")) == 3
    assert _figure_titles(at)[0].startswith("Cost by feature, ")
    assert any("Nothing synced from OpenAI's Usage and Costs API" in c.value for c in at.caption)

    at.radio(key="sw_reports_by").set_value("cost_centre").run()
    table = at.dataframe[0].value
    assert list(table["cost_centre"]) == ["Growth", "(unassigned)", "Total"]
    assert list(table["cost_usd"]) == [16.25, 1.50, 17.75]  # chat + labs are unassigned

    at.radio(key="sw_reports_by").set_value("api_key").run()
    assert list(at.dataframe[0].value["api_key"].fillna("(none)")) == ["key_web", "key_app", "(none)", "Total"]


def test_rate_limits_page(seeded, monkeypatch):
    at = _app(seeded, monkeypatch, "rate_limits", config="[rate_limits.gpt-4o-mini]\nrpm = 10\n")
    assert [t.value for t in at.title] == ["Rate limits"]
    m = _metrics(at)
    # gpt-4o from r1's headers: 500 - 440 = 60 requests and 30,000 - 12,000 = 18,000 tokens in the window
    assert m["Busiest minute"] == "60 requests"
    # gpt-4o 60 / 500 = 12 %; gpt-4o-mini r3 + r4 in one minute: 2 / 10 = 20 %
    # the worst share of any limit: gpt-4o TPM 18,000 / 30,000 = 60 % beats every RPM share
    assert m["Highest share of a limit"] == "60.0%"
    assert m["429 answers in the range"] == "1"
    table = at.dataframe[0].value.set_index("model")
    assert table.loc["gpt-4o", "peak_tpm"] == 18_000 and table.loc["gpt-4o", "tpm_used"] == 0.6
    assert table.loc["gpt-4o", "basis"] == "x-ratelimit headers"
    assert table.loc["gpt-4o-mini", "peak_tpm"] == 6_500_000 and table.loc["gpt-4o-mini", "basis"] == "request timestamps"
    titles = _figure_titles(at)
    assert titles[:2] == ["Peak requests per minute vs limit", "Peak tokens per minute vs limit"]
    assert "HTTP 429 answers per day" in titles


def test_data_health_page(seeded, monkeypatch):
    spool = seeded.with_name(seeded.name + ".spool")
    spool.mkdir()
    for name in ("a.jsonl", "b.jsonl", "c.jsonl.part"):
        (spool / name).write_text("{}\n")
    at = _app(seeded, monkeypatch, "data_health")
    assert [t.value for t in at.title] == ["Data health"]
    m = _metrics(at)
    assert m["Requests stored"] == "6"
    assert m["Quarantined lines"] == "1"
    assert m["Unpriced models"] == "1"
    assert m["Spool backlog"] == "2 files"
    sources = at.dataframe[0].value
    assert list(sources["source_kind"]) == ["file"] and list(sources["quarantined"]) == [1]
    assert _figure_titles(at) == ["Requests per source per day"]
    frames = [d.value for d in at.dataframe]
    assert any("in-house-model" in list(df.get("model", [])) for df in frames)
    assert any("this line is not JSON" in list(df.get("raw", [])) for df in frames)


@pytest.mark.parametrize("page", ["explore", "whatif", "reports", "rate_limits", "data_health"])
def test_pages_on_an_empty_database(tmp_path, monkeypatch, page):
    at = _app(tmp_path / "empty.duckdb", monkeypatch, page)
    assert at.info and "spendwatch ingest" in at.info[0].value
    assert not at.error


# --- the core behind the pages -------------------------------------------------------------------

def _window(days: int = 2) -> explore.Filters:
    return explore.Filters.for_days(Y.date() - timedelta(days=days - 1), Y.date())


def test_grouped_exact_figures(seeded_con):
    rows = {r["feature"]: r for r in explore.grouped(seeded_con, _window(), by=["feature"])}
    assert rows["search"]["cost_usd"] == Decimal("16.25")
    assert rows["chat"]["cost_usd"] == Decimal("1.50")
    assert rows["chat"]["cache_savings_usd"] == Decimal("0.15")
    assert rows["search"]["cache_savings_usd"] == Decimal("1.25")
    assert rows["labs"]["unpriced_requests"] == 1 and rows["labs"]["cost_usd"] == 0
    assert rows["search"]["rate_limited"] == 1
    both = explore.grouped(seeded_con, _window(), by=["project", "model"])
    assert [(r["project"], r["model"], r["cost_usd"]) for r in both][:2] == [
        ("proj_web", "gpt-4o", Decimal("16.25")), ("proj_app", "gpt-4o-mini", Decimal("1.50"))]
    users = explore.grouped(seeded_con, _window(), by=["user"])
    assert {r["user"]: r["cost_usd"] for r in users}["u1"] == Decimal("13.25")  # r1 12.50 + r3 0.75


def test_filters_and_time_zone_buckets(seeded_con):
    f = explore.Filters.for_days(Y.date() - timedelta(days=1), Y.date(), tz="Asia/Tokyo", features=("chat",))
    assert explore.totals(seeded_con, f)["cost_usd"] == Decimal("1.50")
    # 14:00 UTC yesterday is 23:00 in Tokyo (UTC+9): still yesterday there; hour buckets are local
    s = explore.series(seeded_con, f, grain="hour")
    assert [b.hour for b in s["bucket"]] == [23]
    with pytest.raises(SpendwatchError):
        explore.grouped(seeded_con, f, by=["feature; DROP TABLE requests"])
    with pytest.raises(SpendwatchError):
        explore.grouped(seeded_con, f, grain="fortnight")


def test_window_is_local_days_in_utc():
    assert explore.window(date(2026, 7, 1), date(2026, 7, 1), "America/New_York") == (
        datetime(2026, 7, 1, 4), datetime(2026, 7, 2, 4))
    with pytest.raises(SpendwatchError):
        explore.window(date(2026, 7, 2), date(2026, 7, 1))


def test_series_keeps_top_groups_and_merges_the_rest(seeded_con):
    s = explore.series(seeded_con, _window(), by=["feature"], grain="day", top=1)
    assert set(s["group"]) == {"search", "(other)"}
    assert s.loc[s["group"] == "(other)", "value"].sum() == pytest.approx(1.50)


def test_drill_and_explain(seeded_con):
    reqs = explore.requests(seeded_con, _window(), group={"feature": "chat", "project": "proj_app"})
    assert list(reqs["request_id"]) == ["r4", "r3"]
    assert list(explore.requests(seeded_con, _window(), group={"project": None})["request_id"]) == ["r5"]
    e = explore.explain(seeded_con, "r4")
    # (4M - 2M) x 0.15 + 2M x 0.075 + 0.5M x 0.60 = 0.30 + 0.15 + 0.30
    assert e["cost_usd"] == e["recomputed_usd"] == Decimal("0.75")
    assert [ln["cost_usd"] for ln in e["lines"]] == [Decimal("0.3"), Decimal("0.15"), Decimal("0.3")]
    assert e["price"]["price_model"] == "gpt-4o-mini" and e["price"]["tier"] == "standard"
    assert e["formula"].endswith("= $0.75")
    unpriced = explore.explain(seeded_con, "r5")
    assert unpriced["price"] is None and "not $0" in unpriced["formula"]
    assert explore.explain(seeded_con, "nope") is None


def test_filter_options(seeded_con):
    opts = explore.filter_options(seeded_con)
    assert opts["feature"] == ["search", "chat", "labs"]
    assert opts["user"] == ["u1", "u2", "u3"]
    assert opts["api_key"] == ["key_web", "key_app"]


def _records(df) -> list[dict]:
    return df.astype(object).where(df.notna(), None).to_dict("records")


def test_rollups_give_the_same_answers(seeded_con):
    f = _window()
    queries = [
        lambda: explore.grouped(seeded_con, f, by=["feature", "model"]),
        lambda: explore.grouped(seeded_con, f, by=["api_key"], grain="hour"),
        lambda: explore.grouped(seeded_con, f, by=["user"], grain="week"),
        lambda: explore.filter_options(seeded_con),
        lambda: _records(ratelimits.peaks(seeded_con, f)),
        lambda: _records(health.unpriced_models(seeded_con)),
        lambda: analytics.month_report(seeded_con, month=Y.date(), by="project"),
    ]
    raw = [q() for q in queries]
    assert rollups.ensure(seeded_con) == "small"  # under MIN_ROWS: nothing written
    assert rollups.ensure(seeded_con, min_rows=0) == "rebuilt"
    assert explore.source_for(seeded_con, f) == "hourly"
    assert ratelimits.minute_source(seeded_con, f) == "minutely"
    assert [q() for q in queries] == raw
    # users: whole UTC days from the per-user daily rollup; a half-hour zone or hourly buckets need raw rows
    fu = explore.Filters(f.start, f.end, users=("u1", "u3"))
    assert explore.source_for(seeded_con, fu) == "daily_users"
    assert explore.source_for(seeded_con, fu, grain="hour") == "raw"
    assert explore.grouped(seeded_con, fu, by=["user", "model"], grain="day") == explore.grouped(
        seeded_con, fu, by=["user", "model"], grain="day", source="raw")
    assert explore.totals(seeded_con, fu)["cost_usd"] == Decimal("14.00")  # r1 12.50 + r3 0.75 + r4 0.75
    assert explore.source_for(seeded_con, explore.Filters.for_days(Y.date(), Y.date(), tz="Asia/Kolkata")) == "raw"
    assert explore.source_for(seeded_con, explore.Filters.for_days(Y.date(), Y.date(), tz="Europe/Paris")) == "hourly"

    # a window that does not start or end on the hour: whole hours from the rollup, the edges raw
    odd = explore.Filters(Y + timedelta(minutes=20), Y + timedelta(hours=2, seconds=20))  # r2, r6, r3 (not r1, r4)
    assert [src for _, src in explore.plan(seeded_con, odd)] == ["raw", "hourly", "raw"]
    split = explore.grouped(seeded_con, odd, by=["feature"], grain="hour")
    assert split == explore.grouped(seeded_con, odd, by=["feature"], grain="hour", source="raw")
    assert sum(r["cost_usd"] for r in split) == Decimal("4.50")  # 3.75 + 0 + 0.75
    now = Y + timedelta(hours=2, minutes=5)
    assert analytics.overview_figures(seeded_con, now=now) == analytics.overview_totals(seeded_con, now=now)

    # new rows: stale until topped up, then incremental
    ingest.ingest_lines(seeded_con, [chat_record("r7", "gpt-4o", 1_000_000, 0, ts=_ts(Y), feature="search")],
                        source="t")
    assert not rollups.is_fresh(seeded_con) and explore.source_for(seeded_con, f) == "raw"
    expected = explore.grouped(seeded_con, f, by=["feature"])
    assert rollups.ensure(seeded_con, min_rows=0) == "incremental"
    assert explore.grouped(seeded_con, f, by=["feature"]) == expected
    assert expected[0]["cost_usd"] == Decimal("18.75")  # 16.25 + 1M x 2.50

    # a price change makes them stale; the next refresh rebuilds
    catalog.materialise(seeded_con, {"pricing": {"models": [
        {"model": "in-house-model", "input": 1, "output": 2}]}})
    assert not rollups.is_fresh(seeded_con)
    assert rollups.refresh(seeded_con) == "rebuilt"
    assert {r["feature"]: r["unpriced_requests"] for r in explore.grouped(seeded_con, f, by=["feature"])}["labs"] == 0


def test_month_report_equals_the_cli_report(seeded_con):
    start, end = analytics.month_window(Y.date())
    for by in ("feature", "project", "api_key"):
        cli = report.spend_report(seeded_con, by=[by], start=start, end=end)
        assert analytics.month_report(seeded_con, month=Y.date(), by=by) == cli
    centres = analytics.month_report(seeded_con, month=Y.date(), by="cost_centre",
                                     cost_centres={"search": "Growth", "chat": "Growth"})
    assert [(r["cost_centre"], r["cost_usd"], r["requests"]) for r in centres] == [
        ("Growth", Decimal("17.75"), 5), ("(unassigned)", Decimal(0), 1)]
    assert analytics.report_totals(centres)["cost_usd"] == Decimal("17.75")
    assert analytics.month_window(date(2026, 12, 5)) == (datetime(2026, 12, 1), datetime(2027, 1, 1))
    assert analytics.report_months(seeded_con) == [date(Y.year, Y.month, 1)]
    with pytest.raises(ValueError):
        analytics.month_report(seeded_con, month=Y.date(), by="nonsense")


def test_report_downloads(seeded_con):
    import openpyxl
    import pyarrow.parquet as pq

    rows = analytics.month_report(seeded_con, month=Y.date(), by="feature")
    cols = ["feature", *report.METRICS]
    csv_text = analytics.report_bytes(rows, columns=cols, fmt="csv").decode()
    assert csv_text.splitlines()[1] == "search,3,3000000,1000000,1000000,16.25,0"
    wb = openpyxl.load_workbook(io.BytesIO(analytics.report_bytes(rows, columns=cols, fmt="xlsx", title="t")))
    ws = wb.active
    total_row = [c.value for c in ws[ws.max_row]]
    assert total_row[0] == "Total" and total_row[cols.index("cost_usd")] == pytest.approx(17.75)
    assert ws.freeze_panes == "A4"
    table = pq.read_table(io.BytesIO(analytics.report_bytes(rows, columns=cols, fmt="parquet")))
    assert sum(table.column("cost_usd").to_pylist()) == Decimal("17.75")
    with pytest.raises(ValueError):
        analytics.report_bytes(rows, columns=cols, fmt="pdf")


def test_top_features_against_the_previous_period(seeded_con):
    f = explore.Filters.for_days(Y.date(), Y.date())
    top = analytics.top_features(seeded_con, f)
    assert list(top["feature"]) == ["search", "chat", "labs"]
    assert top["change_usd"][0] == Decimal("16.25") and top["change_pct"][0] is None  # nothing the day before


def test_rate_limit_configuration():
    assert ratelimits.limits()["gpt-4o"] == {"rpm": 500, "tpm": 30_000}
    lim = ratelimits.limits({"rate_limits": {"gpt-4o": {"rpm": 5000}, "o4-mini": {"tpm": 100}}})
    assert lim["gpt-4o"] == {"rpm": 5000, "tpm": 30_000} and lim["o4-mini"] == {"rpm": None, "tpm": 100}
    with pytest.raises(ValueError):
        ratelimits.limits({"rate_limits": {"gpt-4o": {"rpm": -1}}})
    with pytest.raises(ValueError):
        ratelimits.limits({"rate_limits": {"gpt-4o": 5}})


def test_health_core(seeded_con, tmp_path):
    src = health.sources(seeded_con)
    assert src.to_dict("records")[0]["requests"] == 6 and src["units"][0] == 1
    reasons = health.quarantine_reasons(seeded_con)
    assert reasons["lines"].sum() == 1
    page = health.quarantine(seeded_con, reason=reasons["reason"][0])
    assert list(page["raw"]) == ["this line is not JSON"]
    assert health.quarantine(seeded_con, offset=1).empty
    assert list(health.unpriced_models(seeded_con)["model"]) == ["in-house-model"]
    per_day = health.rows_per_source(seeded_con, _window())
    assert per_day["value"].sum() == 6 and set(per_day["group"]) == {"file"}
    assert health.sync_state(seeded_con).empty
    assert len(health.recent_ingests(seeded_con)) == 1
    spool = tmp_path / "spool"
    assert not health.spool_backlog(spool).exists
    spool.mkdir()
    (spool / "a.jsonl").write_text("x")
    (spool / "b.jsonl.part").write_text("yy")
    b = health.spool_backlog(spool)
    assert (b.finished_files, b.open_files, b.bytes) == (1, 1, 3)


def test_hostile_values_are_parameters(con):
    hostile = ["x'; DROP TABLE requests; --", "=cmd|' /C calc'!A0", "a\"b"]
    ingest.ingest_lines(con, [chat_record(f"h{i}", "gpt-4o", 1000, 0, ts=_ts(Y), feature=v, user_id=v)
                              for i, v in enumerate(hostile)], source="t")
    f = explore.Filters(Y - timedelta(hours=1), Y + timedelta(hours=1), features=(hostile[0],), users=(hostile[1], hostile[0]))
    assert [r["feature"] for r in explore.grouped(con, f, by=["feature"])] == [hostile[0]]
    assert list(explore.requests(con, f, group={"feature": hostile[0], "user": hostile[0]})["request_id"]) == ["h0"]
    assert set(explore.filter_options(con)["feature"]) == set(hostile)
    assert con.execute("SELECT count(*) FROM requests").fetchone()[0] == 3


def test_new_core_modules_never_import_streamlit():
    mods = ["spendwatch.explore", "spendwatch.ratelimits", "spendwatch.health", "spendwatch.rollups",
            "spendwatch.analytics"]
    code = "import sys\n" + "".join(f"import {m}\n" for m in mods) + (
        "print(','.join(m for m in ('streamlit', 'plotly') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


def test_alerts_page_rules_burn_down_events_and_form(tmp_path, monkeypatch):
    from spendwatch import alerts
    from spendwatch.alerts import rules

    db = tmp_path / "alerts.duckdb"
    con = store.connect(db)
    catalog.materialise(con)
    # $2.50 today: 1M gpt-4o input tokens
    ingest.ingest_lines(con, [chat_record("a", "gpt-4o", 1_000_000, 0, ts=_ts(NOW - timedelta(minutes=1)))], source="t")
    rules.save(con, alerts.make_rule("monthly", budget=10, window="month", levels="20"))
    alerts.check(con)  # $2.50 of $10 = 25 % ≥ 20 %
    con.close()
    at = _app(db, monkeypatch, "alerts")
    assert [t.value for t in at.title] == ["Alerts"]
    m = _metrics(at)
    assert m["Spent this window"] == "$2.50" and m["Budget used"] == "25%"
    assert "Budget burn-down: monthly" in _figure_titles(at)
    assert "monthly — all traffic has spent $2.50" in at.dataframe[0].value["message"][0]
    # the form refuses a bad rule with its reason, and stores a good one
    at.text_input[0].set_value("bad")
    at.text_input[3].set_value("-5")
    at.button[-1].click().run()
    assert any("budget must be more than 0" in e.value for e in at.error)
    at.text_input[0].set_value("daily")
    at.text_input[3].set_value("5")
    at.button[-1].click().run()
    from spendwatch import runtime

    c = runtime.cursor()  # the page's own connection (one per process)
    assert c.execute("SELECT name, budget_usd FROM alert_rules ORDER BY name").fetchall() == [
        ("daily", 5), ("monthly", 10)]


def test_alerts_page_empty(tmp_path, monkeypatch):
    at = _app(tmp_path / "none.duckdb", monkeypatch, "alerts")
    assert "No alert rules yet" in at.info[0].value
