"""Days as people give them: ``--from-date`` and ``--to-date`` are whole UTC days, both inclusive,
in every command and page. Core functions take the half-open ``[start, end)`` timestamps made here,
and a window with nothing in it is described by where the data actually lies."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb

from spendwatch import store
from spendwatch.errors import SpendwatchError

# Open ends: before and after any request a log can hold.
EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(9999, 12, 31, 23, 59, 59)


def as_datetime(d: date | datetime) -> datetime:
    return d if isinstance(d, datetime) else datetime(d.year, d.month, d.day)


def bounds(first: date | datetime | None, last: date | datetime | None) -> tuple[datetime, datetime]:
    """[first day, last day] (the last one inclusive) → [start, end) timestamps.

    A datetime ``last`` is taken as an exact (exclusive) end; a date means the whole day."""
    lo = EARLIEST if first is None else as_datetime(first)
    if last is None:
        hi = LATEST
    elif isinstance(last, datetime):
        hi = last
    else:
        hi = LATEST if last >= LATEST.date() else as_datetime(last) + timedelta(days=1)
    if hi <= lo:
        raise SpendwatchError("the window ends before it starts (--to-date is before --from-date)")
    return lo, hi


def describe(start: datetime, end: datetime) -> str:
    """'between 2026-11-02 and 2026-12-02': the days a [start, end) window covers, inclusive."""
    last = end - timedelta(microseconds=1)
    if start <= EARLIEST and end >= LATEST:
        return "in any day"
    if start <= EARLIEST:
        return f"up to {last:%Y-%m-%d}"
    if end >= LATEST:
        return f"from {start:%Y-%m-%d} on"
    if start.time() == end.time() == datetime.min.time():
        if last.date() == start.date():
            return f"on {start:%Y-%m-%d}"
        return f"between {start:%Y-%m-%d} and {last:%Y-%m-%d}"
    return f"between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC"


def empty_window(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> str | None:
    """None when ``requests`` holds a request in [start, end); else the one line that says so and
    where the stored requests actually lie."""
    first, last, inside = con.execute(store.query("requests_extent"), {"start": start, "end": end}).fetchone()
    if inside:
        return None
    where = ("the database holds no requests yet (spendwatch ingest FILE, or spendwatch demo)" if first is None
             else f"stored requests run from {first:%Y-%m-%d} to {last:%Y-%m-%d}")
    return f"no requests {describe(start, end)}; {where}"
