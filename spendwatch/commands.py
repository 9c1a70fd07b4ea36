"""The one routing point between commands and the database: :func:`call` runs a core function on the
command's own connection, or — while `spendwatch serve` holds the file — sends it to the server, which
runs the very same function on a cursor of its connection (spendwatch.control).

``ROUTED`` lists every function the server runs for a command: the reads of `report`, `quarantine`,
`prices`, `alerts list`, `whatif`, `recommend`, `reconcile` and `sync status`, and the writes it
carries out (`alerts add` / `remove`, and the config-owned rules `alerts list` keeps in step).
A function not listed here never runs in the server.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import duckdb

from spendwatch import store
from spendwatch.control import Remote
from spendwatch.errors import SpendwatchError

T = TypeVar("T")

ROUTED: dict[str, str] = {
    "spendwatch.commands:query_rows": "read",
    "spendwatch.report:spend_report": "read",
    "spendwatch.days:empty_window": "read",
    "spendwatch.pricing.resolution:price_in_force": "read",
    "spendwatch.whatif:target_price_model": "read",
    "spendwatch.whatif:simulate": "read",
    "spendwatch.replay.evidence:with_evidence": "read",
    "spendwatch.replay.evidence:line": "read",
    "spendwatch.recommend:recommend": "read",
    "spendwatch.reconcile:reconcile": "read",  # also caches how Usage API model names resolve
    "spendwatch.collectors.openai_usage:sync_state": "read",
    "spendwatch.chargeback:chargeback": "read",
    "spendwatch.focus:focus_rows": "read",
    "spendwatch.cost_centres:effective": "read",  # the mapping saved on the Reports page + the TOML
    "spendwatch.reports_schedule:all_schedules": "read",
    "spendwatch.alerts.rules:all_rules": "read",
    "spendwatch.alerts.deliver:channel_health": "read",
    "spendwatch.lake.sync:sync": "read",  # writes the lake directory, only reads the database
    "spendwatch.alerts.rules:sync_config": "write",
    "spendwatch.alerts.rules:save": "write",
    "spendwatch.alerts.rules:remove": "write",
}

# Named queries (sql/queries) that commands read whole; nothing else goes through query_rows.
READ_QUERIES = frozenset(
    {"health_quarantine", "quarantine_count", "prices_current", "prices_unpriced"}
)


def name_of(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def resolve(name: str) -> Callable[..., Any]:
    """The function a server runs for ``name``; refused unless ROUTED lists it."""
    if name not in ROUTED:
        raise SpendwatchError(f"the server does not run {name!r}")
    module, _, qual = name.partition(":")
    return getattr(importlib.import_module(module), qual)


def call(
    fn: Callable[..., T], con: duckdb.DuckDBPyConnection | Remote, *args: Any, **kwargs: Any
) -> T:
    """``fn(con, *args, **kwargs)`` here, or the same call inside the server that holds the database."""
    if isinstance(con, Remote):
        name = name_of(fn)
        if name not in ROUTED:
            raise SpendwatchError(f"{name} cannot run while `spendwatch serve` holds the database")
        return con.call(name, args, kwargs)
    return fn(con, *args, **kwargs)


def query_rows(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The rows of one of the READ_QUERIES, as dicts."""
    if name not in READ_QUERIES:
        raise SpendwatchError(f"query {name!r} is not one a command reads")
    return store.fetch_dicts(con, store.query(name), params)
