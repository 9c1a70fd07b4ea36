"""Costs API line items → (model, part, tier): the one place that reads their free text.

OpenAI's Costs API names what it billed in a ``line_item`` string that its docs do not list
(``shared/openai/FACTS-2026.md``). Seen in client code::

    gpt-4o-2024-08-06, input            gpt-4o-2024-08-06, cached input     gpt-5.6, cache writes
    priority | gpt-5, output            gpt-5.4, input, long context        gpt-audio audio, input
    web search tool calls               Vector storage                      (fine-tuning training)

The parts are the same names the price catalog and ``request_cost_parts`` use, so a billed line
can be set beside the logged cost of that part. A long-context line keeps its base part with
``LONG_CONTEXT`` appended (``input_long_context``); :func:`split_long_context` undoes that.
Parsing is defensive: text it does not know gives part ``"unrecognised"`` (the caller keeps the
text and counts it), never an exception.
"""

from __future__ import annotations

import re
from typing import NamedTuple

TIERS = ("standard", "batch", "flex", "priority")
# Per-request parts (a logged request can carry them) ...
TOKEN_PARTS = (
    "input",
    "cached_input",
    "cache_write",
    "output",
    "audio_input",
    "cached_audio_input",
    "audio_output",
    "image_input",
    "cached_image_input",
    "image_output",
)
CALL_PARTS = ("web_search", "file_search", "code_interpreter", "search_preview", "audio_seconds")
# ... and organisation-level charges with no request behind them.
ORG_PARTS = ("vector_storage", "container_storage", "fine_tuning_training", "fine_tuning_hosting")
PARTS = (*TOKEN_PARTS, *CALL_PARTS, *ORG_PARTS, "unrecognised")
LONG_CONTEXT = "_long_context"


class LineItem(NamedTuple):
    model: str  # '' when the line has no model (tool calls, storage)
    part: str  # one of PARTS, a token part may end in LONG_CONTEXT
    tier: str  # one of TIERS


# Lines without a model, matched on the whole (lower-cased) text.
_ORG = (
    (re.compile(r"\bvector stor"), "vector_storage"),
    (re.compile(r"\bweb search"), "web_search"),
    (re.compile(r"\bfile search"), "file_search"),
    (re.compile(r"\bcode interpreter|\bcontainer session"), "code_interpreter"),
    (re.compile(r"\bcontainer"), "container_storage"),
    (re.compile(r"\bfine[- ]?tun\w*.*\btraining\b|\btraining\b"), "fine_tuning_training"),
    (re.compile(r"\bhosting\b"), "fine_tuning_hosting"),
)
_KIND_WORDS = {"audio": "audio", "image": "image", "images": "image", "text": ""}
_TOKEN_WORDS = {
    "input": "input",
    "input tokens": "input",
    "output": "output",
    "output tokens": "output",
    "cached input": "cached_input",
    "cached input tokens": "cached_input",
    "cache write": "cache_write",
    "cache writes": "cache_write",
    "cached write": "cache_write",
    "cache write input": "cache_write",
    "minutes": "seconds",
    "audio minutes": "seconds",
    "seconds": "seconds",
    "duration": "seconds",
}


def parse_line_item(text: str | None) -> LineItem:
    """``"priority | gpt-5.4, input, long context"`` → ``("gpt-5.4", "input_long_context", "priority")``."""
    raw = (text or "").strip()
    tier = "standard"
    if " | " in raw:
        head, rest = raw.split(" | ", 1)
        if head.strip().lower() in TIERS:
            tier, raw = head.strip().lower(), rest.strip()
    low = raw.lower()
    pieces = [p.strip() for p in raw.split(",")]
    long_ctx = any(p.lower() in ("long context", "long-context") for p in pieces[1:])
    pieces = [
        pieces[0],
        *[p for p in pieces[1:] if p.lower() not in ("long context", "long-context")],
    ]
    for p in pieces[1:]:
        if p.lower() in TIERS:  # "gpt-4o, input, batch"
            tier = p.lower()
    pieces = [pieces[0], *[p for p in pieces[1:] if p.lower() not in TIERS]]

    if len(pieces) >= 2 and pieces[0]:
        model, kind, what = _model_and_kind(pieces[0])
        what = what or pieces[1].lower()
        words = what.split()
        if words and words[0] in _KIND_WORDS:  # "gpt-audio, audio input"
            kind, what = _KIND_WORDS[words[0]], " ".join(words[1:])
        part = _token_part(kind, what)
        if part == "audio_seconds":
            return LineItem(model, part, tier)
        if part is None:
            part = _org_part(what) or _org_part(low)
            if part == "web_search" and model.endswith("-search-preview"):
                part = "search_preview"  # the per-request search fee of the search-preview models
            if part in ORG_PARTS or part in CALL_PARTS:
                return LineItem(model, part, tier)
            return LineItem(model, "unrecognised", tier)
        return LineItem(model, part + LONG_CONTEXT if long_ctx else part, tier)
    part = _org_part(low)
    return LineItem("", part or "unrecognised", tier)


def _model_and_kind(head: str) -> tuple[str, str, str]:
    """``"gpt-audio audio"`` → (``gpt-audio``, ``audio``, ``""``); a plain model → (model, "", "")."""
    words = head.split()
    model = words[0]
    kind = ""
    what = ""
    for w in words[1:]:
        lw = w.lower()
        if lw in _KIND_WORDS:
            kind = _KIND_WORDS[lw]
        else:
            what = (what + " " + lw).strip()
    return model, kind, what


def _token_part(kind: str, what: str) -> str | None:
    base = _TOKEN_WORDS.get(what.strip())
    if base is None:
        return None
    if base == "seconds":
        return "audio_seconds"
    if not kind:
        return base
    if base == "cached_input":
        return f"cached_{kind}_input"
    if base == "cache_write":
        return "cache_write"
    return f"{kind}_{base}"


def _org_part(text: str) -> str | None:
    for rx, part in _ORG:
        if rx.search(text):
            return part
    return None


def split_long_context(part: str) -> tuple[str, bool]:
    """``"input_long_context"`` → (``"input"``, True); any other part → (part, False)."""
    if part.endswith(LONG_CONTEXT):
        return part[: -len(LONG_CONTEXT)], True
    return part, False
