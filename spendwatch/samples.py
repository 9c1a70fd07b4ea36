"""Captured samples (opt-in): the redacted request body and answer of a small share of calls, kept
in their own table (`samples`) so that `spendwatch replay` can rerun real prompts on another model.

Nothing is captured unless ``instrument(client, capture=0.02)`` or a ``[capture]`` section in the
TOML config asks for it. Keys, bearer tokens and e-mail addresses are redacted in the app process,
before anything touches the disk; a team adds its own rules with ``redact=``. Apps hand samples to
the one writer through ``<spool>/samples/`` (one file per sample, written to a temp name and
renamed), which `serve` (or `replay`) drains; retention deletes samples older than N days.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from spendwatch import store
from spendwatch.config import Settings
from spendwatch.scheduler import job_factory

log = logging.getLogger("spendwatch.samples")

Redactor = Callable[[str], str]
DEFAULT_MAX_CHARS = 20_000
DEFAULT_RETENTION_DAYS = 30
# Request fields a replay needs (the rest, e.g. `stream` or `user`, is not kept).
REQUEST_FIELDS = (
    "messages",
    "tools",
    "tool_choice",
    "response_format",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "seed",
    "stop",
    "n",
    "parallel_tool_calls",
    "reasoning_effort",
)
_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"), "Bearer [REDACTED:token]"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), "[REDACTED:key]"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "[REDACTED:key]"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b"), "[REDACTED:key]"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "[REDACTED:key]"),
    (
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        "[REDACTED:token]",
    ),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[REDACTED:email]"),
]


def redact_text(text: str, extra: Redactor | None = None) -> str:
    """API keys, bearer tokens (and JWTs), e-mail addresses out; then the team's own hook."""
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return extra(text) if extra is not None else text


def redact(value: Any, extra: Redactor | None = None) -> Any:
    """Every string inside a JSON-like value, redacted (keys of dicts are left as they are)."""
    if isinstance(value, str):
        return redact_text(value, extra)
    if isinstance(value, dict):
        return {k: redact(v, extra) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, extra) for v in value]
    return value


@dataclass
class CaptureConfig:
    """How much to capture: a rate (0..1) per feature, the size limit and the retention."""

    rate: float = 0.0
    features: dict[str, float] = field(default_factory=dict)
    max_chars: int = DEFAULT_MAX_CHARS
    retention_days: int = DEFAULT_RETENTION_DAYS
    redact: Redactor | None = None

    def rate_for(self, feature: str | None) -> float:
        return self.features.get(feature or "", self.rate)

    @property
    def enabled(self) -> bool:
        return self.rate > 0 or any(r > 0 for r in self.features.values())


def capture_config(
    toml: dict[str, Any], *, rate: float | None = None, redactor: Redactor | None = None
) -> CaptureConfig:
    """``[capture]`` (rate, max_chars, retention_days, [capture.features]) with the call's own
    ``capture=`` rate winning; absent both, capture is off."""
    section = toml.get("capture", {}) or {}
    cfg = CaptureConfig(
        rate=float(section.get("rate", 0.0)),
        features={str(k): float(v) for k, v in (section.get("features", {}) or {}).items()},
        max_chars=int(section.get("max_chars", DEFAULT_MAX_CHARS)),
        retention_days=int(section.get("retention_days", DEFAULT_RETENTION_DAYS)),
        redact=redactor,
    )
    if rate is not None:
        cfg.rate = float(rate)
    for r in (cfg.rate, *cfg.features.values()):
        if not 0 <= r <= 1:
            raise ValueError(f"capture rate must be between 0 and 1, got {r}")
    return cfg


def answer_of(response: Any) -> str | None:
    """The first choice's text, or its tool calls as JSON (what a replay is compared on); ``response``
    is the SDK's object or the same body as JSON (a Batch output line)."""
    if isinstance(response, dict):
        choices = response.get("choices") or []
        msg = choices[0]["message"] if choices else None
        calls = (msg or {}).get("tool_calls")
        content = (msg or {}).get("content")
        calls = [(c["function"]["name"], c["function"]["arguments"]) for c in calls or []]
    else:
        choices = getattr(response, "choices", None) or []
        msg = choices[0].message if choices else None
        content = getattr(msg, "content", None)
        raw = getattr(msg, "tool_calls", None) or []
        calls = [(c.function.name, c.function.arguments) for c in raw]
    if msg is None:
        return None
    if calls:
        return json.dumps([{"name": n, "arguments": a} for n, a in calls])
    return content


def sample_record(
    kwargs: dict[str, Any],
    response: Any,
    *,
    feature: str | None,
    latency_ms: float,
    ts: str,
    cfg: CaptureConfig,
) -> dict[str, Any] | None:
    """The redacted sample of one chat completion; None when it is larger than ``max_chars``."""
    body = {k: _plain(kwargs[k]) for k in REQUEST_FIELDS if k in kwargs and kwargs[k] is not None}
    usage = getattr(response, "usage", None)
    rec = {
        "sample_id": getattr(response, "id", None) or f"sample-{uuid.uuid4().hex}",
        "ts": ts,
        "feature": feature or "(untagged)",
        "model": getattr(response, "model", None) or kwargs.get("model"),
        "endpoint": "chat.completions",
        "request": redact(body, cfg.redact),
        "answer": redact(answer_of(response), cfg.redact),
        "input_tokens": getattr(usage, "prompt_tokens", 0) or 0,
        "output_tokens": getattr(usage, "completion_tokens", 0) or 0,
        "latency_ms": latency_ms,
    }
    text = json.dumps(rec, ensure_ascii=False)
    return None if len(text) > cfg.max_chars else rec


def _plain(value: Any) -> Any:
    """SDK objects (pydantic models, TypedDicts) as plain JSON values."""
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(exclude_none=True)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def spool_dir(settings_spool: Path) -> Path:
    return Path(settings_spool) / "samples"


def write_spooled(directory: Path, rec: dict[str, Any]) -> Path:
    """One sample, one file: written to a temp name, then renamed (the drain never sees half)."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex}"
    tmp = directory / f"{name}.json.part"
    tmp.write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    final = directory / f"{name}.json"
    os.replace(tmp, final)
    return final


def store_samples(
    con: duckdb.DuckDBPyConnection, recs: Iterable[dict[str, Any]], *, source: str
) -> int:
    """Insert samples (a sample id already stored is skipped). Returns how many were new."""
    rows = [
        (
            r["sample_id"],
            r["ts"],
            r.get("feature") or "(untagged)",
            r["model"],
            r.get("endpoint", "chat.completions"),
            json.dumps(r["request"]),
            r.get("answer"),
            int(r.get("input_tokens") or 0),
            int(r.get("output_tokens") or 0),
            r.get("latency_ms"),
            source,
        )
        for r in recs
        if r.get("model") and isinstance(r.get("request"), dict)
    ]
    if not rows:
        return 0
    before = con.execute(store.query("samples_count")).fetchone()[0]
    con.executemany(store.query("samples_insert"), rows)
    return con.execute(store.query("samples_count")).fetchone()[0] - before


def drain(con: duckdb.DuckDBPyConnection, directory: Path) -> int:
    """Store every finished sample file in ``directory`` and delete it; an unreadable file is
    renamed ``*.bad`` (kept for a person) and logged."""
    if not directory.is_dir():
        return 0
    n = 0
    for f in sorted(directory.glob("*.json")):
        try:
            rec = json.loads(f.read_text(encoding="utf-8"))
            n += store_samples(con, [rec], source="capture")
        except (ValueError, KeyError, TypeError, duckdb.Error) as e:
            log.warning("sample file %s unreadable (%s): kept as .bad", f.name, e)
            os.replace(f, f.with_suffix(".bad"))
            continue
        f.unlink(missing_ok=True)
    return n


def purge(con: duckdb.DuckDBPyConnection, *, older_than: timedelta, now: datetime) -> int:
    """Delete samples captured before ``now - older_than``. Returns how many went."""
    cutoff = now - older_than
    before = con.execute(store.query("samples_count")).fetchone()[0]
    con.execute(store.query("samples_purge"), {"cutoff": cutoff})
    return before - con.execute(store.query("samples_count")).fetchone()[0]


_DURATION = re.compile(r"^\s*(\d+)\s*([dhw])\s*$")


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``2w``."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"a duration looks like 30d, 12h or 2w, got {text!r}")
    n, unit = int(m.group(1)), m.group(2)
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "w": timedelta(weeks=n)}[unit]


def batch_samples(
    input_file: Path,
    output_file: Path,
    *,
    feature: str | None = None,
    redactor: Redactor | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Samples from a Batch API input file and its output file, joined on ``custom_id`` (chat
    completions with a 200 answer only). Returns (samples, lines skipped)."""
    inputs: dict[str, dict[str, Any]] = {}
    for line in input_file.read_text(encoding="utf-8", errors="replace").split("\n"):
        if line.strip():
            try:
                item = json.loads(line)
                inputs[str(item["custom_id"])] = item
            except (ValueError, KeyError, TypeError):
                continue
    cfg = CaptureConfig(rate=1.0, max_chars=10**9, redact=redactor)
    out: list[dict[str, Any]] = []
    skipped = 0
    fallback = datetime.fromtimestamp(output_file.stat().st_mtime, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    for line in output_file.read_text(encoding="utf-8", errors="replace").split("\n"):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            src = inputs[str(item["custom_id"])]
            resp = item.get("response") or {}
            body = resp.get("body") or {}
            if (
                resp.get("status_code") != 200
                or not src.get("url", "").endswith("/chat/completions")
                or not body.get("choices")
            ):
                skipped += 1
                continue
            req = src.get("body") or {}
            feat = feature or (req.get("metadata") or {}).get("feature")
            if not feat and ":" in str(item["custom_id"]):
                feat = str(item["custom_id"]).split(":", 1)[0]
            answer = answer_of(body)
            created = body.get("created")
            out.append(
                {
                    "sample_id": body.get("id") or f"batch-{item['custom_id']}",
                    "ts": datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                    if created
                    else fallback,
                    "feature": feat or "(untagged)",
                    "model": body.get("model") or req.get("model"),
                    "endpoint": "chat.completions",
                    "request": redact({k: req[k] for k in REQUEST_FIELDS if k in req}, cfg.redact),
                    "answer": redact(answer, cfg.redact),
                    "input_tokens": (body.get("usage") or {}).get("prompt_tokens", 0),
                    "output_tokens": (body.get("usage") or {}).get("completion_tokens", 0),
                    "latency_ms": None,
                }
            )
        except (ValueError, KeyError, TypeError, IndexError):
            skipped += 1
    return out, skipped


def retention_days(settings: Settings) -> int:
    cfg = settings.load_toml().get("capture", {}) or {}
    return int(cfg.get("retention_days", DEFAULT_RETENTION_DAYS))


@job_factory
def _samples_drain_job(settings: Settings, con: duckdb.DuckDBPyConnection):
    """`serve`: store samples the apps handed over (every 5 s)."""
    directory = spool_dir(settings.spool_dir())

    def run() -> None:
        drain(con.cursor(), directory)

    return ("samples-drain", run, 5)


@job_factory
def _samples_retention_job(settings: Settings, con: duckdb.DuckDBPyConnection):
    """`serve`: delete samples older than ``[capture] retention_days`` (default 30), hourly."""
    keep = timedelta(days=retention_days(settings))

    def run(now: datetime) -> None:
        n = purge(con.cursor(), older_than=keep, now=now)
        if n:
            log.info("retention: %d samples older than %s deleted", n, keep)

    return ("samples-retention", run, 3600)
