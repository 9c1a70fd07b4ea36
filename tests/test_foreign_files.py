"""Issue 14 items 10, 12, 13: files that are not spendwatch databases are refused untouched, a newer
schema is refused by version, read commands never create a database, a full disk mid-ingest is one
line with nothing half-written, a missing --spool-dir is an error."""

from __future__ import annotations

import hashlib
import random
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from spendwatch import store
from spendwatch.errors import SpendwatchError
from tests.helpers import chat_record


def _cli(*args: str, preexec=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spendwatch", *args], capture_output=True, text=True,
                          preexec_fn=preexec)


def _one_line_error(r: subprocess.CompletedProcess, *needles: str) -> None:
    assert r.returncode == 1, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def log(tmp_path: Path) -> Path:
    f = tmp_path / "log.jsonl"
    f.write_text(chat_record("r1", "gpt-4o", 100, 10) + "\n")
    return f


def test_ingest_refuses_a_foreign_duckdb_file(tmp_path, log):
    db = tmp_path / "theirs.duckdb"
    c = duckdb.connect(str(db))
    c.execute("CREATE TABLE customers (id INTEGER, name VARCHAR)")
    c.execute("CREATE TABLE requests (id INTEGER, url VARCHAR)")  # their own, unrelated `requests`
    c.close()
    before = _digest(db)
    _one_line_error(_cli("ingest", str(log), "--db", str(db)), "not a spendwatch one", "customers")
    assert _digest(db) == before
    c = duckdb.connect(str(db), read_only=True)
    assert sorted(t for (t,) in c.execute("SELECT table_name FROM duckdb_tables()").fetchall()) == [
        "customers", "requests"]
    c.close()
    _one_line_error(_cli("report", "--db", str(db)), "not a spendwatch one")


def test_a_newer_schema_is_refused_with_its_version(tmp_path, log):
    db = tmp_path / "new.duckdb"
    store.connect(db).close()
    c = duckdb.connect(str(db))
    c.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')")
    c.close()
    _one_line_error(_cli("ingest", str(log), "--db", str(db)), "schema version 9999", "upgrade spendwatch")
    _one_line_error(_cli("quarantine", "--db", str(db)), "schema version 9999")


def test_sqlite_and_other_files_refused_by_their_bytes(tmp_path, log):
    lite = tmp_path / "app.db"
    s = sqlite3.connect(lite)
    s.execute("CREATE TABLE t (x)")
    s.commit()
    s.close()
    before = _digest(lite)
    r = _cli("ingest", str(log), "--db", str(lite))
    _one_line_error(r, "SQLite database")
    assert "extension" not in r.stderr and _digest(lite) == before
    text = tmp_path / "notes.txt"
    text.write_text("hello, these are my notes and not a database at all\n")
    _one_line_error(_cli("ingest", str(log), "--db", str(text)), "not a DuckDB database")
    assert text.read_text().startswith("hello")


def test_read_commands_on_a_missing_path_create_nothing(tmp_path):
    db = tmp_path / "typo" / "spendwtach.duckdb"
    for cmd in (["report"], ["quarantine"], ["prices", "gpt-4o"], ["whatif", "--to", "gpt-4o-mini"],
                ["recommend"], ["alerts", "list"], ["reconcile"]):
        _one_line_error(_cli(*cmd, "--db", str(db)), "database not found")
    assert not db.exists() and not db.parent.exists()
    with pytest.raises(SpendwatchError, match="database not found"):
        store.connect(db, create=False)
    assert not db.exists()


def test_missing_spool_dir_is_an_error(tmp_path):
    db = tmp_path / "s.duckdb"
    _one_line_error(_cli("ingest", "--spool", "--spool-dir", str(tmp_path / "nonexistent"), "--db", str(db)),
                    "spool directory not found")
    assert not db.exists()


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.integration
def test_disk_full_during_ingest_is_one_line_and_nothing_half_written(tmp_path, log):
    db = tmp_path / "full.duckdb"
    assert _cli("ingest", str(log), "--db", str(db)).returncode == 0
    big = tmp_path / "big.jsonl"
    rnd = random.Random(1)
    with open(big, "w") as f:  # ~40 MB of records, ~20 MB of it distinct text: the database cannot grow to hold them
        for i in range(100_000):
            f.write(chat_record(f"b{i}", "gpt-4o", 100 + i, 10, feature=f"{rnd.getrandbits(800):0200x}") + "\n")
    limit = max(db.stat().st_size, 1 << 20) + (2 << 20)
    r = _cli("ingest", str(big), "--db", str(db), preexec=_limit_file_size(limit))
    _one_line_error(r, "nothing of it was written")
    con = store.connect(db, read_only=True)
    assert con.execute("SELECT count(*), min(request_id), max(request_id) FROM requests").fetchone() == (1, "r1", "r1")
    assert con.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 1
    con.close()


def test_a_first_run_killed_before_migration_1_is_still_ours(tmp_path):
    """The ledger table is created before migration 1's transaction: a kill in between leaves only it."""
    db = tmp_path / "killed.duckdb"
    c = duckdb.connect(str(db))
    c.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
              " applied_at TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP))")
    c.close()
    con = store.connect(db)
    assert con.execute("SELECT count(*) FROM requests").fetchall()[0][0] == 0
    con.close()
    c = duckdb.connect(str(db))  # with a foreign table beside the empty ledger it is someone else's file
    c.execute("CREATE TABLE invoices (id INTEGER)")
    c.close()
    other = tmp_path / "other.duckdb"
    c = duckdb.connect(str(other))
    c.execute("CREATE TABLE schema_migrations (version INTEGER, name VARCHAR)")
    c.execute("CREATE TABLE invoices (id INTEGER)")
    c.close()
    with pytest.raises(SpendwatchError, match="not a spendwatch one"):
        store.connect(other)
