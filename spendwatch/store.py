"""The DuckDB store: open the one file, apply numbered migrations, load named queries.

DuckDB allows one read-write process per file, and a connection is not thread-safe: threads
take their own ``con.cursor()``. Other processes hand records over through the spool.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from spendwatch.errors import DatabaseLocked, SpendwatchError

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def connect(
    path: Path | str, *, read_only: bool = False, migrate: bool = True, create: bool = True,
    on_upgrade: Callable[[list[str]], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the database, pin the session to UTC, and bring the schema up to date.

    A missing file is created only when ``create`` (and not ``read_only``): a read command given a wrong
    path says so instead of leaving an empty database behind. A file that is not a spendwatch database
    (SQLite, anything else, a DuckDB file with other tables) or one from a newer spendwatch is refused
    before anything is written to it. ``on_upgrade`` hears the migrations about to run on a database
    that already had some (an upgrade can rebuild a large table: a command should say why it waits).
    """
    path = Path(path)
    memory = str(path) == ":memory:"
    if not memory and not path.exists() and (read_only or not create):
        raise SpendwatchError(f"database not found: {path} (run `spendwatch ingest` or `spendwatch demo` first)")
    if not memory:
        _check_magic(path)
    if not read_only and not memory:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as e:
        raise _explain_io_error(path, e) from None
    try:
        con.execute("SET TimeZone = 'UTC'")
        _check_schema(con, path)
        if migrate and not read_only:
            apply_migrations(con, on_upgrade=on_upgrade)
    except BaseException:
        con.close()
        raise
    return con


_SQLITE_MAGIC = b"SQLite format 3\x00"
_DUCKDB_MAGIC = b"DUCK"  # bytes 8..11 of every DuckDB database file


def _check_magic(path: Path) -> None:
    """Refuse a file that is not DuckDB by its first bytes: DuckDB itself would try to download the
    sqlite extension for a SQLite file (no network here), or print a long error for anything else."""
    if path.is_dir():
        raise SpendwatchError(f"{path} is a directory, not a database file (give --db a file)")
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return
    except OSError as e:
        raise SpendwatchError(f"cannot read database {path}: {e.strerror or e}") from None
    if head.startswith(_SQLITE_MAGIC):
        raise SpendwatchError(f"{path} is a SQLite database, not a spendwatch (DuckDB) one: give another --db")
    if head and head[8:12] != _DUCKDB_MAGIC:
        raise SpendwatchError(f"{path} is not a DuckDB database file: give another --db")


def _check_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A DuckDB file with tables must be a spendwatch database no newer than this code."""
    objects = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal"
    ).fetchall()
    if not objects:
        return  # a new (or empty) database: migrations make it a spendwatch one
    names = sorted(n for (n,) in objects)
    foreign = SpendwatchError(
        f"{path} is a DuckDB database but not a spendwatch one (it holds {', '.join(names[:3])}"
        f"{', …' if len(names) > 3 else ''}): nothing was changed; give another --db"
    )
    if "schema_migrations" not in names:
        raise foreign
    try:
        rows = con.execute("SELECT version, name FROM schema_migrations").fetchall()
    except duckdb.Error:
        raise foreign from None
    if not rows and names == ["schema_migrations"]:
        return  # a first run killed before migration 1 committed: the ledger alone, still ours to migrate
    if (1, "0001_core.sql") not in rows:
        raise foreign
    newest, known = max(v for v, _ in rows), max(v for v, _, _ in migrations())
    if newest > known:
        raise SpendwatchError(
            f"{path} has schema version {newest}, newer than this spendwatch knows ({known}): "
            "upgrade spendwatch (pip install -U spendwatch) to open it"
        )


def _explain_io_error(path: Path, e: Exception) -> SpendwatchError:
    text = str(e)
    if "lock" in text.lower():
        pid = re.search(r"PID (\d+)", text)
        who = f" (pid {pid.group(1)})" if pid else ""
        return DatabaseLocked(
            f"database {path} is held by another process{who}, probably `spendwatch serve`; "
            "stop it, or hand records to the running server through its spool directory"
        )
    return SpendwatchError(f"cannot open database {path}: {text.splitlines()[0]}")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every migration file, in order."""
    out = []
    for f in resources.files("spendwatch.sql").joinpath("migrations").iterdir():
        m = _MIGRATION_NAME.match(f.name)
        if m:
            out.append((int(m.group(1)), f.name, f.read_text(encoding="utf-8")))
    return sorted(out)


def apply_migrations(
    con: duckdb.DuckDBPyConnection, *, on_upgrade: Callable[[list[str]], None] | None = None
) -> list[str]:
    """Apply migrations not yet recorded in schema_migrations, each in its own transaction;
    ``on_upgrade`` first hears their names when the database already had some (not a new file)."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP))"
    )
    done = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    pending = [m for m in migrations() if m[0] not in done]
    if done and pending and on_upgrade is not None:
        on_upgrade([name for _, name, _ in pending])
    applied = []
    for version, name, sql in pending:
        con.execute("BEGIN")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


@cache
def query(name: str) -> str:
    """The text of sql/queries/<name>.sql (loaded once)."""
    return resources.files("spendwatch.sql").joinpath("queries", f"{name}.sql").read_text(encoding="utf-8")


def render(name: str, **identifiers: str) -> str:
    """A query with {{slot}} markers filled from allow-listed SQL fragments (never user text)."""
    text = query(name)
    for key, value in identifiers.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise ValueError(f"query {name} has unfilled slots")
    return text


_REQUEST_WRITES = threading.RLock()


@contextmanager
def request_writes() -> Iterator[None]:
    """Held around every transaction that inserts into ``requests``. The table has no unique index
    (migration 0070): ids stay unique because each writer anti-joins what is stored, and the writers
    of this process (the one writer: serve's jobs and routed commands share it) take turns, so two
    cursors never insert the same id from two snapshots."""
    with _REQUEST_WRITES:
        yield


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All of it or none of it."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


def fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params) if params is not None else con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


def fetch_named(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """fetch_dicts with only the parameters the SQL names: composed queries (a rollup part, raw edges)
    use some of a shared set, and DuckDB refuses extra ones."""
    used = set(_PARAM.findall(_COMMENT.sub("", sql)))
    return fetch_dicts(con, sql, {k: v for k, v in params.items() if k in used})
