"""One request log that covers every way a request is priced, shared by the lake and Spark tests:
text, cached, batch, flex and priority tiers, long context with tool calls, realtime audio, per-second
transcription, images, an unpriced model, errors and records without usage, over three months."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from spendwatch import ingest, store
from spendwatch.pricing import catalog

FEATURES = ("search", "chat", "summarise")


def _chat(model: str, prompt: int, completion: int, cached: int = 0) -> dict:
    return {
        "model": model,
        "endpoint": "chat.completions",
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


# (kind, record body): each kind appears on many days, with different features, projects and users.
KINDS: list[tuple[str, dict]] = [
    # gpt-4o-2024-08-06 $2.50 / cached $1.25 / out $10 per 1M: (176 x 2.5 + 1024 x 1.25 + 150 x 10) / 1e6 = $0.00322
    ("cached", _chat("gpt-4o-2024-08-06", 1200, 150, cached=1024)),
    ("text", _chat("gpt-4o-mini", 1000, 500)),
    ("batch", {**_chat("gpt-4o-2024-08-06", 1000, 1000), "batch": True}),
    ("flex", {**_chat("o3-2025-04-16", 20_000, 5_000, cached=4_096), "service_tier": "flex"}),
    ("priority", {**_chat("gpt-4.1-mini-2025-04-14", 3000, 700), "service_tier": "priority"}),
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
    ),
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
    ),
    (
        "whisper",
        {
            "model": "whisper-1",
            "endpoint": "audio.transcriptions",
            "usage": {"type": "duration", "seconds": 12.345},
        },
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
    ),
    # a data-residency host: +10 % on the token parts of models released from 2026-03-05 (migration 0060)
    ("residency", {**_chat("gpt-5.4", 12_345, 678, cached=1_024), "data_residency": "eu"}),
    ("unpriced", _chat("acme-x", 5000, 100)),
    (
        "error",
        {
            "model": "gpt-4o-mini",
            "endpoint": "chat.completions",
            "status": "error",
            "error_type": "rate_limit_exceeded",
            "http_status": 429,
        },
    ),
    ("no_usage", {"model": "gpt-4o-mini-tts", "endpoint": "audio.speech"}),
]
FIRST_DAY = datetime(2026, 10, 29)
DAYS = 36  # 2026-10-29 .. 2026-12-03: three months


def records(days: int = DAYS, first: datetime = FIRST_DAY) -> list[str]:
    """JSON lines: every kind on every third day it can, at varied hours."""
    out = []
    for d in range(days):
        for k, (kind, body) in enumerate(KINDS):
            if (d + k) % 3:
                continue
            ts = first + timedelta(days=d, hours=(7 * k + d) % 24, minutes=k)
            out.append(
                json.dumps(
                    {
                        "request_id": f"{kind}-{d}",
                        "ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "feature": FEATURES[(d // 3 + k) % len(FEATURES)],
                        "project_id": f"proj_{(d * k) % 3}",
                        "user_id": f"u_{d % 4}",
                        "api_key_id": f"key_{k % 2}",
                        **body,
                    }
                )
            )
    return out


def build_db(path: Path, lines: list[str] | None = None) -> duckdb.DuckDBPyConnection:
    """A real database file holding ``records()`` (or ``lines``), priced by the bundled catalog."""
    con = store.connect(path)
    catalog.materialise(con)
    log = path.with_suffix(".jsonl")
    log.write_text("\n".join(lines if lines is not None else records()) + "\n", encoding="utf-8")
    ingest.ingest_file(con, log, now=datetime(2026, 12, 5))
    return con
