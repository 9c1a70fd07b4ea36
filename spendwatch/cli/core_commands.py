"""Commands of the spine: ingest, quarantine, report, prices, demo, serve."""

from __future__ import annotations

import io
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from spendwatch import commands, days, exports, ingest, money, pricing, report
from spendwatch.cli import app, dates, lake_commands
from spendwatch.cli.common import ConfigOption, DbOption, call, open_store, settings_for
from spendwatch.cli.output import (
    Table,
    choice_option,
    echo,
    format_option,
    host_option,
    plain,
    port_option,
)
from spendwatch.collectors import files
from spendwatch.errors import SpendwatchError
from spendwatch.pricing import catalog

console = Console(stderr=True)

DateOption = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], show_default=False)]


@app.command("ingest")
def ingest_cmd(
    paths: Annotated[list[Path] | None, typer.Argument(help="request-log files (JSONL, CSV, Parquet)",
                                                       show_default=False)] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[str, format_option(*files.FORMATS)] = "auto",
    input_file: Annotated[Path | None, typer.Option("--input", help="with --format openai-batch: the batch's input "
                                                    "JSONL (feature tags from its metadata)", show_default=False)] = None,
    spool: Annotated[bool, typer.Option("--spool", help="drain finished spool segments (exactly once)")] = False,
    spool_dir: Annotated[Path | None, typer.Option("--spool-dir", help="spool directory",
                                                   show_default="$SPENDWATCH_SPOOL, else <db>.spool")] = None,
) -> None:
    """Load request logs; each file in one transaction, idempotent by request_id."""
    paths = paths or []
    if spool:
        from spendwatch.collectors.spool import drain

        if spool_dir is not None and not spool_dir.is_dir():  # a typo must not look like an empty spool
            raise SpendwatchError(f"spool directory not found: {spool_dir} (nothing was ingested)")
        settings = settings_for(db, config)
        con = open_store(settings)
        typer.echo(drain(con, spool_dir or settings.spool_dir()).summary())
        if not paths:
            return
    if not paths:
        raise typer.BadParameter("give FILE... or --spool")
    missing = [p for p in [*paths, *([input_file] if input_file else [])] if not p.is_file()]
    if missing:
        raise SpendwatchError(f"file not found: {missing[0]} (nothing was written)")
    settings = settings_for(db, config)
    con = open_store(settings)
    total = ingest.IngestResult("total")
    if format == "openai-batch":
        from spendwatch.collectors.batch import ingest_batch

        for path in paths:
            total = total + ingest_batch(con, path, input_file)
        typer.echo(total.summary())
        return
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=console, transient=True, disable=not console.is_terminal) as bar:
        for path in paths:
            task = bar.add_task(escape(plain(path.name)), total=path.stat().st_size)  # a file name is not markup
            result = ingest.ingest_file(con, path, fmt=format, progress=lambda n, t=task: bar.advance(t, n))
            bar.update(task, completed=path.stat().st_size)
            if len(paths) > 1:
                echo(f"{path}: {result.summary()}", err=True)
            total = total + result
    typer.echo(total.summary())
    if total.quarantined:
        typer.echo("see them with: spendwatch quarantine", err=True)


@app.command("quarantine")
def quarantine_cmd(
    db: DbOption = None,
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option(help="rows to show", min=0)] = 50,
    format: Annotated[str, format_option("table", "json")] = "table",
) -> None:
    """List lines that could not be ingested, with their reason."""
    con = open_store(settings_for(db, config), read_only=True)
    rows = call(commands.query_rows, con, "health_quarantine", {"reason": None, "limit": limit, "offset": 0})
    total = call(commands.query_rows, con, "quarantine_count")[0]["n"]
    if format == "json":
        typer.echo(exports.to_json_text(rows))
        return
    t = Table(title=f"quarantine: {total} lines")
    for c in ("source", "line_no", "reason", "raw"):
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(r["source"], str(r["line_no"]), r["reason"], (r["raw"] or "")[:120])
    Console().print(t)


@app.command("report")
def report_cmd(
    db: DbOption = None,
    config: ConfigOption = None,
    from_: dates.ReportFrom = None,
    to: dates.ReportTo = None,
    by: Annotated[str, typer.Option("--by", help=f"comma-separated: {', '.join(report.DIMENSIONS)}")] = "feature",
    format: Annotated[str, format_option("table", "csv", "json", "xlsx", "parquet")] = "table",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write to FILE (required for xlsx, "
                                                     "parquet); written whole or not at all", show_default=False)] = None,
    lake: Annotated[Path | None, typer.Option("--lake", help="read a Parquet lake (`spendwatch lake sync DIR`) "
                                              "instead of the database", show_default=False)] = None,
    engine: Annotated[str, choice_option("--engine", lake_commands.ENGINES, help="duckdb|spark (spark reads "
                                         "--lake; pip install 'spendwatch[spark]')")] = "duckdb",
    master: Annotated[str | None, typer.Option("--master", help="Spark master URL",
                                               show_default="$SPARK_MASTER, else local[*]")] = None,
) -> None:
    """Spend by any dimensions over a date range."""
    cols = report.parse_by(by)
    first, last = dates.days(from_, to)
    if lake is not None or engine != "duckdb" or master is not None:
        con = lake_commands.open_engine(lake, engine=engine, master=master)
    else:
        con = open_store(settings_for(db, config), read_only=True)
    rows = call(report.spend_report, con, by=cols, start=first, end=last)
    empty = None if rows else call(days.empty_window, con, *report.window(first, last))
    if empty and format == "table" and output is None:
        typer.echo(empty)
        return
    if empty:  # machine formats keep their shape (an empty array, a header); the line goes to stderr
        typer.echo(empty, err=True)
    if format in ("csv", "xlsx"):  # an unpriced row: blank cost, its count in unpriced_requests (never 0.00)
        rows = report.blank_unpriced(rows)
    if format in ("xlsx", "parquet"):
        if output is None:
            raise typer.BadParameter(f"--format {format} needs -o FILE")
        if format == "xlsx":  # both write to a temporary file, then rename it over FILE
            exports.write_xlsx(rows, output, columns=[*cols, *report.METRICS])
        else:
            exports.write_parquet(rows, output, columns=[*cols, *report.METRICS])
        echo(f"wrote {len(rows)} rows to {output}", err=True)
        return
    if format == "json":
        text = exports.to_json_text(rows)
    elif format == "csv":
        text = exports.to_csv_text(rows, [*cols, *report.METRICS])
    elif output is None:
        Console().print(_report_table(rows, cols))
        return
    else:  # the table as plain text (no colour codes) in a file
        buf = Console(file=io.StringIO(), width=200, color_system=None, force_terminal=False)
        buf.print(empty or _report_table(rows, cols))
        text = buf.file.getvalue()
    if output:
        exports.write_text(output, text + ("\n" if not text.endswith("\n") else ""))
        echo(f"wrote {len(rows)} rows to {output}", err=True)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _report_table(rows: list[dict], cols: list[str]) -> Table:
    t = Table(show_footer=True)
    total = sum((r["cost_usd"] for r in rows), start=0)
    for c in cols:
        t.add_column(c, footer="total" if c == cols[0] else "")
    t.add_column("requests", justify="right", footer=f"{sum(r['requests'] for r in rows):,}")
    t.add_column("input", justify="right")
    t.add_column("cached", justify="right")
    t.add_column("output", justify="right")
    t.add_column("cost", justify="right", footer=money.usd(total))
    t.add_column("unpriced", justify="right", footer=f"{sum(r['unpriced_requests'] for r in rows):,}")
    for r in rows:
        t.add_row(*[str(r[c]) if r[c] is not None else "—" for c in cols], f"{r['requests']:,}",
                  f"{r['input_tokens']:,}", f"{r['cached_tokens']:,}", f"{r['output_tokens']:,}",
                  money.usd(r["cost_usd"]), f"{r['unpriced_requests']:,}")
    return t


@app.command("prices")
def prices_cmd(
    model: Annotated[str | None, typer.Argument(help="a model name as the API returns it", show_default=False)] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    at: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="price in force on this day",
                                                show_default=False)] = None,
    tier: Annotated[str, choice_option("--tier", catalog.TIERS)] = "standard",
    unpriced: Annotated[bool, typer.Option("--unpriced", help="list models seen in requests that have no price")] = False,
    format: Annotated[str, format_option("table", "json")] = "table",
) -> None:
    """Show the price in force for a model (and where it came from), or the unpriced models."""
    con = open_store(settings_for(db, config), read_only=True)
    if unpriced:
        rows = call(commands.query_rows, con, "prices_unpriced")
        if format == "json":
            typer.echo(exports.to_json_text(rows))
        elif not rows:
            typer.echo("every model seen is priced")
        else:
            for r in rows:
                echo(f"{r['model']}\t{r['requests']} requests\tlast seen {r['last_seen']:%Y-%m-%d}")
            typer.echo("price them with [[pricing.models]] in the TOML config (see README)", err=True)
        return
    if model is None:
        rows = call(commands.query_rows, con, "prices_current")
        if format == "json":
            typer.echo(exports.to_json_text(rows))
            return
        t = Table(title="prices in force today, USD per 1M tokens (standard tier)")
        for c in ("model", "input", "cached", "output", "source"):
            t.add_column(c)
        for r in rows:
            t.add_row(r["model"], money.usd_exact(r["input_per_mtok"]), money.usd_exact(r["cached_per_mtok"]),
                      money.usd_exact(r["output_per_mtok"]), r["source"][:60])
        Console().print(t)
        return
    from spendwatch.clock import utc_now

    row = call(pricing.price_in_force, con, model, at=at or utc_now(), tier=tier)
    if row is None:
        raise SpendwatchError(f"no {tier} price for {model!r}; it is unpriced (add it to [[pricing.models]])")
    if format == "json":
        typer.echo(exports.to_json_text(row))
        return
    for line in _price_lines(model, tier, row):
        echo(line)


def _price_lines(model: str, tier: str, row: dict) -> list[str]:
    """The `prices MODEL` text: every part the model is billed by, exact dollars, with sources."""
    from spendwatch.money import usd_exact

    lines = [
        f"{model} → {row['price_model']} ({row['rule']}), {tier} tier, in force since {row['effective_from']:%Y-%m-%d}",
        f"  input  {usd_exact(row['input_per_mtok'])} / 1M tokens",
        f"  cached {usd_exact(row['cached_per_mtok'])} / 1M tokens",
        f"  output {usd_exact(row['output_per_mtok'])} / 1M tokens",
    ]
    for p in row["parts"]:
        lines.append(f"  {p['part']} {usd_exact(p['rate'])} / {p['unit']}")
    lc = row["long_context"]
    if lc:
        lines.append(
            f"  long context (over {lc['over_input_tokens']:,} input tokens, whole request): input "
            f"{usd_exact(lc['input_per_mtok'])}, cached {usd_exact(lc['cached_per_mtok'])}, output "
            f"{usd_exact(lc['output_per_mtok'])} / 1M tokens"
        )
    if row.get("residency_factor") is not None:
        pct = ((row["residency_factor"] - 1) * 100).normalize()
        lines.append(f"  data residency (eu./us. API hosts): +{pct:f} % on every token part "
                     "(not on tool-call fees)")
    lines.append(f"  source: {row['source']}")
    if row["parts_source"]:
        lines.append(f"  parts: {row['parts_source']}")
    return lines


@app.command("explain")
def explain_cmd(
    request_id: Annotated[str, typer.Argument(help="the request id (OpenAI's response id)", show_default=False)],
    db: DbOption = None,
    format: Annotated[str, format_option("table", "json")] = "table",
) -> None:
    """Explain one request's cost: each part (text, cached, cache write, audio, image, tool calls) with its
    quantity, rate and source."""
    from spendwatch.pricing import explain

    con = open_store(settings_for(db))
    row = con.execute(
        "SELECT model, ts, price_tier, cost_usd, input_rate IS NOT NULL FROM requests_priced WHERE request_id = ?",
        [request_id],
    ).fetchone()
    if row is None:
        raise SpendwatchError(f"no request {request_id!r} in the database")
    model, ts, tier, cost, priced = row
    parts = explain.cost_parts(con, request_id)
    if format == "json":
        typer.echo(exports.to_json_text({"request_id": request_id, "model": model, "ts": ts, "tier": tier,
                                         "cost_usd": cost, "priced": priced, "parts": parts}))
        return
    from spendwatch.money import usd_exact

    echo(f"{request_id}: {model}, {tier} tier, {ts:%Y-%m-%d %H:%M:%S} UTC")
    for p in parts:
        part_cost = "unknown" if p["cost_usd"] is None else usd_exact(p["cost_usd"])
        echo(f"  {p['part']}: {explain.describe(p)} = {part_cost}  ({p['source']})")
    if not priced:
        echo(f"  total: unknown — no price for {model} (add it to [[pricing.models]] in the TOML config)")
    else:
        typer.echo(f"  total: {'unknown (no usage recorded)' if cost is None else usd_exact(cost)}")


@app.command("demo")
def demo_cmd(
    db: DbOption = None,
    config: ConfigOption = None,
    days: Annotated[int, typer.Option(help="days of history to generate", min=1, max=730)] = 90,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same history)")] = 7,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="only write the database")] = False,
    port: Annotated[int, port_option()] = 8501,
    host: Annotated[str, host_option("address to bind")] = "127.0.0.1",
) -> None:
    """Write a realistic synthetic history (no key, no network), then open the dashboard."""
    from spendwatch import demo

    settings = settings_for(db, config)
    con = open_store(settings)
    real = con.execute("SELECT count(*) FROM requests WHERE source <> 'demo'").fetchall()[0][0]
    if real:
        raise SpendwatchError(
            f"{settings.db} already holds {real} real requests; run the demo on its own file: "
            "spendwatch demo --db demo.duckdb"
        )
    with console.status(f"generating {days} days of demo traffic…"):
        n = demo.generate(con, days=days, seed=seed)
    total = con.execute("SELECT count(*), sum(cost_usd) FROM requests_priced").fetchone()
    echo(f"demo: {n:,} requests added ({total[0]:,} in {settings.db}), {money.usd(total[1])} priced spend")
    con.close()
    if no_serve:
        return
    from spendwatch import server

    server.serve(settings, host=host, port=port)
