"""What every command shares: the --db option, opening the store with the catalog, output."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from spendwatch import store
from spendwatch.config import Settings, get_settings
from spendwatch.pricing import catalog

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB file", show_default="$SPENDWATCH_DB, else ./spendwatch.duckdb"),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML config (price overrides, alerts, cost centres)",
                 show_default="$SPENDWATCH_CONFIG"),
]


def settings_for(db: Path | None, config: Path | None = None) -> Settings:
    return get_settings(db=db, config=config)


def open_store(settings: Settings, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database; a writable open also brings the price catalog up to date."""
    con = store.connect(settings.db, read_only=read_only)
    if not read_only:
        catalog.materialise(con, settings.load_toml())
    return con


def echo_err(message: str) -> None:
    typer.echo(message, err=True)
