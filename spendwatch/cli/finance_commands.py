"""Finance: `spendwatch chargeback`, the bill allocated to teams."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from spendwatch import chargeback, exports
from spendwatch.cli import app
from spendwatch.cli.common import ConfigOption, DbOption, open_store, settings_for
from spendwatch.clock import utc_now
from spendwatch.money import usd

CB_FORMATS = ("table", "csv", "json", "xlsx", "parquet")

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
    cb = chargeback.chargeback(
        con,
        month=first,
        now=utc_now(),
        by=by,
        cost_centres=settings.load_toml().get("cost_centres", {}),
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
    data = render(cb, format)
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    write_atomic(output, data)
    typer.echo(f"wrote {len(cb.rows)} rows to {output}; {cb.headline_text()}", err=True)


def render(cb: chargeback.Chargeback, format: str) -> bytes:
    """The chargeback rows as a file's bytes (CSV and XLSX cells that start like a formula are made inert)."""
    import io

    cols = [cb.by, *chargeback.COLUMNS]
    if format == "json":
        return (exports.to_json_text(cb.rows) + "\n").encode("utf-8")
    if format == "csv":
        return exports.to_csv_text(cb.rows, cols).encode("utf-8")
    buf = io.BytesIO()
    if format == "xlsx":
        exports.write_xlsx(cb.rows, buf, columns=cols, sheet="Chargeback", title=cb.headline_text())
    else:
        exports.write_parquet(cb.rows, buf, columns=cols)
    return buf.getvalue()


def _days_text(days: list) -> str:
    return ", ".join(f"{d:%Y-%m-%d}" for d in days[:10]) + (
        f" and {len(days) - 10} more" if len(days) > 10 else ""
    )


def _print_table(cb: chargeback.Chargeback, cols: list[str]) -> None:
    t = Table(title=Text(cb.headline_text()), show_footer=True)
    total = sum((r["billed_usd"] for r in cb.rows), start=0)
    for c in cols:
        right = c in ("billed_usd", "logged_cost_usd", "requests")
        t.add_column(
            c,
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
            usd(r["logged_cost_usd"]),
            f"{r['requests']:,}",
        )
    Console().print(t)
