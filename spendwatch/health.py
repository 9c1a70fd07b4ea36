"""Data health: where rows come from and when they last came, what was quarantined and why, which
models have no price, and what is waiting in the spool."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from spendwatch import rollups, store
from spendwatch.explore import Filters, run, series, source_for


def sources(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per kind of source (file, spool, demo, ...): requests, their span (to the hour when the
    rollups answer), ingest units, the last ingest and its status, quarantined lines."""
    cols = ["source_kind", "requests", "first_request", "last_request", "units", "last_ingest", "last_status",
            "quarantined"]
    src = "source_hourly" if rollups.is_fresh(con) else "source_plain"
    sql = store.render("health_sources", source=store.query(src))
    return pd.DataFrame(store.fetch_dicts(con, sql), columns=cols)


def sync_state(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The OpenAI Usage/Costs sync per source: cursor, last run, status."""
    cols = ["source", "cursor_ts", "last_run_at", "last_status", "last_detail"]
    return pd.DataFrame(store.fetch_dicts(con, store.query("health_sync_state")), columns=cols)


def recent_ingests(con: duckdb.DuckDBPyConnection, *, limit: int = 20) -> pd.DataFrame:
    return pd.DataFrame(run(con, store.query("health_ingest_recent"), {"limit": limit}),
                        columns=["kind", "unit_key", "source", "lines_read", "ingested", "duplicates", "quarantined",
                                 "started_at", "finished_at", "status", "detail"])


def rows_per_source(con: duckdb.DuckDBPyConnection, f: Filters, *, grain: str = "day") -> pd.DataFrame:
    """Requests per source kind per day (``bucket``, ``group``, ``value``), in the sidebar's time zone."""
    return series(con, Filters(f.start, f.end, f.tz), by=["source_kind"], grain=grain, metric="requests")


def future_timestamps(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Requests that arrived dated more than 5 minutes ahead of the ingesting clock: kept, counted."""
    return store.fetch_dicts(con, store.query("health_future_ts"))[0]


def quarantine_reasons(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return pd.DataFrame(store.fetch_dicts(con, store.query("health_quarantine_reasons")),
                        columns=["reason", "lines", "sources", "last_seen"])


def quarantine(con: duckdb.DuckDBPyConnection, *, reason: str | None = None, limit: int = 50,
               offset: int = 0) -> pd.DataFrame:
    """A page of quarantined lines, newest first, with their raw text and reason."""
    rows = run(con, store.query("health_quarantine"), {"reason": reason, "limit": limit, "offset": offset})
    return pd.DataFrame(rows, columns=["id", "quarantined_at", "source", "line_no", "reason", "raw"])


def unpriced_models(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Models with unpriced requests (all time): how many, first and last seen, how the name resolved."""
    f = Filters(datetime(2000, 1, 1), datetime(2100, 1, 1))
    src = "source_hourly" if source_for(con, f) == "hourly" else "source_raw"
    sql = store.render("health_unpriced_models", source=store.query(src))
    return pd.DataFrame(run(con, sql, {}),
                        columns=["model", "rule", "price_model", "unpriced_requests", "first_seen", "last_seen"])


@dataclass(frozen=True)
class SpoolBacklog:
    directory: str
    exists: bool
    finished_files: int  # *.jsonl: closed segments waiting for the next drain
    open_files: int      # *.jsonl.part: segments a process is still writing
    bytes: int
    oldest_age_s: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def spool_backlog(directory: Path, *, now: float | None = None) -> SpoolBacklog:
    """Files waiting in the spool directory (``serve`` drains finished segments every few seconds)."""
    d = Path(directory)
    if not d.is_dir():
        return SpoolBacklog(str(d), False, 0, 0, 0, None)
    finished = sorted(d.glob("*.jsonl"))
    parts = sorted(d.glob("*.jsonl.part"))
    stats = []
    for p in [*finished, *parts]:
        try:
            stats.append(p.stat())
        except FileNotFoundError:  # drained meanwhile
            continue
    now = time.time() if now is None else now
    oldest = min((s.st_mtime for s in stats), default=None)
    return SpoolBacklog(str(d), True, len(finished), len(parts), sum(s.st_size for s in stats),
                        None if oldest is None else max(0.0, now - oldest))


def last_request(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the newest stored request happened (UTC), None on an empty database."""
    return store.fetch_dicts(con, store.query("health_last_request"))[0]["last_ts"]


STALE_AFTER_HOURS = 24


def freshness(last: datetime | None, now: datetime) -> dict[str, Any]:
    """How old the data is: ``age`` (a timedelta or None), ``stale`` (no request for more than
    STALE_AFTER_HOURS: today's figures and the forecast would be read as current when they are not)
    and ``text`` ("last request 7 days ago")."""
    if last is None:
        return {"age": None, "stale": True, "text": "no requests yet"}
    age = max(now - last, timedelta(0))
    if age < timedelta(minutes=1):
        ago = "less than a minute ago"
    elif age < timedelta(hours=1):
        ago = f"{age.seconds // 60} minute{'s' * (age.seconds >= 120)} ago"
    elif age < timedelta(days=2):
        h = int(age.total_seconds() // 3600)
        ago = f"{h} hour{'s' * (h != 1)} ago"
    else:
        ago = f"{age.days} days ago"
    return {"age": age, "stale": age > timedelta(hours=STALE_AFTER_HOURS), "text": f"last request {ago}"}
