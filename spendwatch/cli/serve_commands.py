"""`spendwatch serve`: dashboard + scheduler in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from spendwatch.cli import app
from spendwatch.cli.common import ConfigOption, DbOption, settings_for
from spendwatch.cli.output import host_option, port_option


@app.command("serve")
def serve_cmd(
    db: DbOption = None,
    config: ConfigOption = None,
    port: Annotated[int, port_option()] = 8501,
    host: Annotated[str, host_option("address to bind; 0.0.0.0 opens it to the network")] = "127.0.0.1",
    insecure: Annotated[bool, typer.Option("--insecure", help="allow a non-loopback --host without a dashboard "
                                                               "password (anyone on the network sees the data)")] = False,
) -> None:
    """Serve the dashboard and run the scheduled jobs (spool ingest, sync, alerts)."""
    from spendwatch import server

    settings = settings_for(db, config)
    refusal = server.exposure_refusal(settings, host=host, insecure=insecure)
    if refusal:
        typer.echo(f"spendwatch: error: {refusal}", err=True)
        raise typer.Exit(2)
    server.serve(settings, host=host, port=port)
