"""The process-wide store of `spendwatch serve`: opened once, shared by the scheduler's jobs and
the dashboard's pages. A DuckDB connection is not thread-safe, so every user takes a cursor."""

from __future__ import annotations

import threading

import duckdb

from spendwatch import store
from spendwatch.config import Settings, get_settings
from spendwatch.pricing import catalog

_lock = threading.Lock()
_con: duckdb.DuckDBPyConnection | None = None
_settings: Settings | None = None


def install(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Called by `spendwatch serve` before the scheduler and the dashboard start."""
    global _con, _settings
    with _lock:
        _con, _settings = con, settings


def settings() -> Settings:
    return _settings if _settings is not None else get_settings()


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on the shared connection; outside `serve` (tests, `streamlit run`), open the file once."""
    global _con
    with _lock:
        if _con is None:
            s = settings()
            _con = store.connect(s.db)
            catalog.use(_con, s.load_toml(), may_rewrite=True)
        return _con.cursor()


def reset() -> None:
    """Forget the shared connection (tests)."""
    global _con, _settings
    with _lock:
        if _con is not None:
            _con.close()
        _con, _settings = None, None
