"""Every part of a 2026 bill (issue 15), priced by hand from the published rates, through every
ingest path: JSONL fast path, the line path, CSV, Parquet, the spool and Batch output.

Rates (USD per 1M tokens unless stated) are genai-prices 0.2.3's bundled data unless a row says
otherwise (shared/openai/FACTS-2026.md cites each)."""

from __future__ import annotations

import csv
import json
from decimal import Decimal as D
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from spendwatch import ingest
from spendwatch.collectors import batch as batch_collector
from spendwatch.collectors import spool
from tests.helpers import cost_of

M = D(1_000_000)
TS = "2026-11-02T10:00:00Z"

# (request id, SDK-shaped record, the same record in flat CSV/Parquet columns, cost by hand)
SCENARIOS = [
    (
        "realtime",
        {
            "model": "gpt-realtime",
            "endpoint": "realtime",
            "usage": {
                "total_tokens": 3000,
                "input_tokens": 2000,
                "output_tokens": 1000,
                "input_token_details": {
                    "text_tokens": 500,
                    "audio_tokens": 1500,
                    "image_tokens": 0,
                    "cached_tokens": 600,
                    "cached_tokens_details": {"text_tokens": 200, "audio_tokens": 400},
                },
                "output_token_details": {"text_tokens": 200, "audio_tokens": 800},
            },
        },
        {
            "model": "gpt-realtime",
            "input_tokens": 2000,
            "cached_tokens": 600,
            "cached_audio_tokens": 400,
            "audio_input_tokens": 1500,
            "output_tokens": 1000,
            "audio_output_tokens": 800,
        },
        # gpt-realtime: text $4 / cached $0.40 / out $16; audio $32 / cached $0.40 / out $64
        # text in 2000-600-(1500-400) = 300 x 4; cached text 200 x 0.40; audio in 1100 x 32;
        # cached audio 400 x 0.40; text out 200 x 16; audio out 800 x 64
        (300 * D(4) + 200 * D("0.4") + 1100 * D(32) + 400 * D("0.4") + 200 * D(16) + 800 * D(64))
        / M,
    ),
    (
        "whisper",
        {
            "model": "whisper-1",
            "endpoint": "audio.transcriptions",
            "usage": {"type": "duration", "seconds": 90},
        },
        {"model": "whisper-1", "audio_seconds": 90},
        D("0.006") * 90 / 60,  # $0.006 per minute ($0.36 / hour), 90 s = 1.5 min = $0.009
    ),
    (
        "transcribe",
        {
            "model": "gpt-4o-mini-transcribe",
            "endpoint": "audio.transcriptions",
            "usage": {
                "type": "tokens",
                "input_tokens": 1000,
                "output_tokens": 50,
                "total_tokens": 1050,
                "input_token_details": {"text_tokens": 100, "audio_tokens": 900},
            },
        },
        {
            "model": "gpt-4o-mini-transcribe",
            "input_tokens": 1000,
            "audio_input_tokens": 900,
            "output_tokens": 50,
        },
        # text in $1.25, audio in $3, out $5: 100 x 1.25 + 900 x 3 + 50 x 5 = $0.003075
        (100 * D("1.25") + 900 * D(3) + 50 * D(5)) / M,
    ),
    (
        "chat_audio",
        {
            "model": "gpt-audio",
            "endpoint": "chat.completions",
            "usage": {
                "prompt_tokens": 1000,
                "completion_tokens": 500,
                "total_tokens": 1500,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 600},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 400},
            },
        },
        {
            "model": "gpt-audio",
            "input_tokens": 1000,
            "audio_input_tokens": 600,
            "output_tokens": 500,
            "audio_output_tokens": 400,
        },
        # gpt-audio: text $2.50 / $10, audio $32 / $64: 400 x 2.5 + 600 x 32 + 100 x 10 + 400 x 64
        (400 * D("2.5") + 600 * D(32) + 100 * D(10) + 400 * D(64)) / M,
    ),
    (
        "image",
        {
            "model": "gpt-image-1",
            "endpoint": "images.generate",
            "usage": {
                "input_tokens": 1000,
                "output_tokens": 4000,
                "total_tokens": 5000,
                "input_tokens_details": {"text_tokens": 200, "image_tokens": 800},
            },
        },
        {
            "model": "gpt-image-1",
            "input_tokens": 1000,
            "image_input_tokens": 800,
            "output_tokens": 4000,
        },
        # gpt-image-1: text in $5, image in $10, image out $40: 200 x 5 + 800 x 10 + 4000 x 40 = $0.169
        (200 * D(5) + 800 * D(10) + 4000 * D(40)) / M,
    ),
    (
        "long_ctx_tools",
        {
            "model": "gpt-5.4",
            "endpoint": "responses",
            "usage": {
                "input_tokens": 300_000,
                "output_tokens": 1000,
                "total_tokens": 301_000,
                "input_tokens_details": {"cached_tokens": 100_000},
                "output_tokens_details": {"reasoning_tokens": 0},
            },
            "tool_calls": {"web_search": 3, "file_search": 2, "code_interpreter": 1},
        },
        {
            "model": "gpt-5.4",
            "input_tokens": 300_000,
            "cached_tokens": 100_000,
            "output_tokens": 1000,
            "web_search_calls": 3,
            "file_search_calls": 2,
            "code_interpreter_sessions": 1,
        },
        # gpt-5.4 $2.50 / cached $0.25 / out $15; 300K > 272K input: 2x input (5, 0.5), 1.5x output (22.5)
        # + web search 3 x $10/1k + file search 2 x $2.50/1k + 1 code interpreter session x $0.03
        (200_000 * D(5) + 100_000 * D("0.5") + 1000 * D("22.5")) / M
        + 3 * D("0.01")
        + 2 * D("0.0025")
        + D("0.03"),
    ),
    (
        "short_ctx",
        {
            "model": "gpt-5.4",
            "endpoint": "responses",
            "usage": {
                "input_tokens": 272_000,
                "output_tokens": 1000,
                "total_tokens": 273_000,
                "input_tokens_details": {"cached_tokens": 0},
            },
        },
        {"model": "gpt-5.4", "input_tokens": 272_000, "output_tokens": 1000},
        (272_000 * D("2.5") + 1000 * D(15))
        / M,  # exactly 272K is not over the threshold: base rates
    ),
    (
        "cache_write",
        {
            "model": "gpt-5.6",
            "endpoint": "responses",
            "usage": {
                "input_tokens": 100_000,
                "output_tokens": 2000,
                "total_tokens": 102_000,
                "input_tokens_details": {"cached_tokens": 20_000, "cache_write_tokens": 40_000},
            },
        },
        {
            "model": "gpt-5.6",
            "input_tokens": 100_000,
            "cached_tokens": 20_000,
            "cache_write_tokens": 40_000,
            "output_tokens": 2000,
        },
        # gpt-5.6 (genai-prices, from 2026-08-21): $4 / cached $0.40 / cache write $5 (1.25x) / out $20
        (40_000 * D(4) + 20_000 * D("0.4") + 40_000 * D(5) + 2000 * D(20)) / M,
    ),
    (
        "search_preview",
        {
            "model": "gpt-4o-mini-search-preview-2025-03-11",
            "endpoint": "chat.completions",
            "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100},
        },
        {
            "model": "gpt-4o-mini-search-preview-2025-03-11",
            "input_tokens": 1000,
            "output_tokens": 100,
        },
        # gpt-4o-mini rates $0.15 / $0.60 + one search per request at $25 / 1k
        (1000 * D("0.15") + 100 * D("0.6")) / M + D(25) / 1000,
    ),
    (
        "ft_cached",
        {
            "model": "ft:gpt-4o-mini-2024-07-18:acme::x1",
            "endpoint": "chat.completions",
            "usage": {
                "prompt_tokens": 10_000,
                "completion_tokens": 1000,
                "prompt_tokens_details": {"cached_tokens": 4000},
            },
        },
        {
            "model": "ft:gpt-4o-mini-2024-07-18:acme::x1",
            "input_tokens": 10_000,
            "cached_tokens": 4000,
            "output_tokens": 1000,
        },
        # ft:gpt-4o-mini $0.30 / cached $0.15 (prompt-caching launch, 2024-10-01) / $1.20
        (6000 * D("0.3") + 4000 * D("0.15") + 1000 * D("1.2")) / M,
    ),
    (
        "moderation",
        {
            "model": "omni-moderation-latest",
            "endpoint": "moderations",
            "usage": {"prompt_tokens": 500},
        },
        {"model": "omni-moderation-latest", "input_tokens": 500},
        D(0),  # free
    ),
    (
        "failed",
        {
            "model": "gpt-4o",
            "status": "error",
            "http_status": 429,
            "error_type": "rate_limit_exceeded",
        },
        {"model": "gpt-4o", "status": "error", "http_status": 429},
        D(0),  # a failed request costs nothing
    ),
    (
        "tts",
        {"model": "gpt-4o-mini-tts", "endpoint": "audio.speech"},
        {"model": "gpt-4o-mini-tts", "endpoint": "audio.speech"},
        None,  # no usage at all: stored, cost unknown (never $0, never quarantined)
    ),
]
PATHS = ["jsonl", "lines", "csv", "parquet", "spool"]


def _write(kind: str, tmp_path: Path, con, sdk: list[dict], flat: list[dict]) -> None:
    if kind == "jsonl":
        f = tmp_path / "log.jsonl"
        f.write_text("".join(json.dumps(r) + "\n" for r in sdk))
        ingest.ingest_file(con, f)
    elif kind == "lines":
        ingest.ingest_lines(con, [json.dumps(r) for r in sdk], source="t")
    elif kind == "csv":
        f = tmp_path / "log.csv"
        cols = sorted({k for r in flat for k in r})
        with f.open("w", newline="") as fh:
            w = csv.DictWriter(fh, cols)
            w.writeheader()
            w.writerows(flat)
        ingest.ingest_file(con, f)
    elif kind == "parquet":
        f = tmp_path / "log.parquet"
        cols = sorted({k for r in flat for k in r})
        pq.write_table(pa.table({c: [r.get(c) for r in flat] for c in cols}), f)
        ingest.ingest_file(con, f)
    elif kind == "spool":
        w = spool.SpoolWriter(tmp_path / "spool", sync=True)
        for r in sdk:
            w.put(r)
        w.close()
        spool.drain(con, tmp_path / "spool")


@pytest.mark.parametrize("path", PATHS)
def test_every_part_through_every_ingest_path(con, tmp_path, path):
    sdk = [{"request_id": rid, "ts": TS, **rec} for rid, rec, _, _ in SCENARIOS]
    flat = [{"request_id": rid, "ts": TS, **rec} for rid, _, rec, _ in SCENARIOS]
    _write(path, tmp_path, con, sdk, flat)
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    for rid, _, _, expected in SCENARIOS:
        assert cost_of(con, rid) == expected, rid
    assert (
        con.execute("SELECT usage_missing FROM requests WHERE request_id = 'tts'").fetchone()[0]
        is True
    )


def test_jsonl_fast_path_is_taken_for_the_2026_shapes(con, tmp_path):
    """The fast path writes no _lines; its ingest_log row has kind 'file' and every line ingested."""
    f = tmp_path / "log.jsonl"
    f.write_text(
        "".join(
            json.dumps({"request_id": rid, "ts": TS, **rec}) + "\n" for rid, rec, _, _ in SCENARIOS
        )
    )
    called = []
    orig = ingest.commit_staged
    ingest.commit_staged = lambda *a, **k: called.append(1) or orig(*a, **k)
    try:
        r = ingest.ingest_file(con, f)
    finally:
        ingest.commit_staged = orig
    assert r.ingested == len(SCENARIOS) and not called


def test_batch_output_prices_parts_at_batch_rates(con, tmp_path):
    def line(cid, ts, usage):
        return json.dumps(
            {
                "custom_id": cid,
                "response": {
                    "status_code": 200,
                    "body": {"id": cid, "created": ts, "model": "gpt-5.6", "usage": usage},
                },
            }
        )

    usage = {
        "input_tokens": 100_000,
        "output_tokens": 2000,
        "input_tokens_details": {"cached_tokens": 20_000, "cache_write_tokens": 40_000},
    }
    out = tmp_path / "out.jsonl"
    # 2026-08-01 (before gpt-5.6's 2026-08-21 cut) and 2026-11-02 (after)
    out.write_text(line("old", 1785542400, usage) + "\n" + line("new", 1793613600, usage) + "\n")
    ingest.ingest_lines(con, batch_collector.batch_records(out), source="batch")
    # before: 50 % of $5 / $0.50 / $6.25 / $30 = 2.5 / 0.25 / 3.125 / 15
    assert (
        cost_of(con, "old")
        == (40_000 * D("2.5") + 20_000 * D("0.25") + 40_000 * D("3.125") + 2000 * D(15)) / M
    )
    # after: genai-prices batch $2 / $0.20 / $2.50 / $10
    assert (
        cost_of(con, "new")
        == (40_000 * D(2) + 20_000 * D("0.2") + 40_000 * D("2.5") + 2000 * D(10)) / M
    )


def _chat(rid, model, prompt, completion, ts, **extra):
    return json.dumps(
        {
            "request_id": rid,
            "ts": ts,
            "model": model,
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
            **extra,
        }
    )


def test_tier_prices_on_dated_names_both_sides_of_each_change(con):
    """Items 1-3: flex/priority rows reach dated names; o3 flex history; the missing priority rows."""
    ingest.ingest_lines(
        con,
        [
            # o3 flex: not launched before 2025-04-17 (standard $10 / $40), $5 / $20 at launch, $1 / $4 from 06-10
            _chat(
                "o3_pre",
                "o3-2025-04-16",
                1_000_000,
                1_000_000,
                "2025-04-16T12:00:00Z",
                service_tier="flex",
            ),
            _chat(
                "o3_launch",
                "o3-2025-04-16",
                1_000_000,
                1_000_000,
                "2025-05-01T00:00:00Z",
                service_tier="flex",
            ),
            _chat(
                "o3_cut",
                "o3-2025-04-16",
                1_000_000,
                1_000_000,
                "2025-07-01T00:00:00Z",
                service_tier="flex",
            ),
            _chat(
                "mini_pri",
                "gpt-4.1-mini-2025-04-14",
                1_000_000,
                1_000_000,
                "2025-06-01T00:00:00Z",
                service_tier="priority",
            ),
            _chat(
                "nano_pri",
                "gpt-4.1-nano-2025-04-14",
                1_000_000,
                1_000_000,
                "2025-06-01T00:00:00Z",
                service_tier="priority",
            ),
            _chat(
                "4o_0513_pri",
                "gpt-4o-2024-05-13",
                1_000_000,
                1_000_000,
                "2025-06-01T00:00:00Z",
                service_tier="priority",
            ),
            _chat(
                "54_pri",
                "gpt-5.4-2026-03-05",
                100_000,
                100_000,
                "2026-05-01T00:00:00Z",
                service_tier="priority",
            ),
            _chat(
                "54_pri_new",
                "gpt-5.4",
                100_000,
                100_000,
                "2026-11-01T00:00:00Z",
                service_tier="priority",
            ),
            _chat(
                "4o_pri",
                "gpt-4o-2024-08-06",
                1_000_000,
                1_000_000,
                "2025-06-01T00:00:00Z",
                service_tier="priority",
            ),
        ],
        source="t",
    )
    assert cost_of(con, "o3_pre") == D(10) + D(40)
    assert cost_of(con, "o3_launch") == D(5) + D(20)
    assert cost_of(con, "o3_cut") == D(1) + D(4)
    assert cost_of(con, "mini_pri") == D("0.70") + D("2.80")
    assert cost_of(con, "nano_pri") == D("0.20") + D("0.80")
    assert cost_of(con, "4o_0513_pri") == D("8.75") + D("26.25")
    # gpt-5.4 priority $5 / $30 (priority page) before genai-prices' 2026-10-12 row and after it
    assert cost_of(con, "54_pri") == (100_000 * D(5) + 100_000 * D(30)) / M
    assert cost_of(con, "54_pri_new") == (100_000 * D(5) + 100_000 * D(30)) / M
    assert cost_of(con, "4o_pri") == D("4.25") + D(17)  # gpt-4o's priority row, via the family


def test_price_changes_of_the_new_parts_are_dated(con):
    ingest.ingest_lines(
        con,
        [
            json.dumps(
                {
                    "request_id": "cw_old",
                    "ts": "2026-08-01T00:00:00Z",
                    "model": "gpt-5.6",
                    "usage": {
                        "input_tokens": 100_000,
                        "output_tokens": 2000,
                        "input_tokens_details": {
                            "cached_tokens": 20_000,
                            "cache_write_tokens": 40_000,
                        },
                    },
                }
            ),
            _chat(
                "ft_precache",
                "ft:gpt-4o-mini-2024-07-18:acme::x1",
                10_000,
                1000,
                "2024-09-01T00:00:00Z",
            ),
            json.dumps(
                {
                    "request_id": "ft_4o",
                    "ts": "2024-11-01T00:00:00Z",
                    "model": "ft:gpt-4o-2024-08-06:acme::y",
                    "usage": {
                        "prompt_tokens": 10_000,
                        "completion_tokens": 1000,
                        "prompt_tokens_details": {"cached_tokens": 4000},
                    },
                }
            ),
        ],
        source="t",
    )
    # gpt-5.6 before 2026-08-21: $5 / cached $0.50 / cache write $6.25 / out $30
    assert (
        cost_of(con, "cw_old")
        == (40_000 * D(5) + 20_000 * D("0.5") + 40_000 * D("6.25") + 2000 * D(30)) / M
    )
    # fine-tune before prompt caching (2024-10-01): no cached price; 10,000 x $0.30 + 1,000 x $1.20
    assert cost_of(con, "ft_precache") == (10_000 * D("0.3") + 1000 * D("1.2")) / M
    # ft:gpt-4o $3.75 / cached $1.875 / $15
    assert cost_of(con, "ft_4o") == (6000 * D("3.75") + 4000 * D("1.875") + 1000 * D(15)) / M


def test_audio_without_an_audio_rate_is_unknown_not_text_priced(con):
    """gpt-4o-audio-preview has no audio rate in the catalog: its audio request is NULL, not cheap."""
    ingest.ingest_lines(
        con,
        [
            json.dumps(
                {
                    "request_id": "ap",
                    "ts": TS,
                    "model": "gpt-4o-audio-preview",
                    "usage": {
                        "prompt_tokens": 100,
                        "completion_tokens": 10,
                        "prompt_tokens_details": {"audio_tokens": 80},
                    },
                }
            )
        ],
        source="t",
    )
    assert cost_of(con, "ap") is None


def test_cost_parts_view_sums_to_the_request_cost(con):
    ingest.ingest_lines(
        con,
        [json.dumps({"request_id": rid, "ts": TS, **rec}) for rid, rec, _, _ in SCENARIOS],
        source="t",
    )
    rows = con.execute(
        "SELECT r.request_id, r.cost_usd, sum(p.cost_usd) FROM requests_priced r "
        "LEFT JOIN request_cost_parts p USING (request_id) GROUP BY ALL"
    ).fetchall()
    for rid, total, parts in rows:
        if total is None or total == 0:
            continue
        assert parts == total, rid
