"""Alert rules: what to watch (scope, calendar window, budget, levels), how (kind) and who to tell
(channels). Validated once here, so a bad rule is refused with one line before it is stored."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from spendwatch import store
from spendwatch.errors import SpendwatchError
from spendwatch.forecast import SCOPES

KINDS = ("budget", "forecast", "spike", "unpriced", "sync-stale")
WINDOWS = ("day", "week", "month")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_LEVELS = (50, 80, 100)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>,;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
MAX_USD = Decimal("1e12")  # budgets are stored as DECIMAL(18, 6): below a trillion dollars
MAX_SPIKE_FACTOR = Decimal(1000)
MAX_STALE_HOURS = 24 * 366  # a year
ALLOW_PRIVATE_ENV = "SPENDWATCH_ALLOW_PRIVATE_WEBHOOKS"
# Never a webhook target: the cloud metadata services (AWS, GCP, Azure, OpenStack on
# 169.254.169.254, AWS's IPv6 fd00:ec2::254) and the rest of link-local; "this network" and multicast.
_NEVER = [ipaddress.ip_network(n) for n in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "0.0.0.0/8",
                                           "224.0.0.0/4", "ff00::/8", "::/128")]


class InvalidRule(SpendwatchError):
    """A rule that cannot be stored; the message is the one-line reason."""


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str = "budget"
    scope_col: str | None = None  # None: all traffic
    scope_value: str | None = None
    window: str = "month"
    budget_usd: Decimal | None = None
    levels: tuple[int, ...] = DEFAULT_LEVELS
    channels: tuple[str, ...] = ("log",)
    timezone: str = "UTC"
    week_start: str = "monday"
    spike_factor: Decimal = Decimal(3)  # spike: last hour above k x the trailing same-hour median
    spike_floor_usd: Decimal = Decimal(5)  # ... and above this many dollars
    stale_hours: int = 3  # sync-stale: no successful OpenAI sync for this long
    enabled: bool = True
    source: str = "cli"
    options: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def scope_label(self) -> str:
        return f"{self.scope_col}={self.scope_value}" if self.scope_col else "all traffic"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def parse_scope(text: str | None) -> tuple[str | None, str | None]:
    """'feature=search' → ('feature', 'search'); None or 'all' → all traffic."""
    if text is None or text.strip() in ("", "all"):
        return None, None
    col, sep, value = text.partition("=")
    col = col.strip()
    if not sep or not value:
        raise InvalidRule(f"scope must look like COLUMN=VALUE (e.g. feature=search), got {text!r}")
    if col not in SCOPES:
        raise InvalidRule(f"unknown scope column {col!r}; choose from {', '.join(SCOPES)}")
    return col, value


def parse_levels(value: str | list[int] | tuple[int, ...] | None) -> tuple[int, ...]:
    if value is None:
        return DEFAULT_LEVELS
    items = value.split(",") if isinstance(value, str) else list(value)
    try:
        levels = tuple(sorted({int(str(v).strip()) for v in items if str(v).strip()}))
    except ValueError:
        raise InvalidRule(f"levels must be whole percentages like 50,80,100, got {value!r}") from None
    if not levels or any(v <= 0 or v > 1000 for v in levels):
        raise InvalidRule(f"levels must be percentages between 1 and 1000, got {value!r}")
    return levels


def private_webhooks_allowed() -> bool:
    """Loopback and private-range webhooks need SPENDWATCH_ALLOW_PRIVATE_WEBHOOKS=1 (an internal
    chat server, or a test receiver); off by default so an alert rule cannot probe the local network."""
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _refusal(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool) -> str | None:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if any(addr in net for net in _NEVER if net.version == addr.version):
        return f"{addr} is a link-local or metadata address, never a webhook target"
    if (addr.is_loopback or addr.is_private or addr.is_reserved or not addr.is_global) and not allow_private:
        return f"{addr} is a loopback or private address; set {ALLOW_PRIVATE_ENV}=1 to allow it"
    return None


def check_webhook_target(url: str, *, allow_private: bool | None = None, resolve: bool = True) -> None:
    """Refuse a webhook whose host is (or resolves to) a metadata, link-local or, unless allowed,
    a loopback/private address. Run when the rule is saved and again before each send, since a
    name can resolve elsewhere later. A name that does not resolve now is left to the send."""
    allow = private_webhooks_allowed() if allow_private is None else allow_private
    u = urlparse(url)
    host = (u.hostname or "").rstrip(".")
    try:
        addrs = [ipaddress.ip_address(host)]
    except ValueError:
        addrs = []
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            addrs = [ipaddress.ip_address("127.0.0.1")]
        elif resolve:
            try:
                port = u.port or (443 if u.scheme == "https" else 80)
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, ValueError, UnicodeError):
                infos = []
            addrs = [ipaddress.ip_address(i[4][0].split("%")[0]) for i in infos]
    for addr in addrs:
        reason = _refusal(addr, allow)
        if reason:
            shown = f"{u.scheme}://{u.hostname}{':' + str(u.port) if u.port else ''}/…"
            raise InvalidRule(f"webhook {shown} refused: {reason}")


def check_channel(channel: str) -> str:
    """Refuse a channel that could never deliver (a URL without http(s) host, a malformed address)
    or must not: a webhook to a metadata/link-local address, or a private one unless allowed."""
    kind, _, target = channel.partition(":")
    if channel == "log":
        return channel
    if kind == "webhook":
        try:
            u = urlparse(target)
            ok = u.scheme in ("http", "https") and bool(u.hostname) and (u.port or 1) > 0
        except ValueError:  # a port that is not a number, a malformed IPv6 literal
            ok = False
        if not ok:
            raise InvalidRule("webhook channel needs an http(s) URL with a host (e.g. https://hooks.slack.com/…)")
        check_webhook_target(target)
        return channel
    if kind == "email":
        if not _EMAIL.match(target):
            raise InvalidRule(f"email channel needs an address like lead@example.com, got {target!r}")
        return channel
    raise InvalidRule(f"unknown channel {channel!r}; use webhook:URL, email:ADDRESS or log")


def _decimal(name: str, value: Any) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise InvalidRule(f"{name} must be a number, got {value!r}") from None
    if not d.is_finite():
        raise InvalidRule(f"{name} must be a finite number, got {value!r}")
    return d


def make_rule(
    name: str,
    *,
    kind: str = "budget",
    scope: str | None = None,
    window: str = "month",
    budget: Any = None,
    levels: Any = None,
    channels: list[str] | tuple[str, ...] | None = None,
    timezone: str = "UTC",
    week_start: str = "monday",
    spike_factor: Any = 3,
    spike_floor: Any = 5,
    stale_hours: Any = 3,
    enabled: bool = True,
    source: str = "cli",
) -> Rule:
    """Build a validated rule from user input (CLI flags, TOML, the dashboard form)."""
    if not _NAME.match(name or ""):
        raise InvalidRule(f"rule name must be 1-64 letters, digits, '_', '.', '-', got {name!r}")
    if kind not in KINDS:
        raise InvalidRule(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    if window not in WINDOWS:
        raise InvalidRule(f"unknown window {window!r}; choose from {', '.join(WINDOWS)}")
    if kind == "forecast" and window != "month":
        raise InvalidRule("a forecast rule projects the month: use --window month")
    col, value = parse_scope(scope)
    budget_usd = None
    if kind in ("budget", "forecast"):
        if budget is None:
            raise InvalidRule(f"a {kind} rule needs a budget in USD (--budget)")
        budget_usd = _decimal("budget", budget)
        if budget_usd <= 0:
            raise InvalidRule(f"budget must be more than 0 USD, got {budget}")
        if budget_usd >= MAX_USD:
            raise InvalidRule(f"budget must be less than {MAX_USD:,.0f} USD, got {budget}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRule(f"unknown time zone {timezone!r} (use an IANA name like Europe/Berlin)") from None
    if week_start.lower() not in WEEKDAYS:
        raise InvalidRule(f"week start must be a weekday name, got {week_start!r}")
    factor = _decimal("spike factor", spike_factor)
    floor = _decimal("spike floor", spike_floor)
    if not 1 < factor <= MAX_SPIKE_FACTOR:
        raise InvalidRule(f"spike factor must be more than 1 and at most {MAX_SPIKE_FACTOR}, got {spike_factor}")
    if not 0 <= floor < MAX_USD:
        raise InvalidRule(f"spike floor must be from 0 to below {MAX_USD:,.0f} USD, got {spike_floor}")
    try:
        hours = int(stale_hours)
    except (TypeError, ValueError):
        raise InvalidRule(f"stale hours must be a whole number, got {stale_hours!r}") from None
    if not 1 <= hours <= MAX_STALE_HOURS:
        raise InvalidRule(f"stale hours must be from 1 to {MAX_STALE_HOURS}, got {stale_hours}")
    chans = tuple(check_channel(c.strip()) for c in (channels or ["log"]))
    return Rule(
        name=name, kind=kind, scope_col=col, scope_value=value, window=window, budget_usd=budget_usd,
        levels=parse_levels(levels), channels=chans, timezone=timezone, week_start=week_start.lower(),
        spike_factor=factor, spike_floor_usd=floor, stale_hours=hours, enabled=enabled, source=source,
    )


def rule_from_toml(entry: dict[str, Any]) -> Rule:
    """One `[[alerts]]` table of the config file."""
    known = {"name", "kind", "scope", "window", "budget", "levels", "channels", "timezone", "week_start",
             "spike_factor", "spike_floor", "stale_hours", "enabled"}
    unknown = set(entry) - known
    if unknown:
        raise InvalidRule(f"[[alerts]] {entry.get('name', '?')}: unknown key(s) {', '.join(sorted(unknown))}")
    args = {k: v for k, v in entry.items() if k != "name"}
    if isinstance(args.get("channels"), str):
        args["channels"] = [args["channels"]]
    try:
        return make_rule(str(entry.get("name", "")), source="config", **args)
    except InvalidRule as e:
        raise InvalidRule(f"[[alerts]] {entry.get('name', '?')}: {e}") from None


# -- storage ------------------------------------------------------------------------------------

def save(con: duckdb.DuckDBPyConnection, rule: Rule, *, replace: bool = False) -> None:
    existing = get(con, rule.name)
    if existing is not None and not replace:
        raise InvalidRule(f"a rule named {rule.name!r} exists; remove it first or pick another name")
    options = {"timezone": rule.timezone, "week_start": rule.week_start, "spike_factor": str(rule.spike_factor),
               "spike_floor_usd": str(rule.spike_floor_usd), "stale_hours": rule.stale_hours}
    con.execute(store.query("alert_rule_upsert"), {
        "name": rule.name, "kind": rule.kind, "scope_col": rule.scope_col, "scope_value": rule.scope_value,
        "window": rule.window, "budget": rule.budget_usd, "levels": ",".join(map(str, rule.levels)),
        "channels": json.dumps(list(rule.channels)), "options": json.dumps(options), "enabled": rule.enabled,
        "source": rule.source,
    })


def remove(con: duckdb.DuckDBPyConnection, name: str) -> None:
    if get(con, name) is None:
        raise InvalidRule(f"no rule named {name!r} (see `spendwatch alerts list`)")
    con.execute("DELETE FROM alert_rules WHERE name = ?", [name])


def _row_to_rule(row: dict[str, Any]) -> Rule:
    opts = json.loads(row["options"] or "{}")
    return Rule(
        name=row["name"], kind=row["kind"], scope_col=row["scope_col"], scope_value=row["scope_value"],
        window=row["time_window"], budget_usd=row["budget_usd"],
        levels=tuple(int(v) for v in row["levels"].split(",") if v),
        channels=tuple(json.loads(row["channels"])), timezone=opts.get("timezone", "UTC"),
        week_start=opts.get("week_start", "monday"), spike_factor=Decimal(opts.get("spike_factor", "3")),
        spike_floor_usd=Decimal(opts.get("spike_floor_usd", "5")), stale_hours=int(opts.get("stale_hours", 3)),
        enabled=bool(row["enabled"]), source=row["source"] or "cli",
    )


def get(con: duckdb.DuckDBPyConnection, name: str) -> Rule | None:
    rows = store.fetch_dicts(con, "SELECT * FROM alert_rules WHERE name = ?", [name])
    return _row_to_rule(rows[0]) if rows else None


def all_rules(con: duckdb.DuckDBPyConnection, *, enabled_only: bool = False) -> list[Rule]:
    rows = store.fetch_dicts(con, "SELECT * FROM alert_rules ORDER BY name")
    rules = [_row_to_rule(r) for r in rows]
    return [r for r in rules if r.enabled] if enabled_only else rules


def sync_config(con: duckdb.DuckDBPyConnection, toml: dict[str, Any]) -> int:
    """Make the stored config-owned rules equal the config's `[[alerts]]` (CLI rules are untouched)."""
    entries = toml.get("alerts", [])
    if not isinstance(entries, list):
        raise InvalidRule("the config's alerts must be an array of tables: [[alerts]]")
    wanted = [rule_from_toml(e) for e in entries]
    names = [r.name for r in wanted]
    if len(set(names)) != len(names):
        raise InvalidRule("[[alerts]]: two rules share a name")
    with store.transaction(con):
        for r in wanted:
            old = get(con, r.name)
            if old is not None and old.source != "config":
                raise InvalidRule(f"[[alerts]] {r.name}: a rule of that name was added with the CLI")
            save(con, r, replace=True)
        for r in all_rules(con):
            if r.source == "config" and r.name not in names:
                con.execute("DELETE FROM alert_rules WHERE name = ?", [r.name])
    return len(wanted)


def as_dict(rule: Rule) -> dict[str, Any]:
    d = asdict(rule)
    d.pop("options")
    d["scope"] = rule.scope_label
    return d
