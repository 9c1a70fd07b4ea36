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


def refresh_model_map(con: duckdb.DuckDBPyConnection, *, full: bool = False, new_in: str = "requests") -> int:
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
        "INSERT OR REPLACE INTO model_map VALUES (?, ?, ?)", [(r.model, r.price_model, r.rule) for r in res]
    )
    return len(res)


def price_in_force(
    con: duckdb.DuckDBPyConnection, model: str, *, at: datetime | None = None, tier: str = "standard"
) -> dict[str, Any] | None:
    """The price row a request for ``model`` at ``at`` would use, with how it was resolved."""
    at = at or datetime.utcnow()
    res = resolve(model, price_keys(con))
    if res.price_model is None:
        return None
    rows = fetch_dicts(
        con,
        "SELECT * FROM prices WHERE model = $m AND tier = $t AND effective_from <= $at "
        "ORDER BY effective_from DESC LIMIT 1",
        {"m": res.price_model, "t": tier, "at": at},
    )
    if not rows:
        return None
    return {"model": model, "price_model": res.price_model, "rule": res.rule, **rows[0]}


def cost_usd(
    input_tokens: int, cached_tokens: int, output_tokens: int, *, input_rate: Decimal,
    cached_rate: Decimal | None, output_rate: Decimal,
) -> Decimal:
    """The DESIGN.md formula for one request, in Python: used to explain a cost, never to total one."""
    cached_rate = input_rate if cached_rate is None else cached_rate
    return (
        (input_tokens - cached_tokens) * input_rate + cached_tokens * cached_rate + output_tokens * output_rate
    ) / Decimal(1_000_000)
