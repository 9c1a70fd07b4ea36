"""Write the database to a Parquet lake: ``requests`` Hive-partitioned by UTC day, plus the tables
the cost logic and finance need (dated price rates, model map, Usage/Costs buckets).

Layout (``DIR`` may be any mounted path; object storage through a mount is the production setup)::

    DIR/requests/date=YYYY-MM-DD/data.parquet   one file per day, rewritten whole
    DIR/price_rates/data.parquet                 and model_map/, usage_buckets/, cost_buckets/
    DIR/_schema/requests.parquet                 no rows: the columns, before the first day lands
    DIR/_manifest.json                           what the lake holds (its own state, not the database's)

A partition is ONE file, written under ``DIR/_tmp/``, fsynced, then renamed over the old one: rename(2)
replaces a file atomically (it cannot replace a non-empty directory), so a reader sees the old day or
the new day, never half of one. Names starting with ``_`` are skipped by Spark and by the readers here.
Incremental: the manifest keeps each day's request count and newest ``ingested_at``; only days whose
figures changed are written, and a run with nothing new writes nothing (not even the manifest).
A day the database no longer holds stays in the lake: the lake is the long-term store.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from spendwatch import exports, store
from spendwatch.errors import SpendwatchError

FORMAT = 1
MANIFEST = "_manifest.json"
DATA = "data.parquet"
# Small tables, each one file rewritten only when its content changed: name → its query file.
TABLES: dict[str, str] = {
    "price_rates": "lake_price_rates",
    "model_map": "lake_model_map",
    "usage_buckets": "lake_usage_buckets",
    "cost_buckets": "lake_cost_buckets",
}


@dataclass
class SyncResult:
    """What one sync did (the CLI prints it; tests read it)."""

    lake: str
    days_written: int = 0
    days_unchanged: int = 0
    rows_written: int = 0
    tables_written: list[str] = field(default_factory=list)


def day_path(root: Path, day: date) -> Path:
    return root / "requests" / f"date={day:%Y-%m-%d}" / DATA


def table_path(root: Path, name: str) -> Path:
    return root / name / DATA


def schema_path(root: Path) -> Path:
    return root / "_schema" / "requests.parquet"


def read_manifest(root: Path) -> dict[str, Any] | None:
    """The lake's manifest, or None when ``root`` holds no spendwatch lake."""
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise SpendwatchError(f"cannot read the lake manifest {root / MANIFEST}: {e}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SpendwatchError(
            f"{root / MANIFEST} is not a spendwatch lake manifest (format {FORMAT})"
        )
    return data


def sync(con: duckdb.DuckDBPyConnection, lake: str | Path, *, now: datetime) -> SyncResult:
    """Bring the lake at ``lake`` up to date with the database behind ``con`` (idempotent)."""
    root = Path(lake)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SpendwatchError(
            f"cannot create the lake directory {root}: {e.strerror or e}"
        ) from None
    if not root.is_dir():
        raise SpendwatchError(f"{root} is not a directory")
    result = SyncResult(lake=str(root))
    with _locked(root):
        tmp = root / "_tmp"
        shutil.rmtree(tmp, ignore_errors=True)  # a killed run's leftovers (never a published file)
        tmp.mkdir()
        old = read_manifest(root) or {}
        new: dict[str, Any] = {
            "format": FORMAT,
            "schema": schema_version(),
            "columns": _columns(con),
            "requests": {},
            "tables": {},
        }
        schema_changed = old.get("columns") != new["columns"]
        if schema_changed or not schema_path(root).exists():
            _publish(con, store.query("lake_requests_schema"), {}, tmp, schema_path(root))
        days = con.execute(store.query("lake_request_days")).fetchall()
        seen = old.get("requests", {})
        new["requests"] = dict(seen)  # days the database no longer holds stay in the lake
        for day, n, newest in days:
            key = f"{day:%Y-%m-%d}"
            entry = {"requests": n, "max_ingested_at": newest.isoformat() if newest else None}
            new["requests"][key] = entry
            if not schema_changed and seen.get(key) == entry and day_path(root, day).exists():
                result.days_unchanged += 1
                continue
            start = datetime(day.year, day.month, day.day)
            _publish(
                con,
                store.query("lake_request_day"),
                {"start": start, "end": start + timedelta(days=1)},
                tmp,
                day_path(root, day),
            )
            result.days_written += 1
            result.rows_written += n
        for name, query in TABLES.items():
            digest = _publish(
                con,
                store.query(query),
                {},
                tmp,
                table_path(root, name),
                keep_same=True,
            )
            new["tables"][name] = digest[1]
            if digest[0]:
                result.tables_written.append(name)
        shutil.rmtree(tmp, ignore_errors=True)
        if schema_changed or any(new[k] != old.get(k) for k in ("requests", "tables", "schema")):
            new["synced_at"] = now.isoformat()
            _write_json(root / MANIFEST, new)
    return result


def schema_version() -> int:
    """The newest migration this spendwatch knows: the cost views a reader runs come from it."""
    return max(v for v, _, _ in store.migrations())


def stale(root: Path, error: Exception) -> SpendwatchError:
    """One line for a lake whose tables do not fit this spendwatch's cost views (synced by another
    version): sync it again."""
    written = (read_manifest(root) or {}).get("schema", "unknown")
    first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
    return SpendwatchError(
        f"the lake {root} was synced by spendwatch schema {written} and this one is {schema_version()}: "
        f"run `spendwatch lake sync {root}` again ({first})"
    )


def _columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    desc = con.execute(store.query("lake_requests_schema")).description
    return [f"{d[0]} {d[1]}" for d in desc]


def _publish(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: dict[str, Any],
    tmp: Path,
    dest: Path,
    *,
    keep_same: bool = False,
) -> tuple[bool, str]:
    """Write the query's rows to a temp file, fsync it, rename it over ``dest``. With ``keep_same``, a
    result byte for byte equal to what ``dest`` holds is dropped and ``dest`` is left untouched.
    Returns (published, sha256 of the content)."""
    part = tmp / f"{uuid.uuid4().hex}.parquet"
    con.sql(sql, params=params or None).write_parquet(str(part), compression="zstd")
    digest = _sha256(part)
    if keep_same and dest.exists() and _sha256(dest) == digest:
        part.unlink()
        return False, digest
    _fsync(part)
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(part, dest)
    _fsync(dest.parent)
    return True, digest


def _write_json(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=1, sort_keys=True)
    exports.write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync(path: Path) -> None:
    """Flush a file, or a directory entry after a rename (some mounts refuse a directory: ignored)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One sync at a time per lake (the serve job and a CLI run may meet)."""
    fd = os.open(root / "_lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SpendwatchError(
                f"another lake sync is writing {root}; try again when it is done"
            ) from None
        yield
    finally:
        os.close(fd)
