"""`spendwatch whatif`: model-downgrade simulations from your own history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from spendwatch import days, exports, whatif
from spendwatch.cli import app, dates
from spendwatch.cli.common import ConfigOption, DbOption, call, open_store, settings_for
from spendwatch.cli.output import Table, echo, format_option, plain
from spendwatch.clock import utc_now
from spendwatch.money import usd
from spendwatch.replay import evidence


def _fraction(name: str, value: str | None, *, low: Decimal = Decimal(0), high: Decimal | None = Decimal(1)) -> Decimal | None:
    if value is None:
        return None
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise typer.BadParameter(f"{name} must be a number, got {value!r}") from None
    if not d.is_finite() or d < low or (high is not None and d > high):
        raise typer.BadParameter(f"{name} must be between {low} and {high if high is not None else 'infinity'}, got {value}")
    return d


@app.command("whatif")
def whatif_cmd(
    to: Annotated[str, typer.Option("--to", help="target model, e.g. gpt-4o-mini", show_default=False)],
    from_model: Annotated[str | None, typer.Option("--from", help="only requests on this model (and its dated snapshots)",
                                                   show_default=False)] = None,
    feature: Annotated[list[str] | None, typer.Option("--feature", help="only this feature (repeatable)",
                                                      show_default=False)] = None,
    project: Annotated[list[str] | None, typer.Option("--project", help="only this project (repeatable)",
                                                      show_default=False)] = None,
    from_date: Annotated[datetime | None, dates.from_option(
        help="first day, inclusive (UTC)", default="30 days before --to-date")] = None,
    to_date: Annotated[datetime | None, dates.to_option(help="last day, inclusive (UTC)", default="up to now")] = None,
    share: Annotated[str, typer.Option(help="fraction of matched requests moved, 0..1")] = "1",
    escalate: Annotated[str | None, typer.Option(
        help="fraction of moved requests that also pay the original, 0..1",
        show_default="a stored replay's loss rate for --feature on --to, else 0")] = None,
    output_ratio: Annotated[str | None, typer.Option(
        help="target answer length relative to the original",
        show_default="measured by a stored replay of --feature on --to, else 1")] = None,
    cache_hit: Annotated[str | None, typer.Option(help="prompt-cache hit rate of input tokens, 0..1",
                                                  show_default=False)] = None,
    batch: Annotated[bool, typer.Option("--batch", help="move the matched requests to the Batch API")] = False,
    prices: Annotated[str, typer.Option(help="current|historical prices for the target")] = "current",
    with_range: Annotated[bool, typer.Option("--range", help="also report a low/high range")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[str, format_option("table", "json")] = "table",
) -> None:
    """What the requests in scope would cost on another model (or share of them, or batched, or cached)."""
    if prices not in ("current", "historical"):
        raise typer.BadParameter("--prices must be current or historical")
    first, last = dates.days(from_date, to_date)
    now = utc_now()
    start, end = whatif.default_window(first, last, now=now)
    scenario = whatif.Scenario(
        to_model=to, from_model=from_model, features=tuple(feature or ()), projects=tuple(project or ()),
        start=start, end=end, share=_fraction("--share", share),
        cache_hit=_fraction("--cache-hit", cache_hit), batch=batch, prices=prices, with_range=with_range,
    )
    ratio_given = _fraction("--output-ratio", output_ratio, low=Decimal("0.01"), high=Decimal(100))
    escalate_given = _fraction("--escalate", escalate)
    con = open_store(settings_for(db, config), read_only=True)
    call(whatif.target_price_model, con, to)  # an unknown target is the first thing to hear about
    scenario = call(evidence.with_evidence, con, scenario, output_ratio=ratio_given, escalate=escalate_given)
    empty = call(days.empty_window, con, start, end)
    if empty:
        typer.echo(empty, err=format == "json")
        if format == "table":
            return
    result = call(whatif.simulate, con, scenario, now=now)
    if not empty and not result.rows and format == "table":
        typer.echo(f"no successful requests match that scope {days.describe(start, end)}")
        return
    if format == "json":
        typer.echo(exports.to_json_text(result.as_dict()))
        return
    out = Console()
    t = Table(title=Text(plain(f"what if → {result.target_model}")))
    for c in ("feature", "model", "requests", "moved", "current", "simulated"):
        t.add_column(c, justify="right" if c not in ("feature", "model") else "left")
    for r in result.rows:
        t.add_row(r["feature"], r["model"], f"{r['requests']:,}", f"{r['moved_requests']:,}",
                  usd(r["current_cost_usd"]), usd(r["simulated_cost_usd"]))
    out.print(t)
    out.print(f"current {usd(result.current_cost_usd)} → simulated {usd(result.simulated_cost_usd)}: "
              f"saves {usd(result.savings_usd)} ({result.savings_pct:.1f} %) over {result.days:.1f} days, "
              f"{usd(result.monthly_savings_usd)} a month", markup=False)
    if result.range:
        out.print(f"monthly savings range: {usd(result.range['monthly_savings_low_usd'])} … "
                  f"{usd(result.range['monthly_savings_high_usd'])}", markup=False)
    for a in result.assumptions:
        out.print(Text(plain(f"  · {a}")))
    if len(scenario.features) == 1:
        echo(call(evidence.line, con, scenario.features[0], to, result.monthly_savings_usd))


@app.command("recommend")
def recommend_cmd(
    db: DbOption = None,
    config: ConfigOption = None,
    last_days: Annotated[int, typer.Option("--days", help="look at the last N days (without --from-date)",
                                           min=1, max=36500)] = 30,
    from_date: dates.FromDate = None,
    to_date: dates.ToDate = None,
    format: Annotated[str, format_option("table", "json")] = "table",
) -> None:
    """Where the money could be saved: cheaper siblings, prompt caching, the Batch API."""
    from spendwatch import recommend

    first, last = dates.days(from_date, to_date)
    start, end = whatif.default_window(first, last, now=utc_now(), days=last_days)
    settings = settings_for(db, config)
    con = open_store(settings, read_only=True)
    empty = call(days.empty_window, con, start, end)
    if empty:
        typer.echo(empty, err=format == "json")
        if format == "json":
            typer.echo("[]")
        return
    rows = call(recommend.recommend, con, start=start, end=end, config=settings.load_toml())
    if format == "json":
        typer.echo(exports.to_json_text(rows))
        return
    if not rows:
        typer.echo(f"nothing to recommend {days.describe(start, end)}")
        return
    t = Table(title=f"savings per month, from requests {days.describe(start, end)}")
    for c in ("kind", "feature", "model", "to", "saves / month", "why"):
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(r["kind"], r["feature"], r["model"], r["to"], usd(r["monthly_savings_usd"]), r["why"])
    Console().print(t)
    for r in rows:
        if r.get("quality"):
            echo(r["quality"])
