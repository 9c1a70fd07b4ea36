"""Ingest: staged lines → checked rows → ``requests`` (or ``quarantine``), one transaction per unit.

Idempotent by ``request_id``: ingesting a file twice changes no total. A crash mid-unit leaves all
of it or none of it (DuckDB rolls back an uncommitted transaction on the next open).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from spendwatch import store
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

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(
            "total",
            self.lines_read + other.lines_read,
            self.ingested + other.ingested,
            self.duplicates + other.duplicates,
            self.quarantined + other.quarantined,
        )

    def summary(self) -> str:
        return f"{self.ingested} ingested, {self.duplicates} duplicates skipped, {self.quarantined} quarantined"

    def as_dict(self) -> dict:
        return asdict(self)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def commit_staged(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    kind: str,
    unit_key: str,
    started_at: datetime | None = None,
    before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> IngestResult:
    """Check ``_lines`` and write the unit in one transaction; ``before_commit`` joins that transaction
    (the spool uses it to mark a segment done atomically with its rows)."""
    started_at = started_at or _now()
    con.execute(store.query("normalize_records"))
    lines_read, bad = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE reason IS NOT NULL) FROM _staged"
    ).fetchone()
    params = {"source": source}
    with store.transaction(con):
        inserted = con.execute(store.query("insert_staged_requests"), params).fetchone()[0]
        con.execute(store.query("insert_staged_quarantine"), params)
        refresh_model_map(con, new_in="_staged")
        result = IngestResult(source, lines_read, inserted, lines_read - bad - inserted, bad)
        con.execute(
            "INSERT INTO ingest_log (kind, unit_key, source, lines_read, ingested, duplicates, quarantined,"
            " started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [kind, unit_key, source, lines_read, inserted, result.duplicates, bad, started_at, _now()],
        )
        if before_commit is not None:
            before_commit(con)
    con.execute("DROP TABLE IF EXISTS _staged")
    con.execute("DROP TABLE IF EXISTS _lines")
    return result


def ingest_lines(
    con: duckdb.DuckDBPyConnection, lines: Iterable[str], *, source: str, kind: str = "lines",
    unit_key: str | None = None,
    before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> IngestResult:
    """Ingest request-log JSON lines already in memory (spool segments, Batch output, tests)."""
    started = _now()
    files.create_lines_table(con)
    files.stage_lines(con, list(lines))
    return commit_staged(con, source=source, kind=kind, unit_key=unit_key or source, started_at=started,
                         before_commit=before_commit)


def ingest_file(
    con: duckdb.DuckDBPyConnection, path: Path, *, fmt: str = "auto",
    progress: files.Progress | None = None,
) -> IngestResult:
    """One file, one transaction. A missing or unreadable file raises before anything is written."""
    path = Path(path)
    if not path.is_file():
        raise SpendwatchError(f"file not found: {path}")
    fmt = files.detect_format(path) if fmt == "auto" else fmt
    if fmt not in files.STAGERS:
        raise SpendwatchError(f"unknown format {fmt!r} for {path}")
    started = _now()
    files.create_lines_table(con)
    files.STAGERS[fmt](con, path, progress)
    source = f"file:{path.resolve()}"
    return commit_staged(con, source=source, kind="file", unit_key=str(path.resolve()), started_at=started)
