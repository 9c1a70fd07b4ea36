"""Chargeback: the billed dollars split across logged requests, every figure worked out by hand from the
published prices (gpt-4o-2024-08-06: $2.50 input, $1.25 cached input, $10 output per 1M tokens;
gpt-5.4: $2.50 / $0.25 / $15)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest

from spendwatch import chargeback, demo, ingest, report
from spendwatch.collectors.openai_usage import store_costs_page
from tests.helpers import chat_record

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOW = datetime(2026, 12, 2, 9, 0)
NOV = chargeback.parse_month("2026-11")
P1, P2 = "proj_Zq3v8KkYl2mQwE4r", "proj_H7cT1nBvX9aR2sLp"


def _ingest(con, tmp_path: Path, *records: str) -> None:
    f = tmp_path / f"log{random.randrange(10**9)}.jsonl"
    f.write_text("\n".join(records) + "\n")
    ingest.ingest_file(con, f)


def _bill(con, day: str, project: str, item: str, amount: str) -> None:
    con.execute(
        "INSERT INTO cost_buckets (bucket_start, bucket_end, project_id, line_item, amount_usd) "
        "VALUES (?::TIMESTAMP, ?::TIMESTAMP + INTERVAL 1 DAY, ?, ?, ?)",
        [day, day, project, item, amount],
    )


@pytest.fixture
def recorded(con, tmp_path):
    """The recorded Costs API page (2026-11-01 and an empty 2026-11-02) and two logged features of P1."""
    store_costs_page(con, json.loads((FIXTURES / "costs_page_line_items.json").read_text()))
    con.execute(
        "INSERT INTO sync_state (source, cursor_ts) VALUES ('openai', '2026-11-03')"
    )  # as the sync leaves it
    _ingest(
        con,
        tmp_path,
        chat_record(
            "a1",
            "gpt-4o-2024-08-06",
            1000,
            100,
            feature="search",
            project_id=P1,
            ts="2026-11-01T10:00:00Z",
        ),
        chat_record(
            "b1",
            "gpt-4o-2024-08-06",
            4024,
            300,
            cached=1024,
            feature="chat",
            project_id=P1,
            ts="2026-11-01T11:00:00Z",
        ),
        chat_record(
            "x1",
            "gpt-4o-2024-08-06",
            5000,
            500,
            feature="chat",
            project_id=P1,
            ts="2026-11-03T11:00:00Z",
        ),
    )  # a day never synced: left out
    return con


def test_recorded_page_is_split_by_catalog_cost_of_each_part_and_sums_to_the_cent(recorded):
    cb = chargeback.chargeback(recorded, month=NOV, now=NOW, by="feature")
    got = {(r["feature"], r["project_id"], r["reason"]): r for r in cb.rows}
    # input $2.02148: search 1000 and chat 3000 uncached tokens at $2.50 → 1:3 → 0.50537 / 1.51611
    # cached input $1.2824: only chat cached (1024 tokens) → chat 1.2824
    # output $2.12344: 100 vs 300 tokens at $10 → 1:3 → 0.53086 / 1.59258
    # search 1.03623, chat 4.39109; gpt-4o-mini input $1.36806825 (nothing logged) and web search $2.50 on P2
    # stay whole, "not instrumented". Billed 9.29538825 → $9.30. Floors 1.03 + 4.39 + 1.36 + 2.50 = 9.28; the
    # two missing cents go to the largest remainders: mini .00806825, then search .00623.
    assert got[("search", P1, None)]["billed_usd"] == D("1.04")
    assert got[("chat", P1, None)]["billed_usd"] == D("4.39")
    assert got[(None, P1, "not instrumented")]["billed_usd"] == D("1.37")
    assert got[(None, P2, "not instrumented")]["billed_usd"] == D("2.50")
    assert sum(r["billed_usd"] for r in cb.rows) == D("9.30")
    assert cb.billed_usd == D("9.29538825")
    # logged cost: search 1000×2.5 + 100×10 per 1M = 0.0035; chat 3000×2.5 + 1024×1.25 + 300×10 = 0.01178
    assert got[("search", P1, None)]["logged_cost_usd"] == D("0.0035")
    assert got[("chat", P1, None)]["logged_cost_usd"] == D("0.01178")
    assert got[("chat", P1, None)]["requests"] == 1  # x1 lies on an unsynced day
    assert (
        cb.unsynced_days[0].isoformat() == "2026-11-03"
        and cb.unsynced_days[-1].isoformat() == "2026-11-30"
    )
    h = cb.headline
    assert h["allocated_usd"] == D("5.43") and h["allocated_pct"] == D("58.4")  # 5.43 / 9.30
    assert h["unallocated_usd"]["not instrumented"] == D("3.87")


def test_a_negotiated_discount_spreads_evenly(con, tmp_path):
    _ingest(
        con,
        tmp_path,
        chat_record(
            "a",
            "gpt-4o-2024-08-06",
            2_000_000,
            0,
            feature="a",
            project_id="p",
            ts="2026-11-05T01:00:00Z",
        ),
        chat_record(
            "b",
            "gpt-4o-2024-08-06",
            6_000_000,
            0,
            feature="b",
            project_id="p",
            ts="2026-11-05T02:00:00Z",
        ),
    )
    # catalog: a $5.00, b $15.00; billed 20 % off: $16.00 → a $4.00, b $12.00 (each 80 % of its catalog cost)
    _bill(con, "2026-11-05", "p", "gpt-4o-2024-08-06, input", "16.00")
    rows = chargeback.chargeback(con, month=NOV, now=NOW).rows
    assert [(r["feature"], r["billed_usd"], r["logged_cost_usd"]) for r in rows] == [
        ("b", D("12.00"), D("15")),
        ("a", D("4.00"), D("5")),
    ]


def test_unpriced_org_level_and_long_context(con, tmp_path):
    _ingest(
        con,
        tmp_path,
        chat_record(
            "u", "acme-llm-v2", 1000, 10, feature="exp", project_id="p", ts="2026-11-05T01:00:00Z"
        ),
        chat_record(
            "short",
            "gpt-5.4",
            10_000,
            0,
            feature="short",
            project_id="p",
            ts="2026-11-05T01:00:00Z",
        ),
        chat_record(
            "long1",
            "gpt-5.4",
            300_000,
            0,
            feature="long",
            project_id="p",
            ts="2026-11-05T02:00:00Z",
        ),
        chat_record(
            "long2",
            "gpt-5.4",
            300_000,
            0,
            feature="agent",
            project_id="p",
            ts="2026-11-05T02:00:00Z",
        ),
    )
    _bill(con, "2026-11-05", "p", "acme-llm-v2, input", "0.40")
    _bill(con, "2026-11-05", "", "Vector storage", "3.10")
    _bill(con, "2026-11-05", "p", "gpt-5.4, input", "0.02")
    _bill(con, "2026-11-05", "p", "gpt-5.4, input, long context", "3.00")
    got = {
        (r["feature"], r["reason"]): r for r in chargeback.chargeback(con, month=NOV, now=NOW).rows
    }
    # the long-context line item goes only to the two >272K requests, 1:1 → $1.50 each; the ordinary
    # input line item only to the short one
    assert got[("long", None)]["billed_usd"] == D("1.50") and got[("agent", None)][
        "billed_usd"
    ] == D("1.50")
    assert got[("short", None)]["billed_usd"] == D("0.02")
    assert got[(None, "unpriced model")]["billed_usd"] == D("0.40")
    assert (
        got[(None, "unpriced model")]["requests"] == 1
        and got[(None, "unpriced model")]["logged_cost_usd"] is None
    )
    assert (
        got[(None, "org-level")]["billed_usd"] == D("3.10")
        and got[(None, "org-level")]["project_id"] is None
    )


def test_priority_line_items_go_to_priority_requests(con, tmp_path):
    _ingest(
        con,
        tmp_path,
        chat_record(
            "s",
            "gpt-4o-2024-08-06",
            1000,
            0,
            feature="std",
            project_id="p",
            ts="2026-11-05T01:00:00Z",
        ),
        chat_record(
            "q",
            "gpt-4o-2024-08-06",
            1000,
            0,
            feature="prio",
            project_id="p",
            service_tier="priority",
            ts="2026-11-05T01:00:00Z",
        ),
    )
    _bill(con, "2026-11-05", "p", "gpt-4o-2024-08-06, input", "1.00")
    _bill(con, "2026-11-05", "p", "priority | gpt-4o-2024-08-06, input", "2.00")
    got = {
        r["feature"]: r["billed_usd"] for r in chargeback.chargeback(con, month=NOV, now=NOW).rows
    }
    assert got == {"std": D("1.00"), "prio": D("2.00")}


def test_largest_remainder_always_sums_to_the_rounded_total():
    rng = random.Random(17)
    for _ in range(300):
        rows = [
            {"billed_usd": D(rng.randrange(-(10**9), 10**12)) / D(10**9)}
            for _ in range(rng.randrange(1, 40))
        ]
        total = sum(r["billed_usd"] for r in rows)
        out = chargeback.round_rows(rows, total)
        assert sum(r["billed_usd"] for r in out) == total.quantize(
            D("0.01"), rounding="ROUND_HALF_UP"
        )
        assert all(
            abs(o["billed_usd"] - r["billed_usd"]) < D("0.01")
            for o, r in zip(out, rows, strict=True)
        )


def test_line_items_parse():
    c = chargeback.classify

    def mpt(text):
        li = c(text)
        return li.model, li.part, li.tier

    assert mpt("gpt-4o-2024-08-06, cached input") == (
        "gpt-4o-2024-08-06",
        "cached_input",
        "standard",
    )
    assert mpt("priority | gpt-5, output") == ("gpt-5", "output", "priority")
    li = c("gpt-5.4, input, long context")
    assert (li.model, li.part, li.long_context) == ("gpt-5.4", "input", True)
    assert c("Vector storage").part == "org" and c("web search tool calls").part == "web_search"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "spendwatch", *args], capture_output=True, text=True
    )


def test_cli_json_shape_cost_centres_inert_and_never_synced(recorded, db_path, tmp_path):
    recorded.close()
    cfg = tmp_path / "sw.toml"
    cfg.write_text(
        '[cost_centres]\nsearch = "=HYPERLINK(\\"http://x\\")"\nchat = "<b>Support</b>"\n'
    )
    r = _cli(
        "chargeback",
        "--month",
        "2026-11",
        "--by",
        "cost_centre",
        "--format",
        "json",
        "--db",
        str(db_path),
        "--config",
        str(cfg),
    )
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert all(
        list(row)
        == ["cost_centre", "project_id", "reason", "billed_usd", "logged_cost_usd", "requests"]
        for row in rows
    )
    assert {row["cost_centre"] for row in rows} == {
        '=HYPERLINK("http://x")',
        "<b>Support</b>",
        None,
    }
    assert "not synced, left out: 2026-11-03" in r.stderr
    xlsx = tmp_path / "cb.xlsx"
    r = _cli(
        "chargeback",
        "--month",
        "2026-11",
        "--by",
        "cost_centre",
        "--format",
        "xlsx",
        "-o",
        str(xlsx),
        "--db",
        str(db_path),
        "--config",
        str(cfg),
    )
    assert r.returncode == 0, r.stderr
    cells = [c.value for row in openpyxl.load_workbook(xlsx).active.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x")' in cells and not any(
        isinstance(v, str) and v.startswith("=") for v in cells
    )
    r = _cli(
        "chargeback",
        "--month",
        "2026-11",
        "--by",
        "cost_centre",
        "--format",
        "csv",
        "--db",
        str(db_path),
        "--config",
        str(cfg),
    )
    assert '"\'=HYPERLINK(""http://x"")"' in r.stdout
    r = _cli("chargeback", "--month", "2026-11", "--db", str(db_path))
    assert r.returncode == 0 and "billed $9.30" in r.stdout and "owes" in r.stdout
    r = _cli("chargeback", "--month", "2026-10", "--db", str(db_path))
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "spendwatch sync openai" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_demo_writes_a_bill_that_chargeback_allocates(con):
    demo.generate(con, days=40, seed=5, now=NOW)
    assert con.execute(
        "SELECT DISTINCT source FROM cost_buckets UNION SELECT DISTINCT source FROM usage_buckets"
    ).fetchall() == [("demo",)]
    cb = chargeback.chargeback(con, month=NOV, now=NOW, by="feature")
    assert cb.unsynced_days == [] and not cb.in_progress
    got = {(r["feature"], r["project_id"], r["reason"]): r for r in cb.rows}
    # 30 days of vector storage at $1.20 and of 180 web search calls at $10 per 1k ($1.80)
    assert got[(None, None, "org-level")]["billed_usd"] == D("36.00")
    assert got[(None, "proj_web", "not instrumented")]["billed_usd"] == D("54.00")
    assert got[(None, demo.LEGACY_PROJECT, "not instrumented")]["billed_usd"] > 0
    # gpt-4o is billed 15 % off: search (partly gpt-4o) pays less than its list price, summarize (gpt-4.1) the same
    assert (
        got[("search", "proj_web", None)]["billed_usd"]
        < got[("search", "proj_web", None)]["logged_cost_usd"]
    )
    s = got[("summarize", "proj_data", None)]
    assert abs(s["billed_usd"] - s["logged_cost_usd"]) < D("0.01")
    assert sum(r["billed_usd"] for r in cb.rows) == cb.billed_usd.quantize(D("0.01"))
    # the logged cost of the rows is exactly `spendwatch report`'s over the month (failed requests cost $0)
    (total,) = report.spend_report(con, by=[], start=NOV, end=date(2026, 11, 30))
    assert sum(r["logged_cost_usd"] or 0 for r in cb.rows) == total["cost_usd"]
    assert demo.generate(con, days=40, seed=5, now=NOW) == 0
    assert (
        chargeback.chargeback(con, month=NOV, now=NOW, by="feature").rows == cb.rows
    )  # rewritten, not doubled


def test_reports_page_shows_the_chargeback(recorded, db_path, monkeypatch):
    """The Chargeback view at the end of the Reports page: the figures of the recorded page above."""
    from streamlit.testing.v1 import AppTest

    from spendwatch import runtime
    from tests.test_dashboard_pages import HARNESS, PAGES

    recorded.close()
    runtime.reset()
    monkeypatch.setenv("SPENDWATCH_DB", str(db_path))
    at = AppTest.from_string(HARNESS, default_timeout=60)
    at.session_state["_test_page"] = str(PAGES / "reports.py")
    at.session_state["sw_reports_cb_by"] = "feature"
    at.run()
    assert not at.exception, at.exception
    assert "Chargeback: the bill allocated" in [h.value for h in at.subheader]
    m = {x.label: x for x in at.metric}
    assert m["Billed"].value == "$9.30" and m["Allocated to a feature"].value == "$5.43"
    assert (
        m["Allocated to a feature"].delta == "58.4 % of billed"
        and m["Not allocated"].value == "$3.87"
    )
    table = at.dataframe[-1].value
    assert list(table["feature"][:2]) == ["chat", "search"] and list(table["billed_usd"][:2]) == [
        "$4.39",
        "$1.04",
    ]
    assert any("not synced" in w.value for w in at.warning)
