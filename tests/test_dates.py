"""Issue 13: a date means the same thing in every command, an empty window says so, nothing is dated
in the future unnoticed, and no result depends on the day the test runs (jobs get `now` passed in).

Prices (FACTS.md §8, per 1M tokens): gpt-4o $2.50 input / $10.00 output, gpt-4o-mini $0.15 / $0.60.
Day 2026-11-10 holds a (1M in, 100k out on gpt-4o: $2.50 + $1.00 = $3.50) at 00:00:00 and
b (2M in on gpt-4o: $5.00) at 23:59:59 — $8.50; c (next day) and d (day before) lie outside it.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import datetime
from decimal import Decimal as D

import pytest

from spendwatch import demo, health, ingest, scheduler
from tests.helpers import chat_record

DAY_TOTAL = D("8.50")
# the same two requests on gpt-4o-mini: a 1M x $0.15 + 100k x $0.60 = $0.21; b 2M x $0.15 = $0.30
DAY_ON_MINI = D("0.51")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spendwatch", *args], capture_output=True, text=True)


@pytest.fixture
def seeded(tmp_path):
    f = tmp_path / "log.jsonl"
    f.write_text("\n".join([
        chat_record("a", "gpt-4o", 1_000_000, 100_000, ts="2026-11-10T00:00:00Z"),
        chat_record("b", "gpt-4o", 2_000_000, 0, ts="2026-11-10T23:59:59Z"),
        chat_record("c", "gpt-4o", 1_000_000, 0, ts="2026-11-11T00:00:00Z"),
        chat_record("d", "gpt-4o-mini", 1_000_000, 1_000_000, ts="2026-11-09T23:59:59Z"),
    ]) + "\n")
    db = tmp_path / "d.duckdb"
    assert _cli("ingest", str(f), "--db", str(db)).returncode == 0
    return str(db)


def _json(r: subprocess.CompletedProcess):
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout, parse_float=D)


@pytest.mark.parametrize("names", [("--from", "--to"), ("--from-date", "--to-date")])
def test_report_one_day_both_spellings(seeded, names):
    rows = _json(_cli("report", "--db", seeded, "--by", "day", names[0], "2026-11-10", names[1], "2026-11-10",
                      "--format", "json"))
    assert [(r["day"], r["requests"], r["cost_usd"]) for r in rows] == [("2026-11-10", 2, DAY_TOTAL)]


def test_whatif_one_day_is_the_report_day(seeded):
    # the old `--to-date` was exclusive: the same day priced nothing and printed $0.00
    out = _json(_cli("whatif", "--db", seeded, "--to", "gpt-4o-mini", "--from-date", "2026-11-10",
                     "--to-date", "2026-11-10", "--format", "json"))
    assert out["current_cost_usd"] == DAY_TOTAL
    assert out["simulated_cost_usd"] == DAY_ON_MINI
    assert sum(r["requests"] for r in out["rows"]) == 2


def test_recommend_one_day_prices_the_report_day(seeded):
    rows = _json(_cli("recommend", "--db", seeded, "--from-date", "2026-11-10", "--to-date", "2026-11-10",
                      "--format", "json"))
    mini = [r for r in rows if r["kind"] == "cheaper model" and r["to"] == "gpt-4o-mini"]
    # one day of savings ($8.50 - $0.51) scaled to a 30-day month
    assert [r["monthly_savings_usd"] for r in mini] == [(DAY_TOTAL - DAY_ON_MINI) * 30]


def test_reconcile_one_day_logs_the_report_day(seeded):
    rows = _json(_cli("reconcile", "--db", seeded, "--by", "day", "--from-date", "2026-11-10",
                      "--to-date", "2026-11-10", "--format", "json"))
    assert [(r["day"], r["logged_requests"], r["logged_cost_usd"]) for r in rows] == [("2026-11-10", 2, DAY_TOTAL)]


@pytest.mark.parametrize("cmd", [
    ["report"], ["whatif", "--to", "gpt-4o-mini"], ["recommend"], ["reconcile"],
])
def test_an_empty_window_says_where_the_data_is(seeded, cmd):
    r = _cli(*cmd, "--db", seeded, "--from-date", "2026-10-01", "--to-date", "2026-10-28")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith(
        "no requests between 2026-10-01 and 2026-10-28; stored requests run from 2026-11-09 to 2026-11-11")
    assert "$0.00" not in r.stdout and len(r.stdout.strip().split("\n")) == 1


def test_empty_window_in_json_keeps_stdout_valid(seeded):
    r = _cli("report", "--db", seeded, "--from-date", "2026-12-01", "--to-date", "2026-12-01", "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout) == []
    assert r.stderr.strip() == "no requests on 2026-12-01; stored requests run from 2026-11-09 to 2026-11-11"


@pytest.mark.parametrize("args", [
    ["report", "--from-date", "0001-01-01"],
    ["report", "--from-date", "2026-11-11", "--to-date", "2026-11-10"],
    ["whatif", "--to", "gpt-4o-mini", "--from-date", "2026-11-11", "--to-date", "2026-11-10"],
    ["whatif", "--to", "gpt-4o-mini", "--share", "nan"],
    ["whatif", "--to", "gpt-4o-mini", "--escalate", "1e308"],
    ["whatif", "--to", "gpt-4o-mini", "--output-ratio", "1e308"],
    ["whatif", "--to", "gpt-4o-mini", "--cache-hit", "-inf"],
    ["recommend", "--days", "1000000"],
    ["alerts", "check", "--at", "9999-12-31"],
])
def test_hostile_dates_and_levers_are_one_usage_line(seeded, args):
    r = _cli(*args, "--db", seeded)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr


def test_report_to_the_last_representable_day_is_everything(seeded):
    rows = _json(_cli("report", "--db", seeded, "--to", "9998-12-31", "--by", "", "--format", "json"))
    assert rows[0]["requests"] == 4


def test_version():
    from spendwatch import __version__

    r = _cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"spendwatch {__version__}"


# -- requests from the future ---------------------------------------------------------------------

NOW = datetime(2026, 11, 10, 12, 0)


def _future_file(path, *, broken: bool):
    lines = [
        chat_record("ok", "gpt-4o", 10, 1, ts="2026-11-10T12:04:59Z"),     # within the 5-minute skew
        chat_record("skew", "gpt-4o", 10, 1, ts="2026-11-10T12:05:01Z"),   # 5 min 1 s ahead
        chat_record("far", "gpt-4o", 10, 1, ts="2027-01-01T00:00:00Z"),
        chat_record("tz", "gpt-4o", 10, 1, ts="2026-11-10T13:30:00+02:00"),  # 11:30 UTC: in the past
    ]
    if broken:
        lines.append("{not json")
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("broken", [False, True], ids=["fast-path", "line-path"])
def test_future_requests_are_kept_and_counted(con, tmp_path, broken):
    f = tmp_path / "f.jsonl"
    _future_file(f, broken=broken)
    r = ingest.ingest_file(con, f, now=NOW)
    assert (r.ingested, r.future, r.quarantined) == (4, 2, int(broken))
    assert r.summary().startswith(f"4 ingested, 0 duplicates skipped, {int(broken)} quarantined, "
                                  "2 dated more than 5 minutes in the future")
    assert con.execute("SELECT count(*) FROM requests").fetchone()[0] == 4  # kept, not hidden
    assert health.future_timestamps(con)["requests"] == 2
    again = ingest.ingest_file(con, f, now=NOW)  # duplicates are not counted twice
    assert (again.ingested, again.future) == (0, 0) and health.future_timestamps(con)["requests"] == 2


def test_spool_drain_counts_future_records(con, tmp_path):
    from spendwatch.collectors.spool import drain

    d = tmp_path / "spool"
    d.mkdir()
    _future_file(d / "host-1-2-000001.jsonl", broken=False)
    assert drain(con, d, now=NOW).future == 2


def test_demo_writes_nothing_after_now(con):
    now = datetime(2026, 12, 2, 0, 10)
    n = demo.generate(con, days=3, now=now)
    last, in_hour = con.execute(
        "SELECT max(ts), count(*) FILTER (WHERE ts >= '2026-12-02') FROM requests").fetchall()[0]
    assert n > 0 and last <= now and in_hour > 0  # the hour so far, and nothing of the rest of it
    # a later run adds what happened since, and the rows already there keep their ids
    later = demo.generate(con, days=3, now=datetime(2026, 12, 2, 0, 40))
    total = con.execute("SELECT count(*), max(ts) FROM requests").fetchall()[0]
    assert later > 0 and total[0] == n + later and total[1] <= datetime(2026, 12, 2, 0, 40)


# -- the scheduler passes the clock ---------------------------------------------------------------

def test_scheduler_passes_its_clock_to_jobs_that_take_now(caplog):
    seen = []
    at = datetime(2031, 5, 6, 7, 8)
    scheduler.run_job("j", lambda now: seen.append(now), clock=lambda: at)()
    scheduler.run_job("k", lambda: seen.append("no clock"), clock=lambda: at)()
    assert seen == [at, "no clock"]

    def boom(now):
        raise RuntimeError("bad tick")

    with caplog.at_level(logging.ERROR, logger="spendwatch.scheduler"):
        scheduler.run_job("boom", boom, clock=lambda: at)()  # logged, never raised into the scheduler
    assert "job boom failed" in caplog.text

