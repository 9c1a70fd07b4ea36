"""`spendwatch reconcile`: request logs beside the Usage API (priced by the catalog) and the Costs API.

Every expected figure is worked out by hand below from the fixture pages (tests/fixtures, copies of
shared/openai) and the per-1M rates in shared/openai/FACTS.md §8, never copied from the code's output.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import date
from decimal import Decimal as D

import pytest
from typer.testing import CliRunner

from spendwatch import ingest, reconcile
from spendwatch.collectors import openai_usage
from spendwatch.collectors.openai_usage import USAGE_KINDS, RetryPolicy
from tests.fake_openai import FIX, FakeOpenAI
from tests.helpers import chat_record

KEY = "sk-admin-test-reconcile"
ZQ = "proj_Zq3v8KkYl2mQwE4r"
H7 = "proj_H7cT1nBvX9aR2sLp"
M = D(1_000_000)
FAST = RetryPolicy(attempts=3, initial=0.001, max_wait=0.01, jitter=0.001, sleep=lambda s: None)

# --- the figures, by hand --------------------------------------------------------------------------
# Request logs (ingested below), 2026-11-01:
#   a: gpt-4o-2024-08-06, ZQ, 1,000,000 in (400,000 cached), 100,000 out
#      600,000 × $2.50/M + 400,000 × $1.25/M + 100,000 × $10/M = 1.50 + 0.50 + 1.00 = $3.00
#   b: gpt-4o-2024-08-06, ZQ, 200,000 in, 20,000 out: 200,000 × 2.50/M + 20,000 × 10/M = 0.50 + 0.20 = $0.70
#   c: gpt-4o-mini-2024-07-18, ZQ, not batch: 1,000,000 input tokens at $0.15/M = $0.15
#   d: gpt-9-unknown, H7: no price (unpriced, never $0)
#   e: gpt-4o-2024-08-06, ZQ, status error: left out
LOGGED_4O = D("3.70")
LOGGED_MINI = D("0.15")
# Usage API, usage_completions_grouped_page.json, 2026-11-01:
#   gpt-4o-2024-08-06, ZQ, standard: (1,834,512 − 1,025,920) = 808,592 × 2.50/M = 2.02148
#                                    1,025,920 cached × 1.25/M = 1.2824;  212,344 out × 10/M = 2.12344
#                                    → 5.42732
USAGE_4O = D("2.02148") + D("1.2824") + D("2.12344")
#   gpt-4o-mini-2024-07-18, ZQ, batch (50 %): 9,120,455 × 0.075/M = 0.684034125; 1,288,102 × 0.30/M = 0.3864306
#                                    → 1.070464725
USAGE_MINI = D("0.684034125") + D("0.3864306")
#   o4-mini-2025-04-16, H7, flex (FACTS §8: 0.55 / 0.138 / 2.20): 271,046 × 0.55/M = 0.1490753;
#                                    131,072 × 0.138/M = 0.018087936; 96,510 × 2.20/M = 0.212322 → 0.379485236
USAGE_O4 = D("0.1490753") + D("0.018087936") + D("0.212322")
# Costs API, costs_page_line_items.json, 2026-11-01:
#   ZQ gpt-4o-2024-08-06: input 2.02148 + cached input 1.2824 + output 2.12344 = 5.42732
#   ZQ gpt-4o-mini-2024-07-18: input "1.36806825" (a string: 9,120,455 × 0.15/M, the standard rate)
#   H7 "web search tool calls": 2.5 (no model)
BILLED_4O = D("2.02148") + D("1.2824") + D("2.12344")
BILLED_MINI = D("1.36806825")
BILLED_WEB = D("2.5")


@pytest.fixture
def synced(con, monkeypatch):
    ingest.ingest_lines(
        con,
        [
            chat_record(
                "a",
                "gpt-4o-2024-08-06",
                1_000_000,
                100_000,
                cached=400_000,
                project_id=ZQ,
                ts="2026-11-01T09:00:00Z",
            ),
            chat_record(
                "b", "gpt-4o-2024-08-06", 200_000, 20_000, project_id=ZQ, ts="2026-11-01T10:00:00Z"
            ),
            chat_record(
                "c",
                "gpt-4o-mini-2024-07-18",
                1_000_000,
                0,
                project_id=ZQ,
                ts="2026-11-01T11:00:00Z",
            ),
            chat_record("d", "gpt-9-unknown", 10, 10, project_id=H7, ts="2026-11-01T12:00:00Z"),
            chat_record(
                "e",
                "gpt-4o-2024-08-06",
                0,
                0,
                project_id=ZQ,
                ts="2026-11-01T13:00:00Z",
                status="error",
            ),
            chat_record(
                "f", "gpt-4o-2024-08-06", 1_000, 0, project_id=ZQ, ts="2026-11-05T13:00:00Z"
            ),
        ],
        source="test",
    )
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        fake.serve_buckets(
            "usage/completions",
            json.loads((FIX / "usage_completions_grouped_page.json").read_text())["data"],
        )
        fake.serve_buckets(
            "costs", json.loads((FIX / "costs_page_line_items.json").read_text())["data"]
        )
        openai_usage.sync_openai(
            con, KEY, since=date(2026, 11, 1), until=date(2026, 11, 2), retry=FAST
        )
    return con


def by_key(rows, *cols):
    return {tuple(r[c] for c in cols): r for r in rows}


def test_per_day_project_model(synced):
    rows = by_key(
        reconcile.reconcile(synced, start=date(2026, 11, 1), end=date(2026, 11, 2)),
        "day",
        "project",
        "model",
    )
    day = date(2026, 11, 1)
    assert set(rows) == {
        (day, ZQ, "gpt-4o-2024-08-06"),
        (day, ZQ, "gpt-4o-mini-2024-07-18"),
        (day, H7, "o4-mini-2025-04-16"),
        (day, H7, "gpt-9-unknown"),
        (day, H7, None),
    }

    r = rows[(day, ZQ, "gpt-4o-2024-08-06")]
    assert (r["logged_requests"], r["logged_cost_usd"]) == (
        2,
        LOGGED_4O,
    )  # e (an error) is left out
    assert (
        r["usage_requests"],
        r["usage_input_tokens"],
        r["usage_cached_tokens"],
        r["usage_output_tokens"],
    ) == (612, 1_834_512, 1_025_920, 212_344)
    assert r["usage_cost_usd"] == USAGE_4O == D("5.42732")
    assert r["billed_usd"] == BILLED_4O == D("5.42732")  # the bill matches the catalog here
    assert r["drift_usd"] == D("1.72732")  # 5.42732 − 3.70
    assert r["drift_pct"] == D("46.68")  # 1.72732 / 3.70 = 0.466843…
    assert r["reason"] == "partly instrumented: the logs hold 2 of 612 requests"

    r = rows[(day, ZQ, "gpt-4o-mini-2024-07-18")]
    assert (r["logged_requests"], r["logged_cost_usd"]) == (1, LOGGED_MINI)
    assert r["usage_cost_usd"] == USAGE_MINI == D("1.070464725")
    assert r["billed_usd"] == BILLED_MINI
    assert r["drift_usd"] == D("1.21806825")  # 1.36806825 − 0.15
    assert r["drift_pct"] == D("812.05")  # 1.21806825 / 0.15 = 8.120455
    assert "partly instrumented: the logs hold 1 of 20,000 requests" in r["reason"]
    assert "tier/batch pricing: 20,000 requests at batch" in r["reason"]
    assert (
        "negotiated price or catalog gap: billed $1.37 for tokens the catalog prices at $1.07"
        in r["reason"]
    )

    r = rows[(day, H7, "o4-mini-2025-04-16")]
    assert r["logged_requests"] == 0 and r["logged_cost_usd"] == 0
    assert r["usage_requests"] == 118 and r["usage_cost_usd"] == USAGE_O4 == D("0.379485236")
    assert r["billed_usd"] == 0 and r["drift_usd"] == 0 and r["drift_pct"] is None
    assert r["reason"].startswith(
        "not instrumented: the Usage API counted 118 requests, the logs none"
    )
    assert "flex" in r["reason"] and "nothing billed" in r["reason"]

    r = rows[(day, H7, "gpt-9-unknown")]
    assert (r["logged_requests"], r["logged_cost_usd"], r["logged_unpriced_requests"]) == (1, 0, 1)
    assert "unpriced model: 1 request without a catalog price" in r["reason"]

    r = rows[(day, H7, None)]  # the web search line item names no model
    assert r["billed_usd"] == BILLED_WEB and r["drift_usd"] == BILLED_WEB
    # issue 15: the line item is parsed into its part, so the reason is specific
    assert r["reason"] == "tool calls not in the logs: $2.50 of web search"


def test_rolled_up_by_day_and_by_project(synced):
    (row,) = reconcile.reconcile(synced, start=date(2026, 11, 1), end=date(2026, 11, 2), by="day")
    assert list(row)[:2] == ["day", "logged_requests"]
    logged = LOGGED_4O + LOGGED_MINI  # 3.85
    billed = BILLED_4O + BILLED_MINI + BILLED_WEB  # 5.42732 + 1.36806825 + 2.5 = 9.29538825
    assert (row["logged_requests"], row["logged_cost_usd"], row["logged_unpriced_requests"]) == (
        4,
        logged,
        1,
    )
    assert row["usage_requests"] == 612 + 20_000 + 118
    assert row["usage_cost_usd"] == USAGE_4O + USAGE_MINI + USAGE_O4 == D("6.877269961")
    assert row["billed_usd"] == billed == D("9.29538825")
    assert row["drift_usd"] == D("5.44538825") and row["drift_pct"] == D(
        "141.44"
    )  # 5.44538825 / 3.85 = 1.41438…
    assert "tool calls not in the logs: $2.50 of web search" in row["reason"]

    rows = by_key(
        reconcile.reconcile(synced, start=date(2026, 11, 1), end=date(2026, 11, 2), by="project"),
        "project",
    )
    assert rows[(ZQ,)]["billed_usd"] == BILLED_4O + BILLED_MINI == D("6.79538825")
    assert rows[(ZQ,)]["usage_cost_usd"] == USAGE_4O + USAGE_MINI == D("6.497784725")
    assert rows[(ZQ,)]["logged_cost_usd"] == D("3.85")
    assert rows[(H7,)]["billed_usd"] == D("2.5") and rows[(H7,)]["usage_cost_usd"] == USAGE_O4


def test_a_day_never_synced_has_no_billed_figure(synced):
    # f, on 2026-11-05, after the sync window ended (cursor 2026-11-03): 1,000 × 2.50/M = 0.0025
    rows = reconcile.reconcile(synced, start=date(2026, 11, 5), end=date(2026, 11, 5))
    assert len(rows) == 1
    r = rows[0]
    assert (
        r["logged_cost_usd"] == D("0.0025") and r["billed_usd"] is None and r["drift_usd"] is None
    )
    assert r["usage_cost_usd"] is None and r["usage_requests"] is None
    assert "no Costs API data" in r["reason"] and "no Usage API data" in r["reason"]
    assert reconcile.reconcile(synced, start=date(2026, 11, 3), end=date(2026, 11, 4)) == []


def test_hourly_buckets_of_a_day_synced_daily_are_not_counted_twice(synced):
    bucket = copy.deepcopy(
        json.loads((FIX / "usage_completions_grouped_page.json").read_text())["data"][0]
    )
    bucket["end_time"] = bucket["start_time"] + 3600
    openai_usage.store_usage_page(synced, USAGE_KINDS["completions"], "1h", {"data": [bucket]})
    (row,) = reconcile.reconcile(synced, start=date(2026, 11, 1), end=date(2026, 11, 1), by="day")
    assert row["usage_requests"] == 612 + 20_000 + 118  # from the daily buckets only
    # a day that only has hourly buckets is read from them: move the hourly copy to 2026-11-02
    bucket["start_time"] += 86400
    bucket["end_time"] += 86400
    openai_usage.store_usage_page(synced, USAGE_KINDS["completions"], "1h", {"data": [bucket]})
    (row,) = reconcile.reconcile(synced, start=date(2026, 11, 2), end=date(2026, 11, 2), by="day")
    assert row["usage_requests"] == 20_730 and row["usage_cost_usd"] == D("6.877269961")


def test_usage_not_grouped_by_model_is_unpriced_not_zero(con):
    # usage_completions_page.json (spec example): 5 requests, model null → cannot be priced.
    body = json.loads((FIX / "usage_completions_page.json").read_text())
    openai_usage.store_usage_page(con, USAGE_KINDS["completions"], "1d", body)
    openai_usage.store_costs_page(con, json.loads((FIX / "costs_page.json").read_text()))
    (row,) = reconcile.reconcile(con, start=date(2024, 11, 1), end=date(2024, 11, 1), by="day")
    assert (
        row["usage_requests"] == 5
        and row["usage_unpriced_requests"] == 5
        and row["usage_cost_usd"] == 0
    )
    assert row["billed_usd"] == D("0.06") and row["drift_usd"] == D("0.06")
    assert "unpriced model: 5 requests" in row["reason"] and "not instrumented" in row["reason"]


def test_bad_by_is_refused(con):
    from spendwatch.errors import SpendwatchError

    with pytest.raises(SpendwatchError, match="unknown --by column 'feature'"):
        reconcile.reconcile(con, by="day,feature")


def test_cli_json_csv_table(synced, tmp_path):
    from spendwatch.cli import app

    db = synced.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()[0]
    synced.close()
    runner = CliRunner()
    args = ["reconcile", "--db", db, "--from", "2026-11-01", "--to", "2026-11-02"]
    r = runner.invoke(app, [*args, "--by", "model", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = by_key(json.loads(r.stdout, parse_float=D), "model")
    row = rows[("gpt-4o-mini-2024-07-18",)]
    for k in ("logged_cost_usd", "usage_cost_usd", "billed_usd", "drift_usd", "drift_pct"):
        assert k in row
    assert (
        row["logged_cost_usd"],
        row["usage_cost_usd"],
        row["billed_usd"],
        row["drift_usd"],
        row["drift_pct"],
    ) == (D("0.15"), D("1.070464725"), D("1.36806825"), D("1.21806825"), D("812.05"))
    r = runner.invoke(app, [*args, "--format", "csv"])
    assert r.exit_code == 0
    table = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(table[0])[:4] == ["day", "project", "model", "logged_requests"]
    assert {x["model"]: x["billed_usd"] for x in table}["gpt-4o-2024-08-06"] == "5.42732"
    r = runner.invoke(app, [*args, "--by", "day"])
    assert r.exit_code == 0 and "total" in r.stdout and "$9.30" in r.stdout
    r = runner.invoke(app, [*args, "--format", "yaml"])
    assert r.exit_code == 2


def test_reports_page_shows_the_reconciliation(synced, db_path, monkeypatch):
    """The Reports page for November 2026: logs beside the bill, figures by hand (see the top).

    Logged in November: a + b ($3.70) + c ($0.15) on the 1st, f on the 5th (1,000 × $2.50/M = $0.0025)
    = $3.8525. Billed (the 1st only): $5.42732 + $1.36806825 + $2.50 = $9.29538825. Drift is over the
    days with a bill: $9.29538825 − $3.85 = $5.44538825, 5.44538825 / 3.85 = +141.44 %.
    """
    from streamlit.testing.v1 import AppTest

    from spendwatch import runtime
    from tests.test_dashboard_pages import HARNESS, PAGES

    synced.close()
    runtime.reset()
    monkeypatch.setenv("SPENDWATCH_DB", str(db_path))
    at = AppTest.from_string(HARNESS, default_timeout=60)
    at.session_state["_test_page"] = str(PAGES / "reports.py")
    at.run()
    assert not at.exception, at.exception
    assert "Reconciliation with OpenAI's bill" in [h.value for h in at.subheader]
    m = {x.label: x for x in at.metric}
    assert m["Logged cost"].value == "$3.85"
    assert m["Billed (Costs API)"].value == "$9.30"
    assert m["Drift (billed − logged)"].value == "$5.45"
    assert m["Drift (billed − logged)"].delta == "+141.4 %"
    table = next(d.value for d in at.dataframe if "drift_usd" in d.value.columns)  # the Chargeback view follows
    assert [str(d) for d in table["day"]] == ["2026-11-01", "2026-11-05"]
    # numbers stay numeric in the table (column_config formats them as dollars)
    assert list(table["logged_cost_usd"]) == [3.85, 0.0025]
    assert list(table["billed_usd"].fillna(-1)) == [9.29538825, -1]  # the 5th was never synced
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert "Logged vs billed by day, November 2026" in titles

    at.radio(key="sw_reports_rec_by").set_value("model").run()
    assert not at.exception, at.exception
    by_model = next(d.value for d in at.dataframe if "drift_usd" in d.value.columns).set_index("model")
    assert by_model.loc["gpt-4o-2024-08-06", "billed_usd"] == 5.42732
    assert by_model.loc["gpt-4o-mini-2024-07-18", "logged_cost_usd"] == 0.15
    runtime.reset()
