"""Hourly, per-minute, per-(day, user) and what-if (hourly, with the batch flag) rollups of ``requests``, built on demand so dashboard queries stay
interactive at 100M requests (sql/migrations/0010_rollups.sql, 0012_whatif_rollup.sql).

Ingest does not maintain them. The dashboard calls :func:`ensure` (through its cached data layer)
once the table holds at least :data:`MIN_ROWS` requests: the first call builds them, later calls
append only the rows ingested since (by ``ingested_at`` watermark). A rollup is used only while
:func:`is_fresh` holds — it covers exactly ``count(*)`` of ``requests`` under the current prices
(catalog fingerprint and model map) — so a query never mixes stale rows in; otherwise it reads
``requests_priced`` directly. Costs in the rollups are the same exact femto-dollar sums the
``requests_priced`` view gives, so totals are equal either way.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from spendwatch import store

MIN_ROWS = 1_000_000  # below this, raw queries are fast enough and the dashboard writes nothing
EPOCH = datetime(1970, 1, 1)
FAR_FUTURE = datetime(9999, 1, 1)
_lock = threading.Lock()  # one refresh at a time per process (two would conflict on write)


def state(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What the rollups cover next to what ``requests`` holds now (cheap: table statistics)."""
    return store.fetch_dicts(con, store.query("rollup_state_get"))[0]


def is_fresh(con: duckdb.DuckDBPyConnection, st: dict[str, Any] | None = None) -> bool:
    """True when the rollups cover every request under the current prices."""
    st = st or state(con)
    return (st["rows_covered"] is not None and st["rows_covered"] == st["requests_now"]
            and st["pricing_key"] == st["pricing_now"] and st["requests_now"] > 0)


def ensure(con: duckdb.DuckDBPyConnection, *, min_rows: int = MIN_ROWS) -> str:
    """Bring the rollups up to date if the table is large enough to need them.

    Returns ``'small'`` (fewer than ``min_rows`` requests: nothing done), ``'fresh'``,
    ``'incremental'``, ``'rebuilt'`` or ``'busy'`` (another refresh is running).
    """
    st = state(con)
    if st["requests_now"] < min_rows:
        return "small"
    if is_fresh(con, st):
        return "fresh"
    return refresh(con)


def refresh(con: duckdb.DuckDBPyConnection, *, full: bool = False) -> str:
    """Append the rows ingested since the watermark, or rebuild when that cannot be trusted
    (prices changed, rows arrived out of watermark order, or ``full``). One transaction."""
    if not _lock.acquire(blocking=False):
        return "busy"
    try:
        with store.transaction(con):
            st = state(con)
            if not full and is_fresh(con, st):
                return "fresh"
            mode = "rebuilt"
            after = EPOCH
            if not full and st["rows_covered"] is not None and st["pricing_key"] == st["pricing_now"]:
                delta = con.execute(store.query("rollup_delta_count"), {"after": st["max_ingested_at"]}).fetchone()[0]
                if st["rows_covered"] + delta == st["requests_now"]:
                    mode, after = "incremental", st["max_ingested_at"]
            if mode == "rebuilt":
                con.execute(store.query("rollup_clear"))
            con.execute(store.render("rollup_hourly_insert", source=store.query("source_raw")), {"after": after})
            con.execute(store.render("rollup_daily_users_insert", source=store.query("source_raw")), {"after": after})
            con.execute(store.render("rollup_whatif_insert", source=store.render(
                "whatif_source_raw", **{"from": "$start", "to": "$end"})),
                {"after": after, "start": EPOCH, "end": FAR_FUTURE})
            con.execute(store.render("rollup_minutely_insert", source=store.query("source_minutely_raw")),
                        {"after": after, "start": EPOCH, "end": FAR_FUTURE})
            con.execute(store.query("rollup_state_save"), {
                "built_at": datetime.now(UTC).replace(tzinfo=None), "rows_covered": st["requests_now"],
                "max_ingested_at": st["max_ingested_now"], "pricing_key": st["pricing_now"],
            })
            return mode
    finally:
        _lock.release()


def hour_aligned(*moments: datetime) -> bool:
    return all(m.minute == 0 and m.second == 0 and m.microsecond == 0 for m in moments)


def inner_units(start: datetime, end: datetime, unit: timedelta) -> tuple[datetime, datetime]:
    """The whole UTC ``unit``s (hours or days) [lo, hi) inside [start, end); hi <= lo when there is none."""
    def floor(t: datetime) -> datetime:
        return datetime.min + ((t - datetime.min) // unit) * unit

    lo = floor(start)
    return (lo if lo == start else lo + unit), floor(end)


def whole_units(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                unit: timedelta = timedelta(hours=1)) -> tuple[datetime, datetime] | None:
    """:func:`inner_units` when the rollups are fresh and cover at least one unit; else None (read the
    requests). The edges [start, lo) and [hi, end) are left to the requests, so rollup and raw parts
    are disjoint and cover the window."""
    lo, hi = inner_units(start, end, unit)
    if hi <= lo or not is_fresh(con):
        return None
    return lo, hi


def split_source(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, *, rollup_sql: str,
                 raw: str, unit: timedelta = timedelta(hours=1)) -> tuple[str, dict[str, Any]]:
    """A row source for [start, end): ``rollup_sql`` (reading [$lo, $hi)) for the whole units while the
    rollups are fresh, UNION ALL the query ``raw`` (with {{from}}/{{to}} slots) for the edges; or
    ``raw`` over the whole window. Returns the SQL and its parameters (run it with store.fetch_named)."""
    params: dict[str, Any] = {"start": start, "end": end}
    whole = whole_units(con, start, end, unit)
    if whole is None:
        return store.render(raw, **{"from": "$start", "to": "$end"}), params
    lo, hi = whole
    parts = [rollup_sql]
    if start < lo:
        parts.append(store.render(raw, **{"from": "$start", "to": "$lo"}))
    if hi < end:
        parts.append(store.render(raw, **{"from": "$hi", "to": "$end"}))
    return "\nUNION ALL\n".join(parts), params | {"lo": lo, "hi": hi}
