"""Request ids stay unique without a PRIMARY KEY index (migration 0070).

The index cost a third of a file ingest and sat in memory whole; uniqueness now rests on every writer
inserting through an anti-join and deduping its own batch. These tests feed the same requests through
every writer and check the table holds each id once, and that the migration keeps an older database's
rows, defaults, NOT NULLs and costs exactly.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime
from decimal import Decimal

import duckdb
import pytest

from spendwatch import demo, ingest, store
from spendwatch.collectors import spool
from spendwatch.pricing import catalog, refresh_model_map
from tests.helpers import chat_record

NOW = datetime(2026, 11, 20, 12, 0)


def _ids_unique(con) -> tuple[int, int]:
    return con.execute("SELECT count(*), count(DISTINCT request_id) FROM requests").fetchone()


def test_every_writer_skips_an_id_already_stored(db_path, tmp_path):
    con = store.connect(db_path)
    catalog.materialise(con)
    lines = [chat_record(f"r{i}", "gpt-4o-2024-08-06", 1000 + i, 100) for i in range(5)]
    clean = tmp_path / "clean.jsonl"
    clean.write_text("\n".join(lines) + "\n")
    assert ingest.ingest_file(con, clean).ingested == 5  # fast path

    # line-by-line path (a bad line sends the file there): 2 new ids, 5 stored, 1 repeated inside the file
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("\n".join([*lines, chat_record("r5", "gpt-4o", 10, 1), chat_record("r5", "gpt-4o", 99, 9),
                                chat_record("r6", "gpt-4o", 10, 1), "not json"]) + "\n")
    r = ingest.ingest_file(con, mixed)
    assert (r.ingested, r.duplicates, r.quarantined) == (2, 6, 1)
    # the first of the two r5 lines won
    assert con.execute("SELECT input_tokens FROM requests WHERE request_id = 'r5'").fetchall() == [(10,)]

    # fast path with an id twice inside the file: it falls back, first line wins, one duplicate
    twice = tmp_path / "twice.jsonl"
    twice.write_text("\n".join([chat_record("r7", "gpt-4o", 7, 1), chat_record("r7", "gpt-4o", 70, 1),
                                lines[0]]) + "\n")
    r = ingest.ingest_file(con, twice)
    assert (r.ingested, r.duplicates, r.quarantined) == (1, 2, 0)
    assert con.execute("SELECT input_tokens FROM requests WHERE request_id = 'r7'").fetchall() == [(7,)]

    # a spool segment and Batch-style lines in memory
    r = ingest.ingest_bytes(con, ("\n".join([lines[1], chat_record("r8", "gpt-4o", 8, 1)]) + "\n").encode(),
                            source="spool:test", kind="spool", unit_key="seg-1")
    assert (r.ingested, r.duplicates) == (1, 1)
    r = ingest.ingest_lines(con, [lines[2], chat_record("r8", "gpt-4o", 8, 1), chat_record("r9", "gpt-4o", 9, 1)],
                            source="batch:test")
    assert (r.ingested, r.duplicates) == (1, 2)

    # the demo twice: deterministic ids, nothing doubled
    n = demo.generate(con, days=2, seed=5, now=NOW)
    assert n > 0 and demo.generate(con, days=2, seed=5, now=NOW) == 0

    count, distinct = _ids_unique(con)
    assert count == distinct == 5 + 2 + 1 + 1 + 1 + n
    assert ingest.ingest_file(con, clean).duplicates == 5  # and the first file again: all duplicates
    assert _ids_unique(con) == (count, count)
    con.close()


def test_one_spool_pass_dedupes_across_its_segments_and_the_table(db_path, tmp_path, monkeypatch):
    """A drain pass scans the stored ids once (ingest.known_ids) and still skips an id stored before,
    one repeated by a later segment of the same pass, and one repeated inside a segment; a segment
    group boundary (GROUP_BYTES) changes none of it."""
    con = store.connect(db_path)
    catalog.materialise(con)
    ingest.ingest_lines(con, [chat_record("old", "gpt-4o", 5, 1)], source="before")
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    segs = {
        "a.jsonl": [chat_record("s1", "gpt-4o", 1, 1), chat_record("old", "gpt-4o", 5, 1)],
        "b.jsonl": [chat_record("s1", "gpt-4o", 99, 1), chat_record("s2", "gpt-4o", 2, 1), "{broken"],
        "c.jsonl": [chat_record("s3", "gpt-4o", 3, 1), chat_record("s3", "gpt-4o", 33, 1),
                    chat_record("s2", "gpt-4o", 2, 1)],
    }
    for group_bytes in (64 * 1024 * 1024, 1):  # one group; then every segment a group of its own
        for name, lines in segs.items():
            (spool_dir / name).write_text("\n".join(lines) + "\n")
        monkeypatch.setattr(spool, "GROUP_BYTES", group_bytes)
        r = spool.drain(con, spool_dir)
        assert not list(spool_dir.glob("*.jsonl"))
        if group_bytes > 1:
            assert (r.lines_read, r.ingested, r.duplicates, r.quarantined) == (8, 3, 4, 1)
        else:  # the same segment names again: already in ingest_log, skipped whole
            assert r.lines_read == 0
    got = dict(con.execute("SELECT request_id, input_tokens FROM requests").fetchall())
    assert got == {"old": 5, "s1": 1, "s2": 2, "s3": 3}
    assert _ids_unique(con) == (4, 4)
    con.close()


def test_two_writers_racing_on_one_connection_store_each_id_once(db_path, tmp_path):
    """serve's jobs and a routed `spendwatch ingest` are cursors of one connection; without a unique
    index, store.request_writes() is what keeps them from inserting the same id from two snapshots."""
    con = store.connect(db_path)
    catalog.materialise(con)
    lines = [chat_record(f"r{i}", "gpt-4o", 10, 1) for i in range(2000)]
    paths = []
    for k in range(6):
        f = tmp_path / f"f{k}.jsonl"
        f.write_text("\n".join(lines[k * 200:k * 200 + 1200]) + ("\nnot json\n" if k % 2 else "\n"))
        paths.append(f)
    errors: list[BaseException] = []

    def work(path):
        try:
            ingest.ingest_file(con.cursor(), path)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _ids_unique(con) == (2000, 2000)
    con.close()


def _old_database(path):
    """A database as spendwatch left it before migration 0070 (request_id PRIMARY KEY)."""
    con = store.connect(path, migrate=False)
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " applied_at TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP))")
    for version, name, sql in store.migrations():
        if version < 70:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
    return con


def test_migration_0070_keeps_rows_defaults_and_costs(db_path):
    con = _old_database(db_path)
    assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'requests'"
                       " AND constraint_type = 'PRIMARY KEY'").fetchone()[0] == 1
    catalog.materialise(con)
    con.execute("""
        INSERT INTO requests (request_id, ts, model, feature, user_id, batch, input_tokens, cached_tokens,
                              output_tokens, reasoning_tokens, audio_seconds, web_search_calls, tags, source,
                              data_residency)
        VALUES ('a', '2026-11-10 12:00', 'gpt-4o-2024-08-06', 'chat', 'u1', false, 1000000, 400000, 100000, 0,
                0, 0, '{"team": "x"}', 'file:a', NULL),
               ('b', '2026-11-11 12:00', 'gpt-4o-mini', 'search', NULL, true, 2000000, 0, 500000, 0,
                0, 3, NULL, 'file:a', 'eu')""")
    con.execute("INSERT INTO requests (request_id, ts, model, source) VALUES ('c', '2026-11-12', 'whisper-1', 'x')")
    refresh_model_map(con)
    before = con.execute("SELECT * FROM requests").fetchall()
    costs = con.execute("SELECT request_id, cost_usd FROM requests_priced ORDER BY 1").fetchall()
    con.close()

    con = store.connect(db_path)  # applies 0070
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] >= 70
    assert con.execute("SELECT * FROM requests").fetchall() == before  # same rows, same order
    assert con.execute("SELECT request_id, cost_usd FROM requests_priced ORDER BY 1").fetchall() == costs
    # gpt-4o-2024-08-06 at $2.50 in / $1.25 cached / $10 out per 1M tokens:
    # 0.6M x 2.50 + 0.4M x 1.25 + 0.1M x 10 = 1.50 + 0.50 + 1.00
    assert dict(costs)["a"] == Decimal("3")
    assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'requests'"
                       " AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchone()[0] == 0
    # defaults and NOT NULLs survive the rebuild
    con.execute("INSERT INTO requests (request_id, ts, model, source) VALUES ('d', '2026-11-13', 'gpt-4o', 'x')")
    assert con.execute("SELECT feature, status, batch, input_tokens, usage_missing, ingested_at IS NOT NULL"
                       " FROM requests WHERE request_id = 'd'").fetchone() == ("(untagged)", "ok", False, 0, False, True)
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO requests (request_id, ts, model, source) VALUES ('e', '2026-11-13', NULL, 'x')")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO requests (request_id, ts, model, source) VALUES (NULL, '2026-11-13', 'm', 'x')")
    con.close()


def test_a_command_says_it_is_upgrading_an_older_database_once(db_path):
    con = _old_database(db_path)
    con.execute("INSERT INTO requests (request_id, ts, model, source) VALUES ('a', '2026-11-10', 'gpt-4o', 'x')")
    con.close()
    run = [sys.executable, "-m", "spendwatch", "report", "--db", str(db_path), "--from-date", "2026-11-10",
           "--to-date", "2026-11-10"]
    first = subprocess.run(run, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert f"upgrading {db_path} to this version's schema (0070_requests_unique_by_ingest.sql)" in first.stderr
    again = subprocess.run(run, capture_output=True, text=True)
    assert again.returncode == 0 and "upgrading" not in again.stderr
    log = db_path.with_name("one.jsonl")
    log.write_text(chat_record("n1", "gpt-4o", 10, 1) + "\n")
    fresh = subprocess.run([sys.executable, "-m", "spendwatch", "ingest", str(log), "--db",
                            str(db_path.with_name("new.duckdb"))], capture_output=True, text=True)
    assert fresh.returncode == 0 and "1 ingested" in fresh.stdout
    assert "upgrading" not in fresh.stderr  # a new file is created, not upgraded
