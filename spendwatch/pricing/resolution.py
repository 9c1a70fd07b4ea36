"""Which price a model name gets, and what it costs: resolution rules plus price look-ups.

Resolution runs once per distinct model name (a handful), never per request; cost itself is SQL
(the ``requests_priced`` view).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from spendwatch.pricing.genai import openai_models
from spendwatch.store import fetch_dicts

_DATED = re.compile(r"^(?P<family>.+?)-(\d{4}-\d{2}-\d{2}|\d{4})$")
_FINE_TUNE = re.compile(r"^ft:(?P<base>[^:]+):")


@dataclass(frozen=True)
class Resolution:
    model: str
    price_model: str | None
    rule: str


def resolve(model: str, keys: set[str]) -> Resolution:
    """Exact key; else the catalog's own match rules; else the dated snapshot's family; else unpriced.

    ``gpt-4o-2024-05-13`` has its own key, so it never falls back to ``gpt-4o``. Fine-tunes
    (``ft:gpt-4o-mini-2024-07-18:org::id``) match the catalog's fine-tune entry, never the base model.
    """
    if model in keys:
        return Resolution(model, model, "exact")
    for m in _catalog_models():
        if m.id in keys and m.match.is_match(model):
            return Resolution(model, m.id, "catalog match")
    ft = _FINE_TUNE.match(model)
    if ft:
        return Resolution(model, None, "unpriced fine-tune (add it to [[pricing.models]])")
    dated = _DATED.match(model)
    if dated and dated.group("family") in keys:
        return Resolution(model, dated.group("family"), "snapshot family")
    return Resolution(model, None, "unpriced")


def _catalog_models() -> list[Any]:
    return openai_models()


def price_keys(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {k for (k,) in con.execute("SELECT DISTINCT model FROM prices").fetchall()}


_MODEL_SOURCES = {
    "requests": "SELECT DISTINCT model FROM requests WHERE model NOT IN (SELECT model FROM model_map)",
    "_staged": "SELECT DISTINCT model FROM _staged WHERE model IS NOT NULL AND model NOT IN (SELECT model FROM model_map)",
}


def refresh_model_map(
    con: duckdb.DuckDBPyConnection, *, full: bool = False, new_in: str = "requests"
) -> int:
    """Resolve model names not yet in ``model_map`` (all of them when ``full``). Returns how many.

    ``new_in="_staged"`` looks only at the batch being ingested, so ingest never scans history.
    """
    if full:
        con.execute("DELETE FROM model_map")
    names = [m for (m,) in con.execute(_MODEL_SOURCES["requests" if full else new_in]).fetchall()]
    if not names:
        return 0
    keys = price_keys(con)
    res = [resolve(n, keys) for n in names]
    con.executemany(
        "INSERT OR REPLACE INTO model_map VALUES (?, ?, ?)",
        [(r.model, r.price_model, r.rule) for r in res],
    )
    return len(res)


NANO = Decimal("0.000000001")
FEMTO = Decimal("0.000000000000001")
# (column, part, unit, scale to USD per unit) for the parts beyond text in price_rates
PART_COLUMNS = (
    ("cache_write_nano", "cache write", "1M tokens", NANO),
    ("audio_in_nano", "audio input", "1M tokens", NANO),
    ("cached_audio_nano", "cached audio input", "1M tokens", NANO),
    ("audio_out_nano", "audio output", "1M tokens", NANO),
    ("image_in_nano", "image input", "1M tokens", NANO),
    ("image_out_nano", "image output", "1M tokens", NANO),
    ("web_search_fusd", "web search", "1k calls", FEMTO * 1000),
    ("file_search_fusd", "file search", "1k calls", FEMTO * 1000),
    ("code_session_fusd", "code interpreter", "session", FEMTO),
    ("search_request_fusd", "search-preview search", "1k requests", FEMTO * 1000),
    ("audio_hour_nano", "audio", "minute", NANO / 60),
)


def price_in_force(
    con: duckdb.DuckDBPyConnection, model: str, *, at: datetime, tier: str = "standard"
) -> dict[str, Any] | None:
    """The rates a request for ``model`` at ``at`` on ``tier`` is charged: the final ``price_rates`` row
    (dated-name family rules, tier fallbacks and the batch 50 % rule applied), with every part.

    Keys: model, price_model, rule, tier, effective_from, valid_to, input/cached/output_per_mtok,
    source, parts (list of {part, rate, unit}), long_context (threshold and rates, or None),
    parts_source, residency_factor (× the token parts on an eu./us. data-residency host, or None)."""
    from spendwatch import store

    res = resolve(model, price_keys(con))
    if res.price_model is None:
        return None
    rows = fetch_dicts(
        con, store.query("price_rates_in_force"), {"m": res.price_model, "t": tier, "at": at}
    )
    if not rows:
        return None
    r = rows[0]
    parts = [
        {
            "part": part,
            "rate": (Decimal(r[col]) * scale).quantize(Decimal("1e-12")).normalize(),
            "unit": unit,
        }
        for col, part, unit, scale in PART_COLUMNS
        if r[col] is not None
    ]
    lc = None
    if r["lc_threshold"] is not None:
        lc = {
            "over_input_tokens": r["lc_threshold"],
            "input_per_mtok": (Decimal(r["input_lc_nano"]) * NANO).normalize(),
            "cached_per_mtok": (Decimal(r["cached_lc_nano"]) * NANO).normalize(),
            "output_per_mtok": (Decimal(r["output_lc_nano"]) * NANO).normalize(),
        }
    return {
        "model": model,
        "price_model": res.price_model,
        "rule": res.rule,
        "tier": tier,
        "effective_from": r["valid_from"],
        "valid_to": r["valid_to"],
        "input_per_mtok": r["input_rate"],
        "cached_per_mtok": r["cached_rate"],
        "output_per_mtok": r["output_rate"],
        "source": r["price_source"],
        "parts": parts,
        "long_context": lc,
        "parts_source": r["parts_source"],
        "residency_factor": r["residency_factor"],
    }


def cost_usd(
    input_tokens: int,
    cached_tokens: int,
    output_tokens: int,
    *,
    input_rate: Decimal,
    cached_rate: Decimal | None,
    output_rate: Decimal,
) -> Decimal:
    """The DESIGN.md formula for one request, in Python: used to explain a cost, never to total one."""
    cached_rate = input_rate if cached_rate is None else cached_rate
    return (
        (input_tokens - cached_tokens) * input_rate
        + cached_tokens * cached_rate
        + output_tokens * output_rate
    ) / Decimal(1_000_000)
