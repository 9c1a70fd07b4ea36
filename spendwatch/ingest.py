"""Ingest: staged lines → checked rows → ``requests`` (or ``quarantine``), one transaction per unit.

Idempotent by ``request_id``: ingesting a file twice changes no total. A crash mid-unit leaves all
of it or none of it (DuckDB rolls back an uncommitted transaction on the next open).

A JSONL file first tries the fast path: DuckDB's ``read_json`` reads the whole file in one statement
that checks every row with the same SQL as the robust path and inserts it. A file that needs anything
else (a line to quarantine, a record without an id, a request id twice in the file) makes that
statement fail or is found right after it; it is rolled back and the file is staged line by line as
before, so the rows and counts are the same either way.

``requests`` has no unique index (migration 0070): every unit anti-joins the stored ids and dedupes
its own batch, under ``store.request_writes()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from spendwatch import store
from spendwatch.clock import utc_now
from spendwatch.collectors import files
from spendwatch.errors import SpendwatchError
from spendwatch.pricing import refresh_model_map


@dataclass
class IngestResult:
    source: str
    lines_read: int = 0
    ingested: int = 0
    duplicates: int = 0
    quarantined: int = 0
    future: int = 0  # ingested, but dated more than FUTURE_SKEW after the ingesting clock

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(
            "total",
            self.lines_read + other.lines_read,
            self.ingested + other.ingested,
            self.duplicates + other.duplicates,
            self.quarantined + other.quarantined,
            self.future + other.future,
        )

    def summary(self) -> str:
        line = f"{self.ingested} ingested, {self.duplicates} duplicates skipped, {self.quarantined} quarantined"
        if self.future:
            line += (f", {self.future} dated more than {int(FUTURE_SKEW.total_seconds() // 60)} minutes in the "
                     "future (kept; check the sending app's clock)")
        return line

    def as_dict(self) -> dict:
        return asdict(self)


# A record this far past the ingesting clock is kept but counted: a skewed app clock is a fact to show.
FUTURE_SKEW = timedelta(minutes=5)


def _future(con: duckdb.DuckDBPyConnection, source: str, now: datetime) -> int:
    """Rows this transaction inserted from ``source`` dated after ``now`` + FUTURE_SKEW."""
    return con.execute(store.query("inserted_future"), {"source": source, "limit": now + FUTURE_SKEW}).fetchone()[0]


def commit_staged(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    kind: str,
    unit_key: str,
    started_at: datetime | None = None,
    before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    stored: str = "requests",
) -> IngestResult:
    """Check ``_lines`` and write the unit in one transaction; ``before_commit`` joins that transaction
    (the spool uses it to mark a segment done atomically with its rows). ``started_at`` is the
    ingesting clock (future timestamps are counted against it). ``stored``: the table of request ids
    already stored that the unit is anti-joined with (``_known`` from :func:`known_ids`, else all of
    ``requests``)."""
    started_at = started_at or utc_now()
    normalize_staged(con)
    lines_read, bad = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE reason IS NOT NULL) FROM _staged"
    ).fetchone()
    params = {"source": source}
    with store.request_writes(), store.transaction(con):
        inserted = con.execute(store.render("insert_staged_requests", stored=stored), params).fetchone()[0]
        con.execute(store.query("insert_staged_quarantine"), params)
        refresh_model_map(con, new_in="_staged")
        result = IngestResult(source, lines_read, inserted, lines_read - bad - inserted, bad,
                              _future(con, source, started_at))
        _log_unit(con, result, kind=kind, unit_key=unit_key, started_at=started_at)
        if before_commit is not None:
            before_commit(con)
    con.execute("DROP TABLE IF EXISTS _staged")
    con.execute("DROP TABLE IF EXISTS _lines")
    return result


def _log_unit(con: duckdb.DuckDBPyConnection, r: IngestResult, *, kind: str, unit_key: str,
              started_at: datetime) -> None:
    con.execute(
        "INSERT INTO ingest_log (kind, unit_key, source, lines_read, ingested, duplicates, quarantined,"
        " future_ts, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [kind, unit_key, r.source, r.lines_read, r.ingested, r.duplicates, r.quarantined, r.future, started_at,
         max(started_at, utc_now())],
    )


class _NeedsRobustPath(Exception):
    pass


@contextmanager
def _one_line(source: str) -> Iterator[None]:
    """A database failure mid-ingest (disk full, file too large, I/O error) is one line for the user;
    the unit's transaction was rolled back, so nothing of it was written."""
    try:
        yield
    except duckdb.Error as e:
        text = (str(e).splitlines() or [type(e).__name__])[0]
        raise SpendwatchError(f"ingest of {source} failed, nothing of it was written: {text}") from None


def _ingest_jsonl_fast(
    con: duckdb.DuckDBPyConnection, path: Path, *, source: str, unit_key: str, started_at: datetime,
) -> IngestResult | None:
    """The whole file in one checked ``read_json`` statement, or None (nothing written) when any line
    needs the robust path. The file's lines are counted in a thread meanwhile (numpy, mostly without the GIL)."""
    stat = path.stat()
    params = {"path": str(path)}
    sql = store.render("insert_jsonl_requests",
                       records=store.render("check_records", fields=store.query("record_fields_jsonl")))
    with ThreadPoolExecutor(1) as pool:
        shape = pool.submit(files.jsonl_shape, path)
        try:
            with store.request_writes(), store.transaction(con):
                inserted = con.execute(sql, {**params, "source": source}).fetchone()[0]
                models, distinct_ids = con.execute(store.query("inserted_models"), {"source": source}).fetchone()
                if distinct_ids < inserted:
                    raise _NeedsRobustPath  # a request id twice in the file: the first line wins, line by line
                try:
                    lines_read, odd_whitespace = shape.result()
                except (OSError, ValueError):  # e.g. the file shrank to nothing meanwhile
                    raise _NeedsRobustPath from None
                if odd_whitespace:
                    raise _NeedsRobustPath  # read_json skips a vertical tab or form feed, json_valid does not
                if lines_read is None:  # blank or indented lines: let read_json count the records
                    lines_read = con.execute(store.query("jsonl_count"), params).fetchone()[0]
                after = path.stat()
                if inserted > lines_read or (after.st_size, after.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                    raise _NeedsRobustPath  # the file changed under us: read it once, the robust way
                # refresh_model_map reads the batch's model names from _staged
                con.execute("CREATE OR REPLACE TEMP TABLE _staged AS SELECT unnest($m::VARCHAR[]) AS model",
                            {"m": models or []})
                refresh_model_map(con, new_in="_staged")
                result = IngestResult(source, lines_read, inserted, lines_read - inserted, 0,
                                      _future(con, source, started_at))
                _log_unit(con, result, kind="file", unit_key=unit_key, started_at=started_at)
        except (duckdb.Error, _NeedsRobustPath):
            return None
        finally:
            con.execute("DROP TABLE IF EXISTS _staged")
    return result


def ingest_lines(
    con: duckdb.DuckDBPyConnection, lines: Iterable[str], *, source: str, kind: str = "lines",
    unit_key: str | None = None,
    before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    now: datetime | None = None, pre_reasons: Iterable[str | None] | None = None,
) -> IngestResult:
    """Ingest request-log JSON lines already in memory (Batch output, tests). ``pre_reasons``: per line,
    why the reader already knows it is bad (else None)."""
    started = now or utc_now()
    with _one_line(source):
        files.create_lines_table(con)
        files.stage_lines(con, list(lines), pre_reasons=None if pre_reasons is None else list(pre_reasons))
        return commit_staged(con, source=source, kind=kind, unit_key=unit_key or source, started_at=started,
                             before_commit=before_commit)


def ingest_bytes(
    con: duckdb.DuckDBPyConnection, data: bytes, *, source: str, kind: str, unit_key: str,
    now: datetime | None = None, stored: str = "requests",
    before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> IngestResult:
    """Ingest newline-delimited JSON bytes (a spool segment): split on ``\\n`` only, a line that is
    not UTF-8 quarantined, as for a JSONL file."""
    started = now or utc_now()
    with _one_line(source):
        files.create_lines_table(con)
        files.stage_bytes(con, data)
        return commit_staged(con, source=source, kind=kind, unit_key=unit_key, started_at=started,
                             stored=stored, before_commit=before_commit)


def normalize_staged(con: duckdb.DuckDBPyConnection) -> None:
    """``_lines`` → ``_staged``: every line checked into a request row or a reason (the robust path)."""
    records = store.render("check_records", fields=store.query("record_fields_lines"))
    con.execute(store.render("normalize_records", records=records))


def known_ids(con: duckdb.DuckDBPyConnection, bodies: Iterable[bytes]) -> None:
    """Fill the temp table ``_known`` with the stored request ids that the units in ``bodies`` could
    repeat: one scan of ``requests`` for many small units (the spool's segments), where each unit
    anti-joined with the whole table would scan it once each. Call it, and ingest those units with
    ``stored="_known"`` and :func:`remember_ids` as ``before_commit``, all under
    ``store.request_writes()``, so nothing else inserts meanwhile."""
    files.create_lines_table(con)
    for body in bodies:
        files.stage_bytes(con, body)
    normalize_staged(con)  # the ids exactly as the units will compute them (md5 of the line when none)
    con.execute(store.query("known_ids"))
    con.execute("DROP TABLE IF EXISTS _staged")
    con.execute("DROP TABLE IF EXISTS _lines")


def remember_ids(con: duckdb.DuckDBPyConnection) -> None:
    """A unit's ids join ``_known`` in its own transaction: a later unit of the same pass repeating one is
    a duplicate."""
    con.execute("INSERT INTO _known SELECT request_id FROM _staged WHERE reason IS NULL")


def ingest_file(
    con: duckdb.DuckDBPyConnection, path: Path, *, fmt: str = "auto",
    progress: files.Progress | None = None, now: datetime | None = None,
) -> IngestResult:
    """One file, one transaction. A missing or unreadable file raises before anything is written."""
    path = Path(path)
    if not path.is_file():
        raise SpendwatchError(f"file not found: {path}")
    fmt = files.detect_format(path) if fmt == "auto" else fmt
    if fmt not in files.STAGERS:
        raise SpendwatchError(f"unknown format {fmt!r} for {path}")
    started = now or utc_now()
    source, unit_key = f"file:{path.resolve()}", str(path.resolve())
    with _one_line(str(path)):
        if fmt == "jsonl" and files.jsonl_fast_path_ok(path):
            result = _ingest_jsonl_fast(con, path.resolve(), source=source, unit_key=unit_key, started_at=started)
            if result is not None:
                if progress:
                    progress(path.stat().st_size)
                return result
        files.create_lines_table(con)
        files.STAGERS[fmt](con, path, progress)
        return commit_staged(con, source=source, kind="file", unit_key=unit_key, started_at=started)
