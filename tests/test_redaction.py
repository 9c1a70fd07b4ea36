"""Issue 14 item 6: API keys and bearer tokens are masked in quarantine reasons, in `spendwatch
quarantine` output, and in the tags and error text of valid rows, on both ingest paths."""

from __future__ import annotations

import json
import subprocess
import sys

from spendwatch import ingest, store
from tests.helpers import chat_record

KEY = "sk-proj-Zq8vX2mN4bT6yR1wE3uI5oP7aS9dF0gH"
ADMIN = "sk-admin-Lk2Jh4Gf6Ds8Aa0Qw1Er3Ty5Ui7Op9"
BEARER = "eyJhbGciOiJIUzI1NiJ9.payload.sig"


def _leaks(con) -> list[str]:
    text = json.dumps(
        con.execute("SELECT * FROM requests").fetchall() + con.execute("SELECT * FROM quarantine").fetchall(),
        default=str,
    )
    return [s for s in (KEY, ADMIN, BEARER, KEY[8:], ADMIN[9:]) if s in text]


def _lines(prefix: str) -> list[str]:
    return [
        chat_record(f"{prefix}1", "gpt-4o", 100, 10, feature=f"search {KEY}", user_id=f"Bearer {BEARER}",
                    project_id=ADMIN, tags={"auth": f"Authorization: Bearer {BEARER}", "k": KEY}),
        chat_record(f"{prefix}2", "gpt-4o", 100, 10, status="error", error_type=f"invalid_api_key {ADMIN}"),
    ]


def test_valid_rows_line_path(con):
    bad = json.dumps({**json.loads(chat_record("q", "gpt-4o", 1, 1)), "usage": {"prompt_tokens": KEY}})
    r = ingest.ingest_lines(con, [*_lines("l"), bad], source="t")
    assert (r.ingested, r.quarantined) == (2, 1)
    assert _leaks(con) == []
    row = con.execute("SELECT feature, user_id, project_id, tags->>'$.k' FROM requests WHERE request_id = 'l1'").fetchone()
    assert row == ("search sk-***REDACTED***", "Bearer ***REDACTED***", "sk-***REDACTED***", "sk-***REDACTED***")
    assert con.execute("SELECT error_type FROM requests WHERE request_id = 'l2'").fetchone() == (
        "invalid_api_key sk-***REDACTED***",)
    assert con.execute("SELECT reason FROM quarantine").fetchone() == (
        "input tokens not a non-negative whole number: sk-***REDACTED***",)


def test_valid_rows_fast_path(tmp_path, con):
    f = tmp_path / "log.jsonl"
    f.write_text("\n".join(_lines("f")) + "\n")
    r = ingest.ingest_file(con, f)
    assert (r.ingested, r.quarantined) == (2, 0)
    assert _leaks(con) == []


def test_quarantine_command_and_rows_stored_before_the_fix(db_path):
    con = store.connect(db_path)
    # a row as an older version stored it: the reason quoted the key verbatim
    con.execute("INSERT INTO quarantine (source, line_no, raw, reason) VALUES ('old', 1, ?, ?)",
                [f'{{"input_tokens": "{KEY}"}}', f"input tokens not a non-negative whole number: {KEY}"])
    con.execute("DELETE FROM schema_migrations WHERE version = 14")
    con.close()
    con = store.connect(db_path)  # migration 0014 runs again over the stored rows
    assert _leaks(con) == []
    con.close()
    r = subprocess.run([sys.executable, "-m", "spendwatch", "quarantine", "--db", str(db_path), "--format", "json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert KEY not in r.stdout and KEY[8:] not in r.stdout and "sk-***REDACTED***" in r.stdout
