"""One line in a team's app: ``client = spendwatch.instrument(OpenAI())``.

Every ``chat.completions.create``, ``responses.create`` and ``embeddings.create`` call (sync and
async, streaming or not) becomes one request-log record in the spool. The call's own result and
exceptions pass through unchanged; a failure inside recording is logged once and swallowed.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spendwatch.collectors.spool import SpoolWriter
from spendwatch.config import get_settings

log = logging.getLogger("spendwatch.instrument")
_tags: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("spendwatch_tags", default=None)
_writers: dict[Path, SpoolWriter] = {}
# Per call: how many HTTP attempts the SDK made (its retries) and the last response's headers.
_call: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("spendwatch_call", default=None)
RATE_HEADERS = {
    "ratelimit_limit_requests": "x-ratelimit-limit-requests",
    "ratelimit_limit_tokens": "x-ratelimit-limit-tokens",
    "ratelimit_remaining_requests": "x-ratelimit-remaining-requests",
    "ratelimit_remaining_tokens": "x-ratelimit-remaining-tokens",
}


def _note_response(response: Any) -> None:
    state = _call.get()
    if state is not None:
        state["attempts"] += 1
        state["headers"] = {k: response.headers.get(h) for k, h in RATE_HEADERS.items() if response.headers.get(h)}


async def _note_response_async(response: Any) -> None:
    _note_response(response)


def _hook_http_client(client: Any, is_async: bool) -> None:
    hooks = getattr(getattr(client, "_client", None), "event_hooks", None)
    if isinstance(hooks, dict) and "response" in hooks:
        hook = _note_response_async if is_async else _note_response
        if hook not in hooks["response"]:
            hooks["response"] = [*hooks["response"], hook]
            client._client.event_hooks = hooks
_warned = False

ENDPOINTS = (("chat", "completions", "chat.completions"), ("responses", None, "responses"),
             ("embeddings", None, "embeddings"))


_ALIASES = {"project": "project_id", "user": "user_id", "api_key": "api_key_id"}


def _canonical(tags: dict[str, Any]) -> dict[str, Any]:
    return {_ALIASES.get(k, k): v for k, v in tags.items() if v is not None}


@contextmanager
def tag(**tags: Any) -> Iterator[None]:
    """``with spendwatch.tag(feature="search", user="u_42"):`` — inner tags win; safe across threads and tasks."""
    token = _tags.set({**(_tags.get() or {}), **_canonical(tags)})
    try:
        yield
    finally:
        _tags.reset(token)


def tagged(**tags: Any):
    """Decorator form of :func:`tag`."""

    def wrap(func):
        @functools.wraps(func)
        def inner(*a, **kw):
            with tag(**tags):
                return func(*a, **kw)

        return inner

    return wrap


def flush() -> None:
    """Write out queued records now (they are also flushed at exit)."""
    for w in list(_writers.values()):
        w.close()
    _writers.clear()


def _writer(spool_dir: Path | None, *, sync: bool = False) -> SpoolWriter:
    d = Path(spool_dir) if spool_dir else get_settings().spool_dir()
    if d not in _writers:
        _writers[d] = SpoolWriter(d, sync=sync)
    _writers[d].sync = _writers[d].sync or sync
    return _writers[d]


def instrument(client: Any, *, feature: str | None = None, project: str | None = None, user: str | None = None,
               tags: dict[str, Any] | None = None, spool_dir: Path | str | None = None, sync: bool = False) -> Any:
    """Instrument this client instance (not the openai module) and return it.

    ``sync=True`` fsyncs every record (nothing lost if the process is killed, at a cost per call).
    """
    defaults = _canonical({**(tags or {}), "feature": feature, "project_id": project, "user_id": user})
    writer = _writer(Path(spool_dir) if spool_dir else None, sync=sync)
    is_async = type(client).__name__.startswith("Async")
    _hook_http_client(client, is_async)
    for attr, sub, endpoint in ENDPOINTS:
        resource = getattr(client, attr)
        if sub:
            resource = getattr(resource, sub)
        original = resource.create
        if getattr(original, "_spendwatch", False):
            continue
        wrapper = (_async_wrapper if is_async else _sync_wrapper)(original, endpoint, defaults, writer)
        wrapper._spendwatch = True
        resource.create = wrapper
        # with_raw_response captures `create` when first built: rebuild it around the wrapper
        resource.__dict__.pop("with_raw_response", None)
    return client


def _record(endpoint: str, defaults: dict, *, started: float, response: Any = None, usage: Any = None,
            error: BaseException | None = None, ttft: float | None = None, status: str | None = None,
            model: str | None = None, request_id: str | None = None, service_tier: str | None = None):
    """Capture what must be read now (time, tags) and return a builder the writer thread runs."""
    ended, now, tags, call = time.perf_counter(), datetime.now(UTC), _tags.get() or {}, dict(_call.get() or {})
    return functools.partial(_build, endpoint, defaults, tags, call, started, ended, now, response, usage, error,
                             ttft, status, model, request_id, service_tier)


def _build(endpoint, defaults, tags, call, started, ended, now, response, usage, error, ttft, status, model,
           request_id, service_tier) -> dict:
    ctx = {**defaults, **tags}
    rec: dict[str, Any] = {
        "ts": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "endpoint": endpoint,
        "latency_ms": round((ended - started) * 1000, 3),
        "status": status or ("ok" if error is None else "error"),
    }
    for k in ("feature", "project_id", "user_id", "api_key_id"):
        if k in ctx:
            rec[k] = ctx.pop(k)
    if ctx:
        rec["tags"] = ctx
    if response is not None:
        rec["request_id"] = getattr(response, "id", None) or request_id
        rec["model"] = getattr(response, "model", None) or model
        rec["service_tier"] = getattr(response, "service_tier", None) or service_tier
        usage = usage if usage is not None else getattr(response, "usage", None)
    else:
        rec["request_id"], rec["model"], rec["service_tier"] = request_id, model, service_tier
    if usage is not None:
        rec["usage"] = usage.model_dump(exclude_none=True) if hasattr(usage, "model_dump") else usage
    if ttft is not None:
        rec["ttft_ms"] = round(ttft * 1000, 3)
    if call.get("attempts", 0) > 1:
        rec["retries"] = call["attempts"] - 1
    if call.get("headers"):
        rec["ratelimit"] = {k.removeprefix("ratelimit_"): int(v) for k, v in call["headers"].items() if v.isdigit()}
    if error is not None:
        rec["error_type"] = type(error).__name__
        rec["http_status"] = getattr(error, "status_code", None)
        rec["request_id"] = rec.get("request_id") or getattr(error, "request_id", None)
    return {k: v for k, v in rec.items() if v is not None}


def _parsed(result: Any) -> Any:
    """The response object, also when the caller asked for the raw response (with_raw_response)."""
    if hasattr(result, "http_response") and hasattr(result, "parse"):
        return result.parse()
    return result


def _safe_put(writer: SpoolWriter, build) -> None:
    """Hand the record builder to the writer thread: the caller pays only for a queue put."""
    global _warned
    try:
        writer.put(build)
    except Exception:  # never break the app; say it once
        if not _warned:
            log.exception("spendwatch could not record a request (further failures are silent)")
            _warned = True


def _prepare_stream(endpoint: str, kwargs: dict) -> bool:
    """Ask for the usage chunk if the caller did not; True when we must hide it from them."""
    if endpoint != "chat.completions" or not kwargs.get("stream"):
        return False
    opts = dict(kwargs.get("stream_options") or {})
    if opts.get("include_usage"):
        return False
    opts["include_usage"] = True
    kwargs["stream_options"] = opts
    return True


def _sync_wrapper(original, endpoint: str, defaults: dict, writer: SpoolWriter):
    @functools.wraps(original)
    def create(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        hide = _prepare_stream(endpoint, kwargs)
        _call.set({"attempts": 0, "headers": None})
        try:
            result = original(*args, **kwargs)
        except BaseException as e:
            _safe_put(writer, _record(endpoint, defaults, started=started, error=e, model=kwargs.get("model")))
            raise
        if kwargs.get("stream"):
            return _SyncStream(result, endpoint, defaults, writer, started, hide, kwargs.get("model"))
        _safe_put(writer, _record(endpoint, defaults, started=started, response=_parsed(result)))
        return result

    return create


def _async_wrapper(original, endpoint: str, defaults: dict, writer: SpoolWriter):
    @functools.wraps(original)
    async def create(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        hide = _prepare_stream(endpoint, kwargs)
        _call.set({"attempts": 0, "headers": None})
        try:
            result = await original(*args, **kwargs)
        except BaseException as e:
            _safe_put(writer, _record(endpoint, defaults, started=started, error=e, model=kwargs.get("model")))
            raise
        if kwargs.get("stream"):
            return _AsyncStream(result, endpoint, defaults, writer, started, hide, kwargs.get("model"))
        _safe_put(writer, _record(endpoint, defaults, started=started, response=_parsed(result)))
        return result

    return create


class _StreamState:
    def __init__(self, endpoint, defaults, writer, started, hide, model):
        self.endpoint, self.defaults, self.writer, self.started = endpoint, defaults, writer, started
        self.hide, self.model = hide, model
        self.first: float | None = None
        self.usage = self.request_id = self.service_tier = None
        self.done = False

    def see(self, chunk: Any) -> bool:
        """Note what the chunk tells; True if the caller should see it."""
        if self.first is None:
            self.first = time.perf_counter() - self.started
        resp = getattr(chunk, "response", None)  # Responses API events carry the response
        src = resp if resp is not None else chunk
        self.request_id = getattr(src, "id", None) or self.request_id
        self.model = getattr(src, "model", None) or self.model
        self.service_tier = getattr(src, "service_tier", None) or self.service_tier
        usage = getattr(src, "usage", None)
        if usage is not None:
            self.usage = usage
            if self.hide and not getattr(chunk, "choices", None):
                return False
        return True

    def finish(self, status: str, error: BaseException | None = None) -> None:
        if self.done:
            return
        self.done = True
        _safe_put(self.writer, _record(
            self.endpoint, self.defaults, started=self.started, usage=self.usage, ttft=self.first, status=status,
            error=error, model=self.model, request_id=self.request_id, service_tier=self.service_tier))


class _SyncStream:
    """Iterates like the SDK's Stream; records once, at the end or when closed early."""

    def __init__(self, stream, *state):
        self._stream = stream
        self._s = _StreamState(*state)

    def __iter__(self):
        try:
            for chunk in self._stream:
                if self._s.see(chunk):
                    yield chunk
        except BaseException as e:
            self._s.finish("interrupted", e)
            raise
        self._s.finish("ok" if self._s.usage is not None else "interrupted")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._s.finish("ok" if self._s.usage is not None else "interrupted")
        self._stream.close()

    def __getattr__(self, name):
        return getattr(self._stream, name)


class _AsyncStream:
    def __init__(self, stream, *state):
        self._stream = stream
        self._s = _StreamState(*state)

    async def __aiter__(self):
        try:
            async for chunk in self._stream:
                if self._s.see(chunk):
                    yield chunk
        except BaseException as e:
            self._s.finish("interrupted", e)
            raise
        self._s.finish("ok" if self._s.usage is not None else "interrupted")

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    async def close(self) -> None:
        self._s.finish("ok" if self._s.usage is not None else "interrupted")
        await self._stream.close()

    def __getattr__(self, name):
        return getattr(self._stream, name)
