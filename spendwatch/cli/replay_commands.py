"""`spendwatch replay` and `spendwatch samples`: quality-checked downgrades from captured samples."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from spendwatch import exports, samples
from spendwatch.cli import app
from spendwatch.cli.common import ConfigOption, DbOption, echo_err, open_store, settings_for
from spendwatch.cli.output import format_option
from spendwatch.clock import utc_now
from spendwatch.errors import SpendwatchError
from spendwatch.money import usd

samples_app = typer.Typer(
    help="Captured samples (opt-in): list, import from a Batch API job, purge.",
    no_args_is_help=True,
)
replay_app = typer.Typer(
    help="Replay a feature's captured samples on a cheaper model and measure quality."
)
app.add_typer(samples_app, name="samples")
app.add_typer(replay_app, name="replay")


def _open(db: Path | None, config: Path | None):
    settings = settings_for(db, config)
    con = open_store(settings)
    samples.drain(con, samples.spool_dir(settings.spool_dir()))  # samples apps handed over
    return con


@samples_app.command("purge")
def purge_cmd(
    older_than: Annotated[str, typer.Option("--older-than", help="e.g. 30d, 12h, 2w")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Delete samples captured more than --older-than ago (serve does this hourly for [capture] retention_days)."""
    try:
        keep = samples.parse_duration(older_than)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    n = samples.purge(_open(db, config), older_than=keep, now=utc_now())
    typer.echo(f"{n} samples older than {older_than} deleted")


@samples_app.command("import")
def import_cmd(
    input_file: Annotated[
        Path,
        typer.Option(
            "--input", help="the Batch API input file (JSONL)", exists=True, dir_okay=False
        ),
    ],
    output_file: Annotated[
        Path,
        typer.Option(
            "--output", help="the batch's output file (JSONL)", exists=True, dir_okay=False
        ),
    ],
    feature: Annotated[
        str | None,
        typer.Option(
            help="feature of every sample [default: body.metadata.feature, "
            "else the custom_id prefix before ':']"
        ),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Samples from a Batch API job: input lines joined to output lines on custom_id, redacted."""
    recs, skipped = samples.batch_samples(input_file, output_file, feature=feature)
    n = samples.store_samples(_open(db, config), recs, source=f"batch:{output_file.name}")
    typer.echo(
        f"{n} samples imported, {len(recs) - n} already stored, {skipped} lines skipped "
        "(not a 200 chat completion, or no input line)"
    )


@samples_app.command("list")
def list_cmd(db: DbOption = None, config: ConfigOption = None) -> None:
    """How many samples each feature has, and their time span."""
    con = _open(db, config)
    from spendwatch import store

    rows = con.execute(store.query("samples_by_feature")).fetchall()
    if not rows:
        typer.echo(
            "no samples: capture is off unless instrument(client, capture=0.02) or [capture] turns it on"
        )
    for f, n, lo, hi in rows:
        typer.echo(f"{f}: {n} samples, {lo:%Y-%m-%d} … {hi:%Y-%m-%d}")


def _money(d: Any) -> str:
    return usd(Decimal(d))


@replay_app.callback(invoke_without_command=True)
def replay_cmd(
    ctx: typer.Context,
    feature: Annotated[
        str | None, typer.Option(help="the feature whose samples are replayed", show_default=False)
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="target model, e.g. gpt-4o-mini", show_default=False)
    ] = None,
    sample: Annotated[
        int, typer.Option("--sample", help="how many samples to draw", min=1, max=100_000)
    ] = 200,
    judge: Annotated[
        str | None,
        typer.Option(help="pairwise judge model for free text, e.g. gpt-4o", show_default=False),
    ] = None,
    max_usd: Annotated[
        float | None,
        typer.Option(
            "--max-usd", help="refuse to start above this estimate", min=0, show_default=False
        ),
    ] = None,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch",
            help="send the replays through the Batch API (half price); "
            "`spendwatch replay status` collects them",
        ),
    ] = False,
    concurrency: Annotated[int, typer.Option(help="replays in flight at once", min=1, max=256)] = 8,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the estimate and stop")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[str, typer.Option("--format", help="table|json")] = "table",
) -> None:
    """Replay a feature's samples on --to (the real API, OPENAI_API_KEY), resumably; report quality."""
    if ctx.invoked_subcommand is not None:
        return
    if not feature or not to:
        raise typer.BadParameter("replay needs --feature and --to (or a subcommand: status)")
    if format not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json")
    from spendwatch.replay import runs

    plan = runs.Plan(feature=feature, target=to, judge=judge, sample=sample, batch=batch)
    con = _open(db, config)
    now = utc_now()
    run = runs.open_run(con, plan)
    ids = run_ids(run) if run else runs.draw(con, feature, sample)
    todo = [i for i in ids if i not in (runs.done_ids(con, run["run_id"]) if run else set())]
    est = runs.estimate(con, todo, plan, at=now)
    say = echo_err if format == "json" else typer.echo
    lead = f"resuming {run['run_id']}: {len(ids) - len(todo)} of {len(ids)} done; " if run else ""
    say(
        f"{lead}replaying {len(todo)} samples of {feature} on {to}"
        f"{' via the Batch API' if batch else ''} will cost about {_money(est['total_usd'])} "
        f"(replays {_money(est['replay_usd'])}, embeddings {_money(est['embed_usd'])}"
        + (f", judge {_money(est['judge_usd'])}" if judge else "")
        + ")"
    )
    if max_usd is not None and est["total_usd"] > Decimal(str(max_usd)):
        raise SpendwatchError(
            f"estimated {_money(est['total_usd'])} is above --max-usd {_money(Decimal(str(max_usd)))}:"
            " lower --sample or raise --max-usd"
        )
    if dry_run:
        if format == "json":
            typer.echo(
                exports.to_json_text(
                    {"samples": len(todo), "estimated_cost_usd": est["total_usd"], "dry_run": True}
                )
            )
        return
    if run is None:
        run = runs.create_run(con, plan, ids, estimated=est["total_usd"], at=now)
    if batch:
        if run["status"] == "batch_submitted":
            say(
                f"batch {run['batch_id']} already submitted: `spendwatch replay status` collects it"
            )
            return
        batch_id = runs.submit_batch(con, run)
        say(
            f"submitted batch {batch_id} (run {run['run_id']}); `spendwatch replay status` collects it when done"
        )
        return
    runs.run_live(con, run, concurrency=concurrency, now=utc_now)
    _report(con, run["run_id"], format)


def run_ids(run: dict[str, Any]) -> list[str]:
    import json

    return (
        json.loads(run["sample_ids"])
        if isinstance(run["sample_ids"], str)
        else list(run["sample_ids"])
    )


def _report(con, run_id: str, format: str) -> None:
    from spendwatch import store
    from spendwatch.replay import runs

    run = store.fetch_dicts(con, store.query("replay_run_get"), {"r": run_id})[0]
    s = runs.summary(con, run, at=utc_now())
    if format == "json":
        typer.echo(exports.to_json_text(s))
        return
    typer.echo(
        f"{s['feature']} on {s['target']} (run {s['run_id']}, {s['samples']} samples): "
        f"win {s['win']}, tie {s['tie']}, loss {s['loss']}"
    )
    typer.echo(
        f"tie or better: {s['tie_or_better_pct']} % (95 % interval {s['ci_low_pct']}–{s['ci_high_pct']} %)"
    )
    if s["output_ratio"] is not None:
        typer.echo(
            f"answers {s['output_ratio']}× as long (95 % interval {s['output_ratio_low']}–"
            f"{s['output_ratio_high']})"
        )
    if s["latency_ms_median"] is not None:
        typer.echo(
            f"median latency {s['latency_ms_median']} ms"
            + (
                f" (original {s['original_latency_ms_median']} ms)"
                if s["original_latency_ms_median"]
                else ""
            )
        )
    typer.echo(
        f"the replay cost {_money(s['replay_cost_usd'])} (judge {_money(s['judge_cost_usd'])}, "
        f"embeddings {_money(s['embedding_cost_usd'])}); estimated {_money(s['estimated_cost_usd'])}"
    )
    for lost in s["lost_samples"][:20]:
        typer.echo(f"  lost {lost['sample_id']} ({lost['method']}): {str(lost['prompt'])[:80]!r}")
        typer.echo(f"    original: {str(lost['original_answer'])[:120]!r}")
        typer.echo(f"    {s['target']}: {str(lost['replay_answer'])[:120]!r}")


@replay_app.command("status")
def status_cmd(
    concurrency: Annotated[int, typer.Option(help="checks in flight at once", min=1, max=256)] = 8,
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[str, format_option("table", "json")] = "table",
) -> None:
    """List replay runs; collect submitted batches that have finished (and check their answers)."""
    from spendwatch import store
    from spendwatch.replay import runs

    con = _open(db, config)
    out = []
    for run in store.fetch_dicts(
        con, store.query("replay_runs_list"), {"feature": None, "target": None, "status": None}
    ):
        if run["status"] == "batch_submitted":
            state = runs.collect_batch(con, run, concurrency=concurrency, now=utc_now)
            run = store.fetch_dicts(con, store.query("replay_run_get"), {"r": run["run_id"]})[0]
            if format == "table":
                typer.echo(f"batch {run['batch_id']} of {run['run_id']}: {state}")
        s = runs.summary(con, run, at=utc_now())
        out.append(s)
        if format == "table":
            typer.echo(
                f"{s['run_id']}  {s['feature']} → {s['target']}  {s['mode']}  {s['status']}  "
                f"{s['samples']} done  tie-or-better {s['tie_or_better_pct']} %"
            )
    if format == "json":
        typer.echo(exports.to_json_text(out))
    elif not out:
        typer.echo("no replay runs yet")
