"""`spendwatch prices` and `spendwatch explain` (issue 15 items 1 and 9): real child processes."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal as D

import pytest


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "spendwatch", *args], capture_output=True, text=True
    )


@pytest.fixture
def db(tmp_path):
    f = tmp_path / "log.jsonl"
    f.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "request_id": "lc",
                    "ts": "2026-11-02T10:00:00Z",
                    "model": "gpt-5.4",
                    "usage": {
                        "input_tokens": 300_000,
                        "output_tokens": 1000,
                        "input_tokens_details": {"cached_tokens": 100_000},
                    },
                    "tool_calls": {"web_search": 3},
                },
                {
                    "request_id": "tts",
                    "ts": "2026-11-02T10:00:00Z",
                    "model": "gpt-4o-mini-tts",
                    "endpoint": "audio.speech",
                },
                {
                    "request_id": "inhouse",
                    "ts": "2026-11-02T10:00:00Z",
                    "model": "acme-llm-v2",
                    "usage": {"prompt_tokens": 100, "completion_tokens": 10},
                },
            ]
        )
        + "\n"
    )
    path = tmp_path / "p.duckdb"
    r = _cli("ingest", str(f), "--db", str(path))
    assert r.returncode == 0, r.stderr
    return str(path)


def test_prices_dated_name_on_flex_resolves_through_its_family(db):
    r = _cli("prices", "o3-2025-04-16", "--tier", "flex", "--at", "2025-05-01", "--db", db)
    assert r.returncode == 0, r.stderr
    # o3 flex at launch (2025-04-17): $5 / $1.25 cached / $20
    assert "input  $5.00 / 1M tokens" in r.stdout and "output $20.00 / 1M tokens" in r.stdout
    assert "cached $1.25 / 1M tokens" in r.stdout
    r = _cli("prices", "o3-2025-04-16", "--tier", "flex", "--at", "2025-07-01", "--db", db)
    assert "input  $1.00 / 1M tokens" in r.stdout and "output $4.00 / 1M tokens" in r.stdout


def test_prices_prints_exact_dollars_batch_cached_long_context_and_call_rates(db):
    r = _cli("prices", "gpt-4o-mini", "--tier", "batch", "--at", "2026-01-01", "--db", db)
    assert "$1E" not in r.stdout
    # batch: 50 % of the standard cached rate $0.075 = $0.0375 (not "same as input")
    assert "cached $0.0375 / 1M tokens" in r.stdout and "output $0.30 / 1M tokens" in r.stdout
    r = _cli("prices", "gpt-5.4", "--at", "2026-11-01", "--db", db)
    assert "output $15.00 / 1M tokens" in r.stdout
    assert (
        "long context (over 272,000 input tokens, whole request): input $5.00, cached $0.50, output $22.50"
        in r.stdout
    )
    assert "web search $10.00 / 1k calls" in r.stdout and "file search $2.50 / 1k calls" in r.stdout
    r = _cli("prices", "whisper-1", "--at", "2026-11-01", "--db", db)
    assert "audio $0.006 / minute" in r.stdout
    r = _cli("prices", "gpt-5.4", "--at", "2026-11-01", "--db", db, "--format", "json")
    row = json.loads(r.stdout, parse_float=D)
    assert row["long_context"]["output_per_mtok"] == D("22.5")


def test_explain_shows_each_part_with_rate_and_source(db):
    r = _cli("explain", "lc", "--db", db)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # 200,000 x $5.00/1M = $1.00; 100,000 x $0.50/1M = $0.05; 1,000 x $22.50/1M = $0.0225; 3 x $0.01 = $0.03
    assert any(
        x.startswith(
            "  input (long context): 200,000 tokens × $5.00/1M tokens = $1.00  (genai-prices"
        )
        for x in lines
    )
    assert any("web_search: 3 calls × $10.00/1k calls = $0.03" in x for x in lines)
    assert lines[-1] == "  total: $1.1025"
    r = _cli("explain", "tts", "--db", db)
    assert r.stdout.splitlines()[-1] == "  total: unknown (no usage recorded)"
    r = _cli("explain", "nope", "--db", db)
    assert r.returncode == 1 and "no request 'nope'" in r.stderr


def test_explain_of_an_unpriced_model_says_so(db):
    """A model with no price (an in-house one) crashed `explain` with a TypeError traceback."""
    r = _cli("explain", "inhouse", "--db", db)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout.splitlines()[-1] == (
        "  total: unknown — no price for acme-llm-v2 (add it to [[pricing.models]] in the TOML config)"
    )
    r = _cli("explain", "inhouse", "--db", db, "--format", "json")
    out = json.loads(r.stdout)
    assert out["cost_usd"] is None and out["parts"] == [] and out["priced"] is False


def test_dashboard_explain_lists_parts_with_rates_and_sources(con):
    """explore.explain (the Explore page's cost explain) gives the parts and their formula."""
    from spendwatch import explore, ingest

    ingest.ingest_lines(
        con,
        [
            json.dumps(
                {
                    "request_id": "rt",
                    "ts": "2026-11-02T10:00:00Z",
                    "model": "gpt-realtime",
                    "usage": {
                        "input_tokens": 2000,
                        "output_tokens": 1000,
                        "input_token_details": {"audio_tokens": 1500},
                        "output_token_details": {"audio_tokens": 800},
                    },
                }
            )
        ],
        source="t",
    )
    e = explore.explain(con, "rt")
    parts = {p["part"]: p for p in e["parts"]}
    # gpt-realtime: text $4 / $16, audio $32 / $64 (genai-prices)
    assert parts["audio_input"]["rate"] == D(32) and parts["audio_input"]["cost_usd"] == D("0.048")
    assert parts["audio_output"]["cost_usd"] == 800 * D(64) / 1_000_000
    assert parts["audio_input"]["source"].startswith("genai-prices")
    assert e["recomputed_usd"] == e["cost_usd"] == D("0.1044")  # 0.002 + 0.048 + 0.0032 + 0.0512
    assert e["formula"].endswith("= $0.1044")
