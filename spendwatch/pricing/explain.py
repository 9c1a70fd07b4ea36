"""Cost explain by part: what each part of one request cost, at which rate, from which source.

Reads the ``request_cost_parts`` view (the same arithmetic as ``requests_priced``), so the parts
always add up to the request's cost. Used by ``spendwatch explain`` and the dashboard's Explore page.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb

from spendwatch import store
from spendwatch.money import usd_exact

PER = {
    "tokens": Decimal(1_000_000),
    "calls": Decimal(1000),
    "sessions": Decimal(1),
    "requests": Decimal(1000),
    "seconds": Decimal(60),
}
PER_LABEL = {
    "tokens": "1M tokens",
    "calls": "1k calls",
    "sessions": "session",
    "requests": "1k requests",
    "seconds": "minute",
}
TEXT_PARTS = {"input", "cached_input", "output"}
FEMTO = Decimal("1e-15")
UPLIFT = "residency_uplift"  # quantity: the token parts' cost (1e-15 USD); rate: the factor - 1


def cost_parts(con: duckdb.DuckDBPyConnection, request_id: str) -> list[dict[str, Any]]:
    """One dict per billed part: part, quantity, unit, rate (USD per ``per``), per, cost_usd, source."""
    rows = store.fetch_dicts(con, store.query("request_cost_parts"), {"request_id": request_id})
    out = []
    for r in rows:
        if r["part"] == UPLIFT:
            out.append(_uplift(r))
            continue
        if r["usd_per_unit"] is None:  # an unpriced model: no part has a rate (the caller says so)
            continue
        rate = (Decimal(r["usd_per_unit"]) * PER[r["unit"]]).quantize(Decimal("1e-12")).normalize()
        part = r["part"] + (
            " (long context)" if r["long_context"] and r["unit"] == "tokens" else ""
        )
        source = (
            r["price_source"]
            if r["part"] in TEXT_PARTS
            else _part_source(r["parts_source"], r["part"])
        )
        if r["long_context"] and r["unit"] == "tokens":
            source += "; long-context rule: " + _part_source(
                r["parts_source"], "long_context_input"
            )
        out.append(
            {
                "part": part,
                "quantity": r["quantity"],
                "unit": r["unit"],
                "rate": rate,
                "per": PER_LABEL[r["unit"]],
                "cost_usd": r["cost_usd"],
                "source": source,
            }
        )
    return out


def _uplift(r: dict[str, Any]) -> dict[str, Any]:
    """The data-residency uplift as a part: ``rate`` × the token parts' cost (``quantity``, in USD)."""
    return {
        "part": f"{UPLIFT} ({r['data_residency']})",
        "quantity": (Decimal(r["quantity"]) * FEMTO).normalize(),
        "unit": "USD",
        "rate": (Decimal(r["usd_per_unit"]) / FEMTO).quantize(Decimal("1e-9")).normalize(),
        "per": "USD of tokens",
        "cost_usd": r["cost_usd"],
        "source": _part_source(r["parts_source"], UPLIFT),
    }


def describe(p: dict[str, Any]) -> str:
    """'300 tokens × $4.00/1M tokens', or '+10 % of $0.046 token cost' for the residency uplift."""
    if p["unit"] == "USD":
        return f"+{(p['rate'] * 100).normalize():f} % of {usd_exact(p['quantity'])} token cost"
    return f"{p['quantity'].normalize():,f} {p['unit']} × {usd_exact(p['rate'])}/{p['per']}"


def _part_source(parts_source: str | None, part: str) -> str:
    """This part's entry of the price row's ``parts_source`` ('part: source; ...')."""
    key = {"audio_seconds": "audio_hour"}.get(part, part)
    for item in (parts_source or "").split("; "):
        if item.startswith(key + ": "):
            return item[len(key) + 2 :]
    return "the text rate (no rate of its own for this part)"


def formula(parts: list[dict[str, Any]]) -> str:
    """'300 tokens × $4.00/1M tokens + … = $0.09104'."""
    terms = [describe(p) for p in parts]
    total = sum((p["cost_usd"] for p in parts if p["cost_usd"] is not None), start=Decimal(0))
    return " + ".join(terms) + f" = {usd_exact(total)}"


def is_text_only(parts: list[dict[str, Any]]) -> bool:
    return all(p["part"] in TEXT_PARTS for p in parts)
