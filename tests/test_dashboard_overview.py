"""The Overview page through streamlit's AppTest, on a seeded database and on an empty one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from spendwatch import ingest, runtime, store
from spendwatch.pricing import catalog
from tests.helpers import chat_record

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def _fresh_runtime():
    runtime.reset()
    yield
    runtime.reset()


def _app(db: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("SPENDWATCH_DB", str(db))
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


def test_overview_figures(tmp_path, monkeypatch):
    db = tmp_path / "o.duckdb"
    con = store.connect(db)
    catalog.materialise(con)
    now = datetime.now(UTC).replace(tzinfo=None)
    ts = (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ingest.ingest_lines(con, [
        # $2.50 + $10.00 = $12.50 and 1M cached tokens at $1.25: $3.75 ... all today
        chat_record("a", "gpt-4o", 1_000_000, 1_000_000, ts=ts),
        chat_record("b", "gpt-4o", 2_000_000, 0, cached=1_000_000, ts=ts),
        chat_record("c", "in-house-model", 10, 10, ts=ts),
    ], source="t")
    con.close()
    at = _app(db, monkeypatch)
    metrics = {m.label: m.value for m in at.metric}
    # a: 1M x 2.50 + 1M x 10 = 12.50; b: 1M x 2.50 + 1M x 1.25 = 3.75
    assert metrics["Spend today (UTC)"] == "$16.25"
    assert metrics["Month to date"] == "$16.25"
    assert metrics["Cache hit rate (month)"] == f"{1_000_000 / 3_000_010:.1%}"
    assert any("unpriced (1 requests) in the selected range" in w.value for w in at.warning)
    assert at.get("plotly_chart")


def test_overview_empty_database(tmp_path, monkeypatch):
    at = _app(tmp_path / "empty.duckdb", monkeypatch)
    assert "No requests yet" in at.info[0].value
    assert not at.metric
