"""The command line: thin commands over library calls. Exit 0 ok, 1 failed (one line on stderr), 2 bad usage."""

from __future__ import annotations

import sys

import typer

from spendwatch.errors import SpendwatchError

app = typer.Typer(
    name="spendwatch",
    help="What your OpenAI API usage costs, where the money goes, and what it would cost instead.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

def _version(value: bool) -> None:
    if value:
        from spendwatch import __version__

        typer.echo(f"spendwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="print the version and exit", callback=_version,
                                 is_eager=True),
) -> None:
    """What your OpenAI API usage costs, where the money goes, and what it would cost instead."""


# Each module registers its commands on `app`; keep this list sorted.
from spendwatch.cli import (  # noqa: E402,F401
    alerts_commands,
    core_commands,
    finance_commands,
    lake_commands,
    replay_commands,
    serve_commands,
    sync_commands,
    whatif_commands,
)


def main() -> None:
    """Console entry point: a SpendwatchError becomes one line on stderr and exit code 1, a usage
    error one line and exit code 2 (click's boxed, multi-line form is for humans at a prompt, and
    the message may carry user text, which is never printed as markup or with control characters)."""
    from spendwatch.cli.output import click_exceptions, one_line

    ClickException, NoArgsIsHelpError, UsageError = click_exceptions()  # noqa: N806

    try:
        code = app(standalone_mode=False, prog_name="spendwatch")
    except SpendwatchError as e:
        print(f"spendwatch: error: {one_line(e)}", file=sys.stderr)
        sys.exit(1)
    except NoArgsIsHelpError as e:  # the help is already printed
        sys.exit(e.exit_code)
    except UsageError as e:
        where = e.ctx.command_path if e.ctx is not None else "spendwatch"
        print(f"{one_line(where)}: usage error: {one_line(e.format_message())} (see --help)", file=sys.stderr)
        sys.exit(e.exit_code)
    except ClickException as e:
        print(f"spendwatch: error: {one_line(e.format_message())}", file=sys.stderr)
        sys.exit(e.exit_code)
    except typer.Abort:
        print("spendwatch: aborted", file=sys.stderr)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
