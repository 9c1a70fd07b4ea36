"""`spendwatch lake sync DIR`: write the database to a Parquet lake; and the engines `report --lake`
reads it with (DuckDB in memory, or Apache Spark through the optional pyspark extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from spendwatch.cli import app
from spendwatch.cli.common import ConfigOption, DbOption, call, open_store, settings_for
from spendwatch.cli.output import echo
from spendwatch.clock import utc_now
from spendwatch.errors import SpendwatchError

ENGINES = ("duckdb", "spark")

lake_app = typer.Typer(
    help="A Hive-partitioned Parquet lake of the database, for DuckDB or Spark past one machine.",
    no_args_is_help=True,
)
app.add_typer(lake_app, name="lake")


@lake_app.command("sync")
def lake_sync_cmd(
    directory: Annotated[
        Path, typer.Argument(help="the lake directory (any mounted path)", show_default=False)
    ],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write requests (one Parquet file per UTC day), prices, the model map and the Usage/Costs
    buckets to DIR; only changed days are rewritten, each swapped in whole."""
    from spendwatch.lake import sync

    con = open_store(settings_for(db, config), read_only=True)
    r = call(sync.sync, con, str(directory), now=utc_now())
    tables = f"; tables rewritten: {', '.join(r.tables_written)}" if r.tables_written else ""
    echo(
        f"lake {directory}: {r.days_written} day{'s' if r.days_written != 1 else ''} written "
        f"({r.rows_written:,} requests), {r.days_unchanged} unchanged{tables}"
    )


def open_engine(lake: Path | None, *, engine: str, master: str | None) -> Any:
    """The connection `report` runs on when it reads a lake: DuckDB in memory, or Spark."""
    if engine == "spark":
        if lake is None:
            raise typer.BadParameter(
                "--engine spark reads a lake: give --lake DIR", param_hint="--engine"
            )
        try:
            from spendwatch.lake import spark
        except ImportError as e:  # pragma: no cover (the module itself imports no pyspark)
            raise SpendwatchError(str(e)) from None
        return spark.connect(lake, master=master)
    if master is not None:
        raise typer.BadParameter("--master is for --engine spark", param_hint="--master")
    from spendwatch.lake import duck

    return duck.open_lake(lake)
