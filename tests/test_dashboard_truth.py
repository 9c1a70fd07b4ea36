"""The dashboard tells the truth at a glance (issue 16) and shows user text as text (issue 14 item 7),
through streamlit's AppTest on real DuckDB files. Seed and prices: tests/test_dashboard_pages.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from spendwatch import alerts, ingest, runtime, store
from spendwatch.alerts import rules
from spendwatch.dashboard.format import plain
from spendwatch.pricing import catalog
from tests.helpers import chat_record
from tests.test_dashboard_pages import Y, _app, _metrics, _ts, seed_lines

EVIL = "<a href='http://evil.example/login'>Billing</a> [locked](http://evil.example) ![x](http://evil.example/p.png)"


@pytest.fixture(autouse=True)
def _fresh_runtime():
    runtime.reset()
    yield
    runtime.reset()


def _db(tmp_path, lines, *, now=None):
    db = tmp_path / "t.duckdb"
    con = store.connect(db)
    catalog.materialise(con)
    ingest.ingest_lines(con, lines, source="file:/data/t.jsonl", kind="file", now=now)
    return db, con


def test_markdown_escape_leaves_no_live_character():
    # every character markdown, HTML, Streamlit directives or autolinks act on is backslash-escaped
    assert plain(EVIL) == (
        "\\<a href='http\\://evil\\.example/login'\\>Billing\\</a\\> \\[locked\\]\\(http\\://evil\\.example\\) "
        "\\!\\[x\\]\\(http\\://evil\\.example/p\\.png\\)"
    )
    assert (
        plain(":red[x] $y$ a@b.com www.x.com") == "\\:red\\[x\\] \\$y\\$ a\\@b\\.com www\\.x\\.com"
    )


def test_tags_render_as_plain_text_everywhere(tmp_path, monkeypatch):
    # $2.50: 1M gpt-4o input tokens, feature = a link, a markdown link and a markdown image;
    # $0.25: 100,000 tokens, feature "plain" (two groups: the chart draws a legend)
    db, con = _db(
        tmp_path,
        [
            chat_record("e1", "gpt-4o", 1_000_000, 0, ts=_ts(Y), feature=EVIL),
            chat_record("e2", "gpt-4o", 100_000, 0, ts=_ts(Y), feature="plain"),
        ],
    )
    rules.save(con, alerts.make_rule("evil", budget=10, scope=f"feature={EVIL}"))
    con.close()
    state = {
        "sw_range": (Y.date(), Y.date()),
        "sw_feature": [EVIL, "plain"],
        "explore_pick": {"selection": {"rows": [0], "columns": [], "cells": []}},
    }
    at = _app(db, monkeypatch, "explore", state=state)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = {t.get("name") for t in spec["data"]} | {
        x for t in spec["data"] for x in (t.get("x") or []) if isinstance(x, str)
    }
    assert not any("<a " in str(n) for n in names)  # plotly would draw a live link
    assert "&lt;a href='http://evil.example/login'&gt;Billing&lt;/a&gt;" in json.dumps(spec["data"])
    texts = (
        [c.value for c in at.caption]
        + [s.value for s in at.main.subheader]
        + [m.value for m in at.markdown]
    )
    user_text = [t for t in texts if "evil" in t]
    assert user_text  # the caption and the drill-down heading name the feature ...
    for t in user_text:  # ... with every markdown/HTML character escaped: no link, no image
        assert plain(EVIL) in t and EVIL not in t, t
    assert at.dataframe[0].value["feature"].tolist() == [
        EVIL,
        "plain",
    ]  # tables hold the text as it is
    runtime.reset()
    al = _app(db, monkeypatch, "alerts")
    head = next(m.value for m in al.markdown if "evil" in m.value)
    assert plain(EVIL) in head and EVIL not in head


def test_data_health_counts_requests_dated_in_the_future(tmp_path, monkeypatch):
    # r1..r5 are dated Y (yesterday 12:00); ingested "at" Y - 1 h, all five are > 5 minutes ahead
    db, con = _db(tmp_path, seed_lines(), now=Y - timedelta(hours=1))
    con.close()
    at = _app(db, monkeypatch, "data_health")
    assert _metrics(at)["Dated in the future"] == "6 requests"
    assert any("dated more than 5 minutes in the future" in w.value for w in at.warning)


# --- issue 16 -------------------------------------------------------------------------------------

OVERVIEW = "overview"


@pytest.fixture
def seeded(tmp_path):
    db, con = _db(tmp_path, seed_lines())
    con.close()
    return db


def _recent_db(tmp_path, extra=(), *, minutes_ago: int = 1, days_ago: int = 0):
    from spendwatch.clock import utc_now

    t = utc_now() - timedelta(days=days_ago, minutes=minutes_ago)
    ts = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        # a: 1M x $2.50 + 1M x $10.00 = $12.50 (search); b: 1M x $2.50 + 1M cached x $1.25 = $3.75 (chat)
        chat_record("a", "gpt-4o", 1_000_000, 1_000_000, ts=ts, feature="search"),
        chat_record("b", "gpt-4o", 2_000_000, 0, cached=1_000_000, ts=ts, feature="chat"),
        chat_record("c", "in-house-model", 10, 10, ts=ts, feature="labs"),  # no price
        *extra,
    ]
    db, con = _db(tmp_path, lines, now=t)
    con.close()
    return db


def test_overview_top_row_honours_the_filters(tmp_path, monkeypatch):
    db = _recent_db(tmp_path)
    at = _app(db, monkeypatch, OVERVIEW, state={"sw_feature": ["chat"]})
    m = _metrics(at)
    assert (
        m["Spend today (UTC)"] == "$3.75" and m["Month to date"] == "$3.75"
    )  # chat only, not $16.25
    assert m["Spend in the selected range"] == "$3.75"
    assert any("top row: today and this month (UTC)" in c.value for c in at.caption)
    # two filters: the forecast cannot take them, and says so in one line
    runtime.reset()
    at = _app(db, monkeypatch, OVERVIEW, state={"sw_feature": ["chat", "search"]})
    assert _metrics(at)["Month to date"] == "$16.25"
    assert any("except to the forecast" in c.value for c in at.caption)


def test_pages_name_the_filters_they_do_not_apply(seeded, monkeypatch):
    for page, words in (
        ("reports", "Not applied here: the sidebar's dates"),
        ("whatif", "Not applied here: the sidebar's model, user and API key filters"),
        ("rate_limits", "Not applied here: the feature, project, API key and user filters"),
        ("alerts", "Not applied here: the sidebar's dates and filters"),
    ):
        runtime.reset()
        at = _app(seeded, monkeypatch, page)
        assert any(words in c.value for c in at.caption), page


def test_whatif_own_source_picker_savings_and_prices(seeded, monkeypatch):
    # Two whole days; from gpt-4o-mini (chat r3 + r4 = $0.75 + $0.75 = $1.50) to gpt-4o-mini: no change;
    # to gpt-4o: r3 1M x 2.50 + 1M x 10 = 12.50, r4 2M x 2.50 + 2M x 1.25 + 0.5M x 10 = 12.50 -> $25.00
    state = {
        "sw_range": (Y.date() - timedelta(days=1), Y.date()),
        "sw_whatif_from": "gpt-4o-mini",
        "sw_whatif_target": "gpt-4o",
        "sw_model": ["gpt-4o", "in-house-model"],
    }  # the sidebar's is ignored
    at = _app(seeded, monkeypatch, "whatif", state=state)
    m = _metrics(at)
    assert m["Current cost"] == "$1.50" and m["Simulated cost"] == "$25.00"
    rows = at.dataframe[0].value
    assert list(rows["savings_usd"]) == [-23.5]  # 1.50 - 25.00: shown as −$23.50 by column_config
    assert list(rows["from_input_per_mtok"]) == [0.15] and list(rows["to_input_per_mtok"]) == [2.5]
    assert list(rows["to_output_per_mtok"]) == [10.0]
    # one source model at a time (no "any model" that would move embedding traffic onto a chat model),
    # and no embedding model is offered for chat traffic
    assert at.selectbox(key="sw_whatif_from").options == ["gpt-4o", "gpt-4o-mini", "in-house-model"]
    assert not [o for o in at.selectbox(key="sw_whatif_target").options if "embedding" in o]


def test_overview_top_features_end_with_other(tmp_path, monkeypatch):
    # twelve more features f00..f11, f_k costs (k + 1) x 100,000 gpt-4o input tokens = $0.25 x (k + 1)
    extra = [
        chat_record(f"x{k}", "gpt-4o", (k + 1) * 100_000, 0, ts=_ts(Y), feature=f"f{k:02d}")
        for k in range(12)
    ]
    db = _recent_db(tmp_path, extra)
    at = _app(
        db, monkeypatch, OVERVIEW, state={"sw_range": (Y.date(), Y.date() + timedelta(days=2))}
    )
    top = at.dataframe[0].value
    assert len(top) == 11 and top["feature"].iloc[-1] == "(other)"
    # the rows add up to the range's total: 12.50 + 3.75 + 0.25 x (1 + ... + 12) = 16.25 + 19.50 = 35.75
    assert _metrics(at)["Spend in the selected range"] == "$35.75"
    assert round(top["cost_usd"].sum(), 2) == 35.75
    assert top["requests"].sum() == 15
    # labs (unpriced) reads "unpriced (1 requests)", never $0.00
    assert "unpriced (1 requests)" in set(top["unpriced"])


def test_stale_data_says_so_and_has_no_forecast(tmp_path, monkeypatch):
    db = _recent_db(tmp_path, days_ago=7)
    at = _app(
        db,
        monkeypatch,
        OVERVIEW,
        state={"sw_range": (Y.date() - timedelta(days=10), Y.date() + timedelta(days=1))},
    )
    m = _metrics(at)
    assert m["Forecast to month end"] == "unavailable"
    assert any("last request 7 days ago" in w.value for w in at.warning)
    assert any("Data: last request 7 days ago" in c.value for c in at.caption)
    # today's bar is marked partial
    runtime.reset()
    (tmp_path / "fresh").mkdir()
    fresh = _app(_recent_db(tmp_path / "fresh"), monkeypatch, OVERVIEW)
    assert _metrics(fresh)["Forecast to month end"] != "unavailable"
    layout = json.loads(fresh.get("plotly_chart")[0].proto.spec)["layout"]
    assert any(a.get("text") == "today (so far)" for a in layout.get("annotations", []))


def test_colours_do_not_depend_on_the_series_order():
    import pandas as pd

    from spendwatch.dashboard import charts

    both = pd.DataFrame(
        {"bucket": ["2026-11-01"] * 2, "group": ["o1", "gpt-4o"], "value": [1.0, 2.0]}
    )
    one = pd.DataFrame(
        {"bucket": ["2026-11-01"] * 2, "group": ["gpt-4o", "gpt-4o-mini"], "value": [2.0, 1.0]}
    )

    def colours(df):
        fig = charts.metric_over_time(df, title="t", metric="cost", grain="day")
        return {t.name: t.marker.color for t in fig.data}

    assert colours(both)["gpt-4o"] == colours(one)["gpt-4o"] == charts.colour("gpt-4o")
    assert len({charts.colour(m) for m in ("gpt-4o", "gpt-4o-mini", "o1")}) == 3


def test_alert_rule_lines_have_their_own_colours():
    from datetime import date
    from decimal import Decimal as D

    from spendwatch.dashboard import charts

    fig = charts.burn_down(
        {
            "rule": "r",
            "days": [{"day": date(2026, 11, 1), "cumulative_usd": D(1)}],
            "all_days": [date(2026, 11, 1), date(2026, 11, 30)],
            "budget_usd": D(10),
            "forecast_usd": D(12),
        }
    )
    assert len({t.line.color for t in fig.data}) == 3


def test_rollups_are_built_when_serve_starts_and_pages_say_so_meanwhile(seeded, monkeypatch):
    import inspect
    import time

    from spendwatch import rollups, rollups_job, server

    assert "rollups_job.build_at_start(con)" in inspect.getsource(server.serve)
    con = store.connect(seeded)
    try:
        assert not rollups.is_fresh(con)
        rollups_job.build_at_start(con, min_rows=1).join(
            60
        )  # min_rows=1: the seed's 6 rows count as large
        assert rollups_job.status()["state"] == "done" and rollups.is_fresh(con)
    finally:
        con.close()
    runtime.reset()
    monkeypatch.setattr(rollups_job, "_status", {"state": "building", "started": time.time() - 3})
    at = AppTestApp(seeded, monkeypatch)
    assert any("Building the hourly rollups" in i.value for i in at.info)


def AppTestApp(db, monkeypatch):  # noqa: N802 - the real app.py, not the page harness
    from pathlib import Path

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SPENDWATCH_DB", str(db))
    st.cache_data.clear()
    at = AppTest.from_file(
        str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py"), default_timeout=60
    )
    at.run()
    assert not at.exception, at.exception
    return at


def test_tables_sort_money_as_numbers_and_a_recommendation_loads(seeded, monkeypatch):
    state = {"sw_range": (Y.date() - timedelta(days=1), Y.date())}
    at = _app(seeded, monkeypatch, "explore", state=state)
    table = at.dataframe[0].value
    assert table["cost_usd"].dtype.kind == "f" and str(table["requests"].dtype) == "Int64"
    # sorted as numbers: 16.25 > 1.50 (as text "$1.50" < "$16.25" < "$4..." would interleave)
    assert list(table["cost_usd"].dropna()) == sorted(table["cost_usd"].dropna(), reverse=True)
    runtime.reset()
    at = _app(seeded, monkeypatch, "whatif", state=state)
    recs = at.dataframe[-1].value
    first = recs.iloc[0]
    next(b for b in at.button if b.label == "Load into the simulator").click().run()
    assert not at.exception
    assert at.selectbox(key="sw_whatif_from").value == first["model"]
    assert at.selectbox(key="sw_whatif_target").value == first["to_model"]
    assert at.multiselect(key="sw_whatif_features").value == [first["feature"]]
