"""The finance Reports page (issue 17 item 4, issue 16 item 3's files): periods, the two-dimension
pivot, unpriced never $0.00 on screen or in CSV/XLSX, and the cost-centre mapping saved with who/when.

Seed (UTC; published prices per 1M tokens: gpt-4o $2.50 in / $10 out, gpt-4o-mini $0.15 / $0.60;
in-house-model has no price). The clock is pinned at 2026-12-02 10:00, so November is the last
complete month and December is in progress.

  2026-10-05 r1 search   gpt-4o          1M in, 1M out:      2.50 + 10.00         =    $12.50
  2026-10-06 r2 chat     gpt-4o-mini     1M in, 1M out:      0.15 + 0.60          =     $0.75
  2026-10-07 r3 labs     in-house-model  10 in, 10 out:      unpriced
  2026-10-08 r7 @SUM(1)  in-house-model  5 in, 5 out:        unpriced
  2026-11-03 r4 search   gpt-4o-mini     1M in, 1M out:      0.15 + 0.60          =     $0.75
  2026-11-04 r5 search   gpt-4o          100M in, 100M out:  250.00 + 1,000.00    = $1,250.00
  2026-12-01 r6 chat     gpt-4o          1M in, 0 out:       2.50                 =     $2.50

  October $13.25 (4 requests, 2 unpriced); November $1,250.75 (2 requests);
  Q4 2026 = 13.25 + 1,250.75 + 2.50 = $1,266.50 (7 requests, 2 unpriced).
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from spendwatch import analytics, cost_centres, ingest, period_report, runtime, store
from spendwatch.errors import SpendwatchError
from spendwatch.pricing import catalog
from tests.helpers import chat_record

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "dashboard" / "views" / "reports.py"
NOW = datetime(2026, 12, 2, 10, 0)
HARNESS = """
import runpy
import streamlit as st
from spendwatch.dashboard import sidebar
sidebar.render()
runpy.run_path(st.session_state["_test_page"], run_name="__main__")
"""
COLS = [
    "cost_centre",
    "model",
    "requests",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "cost_usd",
    "unpriced_requests",
]


@pytest.fixture(autouse=True)
def _fresh_runtime():
    runtime.reset()
    yield
    runtime.reset()


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "r.duckdb"
    con = store.connect(path)
    catalog.materialise(con)
    lines = [
        chat_record(
            "r1", "gpt-4o", 1_000_000, 1_000_000, ts="2026-10-05T12:00:00Z", feature="search"
        ),
        chat_record(
            "r2", "gpt-4o-mini", 1_000_000, 1_000_000, ts="2026-10-06T12:00:00Z", feature="chat"
        ),
        chat_record("r3", "in-house-model", 10, 10, ts="2026-10-07T12:00:00Z", feature="labs"),
        chat_record("r7", "in-house-model", 5, 5, ts="2026-10-08T12:00:00Z", feature="@SUM(1)"),
        chat_record(
            "r4", "gpt-4o-mini", 1_000_000, 1_000_000, ts="2026-11-03T12:00:00Z", feature="search"
        ),
        chat_record(
            "r5", "gpt-4o", 100_000_000, 100_000_000, ts="2026-11-04T12:00:00Z", feature="search"
        ),
        chat_record("r6", "gpt-4o", 1_000_000, 0, ts="2026-12-01T12:00:00Z", feature="chat"),
    ]
    ingest.ingest_lines(con, lines, source="file:/seed.jsonl", kind="file")
    con.close()
    return path


def _app(db: Path, monkeypatch, *, config: str = "", state: dict | None = None) -> AppTest:
    monkeypatch.setenv("SPENDWATCH_DB", str(db))
    cfg = db.with_suffix(".toml")
    cfg.write_text(config)
    monkeypatch.setenv("SPENDWATCH_CONFIG", str(cfg))
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_string(HARNESS, default_timeout=60)
    at.session_state["_test_page"] = str(PAGE)
    at.session_state["_sw_now"] = NOW
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_periods():
    assert period_report.last_complete_month(NOW) == date(2026, 11, 1)
    assert period_report.last_complete_month(datetime(2026, 1, 1)) == date(2025, 12, 1)
    assert period_report.month_label(date(2026, 12, 1), NOW) == "December 2026 (in progress)"
    assert period_report.month_label(date(2026, 11, 1), NOW) == "November 2026"
    assert period_report.quarter_window((2026, 4)) == (datetime(2026, 10, 1), datetime(2027, 1, 1))
    assert period_report.quarter_window((2026, 1)) == (datetime(2026, 1, 1), datetime(2026, 4, 1))
    assert period_report.range_window(date(2026, 10, 31), date(2026, 10, 5)) == (
        datetime(2026, 10, 5),
        datetime(2026, 11, 1),
    )


def test_page_opens_on_the_last_complete_month_with_separators(db, monkeypatch):
    at = _app(db, monkeypatch)
    assert at.selectbox(key="sw_reports_month").value == date(2026, 11, 1)
    m = _metrics(at)
    assert "November 2026" in [h.value for h in at.subheader]
    assert m["Total for the month"] == "$1,250.75"  # 0.75 + 1,250.00
    assert m["Requests"] == "2"
    assert list(at.selectbox(key="sw_reports_month").options) == [
        "December 2026 (in progress)",
        "November 2026",
        "October 2026",
    ]
    assert not at.warning  # November has ended

    at.selectbox(key="sw_reports_month").set_value(date(2026, 12, 1)).run()
    assert "in progress" in at.warning[0].value
    assert "December 2026 (in progress)" in [h.value for h in at.subheader]
    assert _metrics(at)["Total for the month"] == "$2.50"


def test_quarter_and_date_range(db, monkeypatch):
    at = _app(db, monkeypatch)
    at.radio(key="sw_reports_period").set_value("quarter").run()
    m = _metrics(at)
    assert "Q4 2026 (in progress)" in [h.value for h in at.subheader]
    assert m["Total for the quarter"] == "$1,266.50"  # 13.25 + 1,250.75 + 2.50
    assert m["Requests"] == "7" and m["Unpriced requests"] == "2"
    assert any("per month" in c.value for c in at.caption)  # no reconciliation for a quarter

    at.radio(key="sw_reports_period").set_value("range").run()
    at.date_input(key="sw_reports_days").set_value((date(2026, 10, 6), date(2026, 11, 3))).run()
    # r2 0.75 + r3, r7 unpriced + r4 0.75 = $1.50
    assert "06 Oct 2026 – 03 Nov 2026" in [h.value for h in at.subheader]
    assert _metrics(at)["Total for the period"] == "$1.50"


def test_pivot_cost_centre_by_model_unpriced_and_toml_wins(db, monkeypatch):
    con = store.connect(db)
    # saved before the TOML named search: the TOML line wins for search, chat keeps the saved one
    cost_centres.save(
        con,
        {"search": "Other", "chat": "Support"},
        by="ann@example.com",
        at=datetime(2026, 11, 30, 9),
    )
    con.close()
    at = _app(
        db,
        monkeypatch,
        config='[cost_centres]\nsearch = "Growth"\n',
        state={
            "sw_reports_month": date(2026, 10, 1),
            "sw_reports_by": "cost_centre",
            "sw_reports_cols": "model",
        },
    )
    df = at.dataframe[0].value
    assert list(df["cost_centre"]) == ["Growth", "Support", "(unassigned)", "Total"]
    assert list(df["c0"].fillna(-1)) == [12.50, -1, -1, 12.50]  # gpt-4o: r1 $12.50
    assert list(df["c1"].fillna(-1)) == [-1, 0.75, -1, 0.75]  # gpt-4o-mini: r2 $0.75
    assert list(df["c2"].fillna(-1)) == [-1, -1, -1, -1]  # in-house-model: unpriced, never $0
    assert list(df["cost_usd"].fillna(-1)) == [12.50, 0.75, -1, 13.25]
    # r3 labs and r7 @SUM(1) have no price
    assert list(df["unpriced"]) == ["", "", "unpriced (2 requests)", "unpriced (2 requests)"]
    cfg = at.dataframe[0].proto.columns
    assert "in-house-model" in cfg and "gpt-4o-mini" in cfg and "Unpriced" in cfg
    saved = at.dataframe[-1].value  # the mapping editor (everyone may edit: no [access])
    assert "chat" in list(saved["feature"]) and "search" not in list(saved["feature"])
    assert [b.label for b in at.button] == ["Save cost centre"]


def test_an_editor_saves_a_cost_centre_on_the_page(db, monkeypatch):
    at = _app(
        db,
        monkeypatch,
        config='[access]\neditors = ["boss@example.com"]\n[cost_centres]\nsearch = "Growth"\n',
        state={"sw_reports_month": date(2026, 10, 1), "sw_reports_by": "cost_centre"},
    )
    at.user = {"is_logged_in": True, "email": "boss@example.com"}
    at.run()
    assert list(at.selectbox(key="_reports_cc_feature").options) == [
        "@SUM(1)",
        "chat",
        "labs",
    ]  # search: TOML
    at.selectbox(key="_reports_cc_feature").set_value("chat")
    at.text_input(key="_reports_cc_centre").set_value("Support")
    at.button(key="_reports_cc_save").click().run()
    assert not at.exception, at.exception
    assert any("Saved: chat" in s.value for s in at.success)
    # October: Growth r1 $12.50, Support r2 $0.75, the unpriced rest unassigned
    df = at.dataframe[0].value
    assert list(df["cost_centre"]) == ["Growth", "Support", "(unassigned)", "Total"]
    assert list(df["cost_usd"].fillna(-1)) == [12.50, 0.75, -1, 13.25]
    con = store.connect(db)
    [line] = cost_centres.saved(con)
    con.close()
    assert (line["feature"], line["cost_centre"], line["updated_by"]) == (
        "chat",
        "Support",
        "boss@example.com",
    )
    assert line["updated_at"] == NOW


def test_only_editors_change_cost_centres(db, monkeypatch):
    at = _app(db, monkeypatch, config='[access]\neditors = ["boss@example.com"]\n')
    assert any("Read-only" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Save cost centre"]


def test_save_records_who_and_when_and_refuses_toml_features(db):
    con = store.connect(db)
    at = datetime(2026, 12, 2, 9, 30)
    assert cost_centres.save(
        con, {"chat": "Support", "labs": "R&D"}, by="ann@example.com", at=at
    ) == ["chat", "labs"]
    assert cost_centres.save(
        con, {"chat": "Support", "labs": None}, by="bob@example.com", at=at
    ) == ["labs"]
    assert cost_centres.saved(con) == [
        {
            "feature": "chat",
            "cost_centre": "Support",
            "updated_by": "ann@example.com",
            "updated_at": at,
        }
    ]
    with pytest.raises(SpendwatchError, match="TOML"):
        cost_centres.save(
            con, {"search": "X"}, by="ann@example.com", at=at, toml_centres={"search": "Growth"}
        )
    assert cost_centres.effective(con, {"chat": "Platform"}) == {"chat": "Platform"}
    con.close()


def test_files_leave_an_unpriced_cost_blank_with_its_count(db):
    con = store.connect(db)
    rows = period_report.rows(
        con,
        start=datetime(2026, 10, 1),
        end=datetime(2026, 11, 1),
        by=["cost_centre", "model"],
        cost_centres={"search": "Growth", "chat": "Support"},
    )
    con.close()
    text = analytics.report_bytes(rows, columns=COLS, fmt="csv").decode()
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == COLS
    # (unassigned) × in-house-model: r3 10+10 and r7 5+5 tokens, both unpriced: blank cost, count 2
    assert ["(unassigned)", "in-house-model", "2", "15", "0", "15", "", "2"] in lines
    assert ["Growth", "gpt-4o", "1", "1000000", "0", "1000000", "12.5", "0"] in lines

    wb = openpyxl.load_workbook(
        io.BytesIO(analytics.report_bytes(rows, columns=COLS, fmt="xlsx", title="t"))
    )
    ws = wb.active
    body = [[c.value for c in r] for r in ws.iter_rows(min_row=4, max_row=ws.max_row - 1)]
    unpriced = next(r for r in body if r[1] == "in-house-model")
    assert (
        unpriced[COLS.index("cost_usd")] is None and unpriced[COLS.index("unpriced_requests")] == 2
    )
    total = [c.value for c in ws[ws.max_row]]
    assert total[COLS.index("cost_usd")] == pytest.approx(13.25)  # 12.50 + 0.75


def test_cli_report_csv_blank_unpriced_and_formula_safe(db, tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "spendwatch",
            "report",
            "--db",
            str(db),
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
            "--by",
            "feature",
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    lines = list(csv.reader(io.StringIO(out)))
    assert ["labs", "1", "10", "0", "10", "", "1"] in lines
    assert ["'@SUM(1)", "1", "5", "0", "5", "", "1"] in lines  # neutralised, and blank, never 0.00
    assert ["search", "1", "1000000", "0", "1000000", "12.5", "0"] in lines
    xlsx = tmp_path / "r.xlsx"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "spendwatch",
            "report",
            "--db",
            str(db),
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
            "--by",
            "feature",
            "--format",
            "xlsx",
            "-o",
            str(xlsx),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    ws = openpyxl.load_workbook(xlsx).active
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["labs"][5] is None and rows["labs"][6] == 1
    assert Decimal(str(rows["search"][5])) == Decimal("12.5")


def test_chargeback_cli_uses_the_saved_mapping_with_the_toml_winning(tmp_path):
    """The recorded Costs API page of tests/test_chargeback.py (figures worked out there by hand):
    search is owed $1.04 and chat $4.39 of 2026-11-01's bill."""
    import json

    from spendwatch.collectors.openai_usage import store_costs_page

    path = tmp_path / "cb.duckdb"
    con = store.connect(path)
    catalog.materialise(con)
    fixtures = Path(__file__).resolve().parent / "fixtures"
    store_costs_page(con, json.loads((fixtures / "costs_page_line_items.json").read_text()))
    con.execute("INSERT INTO sync_state (source, cursor_ts) VALUES ('openai', '2026-11-03')")
    p1 = "proj_Zq3v8KkYl2mQwE4r"
    lines = [
        chat_record(
            "a1",
            "gpt-4o-2024-08-06",
            1000,
            100,
            feature="search",
            project_id=p1,
            ts="2026-11-01T10:00:00Z",
        ),
        chat_record(
            "b1",
            "gpt-4o-2024-08-06",
            4024,
            300,
            cached=1024,
            feature="chat",
            project_id=p1,
            ts="2026-11-01T11:00:00Z",
        ),
    ]
    ingest.ingest_lines(con, lines, source="t")
    cost_centres.save(con, {"search": "Saved", "chat": "Support"}, by="ann@example.com", at=NOW)
    con.close()
    cfg = tmp_path / "sw.toml"
    cfg.write_text('[cost_centres]\nsearch = "Growth"\n')
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "spendwatch",
            "chargeback",
            "--month",
            "2026-11",
            "--by",
            "cost_centre",
            "--format",
            "json",
            "--db",
            str(path),
            "--config",
            str(cfg),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    owed = {
        row["cost_centre"]: Decimal(str(row["billed_usd"]))
        for row in json.loads(r.stdout)
        if row["cost_centre"]
    }
    assert owed == {"Growth": Decimal("1.04"), "Support": Decimal("4.39")}


def test_the_sidebar_filters_apply_to_the_report(db, monkeypatch):
    """With a feature chosen in the sidebar the report and its chart rows hold that feature
    only; unticking the box gives all traffic again. Q4 search: r1 12.50 + r4 0.75 + r5 1,250.00."""
    at = _app(db, monkeypatch, state={"sw_feature": ["search"]})
    at.radio(key="sw_reports_period").set_value("quarter").run()
    m = _metrics(at)
    assert m["Total for the quarter, filtered"] == "$1,263.25"
    assert m["Requests"] == "3" and m["Unpriced requests"] == "0"
    assert any("Filtered by the sidebar: feature: search" in c.value for c in at.caption)
    assert at.checkbox(key="sw_reports_filtered").value is True
    at.checkbox(key="sw_reports_filtered").uncheck().run()
    assert _metrics(at)["Total for the quarter"] == "$1,266.50"


def test_period_rows_take_the_value_filters(db):
    con = store.connect(db, read_only=True)
    start, end = period_report.quarter_window((2026, 4))
    rows = period_report.rows(con, start=start, end=end, by=["model"], values={"features": ("search",)})
    assert [(r["model"], r["cost_usd"], r["requests"]) for r in rows] == [
        ("gpt-4o", Decimal("1262.5"), 2),  # r1 12.50 + r5 1,250.00
        ("gpt-4o-mini", Decimal("0.75"), 1),  # r4
    ]
    by_model = period_report.rows(con, start=start, end=end, by=["feature"], values={"models": ("in-house-model",)})
    assert {r["feature"]: (r["requests"], r["unpriced_requests"]) for r in by_model} == {"labs": (1, 1),
                                                                                          "@SUM(1)": (1, 1)}
    con.close()


def test_no_filter_box_without_sidebar_filters(db, monkeypatch):
    at = _app(db, monkeypatch)
    assert not [c for c in at.checkbox if c.key == "sw_reports_filtered"]
    assert any("All traffic: the same rows and totals as `spendwatch report`" in c.value for c in at.caption)
