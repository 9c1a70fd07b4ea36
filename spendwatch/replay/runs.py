"""Replay runs: draw samples, estimate, replay (live or Batch), store each sample's result as it
finishes, summarise. A run killed halfway resumes where it stopped: finished samples are never
sent again (the result row is the commit point)."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from spendwatch import store
from spendwatch.errors import SpendwatchError
from spendwatch.pricing import price_keys, resolve
from spendwatch.replay import agreement, calls

JUDGE_OVERHEAD = 60  # tokens of judge instructions and labels per judge call (estimate only)
JUDGE_OUT = 1  # the judge answers one letter


@dataclass(frozen=True)
class Plan:
    feature: str
    target: str
    judge: str | None = None
    sample: int = 200
    batch: bool = False


def price_key(con: duckdb.DuckDBPyConnection, model: str, what: str) -> str:
    res = resolve(model, price_keys(con))
    if res.price_model is None:
        raise SpendwatchError(
            f"unknown {what} model {model!r}: no price for it (see `spendwatch prices`)"
        )
    return res.price_model


def open_run(con: duckdb.DuckDBPyConnection, plan: Plan) -> dict[str, Any] | None:
    """The unfinished run of the same feature, target and judge, if any (to resume)."""
    for r in store.fetch_dicts(
        con,
        store.query("replay_runs_list"),
        {"feature": plan.feature, "target": plan.target, "status": None},
    ):
        if (
            r["status"] != "done"
            and r["judge"] == plan.judge
            and (r["mode"] == "batch") == plan.batch
        ):
            return r
    return None


def draw(con: duckdb.DuckDBPyConnection, feature: str, n: int) -> list[str]:
    ids = [
        r["sample_id"]
        for r in store.fetch_dicts(con, store.query("replay_draw"), {"feature": feature, "n": n})
    ]
    if not ids:
        raise SpendwatchError(
            f"no samples for feature {feature!r}: capture some with instrument(client, capture=0.02) "
            "or `spendwatch samples import`"
        )
    return ids


def done_ids(con: duckdb.DuckDBPyConnection, run_id: str) -> set[str]:
    return {
        r["sample_id"]
        for r in store.fetch_dicts(con, store.query("replay_done_ids"), {"run": run_id})
    }


def estimate(
    con: duckdb.DuckDBPyConnection, ids: list[str], plan: Plan, *, at: datetime
) -> dict[str, Decimal]:
    """What replaying ``ids`` will cost at the prices in force ``at`` (replays, embeddings, judge)."""
    row = store.fetch_dicts(
        con,
        store.query("replay_estimate"),
        {
            "ids": ids,
            "target": price_key(con, plan.target, "target"),
            "judge": price_key(con, plan.judge, "judge") if plan.judge else None,
            "embed": price_key(con, calls.EMBED_MODEL, "embedding"),
            "at": at,
            "batch_factor": "0.5" if plan.batch else "1",
            "judge_overhead": JUDGE_OVERHEAD,
            "judge_out": JUDGE_OUT,
        },
    )[0]
    parts = {k: Decimal(row[k]) for k in ("replay_usd", "embed_usd", "judge_usd")}
    return parts | {"total_usd": sum(parts.values(), Decimal(0)), "samples": row["samples"]}


def create_run(
    con: duckdb.DuckDBPyConnection, plan: Plan, ids: list[str], *, estimated: Decimal, at: datetime
) -> dict[str, Any]:
    run = {
        "run_id": f"rp_{at:%Y%m%d%H%M%S}_{uuid.uuid4().hex[:6]}",
        "feature": plan.feature,
        "target": plan.target,
        "judge": plan.judge,
        "sample_ids": json.dumps(ids),
        "mode": "batch" if plan.batch else "live",
        "status": "running",
        "batch_id": None,
        "estimated_cost_usd": estimated,
        "created_at": at,
    }
    con.execute(store.query("replay_run_insert"), run)
    return run


def load_samples(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[calls.Sample]:
    rows = {
        r["sample_id"]: r
        for r in store.fetch_dicts(con, store.query("replay_samples_get"), {"ids": ids})
    }
    return [
        calls.Sample(i, json.loads(rows[i]["request"]), rows[i]["answer"], rows[i]["output_tokens"])
        for i in ids
        if i in rows
    ]


_COLUMNS = (
    "run_id",
    "sample_id",
    "answer",
    "original_output_tokens",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "latency_ms",
    "method",
    "verdict",
    "score",
    "judge_input_tokens",
    "judge_output_tokens",
    "embed_tokens",
    "retries",
    "done_at",
)


def _save(
    con: duckdb.DuckDBPyConnection, run_id: str, rows: list[dict[str, Any]], at: datetime
) -> None:
    """Store finished samples in one statement (one commit: a commit costs milliseconds on disk)."""
    if not rows:
        return
    base = {
        "run_id": run_id,
        "answer": None,
        "original_output_tokens": 0,
        "input_tokens": 0,
        "cached_tokens": 0,
        "output_tokens": 0,
        "latency_ms": None,
        "score": None,
        "judge_input_tokens": 0,
        "judge_output_tokens": 0,
        "embed_tokens": 0,
        "retries": 0,
        "done_at": at,
    }
    full = [base | {k: v for k, v in r.items() if k in _COLUMNS} for r in rows]
    con.execute(store.query("replay_result_insert"), {c: [f[c] for f in full] for c in _COLUMNS})


def _finish(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    at: datetime | None,
    batch_id: str | None = None,
) -> None:
    con.execute(
        store.query("replay_run_update"),
        {"run_id": run_id, "status": status, "batch_id": batch_id, "finished_at": at},
    )


def run_live(
    con: duckdb.DuckDBPyConnection,
    run: dict[str, Any],
    *,
    concurrency: int,
    now: Any,
    client: Any = None,
    progress: Any = None,
) -> int:
    """Replay the run's unfinished samples, ``concurrency`` at a time; each result is stored as it
    arrives. Returns how many were replayed now. ``now()`` stamps results."""
    ids = json.loads(run["sample_ids"]) if isinstance(run["sample_ids"], str) else run["sample_ids"]
    todo = [s for s in load_samples(con, ids) if s.sample_id not in done_ids(con, run["run_id"])]
    c = client or calls.client()
    n = 0
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        pending = {
            pool.submit(
                calls.replay_one,
                c,
                s,
                run_id=run["run_id"],
                target=run["target"],
                judge=run["judge"],
            )
            for s in todo
        }
        try:
            while pending:
                # everything that finished while the last commit ran is stored by the next one
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                rows = [f.result() for f in finished if f.exception() is None]
                _save(con, run["run_id"], rows, now())
                failed = next((f.exception() for f in finished if f.exception() is not None), None)
                if failed is not None:  # retries exhausted: what finished is kept, a rerun resumes
                    raise SpendwatchError(
                        f"replay stopped after {n + len(rows)} of {len(todo)} samples: "
                        f"{type(failed).__name__}: {str(failed).splitlines()[0] if str(failed) else ''}"
                        " — run the same command again to resume"
                    ) from failed
                n += len(rows)
                if progress:
                    progress(n, len(todo))
        except BaseException:
            for f in pending:
                f.cancel()
            raise
    _finish(con, run["run_id"], "done", now())
    return n


def submit_batch(con: duckdb.DuckDBPyConnection, run: dict[str, Any], *, client: Any = None) -> str:
    ids = json.loads(run["sample_ids"])
    todo = [s for s in load_samples(con, ids) if s.sample_id not in done_ids(con, run["run_id"])]
    batch_id = calls.submit_batch(
        client or calls.client(), todo, run_id=run["run_id"], target=run["target"]
    )
    _finish(con, run["run_id"], "batch_submitted", None, batch_id)
    return batch_id


def collect_batch(
    con: duckdb.DuckDBPyConnection,
    run: dict[str, Any],
    *,
    concurrency: int,
    now: Any,
    client: Any = None,
) -> str:
    """Check a submitted batch; once completed, check its answers (live judge/embeddings) and store
    them. Returns the batch status."""
    c = client or calls.client()
    status, bodies = calls.batch_results(c, run["batch_id"])
    if status != "completed":
        if status in ("failed", "expired", "cancelled"):
            _finish(con, run["run_id"], "running", None)  # a rerun resubmits what is left
        return status
    done = done_ids(con, run["run_id"])
    todo = [s for s in load_samples(con, json.loads(run["sample_ids"])) if s.sample_id not in done]
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [
            pool.submit(
                calls.from_batch_body,
                c,
                s,
                bodies.get(s.sample_id),
                run_id=run["run_id"],
                judge=run["judge"],
            )
            for s in todo
        ]
        _save(con, run["run_id"], [f.result() for f in futures], now())
    _finish(con, run["run_id"], "done", now())
    return status


def summary(con: duckdb.DuckDBPyConnection, run: dict[str, Any], *, at: datetime) -> dict[str, Any]:
    """The report: win/tie/loss with a Wilson 95 % interval, the measured output ratio with its
    interval, what the replay cost (judge and embeddings included), and the lost samples."""
    s = store.fetch_dicts(con, store.query("replay_summary"), {"run": run["run_id"]})[0]
    n, win, tie, loss = s["n"], s["win"], s["tie"], s["loss"]
    lo, hi = agreement.wilson(win + tie, n)
    ratio = s["ratio"]
    interval = agreement.ratio_interval(ratio, s["resid_var"], n, (s["sx"] or 0) / n if n else 0)
    cost = store.fetch_dicts(
        con,
        store.query("replay_cost"),
        {
            "run": run["run_id"],
            "target": price_key(con, run["target"], "target"),
            "judge": price_key(con, run["judge"], "judge") if run["judge"] else None,
            "embed": price_key(con, calls.EMBED_MODEL, "embedding"),
            "at": at,
            "batch_factor": "0.5" if run["mode"] == "batch" else "1",
        },
    )[0]
    lost = []
    for r in store.fetch_dicts(con, store.query("replay_lost"), {"run": run["run_id"]}):
        req = json.loads(r["request"]) if r["request"] else {}
        prompt = next(
            (
                m.get("content")
                for m in reversed(req.get("messages") or [])
                if m.get("role") == "user"
            ),
            None,
        )
        lost.append(
            {
                "sample_id": r["sample_id"],
                "method": r["method"],
                "score": r["score"],
                "prompt": prompt,
                "original_answer": r["original_answer"],
                "replay_answer": r["replay_answer"],
            }
        )
    return {
        "run_id": run["run_id"],
        "feature": run["feature"],
        "target": run["target"],
        "judge": run["judge"],
        "mode": run["mode"],
        "status": run["status"],
        "samples": n,
        "win": win,
        "tie": tie,
        "loss": loss,
        "tie_or_better_pct": round(100 * (win + tie) / n, 1) if n else None,
        "ci_low_pct": round(100 * lo, 1),
        "ci_high_pct": round(100 * hi, 1),
        "output_ratio": round(ratio, 3) if ratio is not None else None,
        "output_ratio_low": round(interval[0], 3) if interval else None,
        "output_ratio_high": round(interval[1], 3) if interval else None,
        "latency_ms_median": _round(s["latency_ms_median"]),
        "original_latency_ms_median": _round(s["original_latency_ms_median"]),
        "estimated_cost_usd": run["estimated_cost_usd"],
        "replay_cost_usd": cost["replay_usd"] + cost["judge_usd"] + cost["embed_usd"],
        "judge_cost_usd": cost["judge_usd"],
        "embedding_cost_usd": cost["embed_usd"],
        "lost_samples": lost,
    }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)
