"""Batch API output: priced at the batch rate, errors recorded as errors (FACTS.md expected costs)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal as D

from spendwatch import store
from tests.conftest import SHARED


def test_batch_output_and_errors(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text((SHARED / "batch_output.jsonl").read_text() + (SHARED / "batch_errors.jsonl").read_text()
                   + "not json at all\n")
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"custom_id": "request-1", "method": "POST", "url": "/v1/chat/completions",
                               "body": {"model": "gpt-4o-mini", "metadata": {"feature": "nightly-summary"}}}) + "\n")
    db = tmp_path / "b.duckdb"
    cmd = [sys.executable, "-m", "spendwatch", "ingest", str(out), "--format", "openai-batch", "--input", str(inp),
           "--db", str(db)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "4 ingested, 0 duplicates skipped, 1 quarantined"
    con = store.connect(db)
    rows = dict(con.execute("SELECT tags->>'$.custom_id', cost_usd FROM requests_priced WHERE status = 'ok'").fetchall())
    # FACTS.md: 20 x $0.075 + 10 x $0.30 per 1M = 0.0000045; 22 x 0.075 + 10 x 0.30 = 0.00000465
    assert rows == {"request-1": D("0.0000045"), "request-2": D("0.00000465")}
    feats = dict(con.execute("SELECT tags->>'$.custom_id', feature FROM requests").fetchall())
    assert feats["request-1"] == "nightly-summary" and feats["request-2"] == "(untagged)"
    errs = con.execute("SELECT tags->>'$.custom_id', http_status, error_type FROM requests WHERE status = 'error' "
                       "ORDER BY 1").fetchall()
    assert errs == [("request-3", 400, "context_length_exceeded"), ("request-4", None, "batch_expired")]
    con.close()
    again = subprocess.run(cmd, capture_output=True, text=True)
    assert again.stdout.strip().startswith("0 ingested, 4 duplicates skipped")


def test_batch_responses_output_counts_hosted_tool_calls(tmp_path):
    """A /v1/responses Batch line: its web/file search calls and code-interpreter containers are priced."""
    from spendwatch.collectors.batch import ingest_batch

    body = {
        "id": "resp_batch_tools", "object": "response", "created_at": 1793613600,  # 2026-11-02 10:00 UTC
        "model": "gpt-4o-mini-2024-07-18",
        "usage": {"input_tokens": 1000, "output_tokens": 200, "total_tokens": 1200,
                  "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}},
        "output": [
            {"type": "web_search_call", "id": "ws_1", "status": "completed"},
            {"type": "web_search_call", "id": "ws_2", "status": "completed"},
            {"type": "web_search_call", "id": "ws_3", "status": "completed"},
            {"type": "file_search_call", "id": "fs_1", "status": "completed", "queries": ["q"]},
            {"type": "code_interpreter_call", "id": "ci_1", "container_id": "cntr_a", "code": "1"},
            {"type": "code_interpreter_call", "id": "ci_2", "container_id": "cntr_b", "code": "2"},
            {"type": "code_interpreter_call", "id": "ci_3", "container_id": "cntr_a", "code": "3"},
            {"type": "message", "id": "msg_1", "role": "assistant", "content": []},
        ],
    }
    out = tmp_path / "out.jsonl"
    out.write_text(json.dumps({"id": "batch_req_1", "custom_id": "agent:1",
                               "response": {"status_code": 200, "request_id": "req_1", "body": body}}) + "\n")
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"custom_id": "agent:1", "method": "POST", "url": "/v1/responses",
                               "body": {"model": "gpt-4o-mini", "input": "find it"}}) + "\n")
    con = store.connect(tmp_path / "b.duckdb")
    from spendwatch.pricing import catalog

    catalog.materialise(con)
    assert ingest_batch(con, out, inp).ingested == 1
    row = con.execute("SELECT endpoint, web_search_calls, file_search_calls, code_interpreter_sessions, cost_usd "
                      "FROM requests_priced WHERE request_id = 'resp_batch_tools'").fetchone()
    assert row[:4] == ("responses", 3, 1, 2)  # 2 distinct containers = 2 sessions
    # gpt-4o-mini batch (50 % of $0.15 / $0.60): 1000 x $0.075 + 200 x $0.30 = 75 + 60 = 135 / 1M = $0.000135;
    # tools (not halved): 3 x $10/1k = $0.03, 1 x $2.50/1k = $0.0025, 2 sessions x $0.03 = $0.06
    # total 0.000135 + 0.03 + 0.0025 + 0.06 = $0.092635
    assert row[4] == D("0.092635")
    con.close()
