"""The lake in `spendwatch serve`: with ``[lake] dir`` in the config, sync the lake every
``[lake] interval`` seconds (default 300), on the server's own connection."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from spendwatch.config import ConfigError, Settings
from spendwatch.lake import sync
from spendwatch.scheduler import job_factory

DEFAULT_INTERVAL = 300
log = logging.getLogger("spendwatch.lake")


def lake_config(toml: dict[str, Any]) -> tuple[Path, float] | None:
    """(dir, interval seconds) from ``[lake]``, or None when no lake is configured."""
    cfg = toml.get("lake") or {}
    if not isinstance(cfg, dict) or not cfg.get("dir"):
        return None
    interval = cfg.get("interval", DEFAULT_INTERVAL)
    if not isinstance(interval, int | float) or isinstance(interval, bool) or interval <= 0:
        raise ConfigError(f"[lake] interval must be a positive number of seconds, not {interval!r}")
    return Path(str(cfg["dir"])), float(interval)


@job_factory
def _lake_job(settings: Settings, con: duckdb.DuckDBPyConnection):
    found = lake_config(settings.load_toml())
    if found is None:
        return None
    directory, interval = found

    def run(now: datetime) -> None:
        r = sync.sync(con.cursor(), directory, now=now)
        if r.days_written or r.tables_written:
            log.info(
                "lake %s: %d days written (%d requests), tables %s",
                directory,
                r.days_written,
                r.rows_written,
                ", ".join(r.tables_written) or "unchanged",
            )

    return ("lake-sync", run, interval)
