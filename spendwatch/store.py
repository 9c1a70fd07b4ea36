"""The DuckDB store: open the one file, apply numbered migrations, load named queries.

DuckDB allows one read-write process per file, and a connection is not thread-safe: threads
take their own ``con.cursor()``. Other processes hand records over through the spool.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from spendwatch.errors import DatabaseLocked, SpendwatchError

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def connect(path: Path | str, *, read_only: bool = False, migrate: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database (creating it), pin the session to UTC, and bring the schema up to date."""
    path = Path(path)
    if read_only and not path.exists():
        raise SpendwatchError(f"database not found: {path} (run `spendwatch ingest` or `spendwatch demo` first)")
    if not read_only and str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as e:
        raise _explain_io_error(path, e) from None
    con.execute("SET TimeZone = 'UTC'")
    if migrate and not read_only:
        apply_migrations(con)
    return con


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


def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply migrations not yet recorded in schema_migrations, each in its own transaction."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP))"
    )
    done = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
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
