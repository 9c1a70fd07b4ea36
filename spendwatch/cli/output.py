"""What the CLI prints: user text (tags, model names, errors) as plain text, never terminal markup,
and the option checks every command shares (--format, tiers).

Tags and names come from request logs that anyone who can call the API can write. Rich reads
``[...]`` as markup (``[/oops]`` crashes it, ``[link=…]`` prints a live hyperlink) and a terminal runs
ESC sequences, so every table cell goes in as a ``rich.text.Text`` (never parsed as markup) and
control characters are removed from everything printed.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from typing import Any

import typer
from rich.table import Table as _RichTable
from rich.text import Text

# C0 controls but \t and \n, DEL, C1 controls (the 8-bit CSI U+009B among them), and the bidi
# overrides/isolates that can make a terminal show text in an order it is not.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_AND_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def plain(value: Any) -> str:
    """Text safe to print: control characters removed (ESC sequences lose their ESC); \\n and \\t kept."""
    return _CONTROL.sub("", "" if value is None else str(value))


def one_line(value: Any) -> str:
    """Like plain(), with line breaks turned into spaces: for one-line error messages."""
    return " ".join(_CONTROL_AND_BREAKS.sub(" ", "" if value is None else str(value)).split())


def cell(value: Any) -> Text:
    """A table cell from data: a Text object, so rich never reads it as markup."""
    return value if isinstance(value, Text) else Text(plain(value))


class Table(_RichTable):
    """rich's Table, except that string cells are data (plain Text), never markup."""

    def add_row(self, *renderables: Any, **kwargs: Any) -> None:
        super().add_row(*[cell(r) if isinstance(r, str) else r for r in renderables], **kwargs)


def echo(message: Any, *, err: bool = False) -> None:
    """typer.echo for lines that carry user text: control characters removed."""
    typer.echo(plain(message), err=err)


def _choice_callback(name: str, choices: tuple[str, ...]) -> Callable[[Any, Any, str], str]:
    def check(ctx: typer.Context, param: typer.CallbackParam, value: str) -> str:
        if value not in choices:
            raise typer.BadParameter(
                f"must be one of {', '.join(choices)}; got {one_line(value)!r}"
            )
        return value

    return check


def format_option(*choices: str, help: str | None = None) -> Any:
    """The --format option of a command, checked the same way everywhere (usage error, exit 2)."""
    return typer.Option(
        "--format", help=help or "|".join(choices), callback=_choice_callback("--format", choices)
    )


def choice_option(name: str, choices: tuple[str, ...], help: str | None = None) -> Any:
    """An option with a fixed set of values (e.g. --tier), refused as a usage error otherwise."""
    return typer.Option(
        name, help=help or "|".join(choices), callback=_choice_callback(name, choices)
    )


def click_exceptions() -> tuple[type[Exception], type[Exception], type[Exception]]:
    """(ClickException, NoArgsIsHelpError, UsageError) as typer raises them (it vendors click)."""
    try:
        from typer._click import exceptions as ex
    except ImportError:  # a typer that uses click itself
        from click import exceptions as ex
    return ex.ClickException, ex.NoArgsIsHelpError, ex.UsageError


_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def check_host(ctx: typer.Context, param: typer.CallbackParam, value: str) -> str:
    """--host: an IP address or a host name this machine can resolve; otherwise a usage error."""
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if not _HOSTNAME.match(value or ""):
        raise typer.BadParameter(f"not an IP address or host name: {one_line(value)!r}")
    try:
        socket.getaddrinfo(value, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise typer.BadParameter(f"cannot resolve host {value!r} on this machine") from None
    return value


def port_option(help: str = "dashboard port") -> Any:
    """A TCP port, 1-65535."""
    return typer.Option(help=help, min=1, max=65535)


def host_option(help: str) -> Any:
    return typer.Option(help=help, callback=check_host)
