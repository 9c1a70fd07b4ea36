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
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from spendwatch.collectors.spool import SpoolWriter
from spendwatch.config import get_settings

log = logging.getLogger("spendwatch.instrument")
_tags: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar(
    "spendwatch_tags", default=None
)
_writers: dict[Path, SpoolWriter] = {}
# Per call: [HTTP attempts the SDK made (its retries), the last response's headers].
_call: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "spendwatch_call", default=None
)
RATE_HEADERS = {
    "ratelimit_limit_requests": "x-ratelimit-limit-requests",
    "ratelimit_limit_tokens": "x-ratelimit-limit-tokens",
    "ratelimit_remaining_requests": "x-ratelimit-remaining-requests",
    "ratelimit_remaining_tokens": "x-ratelimit-remaining-tokens",
}


def _note_response(response: Any) -> None:
    """httpx response hook: one more HTTP attempt (the SDK's retries); keep the headers (read later)."""
    state = _call.get()
    if state is not None:
        state[0] += 1
        state[1] = response.headers


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

ENDPOINTS = (
    ("chat", "completions", "chat.completions"),
    ("responses", None, "responses"),
    ("embeddings", None, "embeddings"),
)


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
    """Write out queued records now and finish the open segments (they are also flushed at exit)."""
    for w in list(_writers.values()):
        w.flush()


def _writer(spool_dir: Path | None, *, sync: bool = False) -> SpoolWriter:
    d = Path(spool_dir) if spool_dir else get_settings().spool_dir()
    if d not in _writers:
        _writers[d] = SpoolWriter(d, sync=sync, host_id=get_settings().host_id)
    _writers[d].sync = _writers[d].sync or sync
    return _writers[d]


def instrument(
    client: Any,
    *,
    feature: str | None = None,
    project: str | None = None,
    user: str | None = None,
    tags: dict[str, Any] | None = None,
    spool_dir: Path | str | None = None,
    sync: bool = False,
    capture: float | None = None,
    redact: Any = None,
) -> Any:
    """Instrument this client instance (not the openai module) and return it.

    ``sync=True`` fsyncs every record (nothing lost if the process is killed, at a cost per call).
    ``capture=0.02`` keeps the redacted request and answer of 2 % of chat completions as samples
    for `spendwatch replay` (off unless asked for here or in ``[capture]``); ``redact=`` adds a
    team's own ``str -> str`` redaction after the built-in one (keys, tokens, e-mail addresses).
    """
    defaults = _canonical(
        {**(tags or {}), "feature": feature, "project_id": project, "user_id": user}
    )
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
        wrapper = (_async_wrapper if is_async else _sync_wrapper)(
            original, endpoint, defaults, writer
        )
        if endpoint == "chat.completions":
            wrapper = _with_capture(wrapper, defaults, spool_dir, capture, redact, is_async)
        wrapper._spendwatch = True
        resource.create = wrapper
        # with_raw_response captures `create` when first built: rebuild it around the wrapper
        resource.__dict__.pop("with_raw_response", None)
    _instrument_media(client, defaults, writer, is_async)
    return client


# Issue 15 (pricing): audio and image calls, whose usage has its own rates. (resource, sub, method, endpoint)
MEDIA_ENDPOINTS = (
    ("audio", "transcriptions", "create", "audio.transcriptions"),
    ("audio", "speech", "create", "audio.speech"),
    ("images", None, "generate", "images.generate"),
    ("images", None, "edit", "images.edit"),
)


def _instrument_media(client: Any, defaults: dict, writer: SpoolWriter, is_async: bool) -> None:
    """Wrap the audio/images methods like ``create``; set the data-residency tag from the API host."""
    residency = residency_of(getattr(client, "base_url", None))
    if residency:
        defaults["data_residency"] = residency
    for attr, sub, method, endpoint in MEDIA_ENDPOINTS:
        resource = getattr(client, attr, None)
        if resource is not None and sub:
            resource = getattr(resource, sub, None)
        original = getattr(resource, method, None) if resource is not None else None
        if original is None or getattr(original, "_spendwatch", False):
            continue
        wrapper = (_async_wrapper if is_async else _sync_wrapper)(original, endpoint, defaults, writer)
        wrapper._spendwatch = True
        setattr(resource, method, wrapper)
        resource.__dict__.pop("with_raw_response", None)


def residency_of(base_url: Any) -> str | None:
    """'eu' for https://eu.api.openai.com/v1 (OpenAI's data-residency hosts bill an uplift), else None."""
    host = getattr(base_url, "host", None) or str(base_url or "").split("://")[-1].split("/")[0]
    prefix = str(host).split(".", 1)[0].lower()
    return prefix if prefix in ("eu", "us") and str(host).lower().endswith("api.openai.com") else None


def tool_call_counts(response: Any) -> dict[str, int] | None:
    """Hosted tool calls in a Responses output: web/file search calls, code-interpreter sessions
    (distinct containers). None when there are none (usage carries no call counts). ``response`` is the
    SDK's object or a Responses body as JSON (a Batch output line's ``response.body``)."""
    counts: dict[str, int] = {}
    containers: set[str] = set()
    output = response.get("output") if isinstance(response, dict) else getattr(response, "output", None)
    for item in output if isinstance(output, list) else []:
        kind = getattr(item, "type", None) or (item.get("type") if isinstance(item, dict) else None)
        if kind == "web_search_call":
            counts["web_search"] = counts.get("web_search", 0) + 1
        elif kind == "file_search_call":
            counts["file_search"] = counts.get("file_search", 0) + 1
        elif kind == "code_interpreter_call":
            cid = getattr(item, "container_id", None) or (item.get("container_id") if isinstance(item, dict) else None)
            containers.add(cid or f"call-{len(containers)}")
    if containers:
        counts["code_interpreter"] = len(containers)
    return counts or None


def _iso(wall: float) -> str:
    """``2026-11-25T09:12:27.512Z`` (what ``datetime.isoformat(timespec="milliseconds")`` gives), cached per second."""
    us = round(wall * 1_000_000)
    sec, us = divmod(us, 1_000_000)
    if _iso_cache[0] != sec:
        _iso_cache[:] = [sec, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))]
    return f"{_iso_cache[1]}.{us // 1000:03d}Z"


_iso_cache: list[Any] = [None, ""]


def _ratelimit(headers: Any) -> dict[str, int]:
    """The x-ratelimit-* headers of the call's last HTTP response, as numbers."""
    out: dict[str, int] = {}
    raw = getattr(headers, "raw", None)  # httpx: [(name, value)] as bytes, one pass
    if isinstance(raw, list):
        for k, v in raw:
            name = _RATE_RAW.get(k.lower())
            if name is not None and v.isdigit():
                out[name] = int(v)
        return out
    for h, name in _RATE_NAMES.items():
        v = headers.get(h)
        if v and v.isdigit():
            out[name] = int(v)
    return out


_RATE_NAMES = {h: k.removeprefix("ratelimit_") for k, h in RATE_HEADERS.items()}
_RATE_RAW = {h.encode(): name for h, name in _RATE_NAMES.items()}


def _build(
    endpoint: str,
    defaults: dict,
    tags: dict | None,
    call: list,
    started: float,
    ended: float,
    wall: float,
    response: Any = None,
    *,
    usage: Any = None,
    error: tuple | None = None,
    ttft: float | None = None,
    status: str | None = None,
    model: str | None = None,
    request_id: str | None = None,
    service_tier: str | None = None,
) -> dict:
    """The record, built on the writer thread from what the caller captured (references and clocks)."""
    ctx = {**defaults, **tags} if tags else dict(defaults)
    rec: dict[str, Any] = {
        "ts": _iso(wall),
        "endpoint": endpoint,
        "latency_ms": round((ended - started) * 1000, 3),
        "status": status or ("ok" if error is None else "error"),
    }
    for k in ("feature", "project_id", "user_id", "api_key_id", "data_residency"):
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
        rec["usage"] = usage  # pydantic model: the spool encoder writes it without None fields
    if response is not None and endpoint == "responses":
        calls = tool_call_counts(response)
        if calls:
            rec["tool_calls"] = calls
    if ttft is not None:
        rec["ttft_ms"] = round(ttft * 1000, 3)
    attempts, headers = call
    if attempts > 1:
        rec["retries"] = attempts - 1
    if headers is not None:
        ratelimit = _ratelimit(headers)
        if ratelimit:
            rec["ratelimit"] = ratelimit
    if error is not None:
        rec["error_type"], rec["http_status"], err_request_id = error
        rec["request_id"] = rec.get("request_id") or err_request_id
    return {k: v for k, v in rec.items() if v is not None}


def _error(e: BaseException) -> tuple:
    """What a failure tells (class, HTTP status, request id), without keeping the exception alive."""
    return type(e).__name__, getattr(e, "status_code", None), getattr(e, "request_id", None)


def _warn_once() -> None:
    global _warned
    if not _warned:
        _warned = True
        log.exception("spendwatch could not record a request (further failures are silent)")


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


# The hot path (one call): two clock reads, a context-variable set and reset, and an append of a
# builder to the writer's queue. Reading the response, usage, headers and tags into a record, and
# encoding it, happen on the writer thread, in batches (see spool.SpoolWriter).


def _sync_wrapper(original, endpoint: str, defaults: dict, writer: SpoolWriter):
    put, perf, call_var = writer.put, time.perf_counter, _call

    @functools.wraps(original)
    def create(*args: Any, **kwargs: Any) -> Any:
        started = perf()
        stream = kwargs.get("stream")
        hide = _prepare_stream(endpoint, kwargs) if stream else False
        call = [0, None]  # filled by the httpx hook: attempts, last headers
        token = call_var.set(call)
        try:
            result = original(*args, **kwargs)
        except BaseException as e:
            _put_error(put, endpoint, defaults, call, started, e, kwargs.get("model"))
            raise
        finally:
            call_var.reset(token)
        return _recorded(result, _SyncStream, endpoint, defaults, put, started, hide, kwargs, call)

    return create


def _async_wrapper(original, endpoint: str, defaults: dict, writer: SpoolWriter):
    put, perf, call_var = writer.put, time.perf_counter, _call

    @functools.wraps(original)
    async def create(*args: Any, **kwargs: Any) -> Any:
        started = perf()
        stream = kwargs.get("stream")
        hide = _prepare_stream(endpoint, kwargs) if stream else False
        call = [0, None]
        token = call_var.set(call)
        try:
            result = await original(*args, **kwargs)
        except BaseException as e:
            _put_error(put, endpoint, defaults, call, started, e, kwargs.get("model"))
            raise
        finally:
            call_var.reset(token)
        return _recorded(result, _AsyncStream, endpoint, defaults, put, started, hide, kwargs, call)

    return create


def _recorded(result, stream_cls, endpoint: str, defaults: dict, put, started: float, hide: bool,
              kwargs: dict, call: list) -> Any:
    """After a successful call (sync or async): wrap a stream, or queue the record's builder. The
    caller's result is returned whatever happens here."""
    try:
        if kwargs.get("stream"):
            return stream_cls(result, endpoint, defaults, put, started, hide, kwargs.get("model"), call)
        response = result if isinstance(result, BaseModel) else _parsed(result)
        put(partial(_build, endpoint, defaults, _tags.get(), call, started, time.perf_counter(), time.time(),
                    response, model=kwargs.get("model")))
    except Exception:
        _warn_once()
    return result


def _put_error(
    put,
    endpoint: str,
    defaults: dict,
    call: list,
    started: float,
    e: BaseException,
    model: str | None,
) -> None:
    try:
        ended, wall = time.perf_counter(), time.time()
        put(
            partial(
                _build,
                endpoint,
                defaults,
                _tags.get(),
                call,
                started,
                ended,
                wall,
                error=_error(e),
                model=model,
            )
        )
    except Exception:
        _warn_once()


def _parsed(result: Any) -> Any:
    """The response object, also when the caller asked for the raw response (with_raw_response)."""
    if hasattr(result, "http_response") and hasattr(result, "parse"):
        return result.parse()
    return result


class _StreamState:
    def __init__(self, endpoint, defaults, put, started, hide, model, call):
        self.endpoint, self.defaults, self.put, self.started = endpoint, defaults, put, started
        self.hide, self.model, self.call = hide, model, call
        self.tags = _tags.get()  # the tags in force where the stream was opened
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
        try:
            ended, wall = time.perf_counter(), time.time()
            self.put(
                partial(
                    _build,
                    self.endpoint,
                    self.defaults,
                    self.tags,
                    self.call,
                    self.started,
                    ended,
                    wall,
                    usage=self.usage,
                    error=None if error is None else _error(error),
                    ttft=self.first,
                    status=status,
                    model=self.model,
                    request_id=self.request_id,
                    service_tier=self.service_tier,
                )
            )
        except Exception:
            _warn_once()


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


# --- opt-in capture of samples (issue 18); the request record path above is untouched ---


def _with_capture(wrapper, defaults: dict, spool_dir: Any, rate: float | None, redactor: Any,
                  is_async: bool):
    """Wrap ``create`` so that a random share of non-streamed calls is kept as a redacted sample
    (``spendwatch.samples``); returns ``wrapper`` itself when capture is off."""
    settings = get_settings()
    try:
        toml = settings.load_toml()
    except ValueError as e:  # a broken config must not break the app: capture only what was asked here
        log.warning("spendwatch capture: %s; [capture] ignored", e)
        toml = {}
    if rate is None and "capture" not in toml:
        return wrapper  # off: nothing more is imported or done
    from spendwatch import samples

    cfg = samples.capture_config(toml, rate=rate, redactor=redactor)
    if not cfg.enabled:
        return wrapper
    directory = samples.spool_dir(Path(spool_dir) if spool_dir else settings.spool_dir())
    state = (cfg, directory, defaults)
    if is_async:

        @functools.wraps(wrapper)
        async def acreate(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            result = await wrapper(*args, **kwargs)
            _capture(state, kwargs, result, started)
            return result

        return acreate

    @functools.wraps(wrapper)
    def create(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = wrapper(*args, **kwargs)
        _capture(state, kwargs, result, started)
        return result

    return create


def _capture(state: tuple, kwargs: dict, result: Any, started: float) -> None:
    """Draw; when drawn, build the redacted sample and hand it to the spool (never raises)."""
    cfg, directory, defaults = state
    if kwargs.get("stream"):
        return
    try:
        import random

        from spendwatch import samples

        feature = {**defaults, **(_tags.get() or {})}.get("feature")
        if random.random() >= cfg.rate_for(feature):  # noqa: S311 - sampling, not security
            return
        response = result if isinstance(result, BaseModel) else _parsed(result)
        latency = round((time.perf_counter() - started) * 1000, 3)
        rec = samples.sample_record(kwargs, response, feature=feature, latency_ms=latency,
                                    ts=_iso(time.time()), cfg=cfg)
        if rec is not None:
            samples.write_spooled(directory, rec)
    except Exception:
        _warn_once()
