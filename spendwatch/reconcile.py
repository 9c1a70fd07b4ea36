"""Reconcile the request logs with what OpenAI counted and billed.

Per UTC day | project | model (or any roll-up of those), side by side:

* **logged**: requests and their cost from the request logs (``requests_priced``),
* **usage**: requests and tokens from the organization Usage API (``usage_buckets``), and those
  tokens priced by the catalog (batch buckets at the batch rate, flex/priority at theirs),
* **billed**: the amount from the Costs API (``cost_buckets``),

with ``drift_usd = billed − logged``, ``drift_pct = drift / logged × 100`` and a short reason
where one is known. Money is exact (``Decimal``) from the database to the output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from spendwatch import store
from spendwatch.errors import SpendwatchError
from spendwatch.pricing import price_keys, resolve
from spendwatch.pricing.line_items import parse_line_item, split_long_context
from spendwatch.report import window

DIMENSIONS = ("day", "project", "model")
MONEY = ("logged_cost_usd", "usage_cost_usd", "billed_usd", "drift_usd")
# Columns of each row after the --by columns (the JSON/CSV contract).
COLUMNS = (
    "logged_requests",
    "logged_cost_usd",
    "logged_unpriced_requests",
    "usage_requests",
    "usage_input_tokens",
    "usage_cached_tokens",
    "usage_output_tokens",
    "usage_cost_usd",
    "usage_unpriced_requests",
    "billed_usd",
    "drift_usd",
    "drift_pct",
    "reason",
)
PCT = Decimal("0.01")


@dataclass(frozen=True)
class Tolerance:
    """Two amounts agree when they differ by less than ``usd`` or less than ``pct`` % of the larger
    (relative: a 13 % gap on a small day is a difference, a 0.1 % gap on a large one is not)."""

    usd: Decimal = Decimal("0.01")
    pct: Decimal = Decimal("0.5")

    def differ(self, a: Decimal, b: Decimal) -> bool:
        gap = abs(a - b)
        return gap >= self.usd and gap * 100 >= self.pct * max(abs(a), abs(b))


def parse_by(value: str | list[str] | None) -> list[str]:
    """'day,model' → ['day', 'model'], in the canonical order; anything else is an error."""
    if value is None or value == "":
        return list(DIMENSIONS)
    parts = value.split(",") if isinstance(value, str) else list(value)
    cols = [p.strip() for p in parts if p.strip()]
    bad = [c for c in cols if c not in DIMENSIONS]
    if bad:
        raise SpendwatchError(
            f"unknown --by column {bad[0]!r}; choose from {', '.join(DIMENSIONS)}"
        )
    return [d for d in DIMENSIONS if d in cols]


def map_usage_models(con: duckdb.DuckDBPyConnection) -> int:
    """Resolve the Usage API's model names to catalog prices (like request models). Returns how many."""
    names = [m for (m,) in con.execute(store.query("reconcile_unmapped_models")).fetchall()]
    if not names:
        return 0
    keys = price_keys(con)
    rows = [(r.model, r.price_model, r.rule) for r in (resolve(n, keys) for n in names)]
    with store.transaction(con):
        con.executemany(store.query("reconcile_map_models"), rows)
    return len(rows)


def has_synced(
    con: duckdb.DuckDBPyConnection,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
) -> bool:
    """Whether any Usage or Costs API bucket falls in the window (``end`` inclusive, as in reconcile)."""
    lo, hi = window(start, end)
    return bool(con.execute(store.query("reconcile_synced"), {"start": lo, "end": hi}).fetchone()[0])


def reconcile(
    con: duckdb.DuckDBPyConnection,
    *,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
    by: str | list[str] | None = None,
    tolerance: Tolerance | None = None,
) -> list[dict[str, Any]]:
    """One row per group: the --by columns, then COLUMNS. ``end`` is the last day, inclusive."""
    cols = parse_by(by)
    lo, hi = window(start, end)
    tolerance = tolerance or Tolerance()
    map_usage_models(con)
    load_line_items(con)
    params = {
        "start": lo,
        "end": hi,
        "by_day": "day" in cols,
        "by_project": "project" in cols,
        "by_model": "model" in cols,
    }
    parts = _parts_by_group(con, params, cols)
    out = []
    for r in store.fetch_dicts(con, store.query("reconcile_rows"), params):
        key = tuple(r[c] for c in cols)
        out.append(_finish(r, cols, tolerance, parts.get(key, {})))
    return out


def load_line_items(con: duckdb.DuckDBPyConnection) -> int:
    """Parse each distinct Costs API line item once into ``_line_items`` (model, part, tier)."""
    texts = [t for (t,) in con.execute("SELECT DISTINCT line_item FROM cost_buckets").fetchall()]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _line_items "
        "(line_item VARCHAR PRIMARY KEY, model VARCHAR, part VARCHAR, tier VARCHAR)"
    )
    if texts:
        con.executemany(
            "INSERT INTO _line_items VALUES (?, ?, ?, ?)", [(t, *parse_line_item(t)) for t in texts]
        )
    return len(texts)


def _parts_by_group(
    con: duckdb.DuckDBPyConnection, params: dict[str, Any], cols: list[str]
) -> dict[tuple, dict[tuple[str, str], list[Decimal]]]:
    """(group key) -> {(part, tier): [logged, billed]} from reconcile_parts.sql."""
    out: dict[tuple, dict[tuple[str, str], list[Decimal]]] = {}
    q = {"start": params["start"], "end": params["end"]}
    for r in store.fetch_dicts(con, store.query("reconcile_parts"), q):
        key = tuple(r[c] for c in cols)
        cell = out.setdefault(key, {}).setdefault((r["part"], r["tier"]), [Decimal(0), Decimal(0)])
        cell[0] += r["logged_usd"]
        cell[1] += r["billed_usd"]
    return out


AUDIO_PARTS = {"audio_input", "cached_audio_input", "audio_output", "audio_seconds"}
TOOL_PARTS = {"web_search", "file_search", "code_interpreter", "search_preview"}
STORAGE_PARTS = {"vector_storage", "container_storage"}
TRAINING_PARTS = {"fine_tuning_training", "fine_tuning_hosting"}


def part_reasons(parts: dict[tuple[str, str], list[Decimal]], tol: Tolerance) -> list[str]:
    """Specific reasons, part by part, for what billed and logged disagree on (text tokens excepted:
    the generic reason covers those)."""
    by_part: dict[str, list[Decimal]] = {}
    by_tier: dict[str, list[Decimal]] = {}
    for (part, tier), (logged, billed) in parts.items():
        for acc, k in ((by_part, part), (by_tier, tier)):
            cell = acc.setdefault(k, [Decimal(0), Decimal(0)])
            cell[0] += logged
            cell[1] += billed
    out: list[str] = []
    for part in sorted(by_part):
        logged, billed = by_part[part]
        if not tol.differ(billed, logged):
            continue
        base, long_ctx = split_long_context(part)
        gap = f"billed ${billed:,.2f}, the logs price ${logged:,.2f}"
        if long_ctx:
            out.append(f"long-context surcharge ({base.replace('_', ' ')}): {gap}")
        elif base in AUDIO_PARTS:
            out.append(f"audio billed at audio rates ({base.replace('_', ' ')}): {gap}")
        elif base in TOOL_PARTS:
            if billed == 0:
                out.append(f"tool calls billed without a model: the logs price ${logged:,.2f} of {base.replace('_', ' ')} here")
            elif logged == 0:
                out.append(f"tool calls not in the logs: ${billed:,.2f} of {base.replace('_', ' ')}")
            else:
                out.append(f"tool calls ({base.replace('_', ' ')}): {gap}")
        elif base in STORAGE_PARTS:
            out.append(f"storage: not per request (${billed:,.2f} {base.replace('_', ' ')})")
        elif base in TRAINING_PARTS:
            out.append(f"fine-tuning: not per request (${billed:,.2f} {base.replace('_', ' ')})")
        elif base == "cache_write":
            out.append(f"cache writes: {gap}")
        elif base in ("image_input", "image_output"):
            out.append(f"images billed at image rates ({base.replace('_', ' ')}): {gap}")
        elif base == "unrecognised":
            out.append(f"unrecognised line items: ${billed:,.2f} (kept, not attributed)")
    for tier in ("priority", "flex"):
        logged, billed = by_tier.get(tier, [Decimal(0), Decimal(0)])
        if tol.differ(billed, logged):
            out.append(f"{tier} tier: billed ${billed:,.2f} at {tier} rates, the logs price ${logged:,.2f} at {tier}")
    return out


def _finish(
    r: dict[str, Any],
    cols: list[str],
    tol: Tolerance,
    parts: dict[tuple[str, str], list[Decimal]] | None = None,
) -> dict[str, Any]:
    logged = r["logged_cost_usd"]
    usage = r["usage_cost_usd"] if r["usage_any_synced"] else None
    billed = r["billed_usd"] if r["costs_any_synced"] else None
    drift = billed - logged if billed is not None else None
    drift_pct = (drift * 100 / logged).quantize(PCT) if drift is not None and logged else None
    row: dict[str, Any] = {}
    for c in cols:
        v = r[c]
        row[c] = v if c == "day" else (v or None)  # '' (not grouped by the API / no project) → null
    row.update(
        {
            "logged_requests": r["logged_requests"],
            "logged_cost_usd": logged,
            "logged_unpriced_requests": r["logged_unpriced_requests"],
            "usage_requests": r["usage_requests"] if usage is not None else None,
            "usage_input_tokens": r["usage_input_tokens"] if usage is not None else None,
            "usage_cached_tokens": r["usage_cached_tokens"] if usage is not None else None,
            "usage_output_tokens": r["usage_output_tokens"] if usage is not None else None,
            "usage_cost_usd": usage,
            "usage_unpriced_requests": r["usage_unpriced_requests"] if usage is not None else None,
            "billed_usd": billed,
            "drift_usd": drift,
            "drift_pct": drift_pct,
            "reason": "; ".join(
                _reasons(r, usage, billed, drift, tol, by_model="model" in cols, parts=parts or {})
            ),
        }
    )
    return row


def _reasons(
    r: dict[str, Any],
    usage: Decimal | None,
    billed: Decimal | None,
    drift: Decimal | None,
    tol: Tolerance,
    *,
    by_model: bool,
    parts: dict[tuple[str, str], list[Decimal]] | None = None,
) -> list[str]:
    """What is known to explain a gap, most telling first."""
    out: list[str] = []
    specific = part_reasons(parts or {}, tol) if billed is not None else []
    logged_n, usage_n = r["logged_requests"], r["usage_requests"]
    if billed is None:
        out.append("no Costs API data (run `spendwatch sync openai`)")
    elif not r["costs_synced"]:
        out.append("Costs API data missing for some days")
    if usage is None:
        out.append("no Usage API data")
    elif not r["usage_synced"]:
        out.append("Usage API data missing for some days")
    if usage is not None and usage_n > 0 and logged_n == 0:
        out.append(
            f"not instrumented: the Usage API counted {_n(usage_n, 'request')}, the logs none"
        )
    elif usage is not None and logged_n < usage_n:
        out.append(f"partly instrumented: the logs hold {logged_n:,} of {_n(usage_n, 'request')}")
    elif usage is not None and logged_n > usage_n and usage_n > 0:
        out.append(
            f"the logs hold {_n(logged_n - usage_n, 'request')} more than the Usage API counted"
        )
    unpriced = r["logged_unpriced_requests"] + (
        r["usage_unpriced_requests"] if usage is not None else 0
    )
    if unpriced:
        out.append(f"unpriced model: {_n(unpriced, 'request')} without a catalog price")
    if usage is not None and r["usage_tier_requests"] > r["logged_tier_requests"]:
        out.append(
            f"tier/batch pricing: {_n(r['usage_tier_requests'], 'request')} at batch, flex or priority rates"
        )
    other = r["billed_other_usd"] or Decimal(0)
    out.extend(specific)
    if billed is not None and other and not specific:
        if by_model and (r["model"] == "" or r["model"].startswith("(")):
            out.append("non-token charges (tools, storage) or usage without a model")
        elif not by_model:
            out.append(f"includes ${other:,.2f} of non-token charges (tools, storage)")
    token_billed = billed - other if billed is not None else None
    text_gap = any(
        tol.differ(b, lg) for (p, _t), (lg, b) in (parts or {}).items() if p in ("input", "cached_input", "output")
    )
    if specific and not text_gap:
        token_billed = None  # the gap is explained part by part
    if token_billed is not None and usage is not None and r["usage_unpriced_requests"] == 0:
        if not token_billed and usage:
            out.append(
                f"nothing billed for usage the catalog prices at ${usage:,.2f} (credits, or not billed yet)"
            )
        elif token_billed and tol.differ(token_billed, usage):
            out.append(
                f"negotiated price or catalog gap: billed ${token_billed:,.2f} for tokens the catalog "
                f"prices at ${usage:,.2f}"
            )
    if not out and drift is not None and not tol.differ(billed, r["logged_cost_usd"]):
        out.append("matches")
    return out


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Sums of the money and count columns over rows (None stays None only if every row is None).

    ``drift_pct`` is over the rows that have a bill: a day never synced has no drift, so its logged
    cost must not dilute the percentage."""
    out: dict[str, Any] = {}
    for c in ("logged_requests", "usage_requests", *MONEY):
        vals = [r[c] for r in rows if r[c] is not None]
        out[c] = sum(vals, start=Decimal(0) if c in MONEY else 0) if vals else None
    compared = sum((r["logged_cost_usd"] for r in rows if r["drift_usd"] is not None), start=Decimal(0))
    drift = out["drift_usd"]
    out["drift_pct"] = (drift * 100 / compared).quantize(PCT) if drift is not None and compared else None
    return out
