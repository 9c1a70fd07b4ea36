"""Sync OpenAI's organization Usage and Costs APIs into ``usage_buckets`` and ``cost_buckets``.

Through the installed ``openai`` SDK's admin client (so ``OPENAI_BASE_URL`` and the SDK's wire
format apply), with the admin key passed in by the caller (from ``OPENAI_ADMIN_KEY``; it is never
stored or logged). Each page is stored in its own transaction as soon as it arrives, so a run
that fails keeps every page it stored; each bucket is replaced as a whole by its natural key, so
syncing any window twice, or overlapping windows, changes no total.

The cursor in ``sync_state`` (source ``openai``) is the end of the last successful window; the
next run starts two days before it (OpenAI revises recent days), at 00:00 UTC. 429 and 5xx
answers and connection errors are retried here (tenacity: exponential backoff with jitter,
honouring ``Retry-After``); the SDK's own retries are off so that the policy is ours and testable.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import tenacity

from spendwatch import store
from spendwatch.errors import SpendwatchError
from spendwatch.scheduler import job_factory

log = logging.getLogger("spendwatch.collectors.openai_usage")

SOURCE = "openai"
REVISE_DAYS = 2  # OpenAI may still revise the last two days: every run re-reads them
FIRST_RUN_DAYS = 30  # without a cursor or --since: the last 30 days
BUCKET_WIDTHS = ("1d", "1h")
PAGE_LIMIT = {"1d": 31, "1h": 168}  # the Usage API's maximum buckets per page for each width
COSTS_PAGE_LIMIT = 180
HTTP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class UsageKind:
    """One Usage API endpoint: its SDK method, how it may be grouped, and what it counts."""

    name: str
    group_by: tuple[str, ...]
    quantity_field: str | None = None  # non-token kinds: images, characters, seconds
    required: bool = False  # a 404 on an optional kind (a proxy without it) is skipped, not fatal


USAGE_KINDS: dict[str, UsageKind] = {
    k.name: k
    for k in (
        UsageKind(
            "completions",
            ("model", "project_id", "api_key_id", "batch", "service_tier"),
            required=True,
        ),
        UsageKind("embeddings", ("model", "project_id", "api_key_id")),
        UsageKind("moderations", ("model", "project_id", "api_key_id")),
        UsageKind("images", ("model", "project_id", "api_key_id"), quantity_field="images"),
        UsageKind(
            "audio_speeches", ("model", "project_id", "api_key_id"), quantity_field="characters"
        ),
        UsageKind(
            "audio_transcriptions", ("model", "project_id", "api_key_id"), quantity_field="seconds"
        ),
    )
}
COSTS_GROUP_BY = ("project_id", "line_item", "api_key_id")

# Keys that are scoped to one project: the organization endpoints refuse them.
_PROJECT_KEY_PREFIXES = ("sk-proj-", "sk-svcacct-")
ADMIN_KEY_HINT = (
    "admin key required (create one at https://platform.openai.com/settings/organization/admin-keys "
    "and set OPENAI_ADMIN_KEY)"
)


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of one page request on 429, 5xx and connection errors.

    Wait before retry n (1-based): min(initial × 2^(n-1) + uniform(0, jitter), max_wait), and at
    least the server's Retry-After (capped at max_wait).
    """

    attempts: int = 6
    initial: float = 1.0
    max_wait: float = 60.0
    jitter: float = 1.0
    sleep: Callable[[float], None] = time.sleep


DEFAULT_RETRY = RetryPolicy()


@dataclass
class SyncResult:
    start: datetime
    end: datetime | None
    bucket_width: str
    pages: dict[str, int] = field(default_factory=dict)  # kind → pages stored
    rows: dict[str, int] = field(default_factory=dict)  # kind → result rows stored
    retries: int = 0
    notes: list[str] = field(default_factory=list)
    cursor: datetime | None = None
    on_retry: Callable[[str, int, float], None] | None = field(
        default=None, repr=False
    )  # (what, attempt, wait s)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def window_text(self) -> str:
        end = "now" if self.end is None else f"{self.end:%Y-%m-%d %H:%M}"
        return f"{self.start:%Y-%m-%d %H:%M} → {end} UTC"

    def summary(self) -> str:
        parts = [
            f"{k} {self.rows[k]:,} rows ({n} pages)"
            for k, n in self.pages.items()
            if self.rows.get(k)
        ]
        empty = [k for k in self.pages if not self.rows.get(k)]
        text = f"openai sync {self.window_text()} ({self.bucket_width}): " + (
            ", ".join(parts) or "no usage"
        )
        if empty:
            text += f"; nothing for {', '.join(empty)}"
        if self.retries:
            text += f"; {self.retries} retries"
        if self.notes:
            text += "; " + "; ".join(self.notes)
        return text


Progress = Callable[[str, int, int], None]  # (kind, pages so far, rows so far)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _day(d: date | datetime) -> datetime:
    return datetime(d.year, d.month, d.day)


def _naive_utc(d: datetime) -> datetime:
    return d.astimezone(UTC).replace(tzinfo=None) if d.tzinfo else d


def _ts(unix: int) -> datetime:
    return datetime.fromtimestamp(int(unix), UTC).replace(tzinfo=None)


def _unix(d: datetime) -> int:
    return int(d.replace(tzinfo=UTC).timestamp())


def check_admin_key(admin_key: str | None) -> str:
    """The key, or a one-line SpendwatchError saying why it cannot read the organization's usage."""
    key = (admin_key or "").strip()
    if not key:
        raise SpendwatchError(f"no OpenAI admin key: {ADMIN_KEY_HINT}")
    if key.startswith(_PROJECT_KEY_PREFIXES):
        raise SpendwatchError(f"OPENAI_ADMIN_KEY holds a project key; {ADMIN_KEY_HINT}")
    return key


def sync_state(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The cursor and the last run's time, status and detail (None before the first run)."""
    rows = store.fetch_dicts(con, store.query("sync_state_get"), {"source": SOURCE})
    return rows[0] if rows else None


def plan_window(
    con: duckdb.DuckDBPyConnection,
    *,
    since: date | datetime | None,
    until: date | datetime | None,
    now: datetime,
) -> tuple[datetime, datetime | None]:
    """[start, end) of the next run. ``until`` is the last day synced (inclusive); None means now."""
    if since is not None:
        start = _day(since)
    else:
        state = sync_state(con)
        cursor = state["cursor_ts"] if state else None
        start = (
            _day(cursor - timedelta(days=REVISE_DAYS))
            if cursor
            else _day(now - timedelta(days=FIRST_RUN_DAYS))
        )
    end = _day(until) + timedelta(days=1) if until is not None else None
    if end is not None and end > now:
        end = None  # the API answers up to now; asking for the future is pointless
    if end is not None and end <= start:
        raise SpendwatchError(
            f"--until {end - timedelta(days=1):%Y-%m-%d} is before --since {start:%Y-%m-%d}"
        )
    if start >= now:
        raise SpendwatchError(f"--since {start:%Y-%m-%d} is in the future")
    return start, end


def make_client(admin_key: str, *, base_url: str | None = None) -> Any:
    """The SDK client: the admin key for every auth scheme, no SDK retries (ours are tenacity's)."""
    import openai

    kwargs: dict[str, Any] = {
        "api_key": admin_key,
        "admin_api_key": admin_key,
        "max_retries": 0,
        "timeout": HTTP_TIMEOUT_S,
    }
    if base_url is not None:
        kwargs["base_url"] = base_url
    return openai.OpenAI(**kwargs)


def sync_openai(
    con: duckdb.DuckDBPyConnection,
    admin_key: str | None,
    *,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    bucket_width: str = "1d",
    kinds: Sequence[str] = tuple(USAGE_KINDS),
    costs: bool = True,
    base_url: str | None = None,
    retry: RetryPolicy | None = None,
    progress: Progress | None = None,
    on_retry: Callable[[str, int, float], None] | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """Sync the window into the store; record the outcome in ``sync_state`` either way.

    Raises SpendwatchError (one line, never the key) when the run fails; pages stored before the
    failure stay stored, and the cursor stays where the last successful run left it.
    """
    retry = retry or DEFAULT_RETRY
    started = _utcnow()
    now = _naive_utc(now) if now is not None else started
    if bucket_width not in BUCKET_WIDTHS:
        raise SpendwatchError(
            f"--bucket must be one of {', '.join(BUCKET_WIDTHS)}, got {bucket_width!r}"
        )
    unknown = [k for k in kinds if k not in USAGE_KINDS]
    if unknown:
        raise SpendwatchError(
            f"unknown usage kind {unknown[0]!r}; choose from {', '.join(USAGE_KINDS)}"
        )
    start, end = plan_window(con, since=since, until=until, now=now)
    result = SyncResult(start, end, bucket_width, on_retry=on_retry)
    try:
        client = make_client(check_admin_key(admin_key), base_url=base_url)
        for name in kinds:
            _sync_usage_kind(con, client, USAGE_KINDS[name], result, retry, progress)
        if costs:
            _sync_costs(con, client, result, retry, progress)
    except BaseException as e:
        reason = _reason(e)
        _record(con, status="error", detail=reason, run_at=started, result=result)
        if isinstance(e, Exception):
            raise SpendwatchError(reason) from None
        raise
    result.cursor = end if end is not None else now
    _record(
        con,
        status="ok",
        detail=result.summary(),
        run_at=started,
        result=result,
        cursor=result.cursor,
    )
    log.info("%s", result.summary())
    return result


# --- pages -----------------------------------------------------------------------------------


def _usage_method(client: Any, kind: str) -> Callable[..., Any]:
    return getattr(client.admin.organization.usage.with_raw_response, kind)


def _fetch_pages(
    call: Callable[..., Any],
    params: dict[str, Any],
    label: str,
    result: SyncResult,
    retry: RetryPolicy,
) -> Any:
    """Yield each page (parsed JSON, numbers as Decimal) following next_page to the end."""
    page: str | None = None
    seen: set[str] = set()
    while True:
        query = dict(params)
        if page is not None:
            query["page"] = page
        raw = _with_retries(lambda q=query: call(**q), label, result, retry)
        body = json.loads(raw.text, parse_float=Decimal)
        yield body
        page = body.get("next_page")
        if not body.get("has_more") or not page:
            return
        if page in seen:
            raise SpendwatchError(f"{label}: OpenAI sent the same next_page twice; stopped")
        seen.add(page)


def _with_retries(fn: Callable[[], Any], label: str, result: SyncResult, retry: RetryPolicy) -> Any:
    def before_sleep(state: tenacity.RetryCallState) -> None:
        result.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        log.info(
            "%s: %s; retry %d in %.2fs",
            label,
            _short(exc),
            state.attempt_number,
            state.next_action.sleep if state.next_action else 0,
        )
        if result.on_retry is not None:
            result.on_retry(
                label, state.attempt_number, state.next_action.sleep if state.next_action else 0.0
            )

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_transient),
        wait=_BackoffWait(retry),
        stop=tenacity.stop_after_attempt(max(1, retry.attempts)),
        sleep=retry.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(fn)


class _BackoffWait(tenacity.wait.wait_base):
    """Exponential backoff with jitter, and never less than the server's Retry-After."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, state: tenacity.RetryCallState) -> float:
        p = self.policy
        wait = min(
            p.initial * 2 ** (state.attempt_number - 1) + random.uniform(0, p.jitter), p.max_wait
        )
        exc = state.outcome.exception() if state.outcome else None
        after = _retry_after(exc)
        if after is not None:
            wait = max(wait, after)
        return min(wait, self.policy.max_wait)


def _retry_after(exc: BaseException | None) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        if headers.get("retry-after"):
            return float(headers["retry-after"])
    except ValueError:
        return None
    return None


def _transient(exc: BaseException) -> bool:
    import openai

    if isinstance(exc, openai.RateLimitError):
        return (
            getattr(exc, "code", None) != "insufficient_quota"
        )  # retrying an empty quota does not help
    return isinstance(exc, openai.InternalServerError | openai.APIConnectionError)


def _sync_usage_kind(
    con: duckdb.DuckDBPyConnection,
    client: Any,
    kind: UsageKind,
    result: SyncResult,
    retry: RetryPolicy,
    progress: Progress | None,
) -> None:
    import openai

    params: dict[str, Any] = {
        "start_time": _unix(result.start),
        "bucket_width": result.bucket_width,
        "group_by": list(kind.group_by),
        "limit": PAGE_LIMIT[result.bucket_width],
    }
    if result.end is not None:
        params["end_time"] = _unix(result.end)
    result.pages.setdefault(kind.name, 0)
    result.rows.setdefault(kind.name, 0)
    try:
        for body in _fetch_pages(
            _usage_method(client, kind.name), params, f"usage/{kind.name}", result, retry
        ):
            result.rows[kind.name] += store_usage_page(con, kind, result.bucket_width, body)
            result.pages[kind.name] += 1
            if progress:
                progress(kind.name, result.pages[kind.name], result.rows[kind.name])
    except openai.NotFoundError:
        if kind.required:
            raise
        result.notes.append(f"{kind.name}: not offered by the server (404), skipped")


def _sync_costs(
    con: duckdb.DuckDBPyConnection,
    client: Any,
    result: SyncResult,
    retry: RetryPolicy,
    progress: Progress | None,
) -> None:
    # The Costs API has daily buckets only; the window starts and ends at 00:00 UTC already.
    params: dict[str, Any] = {
        "start_time": _unix(result.start),
        "bucket_width": "1d",
        "group_by": list(COSTS_GROUP_BY),
        "limit": COSTS_PAGE_LIMIT,
    }
    if result.end is not None:
        params["end_time"] = _unix(result.end)
    result.pages.setdefault("costs", 0)
    result.rows.setdefault("costs", 0)
    call = client.admin.organization.usage.with_raw_response.costs
    for body in _fetch_pages(call, params, "costs", result, retry):
        result.rows["costs"] += store_costs_page(con, body)
        result.pages["costs"] += 1
        if progress:
            progress("costs", result.pages["costs"], result.rows["costs"])


# --- storing a page --------------------------------------------------------------------------


def _int(value: Any) -> int:
    if value is None:
        return 0
    return int(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _json_default(o: Any) -> Any:
    if isinstance(o, Decimal):  # raw is for inspection only; the columns hold the exact figures
        return float(o)
    raise TypeError(type(o).__name__)


def usage_rows(
    kind: UsageKind, bucket_width: str, body: dict[str, Any], synced_at: datetime
) -> list[dict[str, Any]]:
    """A Usage API page → usage_buckets rows (one per result; the last of a repeated key wins)."""
    rows: dict[tuple, dict[str, Any]] = {}
    for bucket in body.get("data") or []:
        start, end = _ts(bucket["start_time"]), _ts(bucket["end_time"])
        for r in bucket.get("results") or []:
            row = {
                "bucket_start": start,
                "bucket_end": end,
                "bucket_width": bucket_width,
                "kind": kind.name,
                "model": _text(r.get("model")),
                "project_id": _text(r.get("project_id")),
                "api_key_id": _text(r.get("api_key_id")),
                "user_id": _text(r.get("user_id")),
                "batch": bool(r.get("batch")),
                "service_tier": _text(r.get("service_tier")),
                "input_tokens": _int(r.get("input_tokens")),
                "cached_tokens": _int(r.get("input_cached_tokens")),
                "output_tokens": _int(r.get("output_tokens")),
                "requests": _int(
                    r.get("num_model_requests", r.get("num_requests", r.get("num_sessions")))
                ),
                "quantity": _int(r.get(kind.quantity_field)) if kind.quantity_field else 0,
                "quantity_unit": kind.quantity_field,
                "raw": json.dumps(r, default=_json_default, separators=(",", ":")),
                "synced_at": synced_at,
            }
            key = tuple(
                row[c]
                for c in (
                    "bucket_start",
                    "model",
                    "project_id",
                    "api_key_id",
                    "user_id",
                    "batch",
                    "service_tier",
                )
            )
            rows[key] = row
    return list(rows.values())


def store_usage_page(
    con: duckdb.DuckDBPyConnection, kind: UsageKind, bucket_width: str, body: dict[str, Any]
) -> int:
    """Replace the page's buckets in one transaction. Returns the rows stored."""
    import pyarrow as pa

    starts = [_ts(b["start_time"]) for b in body.get("data") or []]
    rows = usage_rows(kind, bucket_width, body, _utcnow())
    if not starts:
        return 0
    table = pa.Table.from_pylist(rows, schema=_usage_schema())
    with store.transaction(con):
        con.execute(
            store.query("sync_usage_clear"),
            {"kind": kind.name, "width": bucket_width, "starts": starts},
        )
        if rows:
            con.register("_sync_usage_page", table)
            try:
                con.execute(store.query("sync_usage_upsert"))
            finally:
                con.unregister("_sync_usage_page")
    return len(rows)


_AMOUNT_QUANTUM = Decimal("1e-12")  # cost_buckets.amount_usd is DECIMAL(38, 12)


def _amount(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    return Decimal(str(value)).quantize(_AMOUNT_QUANTUM)


def costs_rows(body: dict[str, Any], synced_at: datetime) -> list[dict[str, Any]]:
    """A Costs API page → cost_buckets rows. ``amount.value`` may be a number or a string ("12.50")."""
    rows: dict[tuple, dict[str, Any]] = {}
    for bucket in body.get("data") or []:
        start, end = _ts(bucket["start_time"]), _ts(bucket["end_time"])
        for r in bucket.get("results") or []:
            amount = r.get("amount") or {}
            quantity = r.get("quantity")
            row = {
                "bucket_start": start,
                "bucket_end": end,
                "project_id": _text(r.get("project_id")),
                "api_key_id": _text(r.get("api_key_id")),
                "line_item": _text(r.get("line_item")),
                "amount_usd": _amount(amount.get("value")),
                "currency": _text(amount.get("currency")) or "usd",
                "quantity": None if quantity in (None, "") else float(quantity),
                "quantity_unit": r.get("quantity_unit"),
                "synced_at": synced_at,
            }
            key = (start, row["project_id"], row["api_key_id"], row["line_item"])
            if (
                key in rows
            ):  # same key twice in a page (a grouping the key does not hold): add them up
                row["amount_usd"] += rows[key]["amount_usd"]
            rows[key] = row
    return list(rows.values())


def store_costs_page(con: duckdb.DuckDBPyConnection, body: dict[str, Any]) -> int:
    import pyarrow as pa

    starts = [_ts(b["start_time"]) for b in body.get("data") or []]
    rows = costs_rows(body, _utcnow())
    if not starts:
        return 0
    table = pa.Table.from_pylist(rows, schema=_costs_schema())
    with store.transaction(con):
        con.execute(store.query("sync_costs_clear"), {"starts": starts})
        if rows:
            con.register("_sync_costs_page", table)
            try:
                con.execute(store.query("sync_costs_upsert"))
            finally:
                con.unregister("_sync_costs_page")
    return len(rows)


def _usage_schema() -> Any:  # built on first use: pyarrow loads lazily
    import pyarrow as pa

    return pa.schema(
        [
            ("bucket_start", pa.timestamp("us")),
            ("bucket_end", pa.timestamp("us")),
            ("bucket_width", pa.string()),
            ("kind", pa.string()),
            ("model", pa.string()),
            ("project_id", pa.string()),
            ("api_key_id", pa.string()),
            ("user_id", pa.string()),
            ("batch", pa.bool_()),
            ("service_tier", pa.string()),
            ("input_tokens", pa.int64()),
            ("cached_tokens", pa.int64()),
            ("output_tokens", pa.int64()),
            ("requests", pa.int64()),
            ("quantity", pa.int64()),
            ("quantity_unit", pa.string()),
            ("raw", pa.string()),
            ("synced_at", pa.timestamp("us")),
        ]
    )


def _costs_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("bucket_start", pa.timestamp("us")),
            ("bucket_end", pa.timestamp("us")),
            ("project_id", pa.string()),
            ("api_key_id", pa.string()),
            ("line_item", pa.string()),
            ("amount_usd", pa.decimal128(38, 12)),
            ("currency", pa.string()),
            ("quantity", pa.float64()),
            ("quantity_unit", pa.string()),
            ("synced_at", pa.timestamp("us")),
        ]
    )


# --- outcome ---------------------------------------------------------------------------------


def _short(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    status = getattr(exc, "status_code", None)
    return f"HTTP {status}" if status else type(exc).__name__


def _reason(exc: BaseException) -> str:
    """One line that says what went wrong and what to do; never the key, never the raw body."""
    import openai

    if isinstance(exc, SpendwatchError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return f"OpenAI refused the key ({exc.status_code}): {ADMIN_KEY_HINT}"
    if isinstance(exc, openai.RateLimitError):
        if getattr(exc, "code", None) == "insufficient_quota":
            return (
                "OpenAI answered 429 insufficient_quota: check the organization's plan and billing"
            )
        return "OpenAI kept answering 429 (rate limited) after every retry; the next run resumes from the cursor"
    if isinstance(exc, openai.APIStatusError):
        path = exc.request.url.path if getattr(exc, "request", None) is not None else "the API"
        return f"OpenAI answered {exc.status_code} for {path}; the next run resumes from the cursor"
    if isinstance(exc, openai.APIConnectionError):
        url = exc.request.url if getattr(exc, "request", None) is not None else "OpenAI"
        kind = "timed out" if isinstance(exc, openai.APITimeoutError) else "connection failed"
        host = getattr(url, "host", url)
        return f"cannot reach OpenAI ({host}): {kind}; the next run resumes from the cursor"
    if isinstance(exc, json.JSONDecodeError):
        return f"OpenAI sent a page that is not JSON ({exc.msg}); nothing of that page was stored"
    if isinstance(exc, duckdb.Error):
        return f"storing a page failed: {str(exc).splitlines()[0]}"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"sync failed: {type(exc).__name__}{': ' + text if text else ''}"


def _record(
    con: duckdb.DuckDBPyConnection,
    *,
    status: str,
    detail: str,
    run_at: datetime,
    result: SyncResult | None,
    cursor: datetime | None = None,
) -> None:
    finished = _utcnow()
    try:
        with store.transaction(con):
            con.execute(
                store.query("sync_state_save"),
                {
                    "source": SOURCE,
                    "cursor": cursor,
                    "run_at": run_at,
                    "status": status,
                    "detail": detail[:1000],
                },
            )
            columns = {c for (c,) in con.execute(store.query("sync_state_columns")).fetchall()}
            if status == "ok" and "last_ok_at" in columns:
                con.execute(store.query("sync_state_mark_ok"), {"source": SOURCE, "run_at": run_at})
            if result is not None:
                end = "now" if result.end is None else f"{result.end:%Y-%m-%d}"
                unit = f"openai:{result.bucket_width}:{result.start:%Y-%m-%d}..{end}"
                con.execute(
                    store.query("sync_log_insert"),
                    {
                        "unit_key": unit,
                        "source": SOURCE,
                        "read": result.total_rows,
                        "stored": result.total_rows,
                        "started_at": run_at,
                        "finished_at": finished,
                        "status": status,
                        "detail": detail[:1000],
                    },
                )
    except duckdb.Error:
        log.exception("could not record the sync outcome")


# --- the scheduler ---------------------------------------------------------------------------


@job_factory
def openai_sync_job(
    settings: Any, con: duckdb.DuckDBPyConnection
) -> tuple[str, Callable[[], Any], float] | None:
    """`spendwatch serve` syncs hourly when OPENAI_ADMIN_KEY is set (its own cursor on the shared database)."""
    secret = settings.openai_admin_key
    if secret is None or not secret.get_secret_value().strip():
        return None

    def run(now: datetime) -> None:
        cur = con.cursor()
        try:
            sync_openai(cur, secret.get_secret_value(), now=now)
        finally:
            cur.close()

    return ("openai_sync", run, 3600)
