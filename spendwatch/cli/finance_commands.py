"""Finance: `spendwatch chargeback` (the bill allocated to teams) and `spendwatch export focus` (FOCUS 1.0)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from spendwatch import chargeback, exports, focus
from spendwatch import cost_centres as centre_map
from spendwatch.cli import app
from spendwatch.cli.common import ConfigOption, DbOption, call, open_store, settings_for
from spendwatch.cli.output import format_option
from spendwatch.clock import utc_now
from spendwatch.money import usd

CB_FORMATS = ("table", "csv", "json", "xlsx", "parquet")
export_app = typer.Typer(
    help="Export the bill in standard formats (FOCUS 1.0).", no_args_is_help=True
)
app.add_typer(export_app, name="export")

MonthOption = Annotated[
    str, typer.Option("--month", help="the month, YYYY-MM (UTC)", show_default=False)
]
OutputOption = Annotated[
    Path | None, typer.Option("-o", "--output", help="write to FILE", show_default=False)
]


def _month(text: str):
    try:
        return chargeback.parse_month(text)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temp name beside the file, then rename: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


@app.command("chargeback")
def chargeback_cmd(
    month: MonthOption,
    by: Annotated[
        str, typer.Option("--by", help="feature|cost_centre|project|user|api_key")
    ] = "feature",
    format: Annotated[str, typer.Option("--format", help="table|csv|json|xlsx|parquet")] = "table",
    output: OutputOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """What OpenAI billed for a month, allocated to features, cost centres, projects, users or keys."""
    first = _month(month)
    if by not in chargeback.DIMENSIONS:
        raise typer.BadParameter(f"--by must be one of {', '.join(chargeback.DIMENSIONS)}")
    if format not in CB_FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(CB_FORMATS)}")
    if format in ("xlsx", "parquet") and output is None:
        raise typer.BadParameter(f"--format {format} needs -o FILE")
    settings = settings_for(db, config)
    con = open_store(settings, read_only=True)
    cb = call(chargeback.chargeback,
        con,
        month=first,
        now=utc_now(),
        by=by,
        cost_centres=call(centre_map.effective, con, settings.load_toml().get("cost_centres", {})),
    )
    if cb.unsynced_days:
        typer.echo(
            f"not synced, left out: {_days_text(cb.unsynced_days)} "
            "(run `spendwatch sync openai` for them)",
            err=True,
        )
    cols = [by, *chargeback.COLUMNS]
    if format == "table":
        _print_table(cb, cols)
        return
    data = chargeback.file_bytes(cb, format)
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    write_atomic(output, data)
    typer.echo(f"wrote {len(cb.rows)} rows to {output}; {cb.headline_text()}", err=True)


def _days_text(days: list) -> str:
    return ", ".join(f"{d:%Y-%m-%d}" for d in days[:10]) + (
        f" and {len(days) - 10} more" if len(days) > 10 else ""
    )


HEADERS = {
    "project_id": "project id",
    "reason": "not allocated because",
    "billed_usd": "owes (billed)",
    "logged_cost_usd": "logged at list price",
}


def _print_table(cb: chargeback.Chargeback, cols: list[str]) -> None:
    t = Table(title=Text(cb.headline_text()), show_footer=True)
    total = sum((r["billed_usd"] for r in cb.rows), start=0)
    for c in cols:
        right = c in ("billed_usd", "logged_cost_usd", "requests")
        t.add_column(
            HEADERS.get(c, c.replace("_", " ")),
            justify="right" if right else "left",
            footer=(usd(total) if c == "billed_usd" else "total" if c == cols[0] else ""),
        )
    for r in cb.rows:
        # names are data: Text() keeps rich from reading [markup] in a cost centre or feature name
        t.add_row(
            Text(str(r[cb.by]) if r[cb.by] is not None else "—"),
            Text(r["project_id"] or "—"),
            Text(r["reason"] or ""),
            usd(r["billed_usd"]),
            "unpriced" if r["logged_cost_usd"] is None else usd(r["logged_cost_usd"]),
            f"{r['requests']:,}",
        )
    Console().print(t)


@export_app.command("focus")
def export_focus_cmd(
    month: MonthOption,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="write to FILE", show_default=False)
    ],
    format: Annotated[str, typer.Option("--format", help="csv|parquet")] = "csv",
    billing_account: Annotated[
        str | None,
        typer.Option(
            "--billing-account",
            help="BillingAccountId [default: [focus] billing_account_id, else openai]",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """The month's bill as FOCUS 1.0 rows (day x project x line item), feature split in Tags."""
    first = _month(month)
    if format not in focus.FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(focus.FORMATS)}")
    settings = settings_for(db, config)
    toml = settings.load_toml()
    account = billing_account or str(toml.get("focus", {}).get("billing_account_id", "openai"))
    con = open_store(settings, read_only=True)
    rows, missing = call(focus.focus_rows,
        con,
        month=first,
        now=utc_now(),
        organization=account,
        cost_centres=call(centre_map.effective, con, toml.get("cost_centres", {})),
    )
    if missing:
        typer.echo(
            f"not synced, left out: {_days_text(missing)} (run `spendwatch sync openai` for them)",
            err=True,
        )
    write_atomic(output, focus.render(rows, format))
    typer.echo(f"wrote {len(rows)} FOCUS 1.0 rows to {output}", err=True)


reports_app = typer.Typer(
    help="Monthly reports that send themselves (run by `spendwatch serve`).", no_args_is_help=True
)
app.add_typer(reports_app, name="reports")


@reports_app.command("add")
def reports_add_cmd(
    name: Annotated[str, typer.Argument(help="a name for the report", show_default=False)],
    channel: Annotated[
        list[str],
        typer.Option(
            "--channel", help="email:ADDRESS | webhook:URL | log (repeat)", show_default=False
        ),
    ],
    format: Annotated[
        str, typer.Option("--format", help="xlsx|csv (chargeback) or focus (FOCUS 1.0 CSV)")
    ] = "xlsx",
    by: Annotated[
        str, typer.Option("--by", help="chargeback by feature|cost_centre|project|user|api_key")
    ] = "cost_centre",
    day: Annotated[
        int, typer.Option("--day", help="day of the month last month's report is sent (1..28)")
    ] = 2,
    at: Annotated[str, typer.Option("--at", help="time of day, HH:MM")] = "08:00",
    tz: Annotated[
        str, typer.Option("--tz", help="time zone of --day and --at, e.g. Europe/Berlin")
    ] = "UTC",
    db: DbOption = None,
) -> None:
    """Send last month's chargeback (or FOCUS export) on a day of every month."""
    from spendwatch import reports_schedule

    s = reports_schedule.Schedule(
        name=name, channels=tuple(channel), format=format, by=by, day=day, at=at, tz=tz
    )
    con = open_store(settings_for(db))
    reports_schedule.save(con, s)
    typer.echo(f"report {name}: {format} on day {day} at {at} {tz}, to {len(channel)} channel(s)")


@reports_app.command("list")
def reports_list_cmd(
    format: Annotated[str, format_option("table", "json")] = "table",
    db: DbOption = None,
) -> None:
    """The report schedules."""
    from spendwatch import reports_schedule
    from spendwatch.alerts.deliver import display_channel

    con = open_store(settings_for(db), read_only=True)
    rows = [reports_schedule.as_dict(s) for s in call(reports_schedule.all_schedules, con)]
    for r in rows:
        r["channels"] = [display_channel(c) for c in r["channels"]]
    if format == "json":
        typer.echo(exports.to_json_text(rows))
        return
    for r in rows:
        typer.echo(
            f"{r['name']}\t{r['format']} by {r['by']}\tday {r['day']} {r['at']} {r['tz']}\t"
            f"{', '.join(r['channels'])}\t({r['source']})"
        )
    if not rows:
        typer.echo(
            "no report schedules; add one with: spendwatch reports add NAME --channel email:ADDRESS"
        )


@reports_app.command("remove")
def reports_remove_cmd(
    name: Annotated[str, typer.Argument(show_default=False)], db: DbOption = None
) -> None:
    """Remove a report schedule (reports already sent stay recorded)."""
    from spendwatch import reports_schedule

    if not reports_schedule.remove(open_store(settings_for(db)), name):
        raise chargeback.SpendwatchError(f"no report schedule named {name!r}")
    typer.echo(f"removed report {name}")


@reports_app.command("run")
def reports_run_cmd(db: DbOption = None, config: ConfigOption = None) -> None:
    """Record the reports due now and send them (for cron, without `serve`); each month goes out once."""
    from spendwatch import reports_schedule
    from spendwatch.alerts.deliver import Delivery, deliver

    settings = settings_for(db, config)
    toml = settings.load_toml()
    con = open_store(settings)
    reports_schedule.sync_config(con, toml)
    now = utc_now()
    keys = reports_schedule.run_due(
        con,
        now=now,
        out_dir=settings.db.with_name(settings.db.name + ".reports"),
        cost_centres=call(centre_map.effective, con, toml.get("cost_centres", {})),
    )
    counts = deliver(con, Delivery.from_settings(settings), now=now)
    typer.echo(
        f"{len(keys)} report(s) due; sent {counts['sent']}, retrying {counts['retrying']}, "
        f"failed {counts['failed']}"
    )
