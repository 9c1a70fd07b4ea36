"""Spend sliced any way: group by one or two report dimensions, a time grain, a metric; the requests
behind a group; and the arithmetic behind one request's cost. The Explore page and the other pages
call these; every query reads the hourly rollup when it is fresh and can answer, else the requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from spendwatch import pricing, rollups, store
from spendwatch.errors import SpendwatchError
from spendwatch.money import usd_exact
from spendwatch.report import DIMENSIONS as REPORT_DIMENSIONS
from spendwatch.report import TIME_DIMENSIONS

# Group-by columns: the report's non-time dimensions (name → SQL expression, never user text).
DIMENSIONS: dict[str, str] = {k: v for k, v in REPORT_DIMENSIONS.items() if k not in TIME_DIMENSIONS}
_INTERNAL: dict[str, str] = {"source_kind": "source_kind"}  # Data health groups by where rows came from
GRAINS = ("hour", "day", "week", "month")
METRICS = {"cost": "cost_usd", "tokens": "tokens", "requests": "requests"}
# Sidebar filters: name → (Filters field, column).
FILTERS = {"feature": ("features", "feature"), "project": ("projects", "project_id"), "model": ("models", "model"),
           "api_key": ("api_keys", "api_key_id"), "user": ("users", "user_id")}
NONE_LABEL = "(none)"
OTHER_LABEL = "(other)"


@dataclass(frozen=True)
class Filters:
    """What the sidebar selects: a UTC window [start, end), the display time zone, and value filters
    (an empty tuple filters nothing)."""

    start: datetime
    end: datetime
    tz: str = "UTC"
    features: tuple[str, ...] = field(default=())
    projects: tuple[str, ...] = field(default=())
    models: tuple[str, ...] = field(default=())
    api_keys: tuple[str, ...] = field(default=())
    users: tuple[str, ...] = field(default=())

    @classmethod
    def for_days(cls, first: date, last: date, *, tz: str = "UTC", **values: Sequence[str]) -> Filters:
        """Local calendar days ``first``..``last`` (inclusive) in ``tz``."""
        start, end = window(first, last, tz)
        return cls(start=start, end=end, tz=tz, **{k: tuple(v) for k, v in values.items()})

    def params(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "tz": self.tz, "features": list(self.features),
                "projects": list(self.projects), "models": list(self.models), "api_keys": list(self.api_keys),
                "users": list(self.users)}

    def previous(self) -> Filters:
        """The same filters over the period of equal length just before this one."""
        span = self.end - self.start
        return Filters(self.start - span, self.start, self.tz, self.features, self.projects, self.models,
                       self.api_keys, self.users)


def window(first: date, last: date, tz: str = "UTC") -> tuple[datetime, datetime]:
    """Local days [first, last] in ``tz`` → [start, end) as naive UTC timestamps (how ``ts`` is stored)."""
    if last < first:
        raise SpendwatchError("the end date is before the start date")
    zone = ZoneInfo(tz)
    lo = datetime.combine(first, time(), zone).astimezone(UTC).replace(tzinfo=None)
    hi = datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC).replace(tzinfo=None)
    return lo, hi


def _zone_steps(tz: str, start: datetime, end: datetime, unit: int) -> bool:
    """True when ``tz`` is a whole number of ``unit`` seconds from UTC across [start, end]: then UTC
    rollups of that width give exact local buckets (3600: hourly; 86400: only UTC-like zones)."""
    if tz == "UTC":
        return True
    zone = ZoneInfo(tz)
    step = max((end - start) / 400, timedelta(days=1))
    t = start
    while True:
        off = t.replace(tzinfo=UTC).astimezone(zone).utcoffset() or timedelta(0)
        if off.total_seconds() % unit:
            return False
        if t >= end:
            return True
        t = min(t + step, end)


def plan(con: duckdb.DuckDBPyConnection, f: Filters, *, needs_user: bool = False,
         grain: str | None = None) -> list[tuple[Filters, str]]:
    """How to answer ``f`` while the rollups are fresh: the whole hours inside the window from the
    hourly rollup, or — when users are involved — the whole UTC days from the per-user daily rollup
    (UTC only, no hourly grain); the minutes at either edge from the requests. Otherwise everything
    from the requests. The parts are disjoint and cover [start, end)."""
    user = needs_user or bool(f.users)
    if user:
        usable = grain != "hour" and _zone_steps(f.tz, f.start, f.end, 86400)
        unit, source = timedelta(days=1), "daily_users"
    else:
        usable = _zone_steps(f.tz, f.start, f.end, 3600)
        unit, source = timedelta(hours=1), "hourly"
    lo, hi = rollups.inner_units(f.start, f.end, unit)
    if not usable or hi <= lo or not rollups.is_fresh(con):
        return [(f, "raw")]
    parts = [(replace(f, end=lo), "raw"), (replace(f, start=lo, end=hi), source), (replace(f, start=hi), "raw")]
    return [(p, src) for p, src in parts if p.end > p.start]


def source_for(con: duckdb.DuckDBPyConnection, f: Filters, *, needs_user: bool = False, grain: str | None = None) -> str:
    """Which rollup answers (at least the whole hours or days of) ``f``: 'hourly', 'daily_users' or 'raw'."""
    srcs = [src for _, src in plan(con, f, needs_user=needs_user, grain=grain) if src != "raw"]
    return srcs[0] if srcs else "raw"


_SOURCES = {"raw": "source_raw", "hourly": "source_hourly", "daily_users": "source_daily_users"}
run = store.fetch_named  # the name the page-data modules use


def _bucket(grain: str, tz: str) -> str:
    if grain not in GRAINS:
        raise SpendwatchError(f"unknown grain {grain!r}; choose from {', '.join(GRAINS)}")
    t = "s.t" if tz == "UTC" else "timezone($tz, s.t::TIMESTAMPTZ)"
    return f"CAST(date_trunc('{grain}', {t}) AS TIMESTAMP)"


def _check_by(by: Sequence[str]) -> list[str]:
    by = list(by)
    allowed = {**DIMENSIONS, **_INTERNAL}
    bad = [b for b in by if b not in allowed]
    if bad:
        raise SpendwatchError(f"unknown dimension {bad[0]!r}; choose from {', '.join(DIMENSIONS)}")
    if len(by) > 2 or len(set(by)) != len(by):
        raise SpendwatchError("group by one or two different dimensions")
    return by


def grouped(con: duckdb.DuckDBPyConnection, f: Filters, *, by: Sequence[str] = (), grain: str | None = None,
            source: str | None = None) -> list[dict[str, Any]]:
    """Metric rows per group (and per time bucket, in ``f.tz``, when ``grain``): requests, tokens by
    kind, exact ``cost_usd`` (priced requests), ``unpriced_requests``, ``cache_savings_usd``,
    ``rate_limited``. Ordered by bucket, then cost descending."""
    by = _check_by(by)
    parts = [(f, source)] if source else plan(con, f, needs_user="user" in by, grain=grain)
    if len(parts) == 1:
        rows = _grouped_sql(con, parts[0][0], by, grain, parts[0][1])
    else:  # every metric is a sum: add the parts up group by group
        keys = (["bucket"] if grain else []) + by
        merged: dict[tuple, dict[str, Any]] = {}
        for part, src in parts:
            for r in _grouped_sql(con, part, by, grain, src):
                acc = merged.setdefault(tuple(r[k] for k in keys), {**{k: r[k] for k in keys}, **dict.fromkeys(_SUMS, 0)})
                for m in _SUMS:
                    acc[m] += r[m]
        rows = sorted(merged.values(), key=lambda r: (
            *(([r["bucket"]]) if grain else []), -r["cost_usd"], *((r[b] is None, r[b] or "") for b in by)))
    for r in rows:
        r["tokens"] = r["input_tokens"] + r["output_tokens"]
    return rows


_SUMS = ("requests", "input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens", "cost_usd",
         "unpriced_requests", "cache_savings_usd", "rate_limited")


def _grouped_sql(con: duckdb.DuckDBPyConnection, f: Filters, by: list[str], grain: str | None,
                 source: str) -> list[dict[str, Any]]:
    exprs = {**DIMENSIONS, **_INTERNAL}
    keys = ([(_bucket(grain, f.tz), "bucket")] if grain else []) + [(f"s.{exprs[b]}", b) for b in by]
    cols = [f"{expr} AS {name}" for expr, name in keys]
    group_by = f"GROUP BY {', '.join(expr for expr, _ in keys)}" if keys else ""
    order = ", ".join((["bucket"] if grain else []) + ["cost_usd DESC NULLS LAST"] + [f"{b} NULLS LAST" for b in by])
    sql = store.render("explore_grouped", source=store.query(_SOURCES[source]),
                       group_select="".join(c + ", " for c in cols), group_by=group_by, order_by=order)
    return run(con, sql, f.params())


def totals(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, Any]:
    """One row: the metrics of everything the filters select."""
    return grouped(con, f)[0]


def table(con: duckdb.DuckDBPyConnection, f: Filters, *, by: Sequence[str], metric: str = "cost") -> pd.DataFrame:
    """The Explore table: one row per group, busiest by ``metric`` first, with each group's share."""
    col = _metric(metric)
    rows = grouped(con, f, by=by)
    df = pd.DataFrame(rows, columns=[*by, "requests", "tokens", "input_tokens", "cached_tokens", "output_tokens",
                                     "cost_usd", "unpriced_requests"])
    if df.empty:
        return df.assign(share=pd.Series(dtype=float))
    df = df.sort_values(col, ascending=False, kind="stable", key=lambda s: s.astype(float)).reset_index(drop=True)
    total = float(sum(df[col].astype(float)))
    df["share"] = df[col].astype(float) / total if total else 0.0
    return df


def series(con: duckdb.DuckDBPyConnection, f: Filters, *, by: Sequence[str] = (), grain: str = "day",
           metric: str = "cost", top: int = 10) -> pd.DataFrame:
    """Chart data: ``bucket``, ``group`` (the dimension values joined by ' · '), ``value`` (float, for
    drawing only). Groups past the ``top`` by total are merged into '(other)'."""
    col = _metric(metric)
    rows = grouped(con, f, by=by, grain=grain)
    df = pd.DataFrame({
        "bucket": [r["bucket"] for r in rows],
        "group": [group_label(r, by) for r in rows],
        "value": [float(r[col]) for r in rows],
    })
    if df.empty or not by:
        return df
    keep = set(df.groupby("group")["value"].sum().sort_values(ascending=False).head(top).index)
    if len(keep) < df["group"].nunique():
        df["group"] = df["group"].where(df["group"].isin(keep), OTHER_LABEL)
        df = df.groupby(["bucket", "group"], as_index=False, sort=True)["value"].sum()
    return df


def group_label(row: dict[str, Any], by: Sequence[str]) -> str:
    if not by:
        return "all"
    return " · ".join(NONE_LABEL if row.get(b) is None else str(row[b]) for b in by)


def _metric(metric: str) -> str:
    if metric not in METRICS:
        raise SpendwatchError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    return METRICS[metric]


def filter_options(con: duckdb.DuckDBPyConnection, *, limit: int = 2000) -> dict[str, list[str]]:
    """The values each sidebar filter can take (all time, busiest first, at most ``limit``)."""
    fresh = rollups.is_fresh(con)
    out = {}
    for name, (_, column) in FILTERS.items():
        source = ("source_plain" if not fresh else "source_daily_users" if name == "user" else "source_hourly")
        sql = store.render("explore_filter_values", source=store.query(source), column=f"s.{column}")
        out[name] = [r["value"] for r in run(con, sql, {"limit": limit})]
    return out


def requests(con: duckdb.DuckDBPyConnection, f: Filters, *, group: dict[str, Any] | None = None,
             limit: int = 200) -> pd.DataFrame:
    """The requests behind one group of the table (``group``: dimension → value; None matches NULL),
    newest first; ``cost_usd`` exact (Decimal), NULL when unpriced."""
    group = group or {}
    _check_by(list(group))
    terms = "".join(f"AND {DIMENSIONS[d]} IS NOT DISTINCT FROM $g_{d} " for d in group)
    sql = store.render("explore_requests", group_filter=terms)
    params = {**f.params(), "limit": limit, **{f"g_{d}": v for d, v in group.items()}}
    rows = run(con, sql, params)
    cols = ["request_id", "ts", "model", "feature", "project_id", "api_key_id", "user_id", "endpoint", "status",
            "input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens", "batch", "service_tier",
            "cost_usd", "price_source"]
    return pd.DataFrame(rows, columns=cols)


_PART_COUNTS = ("cached_audio_tokens", "image_input_tokens", "image_output_tokens", "audio_seconds",
                "web_search_calls", "file_search_calls", "code_interpreter_sessions")


def explain(con: duckdb.DuckDBPyConnection, request_id: str) -> dict[str, Any] | None:
    """Why one request costs what it does: tokens by kind, the price row in force (its source and
    validity), and the DESIGN.md formula with the request's numbers. None if there is no such request."""
    rows = run(con, store.query("request_explain"), {"request_id": request_id})
    if not rows:
        return None
    r = rows[0]
    uncached = r["input_tokens"] - r["cached_tokens"]
    tokens = [
        ("input (as reported, includes cached)", r["input_tokens"]),
        ("  of which cached", r["cached_tokens"]),
        ("  of which uncached", uncached),
        ("output (as reported, includes reasoning)", r["output_tokens"]),
        ("  of which reasoning", r["reasoning_tokens"]),
    ]
    for kind in ("cache_write_tokens", "audio_input_tokens", "audio_output_tokens", "accepted_prediction_tokens",
                 "rejected_prediction_tokens", *_PART_COUNTS):
        if r[kind]:
            tokens.append((kind.removesuffix("_tokens").replace("_", " "), r[kind]))
    out: dict[str, Any] = {"request": {k: r[k] for k in ("request_id", "ts", "model", "endpoint", "feature", "batch",
                                                         "service_tier", "status")},
                           "tokens": tokens, "cost_usd": r["cost_usd"]}
    if r["input_rate"] is None:
        why = r["resolution_rule"] or "unpriced"
        out.update(price=None, lines=[], formula=(
            f"no price: {r['model']} resolves to {r['price_model'] or 'no price key'} ({why}); its cost is unknown, "
            "not $0 — add it to [[pricing.models]] in the TOML config"), recomputed_usd=None)
        return out
    out["price"] = {
        "model": r["model"], "price_model": r["price_model"], "resolution": r["resolution_rule"],
        "tier": r["price_tier"], "valid_from": r["valid_from"], "valid_to": r["valid_to"],
        "input_per_mtok": r["input_rate"], "cached_per_mtok": r["cached_rate"], "output_per_mtok": r["output_rate"],
        "source": r["price_source"],
    }
    m = Decimal(1_000_000)
    parts = [
        ("uncached input", uncached, r["input_rate"]),
        ("cached input", r["cached_tokens"], r["cached_rate"]),
        ("output", r["output_tokens"], r["output_rate"]),
    ]
    out["lines"] = [
        {"kind": k, "tokens": n, "rate_per_mtok": rate, "cost_usd": n * rate / m} for k, n, rate in parts
    ]
    recomputed = pricing.cost_usd(r["input_tokens"], r["cached_tokens"], r["output_tokens"],
                                  input_rate=r["input_rate"], cached_rate=r["cached_rate"],
                                  output_rate=r["output_rate"])
    out["recomputed_usd"] = recomputed
    out["formula"] = (
        f"({r['input_tokens']:,} − {r['cached_tokens']:,}) × {usd_exact(r['input_rate'])}/1M"
        f" + {r['cached_tokens']:,} × {usd_exact(r['cached_rate'])}/1M"
        f" + {r['output_tokens']:,} × {usd_exact(r['output_rate'])}/1M = {usd_exact(recomputed)}"
    )
    _explain_parts(con, request_id, out)
    return out


def _explain_parts(con: duckdb.DuckDBPyConnection, request_id: str, out: dict[str, Any]) -> None:
    """Issue 15: a request with parts beyond text (audio, images, cache writes, long context, tool
    calls) is explained part by part, each with its rate and source (spendwatch.pricing.explain)."""
    from spendwatch.pricing import explain as part_explain

    parts = part_explain.cost_parts(con, request_id)
    out["parts"] = parts
    if out["cost_usd"] is None:
        out["formula"] = "no usage recorded for this request (TTS, an interrupted stream): its cost is unknown, not $0"
        out["recomputed_usd"] = None
        return
    if parts and not part_explain.is_text_only(parts):
        out["lines"] = [{"kind": p["part"], "tokens": p["quantity"], "rate_per_mtok": p["rate"],
                         "cost_usd": p["cost_usd"]} for p in parts]
        out["recomputed_usd"] = sum((p["cost_usd"] for p in parts if p["cost_usd"] is not None), start=Decimal(0))
        out["formula"] = part_explain.formula(parts)


def model_prices(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, dict[str, Any]], dict[str, str | None]]:
    """The standard-tier price in force per price key (``prices_current``), and the price key each
    model name seen in requests resolves to: the What-if page shows source and target prices per 1M."""
    prices = {r["model"]: r for r in store.fetch_dicts(con, store.query("prices_current"))}
    mapped = {r["model"]: r["price_model"] for r in store.fetch_dicts(con, store.query("explore_model_map"))}
    return prices, mapped


def today_and_month(con: duckdb.DuckDBPyConnection, f: Filters, *, now: datetime) -> dict[str, Any]:
    """Overview's top row under the sidebar's value filters: today and month to date (UTC, to
    ``now`` + 1 s as overview_totals), unpriced requests, caching saved and the cache-hit rate of the
    month. The sidebar's dates do not apply: these windows are today and this month by definition."""
    values = {field: getattr(f, field) for field, _ in FILTERS.values()}
    end = now + timedelta(seconds=1)
    day = totals(con, Filters(now.replace(hour=0, minute=0, second=0, microsecond=0), end, **values))
    month = totals(con, Filters(datetime(now.year, now.month, 1), end, **values))
    inp = month["input_tokens"]
    return {"today_usd": day["cost_usd"], "month_to_date_usd": month["cost_usd"],
            "month_unpriced_requests": month["unpriced_requests"],
            "month_cache_savings_usd": month["cache_savings_usd"],
            "cache_hit_rate": (Decimal(month["cached_tokens"]) / Decimal(inp)) if inp else Decimal(0)}
