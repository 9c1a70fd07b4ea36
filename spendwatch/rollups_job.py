"""The rollups in `spendwatch serve`: built once in a background thread as the server starts (at 10M
requests the first build takes seconds; it used to land on the first page view), then topped up
every few seconds after the spool drain has added rows, so a page view finds them fresh.

:func:`status` tells the dashboard whether the start-up build is still running, so a page can
say why its first figures come a little slower (they read the raw table meanwhile)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import duckdb

from spendwatch import rollups
from spendwatch.scheduler import job_factory

SECONDS = 5
log = logging.getLogger("spendwatch.rollups")
_status: dict[str, Any] = {"state": "idle", "started": None, "finished": None, "result": None}


@job_factory
def _rollups_job(settings, con):
    return (
        "rollups-refresh",
        lambda: rollups.ensure(con.cursor(), min_rows=rollups.MIN_ROWS),
        SECONDS,
    )


def status() -> dict[str, Any]:
    """The start-up build: ``state`` idle / building / done / failed, with its times and result."""
    return dict(_status)


def build_at_start(
    con: duckdb.DuckDBPyConnection, *, min_rows: int = rollups.MIN_ROWS
) -> threading.Thread:
    """Start building (or topping up) the rollups in a background thread; returns the thread."""
    _status.update(state="building", started=time.time(), finished=None, result=None)

    def run() -> None:
        try:
            result = rollups.ensure(con.cursor(), min_rows=min_rows)
            _status.update(state="done", result=result)
        except duckdb.Error as e:  # the pages still answer from the raw table
            log.warning("rollup build at start failed: %s", e)
            _status.update(state="failed", result=str(e))
        finally:
            _status["finished"] = time.time()

    thread = threading.Thread(target=run, name="rollups-build", daemon=True)
    thread.start()
    return thread
