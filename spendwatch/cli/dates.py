"""The date options every command shares. One name everywhere: ``--from-date`` / ``--to-date``,
whole UTC days, both inclusive (``report`` and ``reconcile`` also take their old ``--from`` / ``--to``,
``sync openai`` its ``--since`` / ``--until``). A day outside 1900–9998 is a usage error, not a
traceback."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

FIRST_YEAR, LAST_YEAR = 1900, 9998
FORMATS = ["%Y-%m-%d"]


def _in_range(ctx: typer.Context, param: typer.CallbackParam, value: datetime | None) -> datetime | None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise typer.BadParameter(f"must be a day between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31, got {value:%Y-%m-%d}")
    return value


def from_option(*aliases: str, help: str = "first day, inclusive (UTC)",
                default: str | None = None) -> typer.models.OptionInfo:
    """``default`` describes what an absent option means; --help shows it as [default: …]."""
    return typer.Option("--from-date", *aliases, formats=FORMATS, help=help, show_default=default or False,
                        callback=_in_range)


def to_option(*aliases: str, help: str = "last day, inclusive (UTC)",
              default: str | None = None) -> typer.models.OptionInfo:
    return typer.Option("--to-date", *aliases, formats=FORMATS, help=help, show_default=default or False,
                        callback=_in_range)


def day_option(name: str, help: str) -> typer.models.OptionInfo:
    return typer.Option(name, formats=FORMATS, help=help, show_default=False, callback=_in_range)


FromDate = Annotated[datetime | None, from_option()]
ToDate = Annotated[datetime | None, to_option()]
# report and reconcile kept their original spelling
ReportFrom = Annotated[datetime | None, from_option("--from")]
ReportTo = Annotated[datetime | None, to_option("--to")]


def days(first: datetime | None, last: datetime | None) -> tuple[date | None, date | None]:
    """The options as dates; a first day after the last one is a usage error (exit 2)."""
    if first is not None and last is not None and first > last:
        raise typer.BadParameter(f"--from-date {first:%Y-%m-%d} is after --to-date {last:%Y-%m-%d}")
    return (first.date() if first else None, last.date() if last else None)
