"""`spendwatch sync openai|status` and `spendwatch reconcile`: what OpenAI counted and billed, beside the logs."""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console

from spendwatch import days, exports, reconcile, report
from spendwatch.cli import app, dates
from spendwatch.cli.common import (
    ConfigOption,
    DbOption,
    call,
    open_store,
    read_only_file,
    settings_for,
)
from spendwatch.cli.output import Table, format_option
from spendwatch.clock import utc_now
from spendwatch.money import usd

sync_app = typer.Typer(
    help="Import usage and billed costs from a provider's organization API.", no_args_is_help=True
)
app.add_typer(sync_app, name="sync")


@sync_app.command("openai")
def sync_openai_cmd(
    since: Annotated[
        datetime | None,
        dates.from_option(
            "--since",
            help="first day (UTC)",
            default="two days before the last sync's end, else 30 days ago",
        ),
    ] = None,
    until: Annotated[
        datetime | None, dates.to_option("--until", help="last day (UTC), inclusive", default="now")
    ] = None,
    bucket: Annotated[
        str, typer.Option("--bucket", help="usage bucket width: 1d|1h (costs are always daily)")
    ] = "1d",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Import the organization's Usage and Costs APIs (needs OPENAI_ADMIN_KEY, an admin key)."""
    # tenacity and the scheduler load only when syncing
    from spendwatch.collectors import openai_usage

    dates.days(since, until)
    if bucket not in openai_usage.BUCKET_WIDTHS:
        raise typer.BadParameter(f"--bucket must be one of {', '.join(openai_usage.BUCKET_WIDTHS)}")
    settings = settings_for(db, config)
    secret = settings.openai_admin_key
    key = openai_usage.check_admin_key(secret.get_secret_value() if secret is not None else None)
    con = open_store(settings)
    err = Console(stderr=True)
    status = err.status("asking OpenAI…") if err.is_terminal else contextlib.nullcontext()
    with status as live:

        def progress(kind: str, pages: int, rows: int) -> None:
            if live is not None:
                live.update(f"syncing {kind}: page {pages}, {rows:,} rows stored")

        def on_retry(what: str, attempt: int, wait: float) -> None:
            if live is not None:
                live.update(f"{what}: OpenAI is busy, retry {attempt} in {wait:.1f} s")

        result = openai_usage.sync_openai(
            con,
            key,
            since=since,
            until=until,
            now=utc_now(),
            bucket_width=bucket,
            progress=progress,
            on_retry=on_retry,
        )
    typer.echo(result.summary())


@sync_app.command("status")
def sync_status_cmd(
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[str, format_option("table", "json")] = "table",
) -> None:
    """When OpenAI was last synced, how it went, and where the next run starts."""
    from spendwatch.collectors import openai_usage

    con = open_store(settings_for(db, config), read_only=True)
    state = call(openai_usage.sync_state, con)
    if format == "json":
        typer.echo(exports.to_json_text(state))
        return
    if state is None:
        typer.echo("openai: never synced (run `spendwatch sync openai`)")
        return
    cursor = state["cursor_ts"]
    typer.echo(
        f"openai: last run {state['last_run_at']:%Y-%m-%d %H:%M} UTC, {state['last_status']}: "
        f"{state['last_detail']}"
    )
    if cursor is not None:
        typer.echo(
            f"next run starts {cursor - timedelta(days=openai_usage.REVISE_DAYS):%Y-%m-%d} "
            f"(synced up to {cursor:%Y-%m-%d %H:%M} UTC; the last {openai_usage.REVISE_DAYS} days are re-read)"
        )


@app.command("reconcile")
def reconcile_cmd(
    from_: dates.ReportFrom = None,
    to: dates.ReportTo = None,
    by: Annotated[
        str, typer.Option("--by", help="comma-separated: day, project, model")
    ] = "day,project,model",
    format: Annotated[str, format_option("table", "json", "csv")] = "table",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Request logs beside OpenAI's Usage and Costs APIs: what was logged, counted and billed, and why they differ."""
    cols = reconcile.parse_by(by)
    first, last = dates.days(from_, to)
    settings = settings_for(db, config)
    read_only = read_only_file(settings)
    con = open_store(settings, read_only=read_only, via_server=not read_only)
    rows = call(reconcile.reconcile, con, start=first, end=last, by=cols)
    if not rows:
        lo, hi = report.window(first, last)
        line = call(days.empty_window, con, lo, hi) or f"nothing logged or synced {days.describe(lo, hi)}"
        typer.echo(f"{line} (ingest logs and run `spendwatch sync openai`)", err=format != "table")
        if format == "table":
            return
    if format == "json":
        typer.echo(exports.to_json_text(rows))
    elif format == "csv":
        sys.stdout.write(exports.to_csv_text(rows, [*cols, *reconcile.COLUMNS]))
    else:
        _print_table(rows, cols)


def _count(v: int | None) -> str:
    return "—" if v is None else f"{v:,}"


def _print_table(rows: list[dict], cols: list[str]) -> None:
    """The figures in a table (one line a row); the reasons as numbered notes under it."""
    if not rows:
        typer.echo(
            "nothing to reconcile in that window (ingest logs and run `spendwatch sync openai`)"
        )
        return
    tot = reconcile.totals(rows)
    out = Console()
    if not out.is_terminal:
        out = Console(width=max(out.width, 160))
    t = Table(
        show_footer=True,
        title="logged: request logs · usage: Usage API at catalog prices · billed: Costs API",
    )
    for i, c in enumerate(cols):
        t.add_column(c, footer="total" if i == 0 else "", no_wrap=True)
    t.add_column("logged req", justify="right", footer=_count(tot["logged_requests"]))
    t.add_column("logged", justify="right", footer=usd(tot["logged_cost_usd"]), no_wrap=True)
    t.add_column("usage req", justify="right", footer=_count(tot["usage_requests"]))
    t.add_column("usage", justify="right", footer=usd(tot["usage_cost_usd"]), no_wrap=True)
    t.add_column("billed", justify="right", footer=usd(tot["billed_usd"]), no_wrap=True)
    t.add_column("drift", justify="right", footer=usd(tot["drift_usd"]), no_wrap=True)
    pct = tot["drift_pct"]
    t.add_column("drift %", justify="right", footer="" if pct is None else f"{pct}%", no_wrap=True)
    t.add_column("note", justify="right")
    notes: list[str] = []
    for r in rows:
        if r["reason"] and r["reason"] != "matches":
            notes.append(r["reason"])
        t.add_row(
            *[str(r[c]) if r[c] is not None else "—" for c in cols],
            _count(r["logged_requests"]),
            usd(r["logged_cost_usd"]),
            _count(r["usage_requests"]),
            usd(r["usage_cost_usd"]),
            usd(r["billed_usd"]),
            usd(r["drift_usd"]),
            "—" if r["drift_pct"] is None else f"{r['drift_pct']} %",
            (f"[{len(notes)}]" if r["reason"] != "matches" else "ok") if r["reason"] else "",
        )
    out.print(t)
    for n, text in enumerate(notes, start=1):
        out.print(f"[{n}] {text}", highlight=False, markup=False)
