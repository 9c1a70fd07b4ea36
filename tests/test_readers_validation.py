"""Issue 14 items 11 and 12: one quarantine row per bad CSV line, at its physical line number; the
record checks (zone offsets, negative counts, cache writes); a line that is not UTF-8 treated alike
in JSONL and CSV."""

from __future__ import annotations

import json

from spendwatch import ingest
from tests.helpers import chat_record

HEAD = "request_id,ts,model,feature,input_tokens,output_tokens"


def _quarantine(con) -> list[tuple]:
    return con.execute("SELECT line_no, reason FROM quarantine ORDER BY line_no").fetchall()


def test_csv_row_missing_columns_is_quarantined_once_at_its_physical_line(tmp_path, con):
    f = tmp_path / "log.csv"
    rows = [
        HEAD,  # line 1
        'a1,2026-11-10T12:00:00Z,gpt-4o,"two\nlines",100,10',  # lines 2-3
        "a2,2026-11-10T12:00:00Z,gpt-4o",  # line 4: three fields missing
        "",  # line 5: blank, skipped
        'a3,2026-11-10T12:00:00Z,gpt-4o,"x\n\ny",100,10',  # lines 6-8
        "a4,2026-11-10T12:00:00Z,gpt-4o,ok,100,10,extra,more",  # line 9: two fields too many
        "a5,2026-11-10T12:00:00Z,gpt-4o,ok,-5,10",  # line 10: negative tokens
        "a6,2026-11-10T12:00:00Z,gpt-4o,ok,100,10",  # line 11
    ]
    f.write_text("\n".join(rows) + "\n", encoding="utf-8", newline="")
    r = ingest.ingest_file(con, f)
    # 6 records (the blank line is not one): a1, a3, a6 ingested; a2, a4, a5 quarantined once each
    assert (r.lines_read, r.ingested, r.duplicates, r.quarantined) == (6, 3, 0, 3)
    assert _quarantine(con) == [
        (4, "CSV row has 3 fields, the header has 6"),
        (9, "CSV row has 8 fields, the header has 6"),
        (10, "input tokens not a non-negative whole number: -5"),
    ]
    raw = con.execute("SELECT raw FROM quarantine WHERE line_no = 4").fetchone()[0]
    assert raw == "a2,2026-11-10T12:00:00Z,gpt-4o"


def test_not_utf8_is_treated_alike_in_jsonl_and_csv(tmp_path, con):
    bad = b"caf\xe9"  # Latin-1, not UTF-8
    good = chat_record("j1", "gpt-4o", 100, 10).encode()
    j = tmp_path / "log.jsonl"
    j.write_bytes(good + b"\n" + chat_record("j2", "gpt-4o", 100, 10, feature="X").encode().replace(b"X", bad) + b"\n")
    rj = ingest.ingest_file(con, j)
    c = tmp_path / "log.csv"
    c.write_bytes(HEAD.encode() + b"\nc1,2026-11-10T12:00:00Z,gpt-4o,ok,100,10\nc2,2026-11-10T12:00:00Z,gpt-4o,"
                  + bad + b",100,10\n")
    rc = ingest.ingest_file(con, c)
    assert (rj.lines_read, rj.ingested, rj.quarantined) == (rc.lines_read, rc.ingested, rc.quarantined) == (2, 1, 1)
    rows = con.execute("SELECT source LIKE '%.csv', line_no, reason, raw FROM quarantine ORDER BY 1").fetchall()
    assert [r[:3] for r in rows] == [(False, 2, "not UTF-8 text"), (True, 3, "not UTF-8 text")]
    assert all("caf\ufffd" in r[3] for r in rows)  # the raw text kept, the bad byte shown as U+FFFD


def _rec(rid: str, **kw) -> str:
    return json.dumps({**json.loads(chat_record(rid, "gpt-4o", 100, 10)), **kw})


def test_record_checks(con):
    lines = [
        _rec("ok-east", ts="2026-11-10T12:00:00+14:00"),  # Kiribati: a real offset
        _rec("ok-west", ts="2026-11-10T12:00:00-12:00"),
        _rec("ok-18", ts="2026-11-10T12:00:00+18:00"),  # the widest ISO 8601 allows
        _rec("bad-off", ts="2026-11-10T12:00:00+19:00"),
        _rec("bad-off2", ts="2026-11-10T12:00:00-23:59"),
        _rec("bad-retries", retries=-1),
        _rec("bad-latency", latency_ms=-3.5),
        _rec("bad-ttft", ttft_ms=-1),
        _rec("bad-audio", usage={"prompt_tokens": 100, "completion_tokens": 10,
                                 "prompt_tokens_details": {"audio_tokens": -4}}),
        _rec("bad-audio-flat", audio_output_tokens="-1"),
        _rec("bad-cw", usage={"prompt_tokens": 100, "completion_tokens": 10,
                              "prompt_tokens_details": {"cache_write_tokens": 101}}),
        _rec("ok-cw", usage={"prompt_tokens": 100, "completion_tokens": 10,
                             "prompt_tokens_details": {"cache_write_tokens": 100}}),
    ]
    r = ingest.ingest_lines(con, lines, source="checks")
    assert (r.lines_read, r.ingested, r.quarantined) == (12, 4, 8)
    got = {rid: reason for rid, reason in con.execute(
        "SELECT raw::JSON->>'$.request_id', reason FROM quarantine").fetchall()}
    assert got == {
        "bad-off": "zone offset beyond ±18:00: 2026-11-10T12:00:00+19:00",
        "bad-off2": "zone offset beyond ±18:00: 2026-11-10T12:00:00-23:59",
        "bad-retries": "retries not a non-negative whole number: -1",
        "bad-latency": "latency_ms negative: -3.5",
        "bad-ttft": "ttft_ms negative: -1",
        "bad-audio": "audio input tokens not a non-negative whole number: -4",
        "bad-audio-flat": "audio output tokens not a non-negative whole number: -1",
        "bad-cw": "cache-write tokens exceed input tokens",
    }
    # +14:00 is 14 hours ahead of UTC, -12:00 twelve behind, +18:00 eighteen ahead
    ts = dict(con.execute("SELECT request_id, strftime(ts, '%Y-%m-%d %H:%M') FROM requests").fetchall())
    assert ts == {"ok-east": "2026-11-09 22:00", "ok-west": "2026-11-11 00:00", "ok-18": "2026-11-09 18:00",
                  "ok-cw": "2026-11-10 12:00"}


def test_record_checks_hold_on_the_fast_path(tmp_path, con):
    f = tmp_path / "log.jsonl"
    f.write_text(_rec("a") + "\n" + _rec("b", ts="2026-11-10T12:00:00+19:00") + "\n" + _rec("c", retries=-2) + "\n")
    r = ingest.ingest_file(con, f)
    assert (r.lines_read, r.ingested, r.quarantined) == (3, 1, 2)
