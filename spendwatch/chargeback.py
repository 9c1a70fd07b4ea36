"""Chargeback: what OpenAI actually billed for a month, allocated to features, cost centres, projects,
users or API keys.

For each UTC day, project and Costs API line item (model × part), the billed dollars are split across
that day's logged requests of that project, model and part in proportion to their catalog cost of that
part, so a negotiated discount spreads evenly and a part nobody logged stays whole. What cannot be
split stays visible, per project, with its reason: ``not instrumented`` (billed, nothing logged),
``org-level`` (vector storage, containers, fine-tuning training, credits) or ``unpriced model``.
The allocation is one SQL pass (window sums over request groups, exact integers); only the final
rows — a few hundred — are rounded here, to the cent, by largest remainder so they add up to the
billed total exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

import duckdb

from spendwatch import store
from spendwatch.errors import SpendwatchError
from spendwatch.pricing import price_keys, resolve
from spendwatch.pricing.line_items import ORG_PARTS, parse_line_item, split_long_context

# --by name → column of requests_priced (an allow-list: never user text in SQL)
DIMENSIONS: dict[str, str] = {
    "feature": "feature",
    "cost_centre": "feature",
    "project": "project_id",
    "user": "user_id",
    "api_key": "api_key_id",
}
COLUMNS = ("project_id", "reason", "billed_usd", "logged_cost_usd", "requests")
REASONS = ("not instrumented", "org-level", "unpriced model")
UNASSIGNED = "(unassigned)"
CENT = Decimal("0.01")


class NotSynced(SpendwatchError):
    """The month has no Costs API data: there is no bill to allocate."""


@dataclass(frozen=True)
class LineItem:
    """A Costs API line item as (model, part, tier) plus its long-context flag; part 'org' when no request is
    behind it (the pricing package's part names otherwise: input, cached_input, output, web_search …)."""

    text: str
    model: str | None
    part: str
    tier: str = "standard"
    long_context: bool = False


def parse_month(text: str) -> date:
    """'2026-11' → date(2026, 11, 1); anything else is a usage error."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"--month must look like 2026-11, not {text!r}")
    return date(int(m.group(1)), int(m.group(2)), 1)


def next_day(d: date) -> date:
    return d + timedelta(days=1)


def month_end(month: date) -> date:
    """The first day of the next month."""
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def classify(text: str) -> LineItem:
    """Read a line item ('priority | gpt-5, output', 'gpt-5.4, input, long context', 'Vector storage')
    with the pricing package's parser; charges with no request behind them become part 'org'."""
    model, part, tier = parse_line_item(text)
    part, long_context = split_long_context(part)
    if part in ORG_PARTS or (not model and part == "unrecognised"):
        part = "org"  # storage, training, credits: never spread over teams
    return LineItem(text, model or None, part, tier, long_context)


def synced_days(
    con: duckdb.DuckDBPyConnection, month: date, *, now: datetime
) -> tuple[list[date], list[date]]:
    """(days of the month with Costs API data, days already over that have none).

    A day counts as synced from the first Costs API bucket stored up to the sync cursor (as in reconcile);
    days after ``now`` are not due yet and are in neither list."""
    lo, hi = con.execute(store.query("chargeback_synced"), {}).fetchall()[0]
    today = now.date() if isinstance(now, datetime) else now
    synced, missing = [], []
    d = month
    while d < month_end(month):
        if lo is not None and lo <= d and datetime(d.year, d.month, d.day) < hi:
            synced.append(d)
        elif d < today:
            missing.append(d)
        d += timedelta(days=1)
    return synced, missing


@dataclass
class Chargeback:
    """Rows (each owing an exact number of cents), the headline, and the days left out."""

    month: date
    by: str
    rows: list[dict[str, Any]]
    billed_usd: Decimal  # exact, as billed
    unsynced_days: list[date] = field(default_factory=list)
    in_progress: bool = False

    @property
    def headline(self) -> dict[str, Any]:
        """Billed, allocated to a --by value (and % of billed), unallocated by reason; money to the cent."""
        total = sum((r["billed_usd"] for r in self.rows), Decimal(0))
        allocated = sum((r["billed_usd"] for r in self.rows if r["reason"] is None), Decimal(0))
        by_reason = {
            reason: sum((r["billed_usd"] for r in self.rows if r["reason"] == reason), Decimal(0))
            for reason in REASONS
        }
        pct = (allocated * 100 / total).quantize(Decimal("0.1")) if total else None
        return {
            "month": f"{self.month:%Y-%m}",
            "billed_usd": total,
            "allocated_usd": allocated,
            "allocated_pct": pct,
            "unallocated_usd": by_reason,
            "unsynced_days": self.unsynced_days,
            "in_progress": self.in_progress,
        }

    def headline_text(self) -> str:
        h = self.headline
        parts = [f"{self.month:%B %Y}: billed ${h['billed_usd']:,.2f}"]
        pct = "" if h["allocated_pct"] is None else f" ({h['allocated_pct']} %)"
        parts.append(f"allocated to a {self.by.replace('_', ' ')} ${h['allocated_usd']:,.2f}{pct}")
        parts += [f"{reason} ${v:,.2f}" for reason, v in h["unallocated_usd"].items() if v]
        text = "; ".join(parts)
        if self.in_progress:
            text += " (month in progress)"
        return text


def chargeback(
    con: duckdb.DuckDBPyConnection,
    *,
    month: date,
    now: datetime,
    by: str = "feature",
    cost_centres: dict[str, str] | None = None,
) -> Chargeback:
    """The month's bill allocated by ``by``; raises NotSynced when no day of it has Costs API data."""
    if by not in DIMENSIONS:
        raise SpendwatchError(f"unknown --by {by!r}; choose from {', '.join(DIMENSIONS)}")
    synced, missing = synced_days(con, month, now=now)
    if not synced:
        last = month_end(month) - timedelta(days=1)
        raise NotSynced(
            f"no Costs API data for {month:%Y-%m}, so no bill to allocate; run "
            f"`spendwatch sync openai --from-date {month:%Y-%m-%d} --to-date {last:%Y-%m-%d}` (needs OPENAI_ADMIN_KEY)"
        )
    start = datetime.combine(synced[0], datetime.min.time())
    end = datetime.combine(synced[-1] + timedelta(days=1), datetime.min.time())
    exact = allocate(con, start=start, end=end, by=by)
    if by == "cost_centre":
        exact = _to_cost_centres(exact, cost_centres or {})
    total = con.execute(
        store.query("chargeback_billed_total"), {"start": start, "end": end}
    ).fetchall()[0][0]
    total = Decimal(total or 0)
    rows = round_rows(exact, total)
    rows = [{by: r["dim"], **{c: r[c] for c in COLUMNS}} for r in rows]
    rows.sort(
        key=lambda r: (
            r["reason"] is not None,
            r["reason"] or "",
            -r["billed_usd"],
            str(r[by]),
            r["project_id"] or "",
        )
    )
    in_progress = now.date() < month_end(month) if isinstance(now, datetime) else False
    return Chargeback(month, by, rows, total, missing, in_progress)


def line_item_lists(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> dict[str, list[Any]]:
    """The window's distinct line items, parsed once each (a handful), as the query's parallel lists."""
    window = {"start": start, "end": end}
    texts = [t for (t,) in con.execute(store.query("chargeback_line_items"), window).fetchall()]
    keys = price_keys(con)
    out: dict[str, list[Any]] = {"li": [], "li_key": [], "li_part": [], "li_prio": [], "li_lc": []}
    for t in texts:
        item = classify(t)
        key = None
        if item.model:
            key = resolve(item.model, keys).price_model or item.model
        out["li"].append(t)
        out["li_key"].append(key)
        out["li_part"].append(item.part)
        out["li_prio"].append(item.tier == "priority")
        out["li_lc"].append(item.long_context)
    return out


def allocate(
    con: duckdb.DuckDBPyConnection, *, start: datetime, end: datetime, by: str
) -> list[dict[str, Any]]:
    """Exact (unrounded) rows: dim, project_id, reason, billed_usd, logged_cost_usd, requests."""
    sql = matched_sql("chargeback_rows", DIMENSIONS[by])
    params = {"start": start, "end": end, **line_item_lists(con, start, end)}
    rows = store.fetch_dicts(con, sql, params)
    for r in rows:
        r["project_id"] = r["project_id"] or None
        if r["logged_cost_usd"] is not None and not r["logged_cost_usd"]:
            r["logged_cost_usd"] = Decimal(0)
    return rows


def matched_sql(name: str, dim: str) -> str:
    """A query built on chargeback_matched.sql (line items meeting request groups), grouped by ``dim``."""
    matched = store.render("chargeback_matched", dim=dim)
    return store.query(name).replace("{{matched}}", matched)


def _to_cost_centres(rows: list[dict[str, Any]], centres: dict[str, str]) -> list[dict[str, Any]]:
    """Features → cost centres (``[cost_centres]``; others '(unassigned)'), summed exactly."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        dim = None if r["reason"] is not None else centres.get(r["dim"], UNASSIGNED)
        key = (dim, r["project_id"], r["reason"])
        acc = merged.setdefault(
            key,
            {
                "dim": dim,
                "project_id": r["project_id"],
                "reason": r["reason"],
                "billed_usd": Decimal(0),
                "logged_cost_usd": None,
                "requests": 0,
            },
        )
        acc["billed_usd"] += r["billed_usd"]
        acc["requests"] += r["requests"]
        if r["logged_cost_usd"] is not None:
            acc["logged_cost_usd"] = (acc["logged_cost_usd"] or Decimal(0)) + r["logged_cost_usd"]
    return list(merged.values())


def round_rows(rows: list[dict[str, Any]], total: Decimal) -> list[dict[str, Any]]:
    """Each row's billed_usd to the cent so that they sum to the total rounded to the cent: every row is
    rounded down, then the cents still missing go to the rows with the largest remainders."""
    target = total.quantize(CENT, rounding=ROUND_HALF_UP)
    floors = [Decimal(r["billed_usd"]).quantize(CENT, rounding=ROUND_FLOOR) for r in rows]
    missing = int((target - sum(floors, Decimal(0))) / CENT)
    order = sorted(
        range(len(rows)), key=lambda i: (-(Decimal(rows[i]["billed_usd"]) - floors[i]), i)
    )
    out = [dict(r, billed_usd=f) for r, f in zip(rows, floors, strict=True)]
    for j in range(missing if rows else 0):
        out[order[j % len(rows)]]["billed_usd"] += CENT
    return out


def file_bytes(cb: Chargeback, fmt: str) -> bytes:
    """The rows as a file: json, csv, xlsx (headline as title, totals row) or parquet. CSV and XLSX cells
    that start like a formula are made inert (exports.neutralise)."""
    import io

    from spendwatch import exports

    cols = [cb.by, *COLUMNS]
    if fmt == "json":
        return (exports.to_json_text(cb.rows) + "\n").encode("utf-8")
    if fmt == "csv":
        return exports.to_csv_text(cb.rows, cols).encode("utf-8")
    buf = io.BytesIO()
    if fmt == "xlsx":
        exports.write_xlsx(cb.rows, buf, columns=cols, sheet="Chargeback", title=cb.headline_text())
    else:
        exports.write_parquet(cb.rows, buf, columns=cols)
    return buf.getvalue()
