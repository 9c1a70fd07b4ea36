"""A realistic, seeded request history for `spendwatch demo`: several features with their own
model mixes, a daily and weekly rhythm, growth, prompt caching, nightly Batch API traffic, a few
errors, one unpriced in-house model, and one spend spike (a bad deploy sends `search` to o1 at ten
times its volume for two hours, four days before "now").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa

from spendwatch import store
from spendwatch.clock import utc_now
from spendwatch.pricing import refresh_model_map
from spendwatch.store import transaction

SPIKE_DAYS_AGO = 4
SPIKE_HOURS = (14, 15)  # UTC hours of the spike day
SPIKE_FEATURE = "search"
SPIKE_MODEL = "o1-2024-12-17"


@dataclass(frozen=True)
class Feature:
    name: str
    per_day: float  # weekday requests at the start of the window
    models: tuple[tuple[str, float], ...]  # (model, share)
    input_mean: int
    cached_share: float  # fraction of input served from cache, for prompts >= 1024 tokens
    output_mean: int
    reasoning_share: float  # for reasoning models: share of output that is reasoning
    project: str
    api_key: str
    endpoint: str
    batch_share: float = 0.0
    users: int = 200


FEATURES = (
    Feature(
        "search",
        700,
        (("gpt-4o-2024-08-06", 0.7), ("gpt-4o-mini-2024-07-18", 0.3)),
        2600,
        0.45,
        320,
        0.0,
        "proj_web",
        "key_web",
        "chat.completions",
    ),
    Feature(
        "chat-assistant",
        1100,
        (("gpt-4o-mini-2024-07-18", 0.85), ("o4-mini-2025-04-16", 0.15)),
        1800,
        0.6,
        420,
        0.5,
        "proj_web",
        "key_web",
        "responses",
    ),
    Feature(
        "summarize",
        300,
        (("gpt-4.1-2025-04-14", 1.0),),
        6000,
        0.1,
        650,
        0.0,
        "proj_data",
        "key_batch",
        "chat.completions",
        batch_share=0.5,
        users=20,
    ),
    Feature(
        "indexing",
        1400,
        (("text-embedding-3-small", 1.0),),
        800,
        0.0,
        0,
        0.0,
        "proj_data",
        "key_batch",
        "embeddings",
        users=5,
    ),
    Feature(
        "code-review",
        45,
        (("o1-2024-12-17", 1.0),),
        4200,
        0.3,
        2600,
        0.7,
        "proj_labs",
        "key_labs",
        "chat.completions",
        users=30,
    ),
    Feature(
        "experiments",
        25,
        (("acme-llm-v2", 1.0),),
        1200,
        0.0,
        300,
        0.0,
        "proj_labs",
        "key_labs",
        "chat.completions",
        users=8,
    ),
)

# Share of a day's traffic in each UTC hour: quiet at night, a peak mid-afternoon.
_HOURS = np.array(
    [
        0.25,
        0.2,
        0.18,
        0.18,
        0.2,
        0.3,
        0.5,
        0.8,
        1.1,
        1.4,
        1.6,
        1.7,
        1.7,
        1.75,
        1.85,
        1.9,
        1.8,
        1.6,
        1.3,
        1.0,
        0.8,
        0.6,
        0.45,
        0.35,
    ]
)
HOUR_SHAPE = _HOURS / _HOURS.sum()
WEEKEND_FACTOR = 0.35
GROWTH_PER_DAY = 0.006


def generate(
    con: duckdb.DuckDBPyConnection, *, days: int = 90, seed: int = 7, now: datetime | None = None
) -> int:
    """Write ``days`` of history ending at ``now`` (default: the clock) into ``requests``; nothing it
    writes lies after ``now``.

    Returns rows inserted: request ids are deterministic, so a second run with the same seed adds none.
    """
    until = (now or utc_now()).replace(tzinfo=None)
    now = until.replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=days)
    rng = np.random.default_rng(seed)
    hours = np.arange(days * 24 + 1)
    start_day = start.replace(hour=0)
    hour_ts = np.array([start + timedelta(hours=int(h)) for h in hours], dtype="datetime64[us]")
    day_idx = np.array([(start + timedelta(hours=int(h)) - start_day).days for h in hours])
    weekday = np.array([(start + timedelta(hours=int(h))).weekday() for h in hours])
    hour_of_day = np.array([(start + timedelta(hours=int(h))).hour for h in hours])
    rhythm = (
        HOUR_SHAPE[hour_of_day]
        * np.where(weekday >= 5, WEEKEND_FACTOR, 1.0)
        * (1 + GROWTH_PER_DAY) ** day_idx
    )

    cols: dict[str, list[np.ndarray]] = {
        k: []
        for k in (
            "ts",
            "model",
            "feature",
            "project_id",
            "api_key_id",
            "user_id",
            "endpoint",
            "batch",
            "status",
            "http_status",
            "latency_ms",
            "input_tokens",
            "cached_tokens",
            "output_tokens",
            "reasoning_tokens",
        )
    }
    spike_day = days - SPIKE_DAYS_AGO
    for f in FEATURES:
        lam = f.per_day * rhythm
        counts = rng.poisson(lam)
        models = np.array([m for m, _ in f.models])
        shares = np.array([s for _, s in f.models])
        if f.name == SPIKE_FEATURE:
            spike = (day_idx == spike_day) & np.isin(hour_of_day, SPIKE_HOURS)
            extra = rng.poisson(lam[spike] * 9)
            counts[spike] += extra
        n = int(counts.sum())
        if n == 0:
            continue
        hour_of_row = np.repeat(hours, counts)
        ts = np.repeat(hour_ts, counts) + rng.integers(0, 3_600_000_000, n).astype(
            "timedelta64[us]"
        )
        model = models[rng.choice(len(models), n, p=shares)].astype(object)
        if f.name == SPIKE_FEATURE:
            in_spike = (day_idx[hour_of_row] == spike_day) & np.isin(
                hour_of_day[hour_of_row], SPIKE_HOURS
            )
            model[in_spike] = SPIKE_MODEL
        inp = np.maximum(8, rng.lognormal(np.log(f.input_mean), 0.5, n)).astype(np.int64)
        cacheable = (inp >= 1024) & (rng.random(n) < min(1.0, f.cached_share * 1.6))
        cached = np.where(
            cacheable, (inp * rng.uniform(0.4, 0.9, n)).astype(np.int64) // 128 * 128, 0
        )
        cached = np.minimum(cached, inp)
        out = (
            np.maximum(1, rng.lognormal(np.log(max(f.output_mean, 1)), 0.6, n)).astype(np.int64)
            if f.output_mean
            else np.zeros(n, np.int64)
        )
        is_reasoning = np.char.startswith(model.astype(str), "o")
        reasoning = np.where(is_reasoning, (out * f.reasoning_share).astype(np.int64), 0)
        hod = hour_of_day[hour_of_row]
        batch = (
            (rng.random(n) < f.batch_share) & ((hod < 6) | (hod >= 22))
            if f.batch_share
            else np.zeros(n, bool)
        )
        failed = rng.random(n) < 0.008
        inp, cached, out, reasoning = (
            np.where(failed, 0, a) for a in (inp, cached, out, reasoning)
        )
        cols["ts"].append(ts)
        cols["model"].append(model)
        cols["feature"].append(np.full(n, f.name, object))
        cols["project_id"].append(np.full(n, f.project, object))
        cols["api_key_id"].append(np.full(n, f.api_key, object))
        cols["user_id"].append(
            np.char.add("u_", rng.integers(1, f.users + 1, n).astype(str)).astype(object)
        )
        cols["endpoint"].append(np.full(n, f.endpoint, object))
        cols["batch"].append(batch)
        cols["status"].append(np.where(failed, "error", "ok").astype(object))
        cols["http_status"].append(np.where(failed, 429, 200))
        cols["latency_ms"].append(np.round(rng.lognormal(np.log(600 + out * 8 + 1), 0.35, n), 1))
        cols["input_tokens"].append(inp)
        cols["cached_tokens"].append(cached)
        cols["output_tokens"].append(out)
        cols["reasoning_tokens"].append(reasoning)
    data = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.argsort(data["ts"], kind="stable")
    # the current hour is drawn whole; keep only what has happened by `until` (ids follow ts order,
    # so the rows kept get the same ids as in a later run)
    order = order[data["ts"][order] <= np.datetime64(until, "us")]
    data = {k: v[order] for k, v in data.items()}
    n = len(order)
    table = pa.table(
        {
            "request_id": pa.array([f"demo-{seed}-{i:08d}" for i in range(n)]),
            **{k: pa.array(v) for k, v in data.items()},
        }
    )
    con.register("_demo_rows", table)
    with store.request_writes(), transaction(con):
        inserted = con.execute(
            "INSERT INTO requests (request_id, ts, model, feature, project_id, api_key_id, user_id, endpoint, batch,"
            " status, error_type, http_status, latency_ms, input_tokens, cached_tokens, output_tokens, reasoning_tokens,"
            " service_tier, source)"
            " SELECT request_id, ts, model, feature, project_id, api_key_id, user_id, endpoint, batch, status,"
            " CASE WHEN status = 'error' THEN 'RateLimitError' END, http_status, latency_ms, input_tokens,"
            " cached_tokens, output_tokens, reasoning_tokens, 'default', 'demo'"
            " FROM _demo_rows d ANTI JOIN requests r ON r.request_id = d.request_id"
        ).fetchall()[0][0]
        refresh_model_map(con)
        con.execute(
            "INSERT INTO ingest_log (kind, unit_key, source, lines_read, ingested, started_at, finished_at)"
            " VALUES ('demo', $k, 'demo', $n, $n, $t, $t)",
            {"k": f"demo seed={seed} days={days}", "n": n, "t": now},
        )
    con.unregister("_demo_rows")
    write_bills(con, start=start_day, end=now.replace(hour=0))
    return inserted


# The demo's bill: what a month of OpenAI's Usage and Costs APIs would say about the same traffic.
LEGACY_PROJECT = "proj_legacy"  # a service that calls OpenAI without spendwatch.instrument
LEGACY_MODEL = "gpt-4o-mini-2024-07-18"
LEGACY_SHARE = 0.1  # of proj_web's gpt-4o-mini requests: about 3 % of all traffic
DISCOUNT_MODEL = "gpt-4o-2024-08-06"
DISCOUNT = 0.15  # negotiated: 15 % off gpt-4o
WEB_SEARCH_CALLS = 180  # a day, at $10 per 1k calls
STORAGE_USD = 1.20  # vector storage a day, org-level


def write_bills(con: duckdb.DuckDBPyConnection, *, start: datetime, end: datetime) -> None:
    """Synthetic Usage and Costs API buckets (source 'demo') for the whole UTC days in [start, end), so
    Reconcile and Chargeback have a bill on a fresh machine: some traffic not instrumented, a negotiated
    discount on one model, web search calls and vector storage. Rewritten whole on every run."""
    window = {"start": start, "end": end}
    with transaction(con):
        con.execute(store.query("demo_bills_clear"))
        con.execute(store.query("demo_usage_insert"), {**window, "legacy_project": LEGACY_PROJECT,
                                                       "legacy_model": LEGACY_MODEL, "legacy_share": LEGACY_SHARE})
        con.execute(store.query("demo_costs_insert"), {**window, "discount_model": DISCOUNT_MODEL,
                                                       "discount": DISCOUNT, "web_search_calls": WEB_SEARCH_CALLS,
                                                       "storage_usd": STORAGE_USD})
