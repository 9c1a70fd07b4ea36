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
