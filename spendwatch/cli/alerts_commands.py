"""`spendwatch alerts`: budget, forecast and spike rules, their events, and a check for cron."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from spendwatch import alerts, money
from spendwatch.alerts import rules as rules_mod
from spendwatch.cli import app, dates
from spendwatch.cli.common import (
    ConfigOption,
    DbOption,
    call,
    open_store,
    read_only_file,
    settings_for,
)
from spendwatch.cli.output import Table, echo, format_option
from spendwatch.clock import utc_now

alerts_app = typer.Typer(help="Budgets and alerts: add rules, list them, check them, see what fired.",
                         no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="a short name for the rule, e.g. search-daily")],
    channel: Annotated[list[str], typer.Option("--channel", help="webhook:URL | email:ADDRESS | log (repeatable)")],
    scope: Annotated[str | None, typer.Option(help="COL=VALUE with COL one of feature, project, model, api_key, "
                                                   "user", show_default="all traffic")] = None,
    window: Annotated[str, typer.Option(help="day | week | month")] = "month",
    budget: Annotated[str | None, typer.Option(help="budget in USD (budget and forecast rules)",
                                               show_default=False)] = None,
    levels: Annotated[str, typer.Option(help="percentages of the budget that alert")] = "50,80,100",
    kind: Annotated[str, typer.Option(help="budget | forecast | spike | unpriced | sync-stale")] = "budget",
    timezone: Annotated[str, typer.Option("--tz", help="time zone of the calendar window")] = "UTC",
    week_start: Annotated[str, typer.Option(help="first day of a week window")] = "monday",
    spike_factor: Annotated[str, typer.Option(help="spike: last hour above this × the usual same hour")] = "3",
    spike_floor: Annotated[str, typer.Option(help="spike: and above this many USD")] = "5",
    stale_hours: Annotated[int, typer.Option(help="sync-stale: hours without a successful OpenAI sync")] = 3,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Add an alert rule (refused with a reason if it could never work)."""
    rule = alerts.make_rule(name, kind=kind, scope=scope, window=window, budget=budget, levels=levels,
                            channels=channel, timezone=timezone, week_start=week_start, spike_factor=spike_factor,
                            spike_floor=spike_floor, stale_hours=stale_hours)
    con = open_store(settings_for(db, config), via_server=True)
    call(rules_mod.save, con, rule)
    echo(f"added {rule.kind} rule {rule.name}: {_describe(rule)}")


@alerts_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="the rule's name")], db: DbOption = None,
           config: ConfigOption = None) -> None:
    """Remove a rule (its past events stay)."""
    con = open_store(settings_for(db, config), via_server=True)
    call(rules_mod.remove, con, name)
    typer.echo(f"removed {name}")


@alerts_app.command("list")
def list_rules(db: DbOption = None, config: ConfigOption = None,
               format: Annotated[str, format_option("table", "json")] = "table") -> None:
    """The rules, and channels that keep failing."""
    settings = settings_for(db, config)
    read_only = read_only_file(settings)  # then the TOML's rules are not synced in: the file is not ours to write
    con = open_store(settings, read_only=read_only, via_server=not read_only)
    if not read_only:
        call(rules_mod.sync_config, con, settings.load_toml())
    rules = call(alerts.all_rules, con)
    health = call(alerts.channel_health, con)
    if format == "json":
        out = [{**rules_mod.as_dict(r), "channels": [alerts.display_channel(c) for c in r.channels],
                "failing_channels": [alerts.display_channel(c) for c in r.channels
                                     if health.get(c, {}).get("failing")]} for r in rules]
        typer.echo(json.dumps(out, default=str, indent=2))
        return
    if not rules:
        typer.echo("no alert rules; add one with `spendwatch alerts add NAME --budget 100 --channel log`")
        return
    t = Table("name", "kind", "scope", "window", "budget", "levels", "channels", "source")
    for r in rules:
        chans = Text()
        for i, c in enumerate(r.channels):
            h = health.get(c)
            chans.append(("\n" if i else "") + alerts.display_channel(c))
            if h and h["failing"]:
                chans.append(" (failing)", style="red")
        t.add_row(r.name, r.kind, r.scope_label, f"{r.window} ({r.timezone})",
                  money.usd(r.budget_usd),
                  ",".join(map(str, r.levels)) if r.kind == "budget" else "—", chans, r.source)
    Console().print(t)


@alerts_app.command("events")
def events(db: DbOption = None, config: ConfigOption = None,
           limit: Annotated[int, typer.Option(help="most recent N events", min=0)] = 50,
           format: Annotated[str, format_option("table", "json")] = "table") -> None:
    """What fired, when, and where each delivery stands."""
    con = open_store(settings_for(db, config))
    rows = alerts.recent_events(con, limit)
    if format == "json":
        typer.echo(json.dumps(rows, default=str, indent=2))
        return
    if not rows:
        typer.echo("no alert events yet")
        return
    t = Table("detected (UTC)", "rule", "kind", "level", "delivery", "message")
    for r in rows:
        t.add_row(f"{r['detected_at']:%Y-%m-%d %H:%M}", r["rule_name"], r["kind"],
                  f"{r['level']} %" if r["level"] is not None else "", r["delivery"], r["message"])
    Console().print(t)


@alerts_app.command("check")
def check(
    at: Annotated[datetime | None, typer.Option(help="evaluate as of this instant, UTC "
                                                     "(e.g. 2026-11-21T16:00)",
                                                show_default="now")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would fire; record and send nothing")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Evaluate every rule once and send what fired (for cron, and for back-testing with --at)."""
    if at is not None and not dates.FIRST_YEAR <= at.year <= dates.LAST_YEAR:
        raise typer.BadParameter(f"--at must lie between {dates.FIRST_YEAR} and {dates.LAST_YEAR}, got {at:%Y-%m-%d}")
    settings = settings_for(db, config)
    con = open_store(settings)
    rules_mod.sync_config(con, settings.load_toml())
    now = utc_now()
    when = at.astimezone(UTC).replace(tzinfo=None) if at and at.tzinfo else at
    new = alerts.check(con, at=when, now=now, dry_run=dry_run)
    for e in new:
        echo(("would fire: " if dry_run else "") + e.message)
    if dry_run:
        return
    counts = alerts.deliver(con, alerts.Delivery.from_settings(settings), now=now)
    typer.echo(f"{len(new)} new event(s); deliveries: {counts['sent']} sent, {counts['retrying']} to retry, "
               f"{counts['failed']} failed")


@alerts_app.command("test")
def test(name: Annotated[str, typer.Argument(help="the rule's name")], db: DbOption = None,
         config: ConfigOption = None) -> None:
    """Send a test message to a rule's channels now."""
    settings = settings_for(db, config)
    con = open_store(settings)
    rule = rules_mod.get(con, name)
    if rule is None:
        raise rules_mod.InvalidRule(f"no rule named {name!r} (see `spendwatch alerts list`)")
    results = alerts.send_test(rule.channels, rule.name, alerts.Delivery.from_settings(settings))
    for ch, outcome in results.items():
        echo(f"{ch}: {outcome}")
    if any(v != "ok" for v in results.values()):
        raise typer.Exit(1)


def _describe(rule: alerts.Rule) -> str:
    what = rule.scope_label
    if rule.kind == "budget":
        what += f", per {rule.window} ({rule.timezone})"
    if rule.budget_usd is not None:
        what += f", budget {money.usd(rule.budget_usd)}"
    return what + " → " + ", ".join(alerts.display_channel(c) for c in rule.channels)
