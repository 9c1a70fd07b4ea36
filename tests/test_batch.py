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
