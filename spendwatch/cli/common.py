"""What every command shares: the --db and --config options, opening the store with the command's own
price catalog (or a handle on the running server), output."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from spendwatch import control, store
from spendwatch.cli.output import echo
from spendwatch.commands import call  # noqa: F401 (the routing point every command imports from here)
from spendwatch.config import Settings, get_settings
from spendwatch.errors import DatabaseLocked
from spendwatch.pricing import catalog

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB file", show_default="$SPENDWATCH_DB, else ./spendwatch.duckdb"),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML config (price overrides, alerts, cost centres)",
                 show_default="$SPENDWATCH_CONFIG, else ./spendwatch.toml if present"),
]


def settings_for(db: Path | None, config: Path | None = None) -> Settings:
    return get_settings(db=db, config=config)


def open_store(
    settings: Settings, *, read_only: bool = False, via_server: bool = False
) -> duckdb.DuckDBPyConnection | control.Remote:
    """Open the database for one command, pricing with the command's own config and nothing else.

    While `spendwatch serve` holds the file, a read (``read_only``) or a write the server carries out
    (``via_server``) gets a handle on the server instead; use it only through ``call``. Any other
    command is refused with a line naming the process that holds the file.
    """
    config = settings.load_toml()
    _say_overrides(settings, config)

    def upgrading(names: list[str]) -> None:
        echo(f"upgrading {settings.db} to this version's schema ({', '.join(names)}); "
             "a large database takes a while, once", err=True)

    try:
        con = store.connect(settings.db, read_only=read_only, on_upgrade=upgrading)
        if read_only and _behind(con) and os.access(settings.db, os.W_OK):
            con.close()  # an older file: bring the schema up to date once, then read it read-only
            store.connect(settings.db, on_upgrade=upgrading).close()
            con = store.connect(settings.db, read_only=True)
    except DatabaseLocked as e:
        remote = control.connect(settings.db, config=config) if read_only or via_server else None
        if remote is None:
            raise control.locked_error(settings.db, e, spool=settings.spool_dir()) from None
        return remote
    if not read_only:
        control.record_holder(settings.db)
    catalog.use(con, config, may_rewrite=not read_only)
    return con


def read_only_file(settings: Settings) -> bool:
    """A read command that may also write (a cache, the TOML's rules) opens the file read-only when this
    user may not write it, and when it is missing (so a wrong --db says "not found" instead of creating one)."""
    db = Path(settings.db)
    return not db.exists() or not os.access(db, os.W_OK)


def _behind(con: duckdb.DuckDBPyConnection) -> bool:
    """The file lacks migrations this code has (a read-only connection cannot apply them)."""
    done = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    return done is not None and done < max(v for v, _, _ in store.migrations())


def _say_overrides(settings: Settings, config: dict) -> None:
    """A figure says which price overrides it used: one line on stderr when the config has any."""
    n, discount = catalog.overrides_in(config)
    if n or discount != 1:
        extra = f" and a {discount} discount" if discount != 1 else ""
        echo_err(f"prices: {n} override{'s' if n != 1 else ''}{extra} from {settings.config}")


def echo_err(message: str) -> None:
    typer.echo(message, err=True)
