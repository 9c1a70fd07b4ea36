"""Issue 14 item 2: U+2028, U+2029, U+0085 (and CR, form feed) in a tag or an answer never lose a record.

Every reader splits on ``\\n`` only: the spool drain, JSONL (fast path and line path), CSV, Batch output.
"""

from __future__ import annotations

import json
import subprocess
import sys

import openai

from spendwatch import ingest, store
from spendwatch.collectors import instrument as inst
from spendwatch.collectors.batch import ingest_batch
from spendwatch.collectors.spool import drain, finished_segments
from tests.conftest import SHARED
from tests.fake_openai import FakeOpenAI
from tests.helpers import chat_record

BREAKS = ["a\u2028b", "a\u2029b", "a\u0085b"]
ODD = [*BREAKS, "a\rb", "a\x0cb", "a\x1bb", "a\x0bb"]


def _features(con) -> list[str]:
    return sorted(f for (f,) in con.execute("SELECT feature FROM requests").fetchall())


def test_seven_instrumented_calls_three_with_line_breaks_in_a_tag(tmp_path, con):
    spool = tmp_path / "spool"
    with FakeOpenAI() as server:
        client = inst.instrument(
            openai.OpenAI(api_key="sk-test-linebreaks-0123", base_url=server.base_url),
            spool_dir=spool,
        )
        for feature in [*BREAKS, "plain-1", "plain-2", "plain-3", "plain-4"]:
            with inst.tag(feature=feature):
                client.chat.completions.create(model="unique-ids", messages=[])
        inst.flush()
    assert finished_segments(spool)
    r = drain(con, spool)
    assert (r.lines_read, r.ingested, r.duplicates, r.quarantined) == (7, 7, 0, 0)
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    assert _features(con) == sorted([*BREAKS, "plain-1", "plain-2", "plain-3", "plain-4"])


def _lines(prefix: str) -> list[str]:
    # ensure_ascii=False: the characters are written raw, as pydantic-core and most loggers do
    return [
        json.dumps(json.loads(chat_record(f"{prefix}{i}", "gpt-4o", 100, 10, feature=f)), ensure_ascii=False)
        for i, f in enumerate(ODD)
    ]


def test_jsonl_fast_and_line_path_keep_every_record(tmp_path, con):
    clean = tmp_path / "clean.jsonl"  # read_json fast path
    clean.write_text("\n".join(_lines("f")) + "\n", encoding="utf-8", newline="")
    r = ingest.ingest_file(con, clean)
    assert (r.lines_read, r.ingested, r.quarantined) == (len(ODD), len(ODD), 0)
    mixed = tmp_path / "mixed.jsonl"  # one broken line: the line path for the whole file
    mixed.write_text("\n".join([*_lines("m"), "{broken"]) + "\n", encoding="utf-8", newline="")
    r = ingest.ingest_file(con, mixed)
    assert (r.lines_read, r.ingested, r.quarantined) == (len(ODD) + 1, len(ODD), 1)
    assert con.execute("SELECT line_no FROM quarantine").fetchall() == [(len(ODD) + 1,)]
    assert _features(con) == sorted(ODD * 2)


def test_spool_segment_written_by_hand_is_split_on_newline_only(tmp_path, con):
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "h-1-1-000001.jsonl").write_text("\n".join(_lines("s")) + "\n", encoding="utf-8", newline="")
    r = drain(con, spool)
    assert (r.lines_read, r.ingested, r.quarantined) == (len(ODD), len(ODD), 0)


def test_csv_fields_with_line_breaks(tmp_path, con):
    f = tmp_path / "log.csv"
    rows = ["request_id,ts,model,feature,input_tokens,output_tokens"]
    rows += [f"c{i},2026-11-10T12:00:00Z,gpt-4o,{v},100,10" for i, v in enumerate(BREAKS + ["a\x0cb"])]
    rows += ['c9,2026-11-10T12:00:00Z,gpt-4o,"a\rb",100,10']
    f.write_text("\n".join(rows) + "\n", encoding="utf-8", newline="")
    r = ingest.ingest_file(con, f)
    assert (r.lines_read, r.ingested, r.quarantined) == (5, 5, 0)
    assert _features(con) == sorted([*BREAKS, "a\x0cb", "a\rb"])


def test_batch_output_answer_with_line_breaks(tmp_path, con):
    out = tmp_path / "out.jsonl"
    lines = []
    for i, line in enumerate((SHARED / "batch_output.jsonl").read_text().split("\n")[:2]):
        item = json.loads(line)
        item["response"]["body"]["choices"][0]["message"]["content"] = f"one\u2028two\u2029three\u0085{i}"
        lines.append(json.dumps(item, ensure_ascii=False))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
    r = ingest_batch(con, out)
    assert (r.lines_read, r.ingested, r.quarantined) == (2, 2, 0)


def test_batch_cli_with_a_non_utf8_line(tmp_path):
    out = tmp_path / "out.jsonl"
    good = (SHARED / "batch_output.jsonl").read_text().split("\n")[0]
    out.write_bytes(good.encode() + b"\n" + good.replace("request-1", "request-9").encode()[:-2] + b'\xff"}\n')
    db = tmp_path / "b.duckdb"
    r = subprocess.run(
        [sys.executable, "-m", "spendwatch", "ingest", str(out), "--format", "openai-batch", "--db", str(db)],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1 ingested, 0 duplicates skipped, 1 quarantined"
    c = store.connect(db)
    assert c.execute("SELECT line_no, reason FROM quarantine").fetchall() == [(2, "not UTF-8 text")]
    c.close()
