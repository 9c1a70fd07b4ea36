"""Small builders shared by tests."""

from __future__ import annotations

import json
from typing import Any


def chat_record(request_id: str, model: str, prompt: int, completion: int, *, cached: int = 0, reasoning: int = 0,
                ts: str = "2026-11-10T12:00:00Z", **extra: Any) -> str:
    return json.dumps({
        "request_id": request_id, "ts": ts, "model": model, "endpoint": "chat.completions",
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
                  "prompt_tokens_details": {"cached_tokens": cached},
                  "completion_tokens_details": {"reasoning_tokens": reasoning}},
        **extra,
    })


def cost_of(con, request_id: str):
    return con.execute("SELECT cost_usd FROM requests_priced WHERE request_id = ?", [request_id]).fetchall()[0][0]
