"""`spendwatch whatif`: model-downgrade simulations from your own history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from spendwatch import exports, whatif
from spendwatch.cli import app
from spendwatch.cli.common import ConfigOption, DbOption, open_store, settings_for


def _fraction(name: str, value: str | None, *, low: Decimal = Decimal(0), high: Decimal | None = Decimal(1)) -> Decimal | None:
    if value is None:
        return None
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise typer.BadParameter(f"{name} must be a number, got {value!r}") from None
    if d < low or (high is not None and d > high) or not d.is_finite():
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
    from_date: Annotated[datetime | None, typer.Option("--from-date", formats=["%Y-%m-%d"],
                                                       help="first day [default: 30 days ago]", show_default=False)] = None,
    to_date: Annotated[datetime | None, typer.Option("--to-date", formats=["%Y-%m-%d"], help="day after the last",
                                                     show_default=False)] = None,
    share: Annotated[str, typer.Option(help="fraction of matched requests moved, 0..1")] = "1",
    escalate: Annotated[str, typer.Option(help="fraction of moved requests that also pay the original, 0..1")] = "0",
    output_ratio: Annotated[str, typer.Option(help="target answer length relative to the original")] = "1",
    cache_hit: Annotated[str | None, typer.Option(help="prompt-cache hit rate of input tokens, 0..1",
                                                  show_default=False)] = None,
    batch: Annotated[bool, typer.Option("--batch", help="move the matched requests to the Batch API")] = False,
    prices: Annotated[str, typer.Option(help="current|historical prices for the target")] = "current",
    with_range: Annotated[bool, typer.Option("--range", help="also report a low/high range")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[str, typer.Option("--format", help="table|json")] = "table",
) -> None:
    """What the requests in scope would cost on another model (or share of them, or batched, or cached)."""
    if format not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json")
    if prices not in ("current", "historical"):
        raise typer.BadParameter("--prices must be current or historical")
    scenario = whatif.Scenario(
        to_model=to, from_model=from_model, features=tuple(feature or ()), projects=tuple(project or ()),
        start=from_date, end=to_date, share=_fraction("--share", share),
        escalate=_fraction("--escalate", escalate),
        output_ratio=_fraction("--output-ratio", output_ratio, low=Decimal("0.01"), high=None),
        cache_hit=_fraction("--cache-hit", cache_hit), batch=batch, prices=prices, with_range=with_range,
    )
    con = open_store(settings_for(db, config))
    result = whatif.simulate(con, scenario)
    if format == "json":
        typer.echo(exports.to_json_text(result.as_dict()))
        return
    out = Console()
    t = Table(title=f"what if → {result.target_model}")
    for c in ("feature", "model", "requests", "moved", "current", "simulated"):
        t.add_column(c, justify="right" if c not in ("feature", "model") else "left")
    for r in result.rows:
        t.add_row(r["feature"], r["model"], f"{r['requests']:,}", f"{r['moved_requests']:,}",
                  f"${r['current_cost_usd']:,.2f}", f"${r['simulated_cost_usd']:,.2f}")
    out.print(t)
    out.print(f"current ${result.current_cost_usd:,.2f} → simulated ${result.simulated_cost_usd:,.2f}: "
              f"saves ${result.savings_usd:,.2f} ({result.savings_pct:.1f} %) over {result.days:.1f} days, "
              f"${result.monthly_savings_usd:,.2f} a month")
    if result.range:
        out.print(f"monthly savings range: ${result.range['monthly_savings_low_usd']:,.2f} … "
                  f"${result.range['monthly_savings_high_usd']:,.2f}")
    for a in result.assumptions:
        out.print(f"  · {a}")


@app.command("recommend")
def recommend_cmd(
    db: DbOption = None,
    config: ConfigOption = None,
    days: Annotated[int, typer.Option(help="look at the last N days", min=1)] = 30,
    format: Annotated[str, typer.Option("--format", help="table|json")] = "table",
) -> None:
    """Where the money could be saved: cheaper siblings, prompt caching, the Batch API."""
    from spendwatch import recommend

    settings = settings_for(db, config)
    con = open_store(settings)
    rows = recommend.recommend(con, days=days, config=settings.load_toml())
    if format == "json":
        typer.echo(exports.to_json_text(rows))
        return
    if not rows:
        typer.echo(f"nothing to recommend for the last {days} days")
        return
    t = Table(title=f"savings per month, from the last {days} days")
    for c in ("kind", "feature", "model", "to", "saves / month", "why"):
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(r["kind"], r["feature"], r["model"], r["to"], f"${r['monthly_savings_usd']:,.2f}", r["why"])
    Console().print(t)
