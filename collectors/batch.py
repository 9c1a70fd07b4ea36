"""Batch API output files → request-log records, priced at the batch rate.

Feature tags come from the input file (``body.metadata.feature`` of the line with the same
``custom_id``), else from a ``custom_id`` prefix: ``"search:1234"`` → feature ``search``.
Failed lines (an HTTP error body, or an ``error`` such as ``batch_expired``) are recorded as
requests with status ``error`` and no tokens, never dropped; a line that is not JSON is passed
through so the ingest quarantines it. A Responses body's hosted tool calls (``web_search_call``,
``file_search_call``, ``code_interpreter_call`` output items) become ``tool_calls`` counts, counted
by the instrumented SDK's own function.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from spendwatch.collectors.files import NOT_UTF8
from spendwatch.collectors.instrument import tool_call_counts
from spendwatch.ingest import IngestResult, ingest_lines


def _input_index(path: Path | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if path is None:
        return out
    for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):  # \n only: U+2028 is data
        try:
            item = json.loads(line)
            out[str(item["custom_id"])] = item
        except (ValueError, KeyError, TypeError):
            continue
    return out


def batch_records(output: Path, input_file: Path | None = None) -> list[str]:
    """Request-log JSON lines for every line of a Batch output file (not-UTF-8 lines left out: see
    ``batch_lines``)."""
    return [line for line, reason in zip(*batch_lines(output, input_file), strict=True) if reason is None]


def batch_lines(output: Path, input_file: Path | None = None) -> tuple[list[str], list[str | None]]:
    """(request-log lines, pre-reasons) for every non-blank line of a Batch output file. Lines are split on
    ``\\n`` only (an answer may hold U+2028 or U+0085 raw); a line that is not UTF-8 keeps the reason
    ``not UTF-8 text`` and is quarantined, as in a JSONL file."""
    inputs = _input_index(input_file)
    fallback_ts = datetime.fromtimestamp(output.stat().st_mtime, UTC).isoformat().replace("+00:00", "Z")
    records: list[str] = []
    reasons: list[str | None] = []
    for raw in output.read_bytes().split(b"\n"):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            records.append(raw.decode("utf-8", errors="replace"))
            reasons.append(NOT_UTF8)
            continue
        if not line.strip():
            continue
        reasons.append(None)
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or "custom_id" not in item:
                raise ValueError
        except ValueError:
            records.append(line)  # quarantined by the ingest, with its raw text
            continue
        records.append(json.dumps(_record(item, inputs.get(str(item["custom_id"])), fallback_ts)))
    return records, reasons


def ingest_batch(con: duckdb.DuckDBPyConnection, output: Path, input_file: Path | None = None, *,
                 now: datetime | None = None) -> IngestResult:
    """One Batch output file in one transaction, idempotent (its request ids)."""
    lines, reasons = batch_lines(output, input_file)
    return ingest_lines(con, lines, source=f"batch:{output.resolve()}", kind="batch",
                        unit_key=str(output.resolve()), now=now, pre_reasons=reasons)


def _record(item: dict[str, Any], inp: dict[str, Any] | None, fallback_ts: str) -> dict[str, Any]:
    custom_id = str(item["custom_id"])
    resp = item.get("response") or {}
    body = resp.get("body") or {}
    req = (inp or {}).get("body") or {}
    meta = req.get("metadata") or {}
    feature = meta.get("feature") or (custom_id.split(":", 1)[0] if ":" in custom_id else None)
    created = body.get("created") or body.get("created_at")
    rec: dict[str, Any] = {
        "request_id": body.get("id") or item.get("id") or f"batch:{custom_id}",
        "ts": created if isinstance(created, int | float) else fallback_ts,
        "model": body.get("model") or req.get("model") or "unknown",
        "endpoint": ((inp or {}).get("url") or "/v1/chat/completions").removeprefix("/v1/").replace("/", "."),
        "batch": True,
        "feature": feature,
        "project_id": meta.get("project"),
        "user_id": meta.get("user") or req.get("user"),
        "tags": {"custom_id": custom_id},
    }
    status = resp.get("status_code")
    if status == 200 and "usage" in body:
        rec["usage"] = body["usage"]
        rec["status"] = "ok"
        calls = tool_call_counts(body)  # a Responses body's hosted tool calls, as the SDK counts them
        if calls:
            rec["tool_calls"] = calls
    else:
        err = body.get("error") or item.get("error") or {}
        rec["status"] = "error"
        rec["http_status"] = status
        rec["error_type"] = err.get("code") or err.get("type") or "batch_error"
    return {k: v for k, v in rec.items() if v is not None}
