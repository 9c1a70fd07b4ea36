"""Hostile tags and filter values are stored and shown verbatim and change no query."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

from spendwatch import ingest, report, whatif
from tests.helpers import chat_record

EVIL = ["'; DROP TABLE requests; --", 'quo"te\'s', "tab\tcr\rnl", "=cmd|' /C calc'!A0", "@SUM(1)", "+1", "-1"]


def test_hostile_values_round_trip(con, db_path):
    lines = [chat_record(f"e{i}", "gpt-4o", 1000, 10, feature=v, user_id=v) for i, v in enumerate(EVIL)]
    assert ingest.ingest_lines(con, lines, source="evil").ingested == len(EVIL)
    rows = report.spend_report(con, by=["feature", "user"])
    assert sorted(r["feature"] for r in rows) == sorted(EVIL)
    assert all(r["feature"] == r["user"] for r in rows)
    # a filter value is a parameter, never SQL
    sc = whatif.Scenario(to_model="gpt-4o-mini", features=(EVIL[0],), start=datetime(2026, 1, 1), end=datetime(2027, 1, 1))
    assert whatif.simulate(con, sc).rows[0]["requests"] == 1
    assert con.execute("SELECT count(*) FROM requests").fetchall()[0][0] == len(EVIL)
    con.close()
    out = subprocess.run([sys.executable, "-m", "spendwatch", "report", "--db", str(db_path), "--by", "feature",
                          "--format", "json"], capture_output=True, text=True).stdout
    assert sorted(r["feature"] for r in json.loads(out)) == sorted(EVIL)
    csv_out = subprocess.run([sys.executable, "-m", "spendwatch", "report", "--db", str(db_path), "--by", "feature",
                              "--format", "csv"], capture_output=True, text=True).stdout
    for v in ("=cmd", "@SUM", "+1", "-1"):
        assert f"'{v}" in csv_out  # neutralised for spreadsheets
