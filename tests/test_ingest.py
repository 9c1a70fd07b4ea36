"""File ingest: four record shapes, three formats, quarantine reasons, idempotency, crash safety."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal as D
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from spendwatch import ingest, report, store
from tests.helpers import chat_record, cost_of

M = D(1_000_000)
SHAPES = [
    chat_record("chat-1", "gpt-4o", 2006, 300, cached=1920, feature="search"),
    json.dumps({"request_id": "resp-1", "ts": "2026-11-10T12:00:00Z", "model": "o4-mini", "endpoint": "responses",
                "feature": "agent", "usage": {"input_tokens": 3210, "input_tokens_details": {"cached_tokens": 2048},
                                              "output_tokens": 845,
                                              "output_tokens_details": {"reasoning_tokens": 704}}}),
    json.dumps({"request_id": "emb-1", "ts": "2026-11-10T12:00:00Z", "model": "text-embedding-3-small",
                "endpoint": "embeddings", "usage": {"prompt_tokens": 8, "total_tokens": 8}}),
    json.dumps({"request_id": "flat-1", "ts": "2026-11-10T12:00:00Z", "model": "gpt-4o-mini", "feature": "tags",
                "input_tokens": 1000, "cached_tokens": 0, "output_tokens": 100, "reasoning_tokens": 0}),
]
EXPECTED = {
    "chat-1": (D(86) * D("2.50") + D(1920) * D("1.25") + D(300) * D(10)) / M,
    "resp-1": (D(1162) * D("1.10") + D(2048) * D("0.275") + D(845) * D("4.40")) / M,
    "emb-1": D(8) * D("0.02") / M,
    "flat-1": (D(1000) * D("0.15") + D(100) * D("0.60")) / M,
}


def _total(con) -> D:
    return con.execute("SELECT sum(cost_usd) FROM requests_priced").fetchall()[0][0]


def test_four_shapes_in_jsonl(con, tmp_path):
    f = tmp_path / "log.jsonl"
    f.write_text("\n".join(SHAPES) + "\n")
    r = ingest.ingest_file(con, f)
    assert r.summary() == "4 ingested, 0 duplicates skipped, 0 quarantined"
    for rid, cost in EXPECTED.items():
        assert cost_of(con, rid) == cost
    row = con.execute("SELECT input_tokens, cached_tokens, output_tokens, reasoning_tokens, feature, endpoint "
                      "FROM requests WHERE request_id = 'resp-1'").fetchall()[0]
    assert row == (3210, 2048, 845, 704, "agent", "responses")
    assert con.execute("SELECT feature FROM requests WHERE request_id = 'emb-1'").fetchall()[0][0] == "(untagged)"


def test_csv_and_parquet_flat_columns(con, tmp_path):
    rows = [{"request_id": f"c{i}", "ts": "2026-11-10T12:00:00Z", "model": "gpt-4o", "feature": "f",
             "input_tokens": 1000 * i, "cached_tokens": 0, "output_tokens": 10 * i, "batch": "false"} for i in (1, 2)]
    c = tmp_path / "log.csv"
    with open(c, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    assert ingest.ingest_file(con, c).ingested == 2
    p = tmp_path / "log.parquet"
    pq.write_table(pa.Table.from_pylist([{**r, "request_id": "p" + r["request_id"], "batch": True} for r in rows]), p)
    assert ingest.ingest_file(con, p).ingested == 2
    assert cost_of(con, "c2") == (D(2000) * D("2.50") + D(20) * D(10)) / M
    assert cost_of(con, "pc2") == cost_of(con, "c2") / 2  # batch


def test_bad_lines_are_quarantined_with_reasons_and_the_rest_ingested(con, tmp_path):
    bad = [
        ('{"request_id": "x", "ts": ', "broken JSON"),
        ("this is not json", "broken JSON"),
        ('["a list"]', "not a JSON object"),
        (chat_record("neg", "gpt-4o", -5, 1), "input tokens not a non-negative whole number"),
        (json.dumps({"ts": "2026-11-10T12:00:00Z", "model": "gpt-4o", "input_tokens": "lots"}),
         "input tokens not a non-negative whole number"),
        (chat_record("cach", "gpt-4o", 10, 1, cached=20), "cached tokens exceed input tokens"),
        (json.dumps({"ts": "2026-11-10T12:00:00Z", "input_tokens": 5}), "missing model"),
        (json.dumps({"ts": "yesterday-ish", "model": "gpt-4o", "input_tokens": 5}), "unparseable timestamp"),
    ]
    f = tmp_path / "mixed.jsonl"
    f.write_text("\n".join([SHAPES[0], *[b for b, _ in bad], SHAPES[3]]) + "\n")
    r = ingest.ingest_file(con, f)
    assert (r.ingested, r.duplicates, r.quarantined, r.lines_read) == (2, 0, len(bad), len(bad) + 2)
    q = con.execute("SELECT line_no, reason, raw, source FROM quarantine ORDER BY line_no").fetchall()
    for (_, reason, raw, source), (text, expected) in zip(q, bad, strict=True):
        assert reason.startswith(expected)
        assert raw == text and source.endswith("mixed.jsonl")
    assert [x[0] for x in q] == list(range(2, 2 + len(bad)))


def test_same_file_twice_changes_no_total(con, tmp_path):
    f = tmp_path / "log.jsonl"
    f.write_text("\n".join([*SHAPES, SHAPES[0]]) + "\n")  # also a duplicate inside the file
    first = ingest.ingest_file(con, f)
    before = report.spend_report(con, by=["model"])
    second = ingest.ingest_file(con, f)
    assert (first.ingested, first.duplicates) == (4, 1)
    assert (second.ingested, second.duplicates) == (0, 5)
    assert report.spend_report(con, by=["model"]) == before
    assert _total(con) == sum(EXPECTED.values())


def test_record_without_id_gets_a_deterministic_one(con):
    line = json.dumps({"ts": "2026-11-10T12:00:00Z", "model": "gpt-4o", "input_tokens": 7})
    assert ingest.ingest_lines(con, [line], source="a").ingested == 1
    assert ingest.ingest_lines(con, [line], source="b").duplicates == 1


def _cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spendwatch", *args], capture_output=True, text=True, **kw)


@pytest.mark.integration
def test_killed_mid_file_leaves_all_or_nothing(tmp_path):
    big = tmp_path / "big.jsonl"
    n = 200_000
    with open(big, "w") as fh:
        for i in range(n):
            fh.write(chat_record(f"r{i}", "gpt-4o-mini", 1000 + i % 500, 100, feature=f"f{i % 7}") + "\n")
    db = tmp_path / "crash.duckdb"
    counts = set()
    for delay in (0.8, 1.6, 2.4):
        proc = subprocess.Popen([sys.executable, "-m", "spendwatch", "ingest", str(big), "--db", str(db)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        con = store.connect(db)  # a kill before the schema committed leaves an empty file: migrate it
        counts.add(con.execute("SELECT count(*) FROM requests").fetchall()[0][0])
        con.close()
    assert counts <= {0, n}
    done = _cli("ingest", str(big), "--db", str(db))
    assert done.returncode == 0, done.stderr
    con = store.connect(db)
    assert con.execute("SELECT count(*), sum(input_tokens) FROM requests").fetchall()[0] == (
        n, sum(1000 + i % 500 for i in range(n)))


@pytest.mark.integration
def test_database_held_by_another_process_exit_1_nothing_written(tmp_path):
    db = tmp_path / "held.duckdb"
    store.connect(db).close()
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('ok', flush=True); "
                               "time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        f = tmp_path / "a.jsonl"
        f.write_text(SHAPES[0] + "\n")
        r = _cli("ingest", str(f), "--db", str(db))
        assert r.returncode == 1
        assert len(r.stderr.strip().splitlines()) == 1
        assert "held by another process" in r.stderr and "Traceback" not in r.stderr
    finally:
        holder.kill()
        holder.wait()
    con = store.connect(db)
    assert con.execute("SELECT count(*) FROM requests").fetchall()[0][0] == 0


def test_missing_file_is_one_line_exit_1(tmp_path):
    r = _cli("ingest", str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "x.duckdb"))
    assert r.returncode == 1 and r.stderr.strip() == f"spendwatch: error: file not found: {tmp_path / 'nope.jsonl'} (nothing was written)"
    assert not Path(tmp_path / "x.duckdb").exists()
