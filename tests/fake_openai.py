"""A local HTTP server that answers like OpenAI (recorded payloads from tests/fixtures), on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIX = Path(__file__).resolve().parent / "fixtures"
RATE_HEADERS = {
    "x-ratelimit-limit-requests": "500",
    "x-ratelimit-remaining-requests": "499",
    "x-ratelimit-limit-tokens": "30000",
    "x-ratelimit-remaining-tokens": "29000",
}


def sse_events(include_usage: bool) -> bytes:
    """The recorded 2025 chat stream; without include_usage the usage chunk is not sent (as the spec says)."""
    blocks = [b for b in (FIX / "chat_stream.sse").read_text().split("\n\n") if b.strip()]
    out = []
    for b in blocks:
        payload = b[len("data: ") :]
        if payload != "[DONE]" and json.loads(payload)["usage"] is not None and not include_usage:
            continue
        out.append(b + "\n\n")
    return "".join(out).encode()


def page_token(offset: int) -> str:
    """A cursor in the shape OpenAI sends (`page_` + base64), encoding an offset."""
    return "page_" + base64.b64encode(f"spendwatch-test:{offset:08d}".encode()).decode()


def _token_offset(token: str) -> int | None:
    try:
        return int(base64.b64decode(token.removeprefix("page_")).decode().rsplit(":", 1)[1])
    except Exception:
        return None


class Handler(BaseHTTPRequestHandler):
    calls: list[dict] = []
    fail_next: dict[str, int] = {}
    counter = 0
    lock = threading.Lock()
    # Organization Usage/Costs API (GET /v1/organization/...), keyed by the path after /organization/:
    admin_pages: dict[
        str, list[dict]
    ] = {}  # recorded pages served in order, chained by their next_page
    admin_buckets: dict[
        str, list[dict]
    ] = {}  # buckets filtered by start_time/end_time, `admin_per_page` a page
    admin_per_page = 1
    admin_failures: list[dict] = []  # {"path", "page" (token or None: any), "status", "times", ...}
    admin_key: str | None = None  # when set, any other bearer token gets a 401
    # Deterministic per-model answers, judge, embeddings, files and batches (see `deterministic()`).
    deterministic = False
    model_calls: dict[str, int] = {}
    model_delay: dict[str, float] = {}
    fail_at: list[dict] = []
    files: dict[str, bytes] = {}
    batches: dict[str, dict] = {}
    batch_polls = 1

    def log_message(self, *a):  # quiet
        pass

    def _send(
        self, code: int, body: bytes, ctype: str = "application/json", extra: dict | None = None
    ) -> None:
        self.send_response(code)
        self.send_header("content-type", ctype)
        self.send_header("x-request-id", "req_test")
        for k, v in {**RATE_HEADERS, **(extra or {})}.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        raw = self.rfile.read(int(self.headers["content-length"]))
        if Handler.deterministic and _deterministic_post(self, raw):
            return
        if (self.headers.get("content-type") or "").startswith("multipart/"):
            return self._media_post(_multipart_fields(raw))
        body = json.loads(raw or b"{}")
        if self.path.endswith(("/audio/speech", "/images/generations")):
            return self._media_post(body)
        if len(Handler.calls) < 1000:
            Handler.calls.append({"path": self.path, "body": body, "headers": dict(self.headers)})
        model = body.get("model", "")
        if model == "slow":  # for client timeouts
            time.sleep(1.5)
        if model == "always-500":
            return self._send(500, (FIX / "error_500.json").read_bytes())
        if model == "429-once" and Handler.fail_next.get("429", 0) > 0:
            Handler.fail_next["429"] -= 1
            return self._send(
                429, (FIX / "error_429.json").read_bytes(), extra={"retry-after": "0"}
            )
        if self.path.endswith("/chat/completions"):
            if body.get("stream"):
                inc = bool((body.get("stream_options") or {}).get("include_usage"))
                return self._send(200, sse_events(inc), "text/event-stream")
            payload = json.loads((FIX / "chat_completion_cached.json").read_text())
            if model == "unique-ids":  # a fresh response id per call, for volume tests
                with Handler.lock:
                    Handler.counter += 1
                    payload["id"] = f"chatcmpl-unique-{Handler.counter:08d}"
                payload["model"] = "gpt-4o-mini-2024-07-18"
            if model.startswith("echo:"):  # answers as the model after "echo:" (same usage, own id)
                payload["model"] = model.removeprefix("echo:")
                payload["id"] += "-" + payload["model"]
            return self._send(200, json.dumps(payload).encode())
        if self.path.endswith("/responses"):
            payload = json.loads((FIX / "responses_reasoning_cached.json").read_text())
            if model == "hosted-tools":  # issue 15: Responses output items of hosted tools
                payload["output"] = [
                    {"type": "web_search_call", "id": "ws_1", "status": "completed"},
                    {"type": "web_search_call", "id": "ws_2", "status": "completed"},
                    {"type": "file_search_call", "id": "fs_1", "status": "completed", "queries": ["q"]},
                    {"type": "code_interpreter_call", "id": "ci_1", "status": "completed", "code": "1",
                     "container_id": "cntr_a", "outputs": None},
                    {"type": "code_interpreter_call", "id": "ci_2", "status": "completed", "code": "2",
                     "container_id": "cntr_a", "outputs": None},
                    *payload["output"],
                ]
            return self._send(200, json.dumps(payload).encode())
        if self.path.endswith("/embeddings"):
            return self._send(200, (FIX / "embeddings.json").read_bytes())
        self._send(
            404,
            b'{"error": {"message": "not found", "type": "invalid_request_error", "param": null, "code": null}}',
        )

    def do_GET(self) -> None:  # noqa: N802
        if Handler.deterministic and _deterministic_get(self):
            return
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        # The SDK sends arrays as group_by[]=a&group_by[]=b; `requests` users send group_by=a&group_by=b.
        query = {k.removesuffix("[]"): v for k, v in query.items()}
        with Handler.lock:
            if len(Handler.calls) < 1000:
                Handler.calls.append(
                    {
                        "method": "GET",
                        "path": url.path,
                        "url": self.path,
                        "query": query,
                        "body": None,
                        "headers": dict(self.headers),
                    }
                )
        if "/organization/" not in url.path:
            return self._send(
                404,
                b'{"error": {"message": "not found", "type": "invalid_request_error", '
                b'"param": null, "code": null}}',
            )
        name = url.path.split("/organization/", 1)[1]
        auth = self.headers.get("authorization", "")
        if Handler.admin_key is not None and auth != f"Bearer {Handler.admin_key}":
            body = {
                "error": {
                    "message": "Incorrect API key provided: sk-proj-****abcd. You can find your API key "
                    "at https://platform.openai.com/account/api-keys.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            }
            return self._send(401, json.dumps(body).encode())
        token = (query.get("page") or [None])[0]
        with Handler.lock:
            for f in Handler.admin_failures:
                if f["path"] == name and f.get("page", token) == token and f["times"] > 0:
                    f["times"] -= 1
                    body = (FIX / f.get("body", "error_500.json")).read_bytes()
                    return self._send(f["status"], body, extra=f.get("headers"))
        if name in Handler.admin_pages:
            pages = Handler.admin_pages[name]
            if token is None:
                return self._send(200, json.dumps(pages[0]).encode())
            for prev, page in zip(pages, pages[1:], strict=False):
                if prev.get("next_page") == token:
                    return self._send(200, json.dumps(page).encode())
            return self._send(
                400,
                b'{"error": {"message": "invalid page", "type": "invalid_request_error", '
                b'"param": "page", "code": null}}',
            )
        start = int(query["start_time"][0])
        end = int(query["end_time"][0]) if "end_time" in query else None
        buckets = [
            b
            for b in Handler.admin_buckets.get(name, [])
            if b["start_time"] >= start and (end is None or b["start_time"] < end)
        ]
        offset = _token_offset(token) if token is not None else 0
        chunk = buckets[offset : offset + Handler.admin_per_page]
        more = offset + Handler.admin_per_page < len(buckets)
        page = {
            "object": "page",
            "data": chunk,
            "has_more": more,
            "next_page": page_token(offset + Handler.admin_per_page) if more else None,
        }
        return self._send(200, json.dumps(page).encode())


class KeepAliveHandler(Handler):
    """HTTP/1.1: the client keeps its connection (as with api.openai.com), no TCP connect per call."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall


class FakeOpenAI:
    def __init__(self, *, keep_alive: bool = False) -> None:
        self.keep_alive = keep_alive

    def __enter__(self) -> FakeOpenAI:
        Handler.calls = []
        Handler.fail_next = {}
        Handler.admin_pages = {}
        Handler.admin_buckets = {}
        Handler.admin_per_page = 1
        Handler.admin_failures = []
        Handler.admin_key = None
        Handler.deterministic = False
        Handler.model_calls = {}
        Handler.model_delay = {}
        Handler.fail_at = []
        Handler.files = {}
        Handler.batches = {}
        Handler.batch_polls = 1
        handler = KeepAliveHandler if self.keep_alive else Handler
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def calls(self) -> list[dict]:
        return Handler.calls

    def fail(self, kind: str, times: int) -> None:
        Handler.fail_next[kind] = times

    # --- organization Usage / Costs API ---

    def serve_pages(self, path: str, pages: list[dict]) -> None:
        """Serve recorded pages of e.g. "usage/completions" or "costs" in order, chained by next_page."""
        Handler.admin_pages[path] = pages

    def serve_buckets(self, path: str, buckets: list[dict], per_page: int = 1) -> None:
        """Serve these buckets for any window (filtered by start_time/end_time), per_page buckets a page."""
        Handler.admin_buckets[path] = buckets
        Handler.admin_per_page = per_page

    def fail_admin(
        self,
        path: str,
        status: int,
        *,
        times: int = 1,
        page: str | None = None,
        body: str = "error_500.json",
        headers: dict | None = None,
    ) -> None:
        """Answer `status` (body from tests/fixtures) to the next `times` requests of `path` (at cursor `page`)."""
        f = {"path": path, "status": status, "times": times, "body": body, "headers": headers}
        if page is not None:
            f["page"] = page
        Handler.admin_failures.append(f)

    def require_key(self, key: str) -> None:
        Handler.admin_key = key

    def admin_calls(self, path: str) -> list[dict]:
        return [
            c
            for c in Handler.calls
            if c.get("method") == "GET" and c["path"].endswith("/organization/" + path)
        ]


# --- deterministic models (replay tests): answers computed by hand from the prompt ---------------
#
# Chat: the prompt is the last user message; k = its first integer. Tokens are whitespace words:
# prompt_tokens = words over all message contents, completion_tokens = words of the answer.
#   free text  original model:  "answer k answer k"           (riddle: "I do not know this one")
#              *mini* model:    "answer k answer k answer k"  (1.5x as long; same words, cosine 1)
#                               hard: "I do not know this one";  odd: "answer k+1 answer k+1 answer k+1"
#   "label"    "positive" (mini on hard: "negative")
#   JSON (response_format set): {"answer": k, "ok": true}  (mini on hard: answer k+1)
# Judge (system message starting "spendwatch-judge"): prefers the answer with a digit; when both or
#   neither have one it picks the first shown ("A": position bias). Usage 100 in / 1 out.
# Embeddings: bag of words hashed (crc32) into 64 dimensions; usage = words over the inputs.
# Batches: /v1/files upload + content, /v1/batches create + retrieve (completed after
#   `batch_polls` retrievals), answers as above.

DET_MINI = "mini"


def _words(text: str) -> int:
    return len(text.split())


def _content_text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def det_answer(model: str, prompt: str, json_mode: bool) -> str:
    """The deterministic answer of `model` to `prompt` (see the table above)."""
    import re

    m = re.search(r"\d+", prompt)
    k = int(m.group()) if m else 0
    mini = DET_MINI in model
    hard, odd, riddle = "hard" in prompt, "odd" in prompt, "riddle" in prompt
    if json_mode:
        return json.dumps({"answer": k + 1 if mini and hard else k, "ok": True})
    if "label" in prompt:
        return "negative" if mini and hard else "positive"
    if not mini:
        return "I do not know this one" if riddle else f"answer {k} answer {k}"
    if hard:
        return "I do not know this one"
    if odd:
        return f"answer {k + 1} answer {k + 1} answer {k + 1}"
    return f"answer {k} answer {k} answer {k}"


def det_judge(user: str) -> str:
    import re

    a = user.split("[Answer A]", 1)[1].split("[Answer B]", 1)[0]
    b = user.split("[Answer B]", 1)[1]
    ga, gb = bool(re.search(r"\d", a)), bool(re.search(r"\d", b))
    return "B" if gb and not ga else "A"


def det_chat(body: dict, counter: int) -> dict:
    """A chat.completion for `body` (judge or answer), with word-count usage."""
    model = body.get("model", "")
    msgs = body.get("messages") or []
    texts = [_content_text(m.get("content")) for m in msgs]
    system = next((t for m, t in zip(msgs, texts, strict=True) if m.get("role") == "system"), "")
    user = next(
        (
            t
            for m, t in zip(reversed(msgs), reversed(texts), strict=True)
            if m.get("role") == "user"
        ),
        "",
    )
    if system.startswith("spendwatch-judge"):
        content, pt, ct = det_judge(user), 100, 1
    else:
        content = det_answer(model, user, bool(body.get("response_format")))
        pt, ct = sum(_words(t) for t in texts), _words(content)
    return {
        "id": f"chatcmpl-det-{counter:08d}",
        "object": "chat.completion",
        "created": 1764547200,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": pt,
            "completion_tokens": ct,
            "total_tokens": pt + ct,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


def det_embedding(text: str) -> list[float]:
    import math
    import zlib

    v = [0.0] * 64
    for w in text.split():
        v[zlib.crc32(w.encode()) % 64] += 1.0
    n = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / n for x in v]


def _next_id() -> int:
    with Handler.lock:
        Handler.counter += 1
        return Handler.counter


def _deterministic_post(h: Handler, raw: bytes) -> bool:
    path = urlsplit(h.path).path
    if path.endswith("/files"):
        return _upload(h, raw)
    if (h.headers.get("content-type") or "").startswith("multipart/"):
        return False  # audio uploads: the recorded payloads above
    body = json.loads(raw or b"{}")
    with Handler.lock:
        if len(Handler.calls) < 100_000:
            Handler.calls.append({"path": h.path, "body": body, "headers": dict(h.headers)})
    if path.endswith("/batches"):
        bid = f"batch_det{_next_id():06d}"
        Handler.batches[bid] = {
            "id": bid,
            "object": "batch",
            "endpoint": body["endpoint"],
            "errors": None,
            "input_file_id": body["input_file_id"],
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": 1764547200,
            "polls": 0,
            "metadata": body.get("metadata"),
        }
        h._send(
            200,
            json.dumps({k: v for k, v in Handler.batches[bid].items() if k != "polls"}).encode(),
        )
        return True
    model = body.get("model", "")
    with Handler.lock:
        n = Handler.model_calls[model] = Handler.model_calls.get(model, 0) + 1
        fail = next(
            (
                f
                for f in Handler.fail_at
                if f["model"] == model and n > f["after"] and f["times"] > 0
            ),
            None,
        )
        if fail is not None:
            fail["times"] -= 1
    if fail is not None:
        h._send(
            fail["status"],
            (FIX / ("error_429.json" if fail["status"] == 429 else "error_500.json")).read_bytes(),
            extra={"retry-after": "0"},
        )
        return True
    if Handler.model_delay.get(model):
        time.sleep(Handler.model_delay[model])
    if path.endswith("/chat/completions"):
        h._send(200, json.dumps(det_chat(body, _next_id())).encode())
        return True
    if path.endswith("/embeddings"):
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        words = sum(_words(t) for t in inputs)
        payload = {
            "object": "list",
            "model": model,
            "data": [
                {"object": "embedding", "index": i, "embedding": det_embedding(t)}
                for i, t in enumerate(inputs)
            ],
            "usage": {"prompt_tokens": words, "total_tokens": words},
        }
        h._send(200, json.dumps(payload).encode())
        return True
    return False


def _upload(h: Handler, raw: bytes) -> bool:
    """multipart/form-data: purpose + file."""
    from email.parser import BytesParser
    from email.policy import HTTP

    head = f"content-type: {h.headers['content-type']}\r\n\r\n".encode()
    msg = BytesParser(policy=HTTP).parsebytes(head + raw)
    content, purpose, name = b"", "", "upload"
    for part in msg.iter_parts():
        field = part.get_param("name", header="content-disposition")
        if field == "file":
            content = part.get_payload(decode=True)
            name = part.get_filename() or name
        elif field == "purpose":
            purpose = part.get_content().strip()
    fid = f"file-det{_next_id():06d}"
    Handler.files[fid] = content
    with Handler.lock:
        Handler.calls.append(
            {
                "path": h.path,
                "body": {"purpose": purpose, "bytes": len(content)},
                "headers": dict(h.headers),
            }
        )
    h._send(
        200,
        json.dumps(
            {
                "id": fid,
                "object": "file",
                "bytes": len(content),
                "created_at": 1764547200,
                "filename": name,
                "purpose": purpose,
                "status": "processed",
            }
        ).encode(),
    )
    return True


def _run_batch(b: dict) -> None:
    out = []
    for line in Handler.files[b["input_file_id"]].decode().split("\n"):
        if not line.strip():
            continue
        item = json.loads(line)
        with Handler.lock:
            Handler.model_calls["batch:" + item["body"].get("model", "")] = (
                Handler.model_calls.get("batch:" + item["body"].get("model", ""), 0) + 1
            )
        resp = det_chat(item["body"], _next_id())
        out.append(
            json.dumps(
                {
                    "id": f"batch_req_{_next_id():06d}",
                    "custom_id": item["custom_id"],
                    "response": {"status_code": 200, "request_id": "req_det", "body": resp},
                    "error": None,
                }
            )
        )
    fid = f"file-det{_next_id():06d}"
    Handler.files[fid] = ("\n".join(reversed(out)) + "\n").encode()  # output order != input order
    b.update(
        status="completed",
        output_file_id=fid,
        request_counts={"total": len(out), "completed": len(out), "failed": 0},
    )


def _deterministic_get(h: Handler) -> bool:
    path = urlsplit(h.path).path
    if "/batches/" in path:
        b = Handler.batches.get(path.rsplit("/", 1)[1])
        if b is None:
            return False
        b["polls"] += 1
        if b["status"] != "completed":
            if b["polls"] >= Handler.batch_polls:
                _run_batch(b)
            else:
                b["status"] = "in_progress"
        h._send(200, json.dumps({k: v for k, v in b.items() if k != "polls"}).encode())
        return True
    if path.startswith("/v1/files/") and path.endswith("/content"):
        fid = path.split("/")[3]
        if fid in Handler.files:
            h._send(200, Handler.files[fid], "application/octet-stream")
            return True
    return False


def deterministic(
    fake: FakeOpenAI, *, delay: dict[str, float] | None = None, batch_polls: int = 1
) -> None:
    """Switch `fake` to the deterministic models above (a per-model delay in seconds optional)."""
    Handler.deterministic = True
    Handler.model_delay = dict(delay or {})
    Handler.batch_polls = batch_polls


def fail_after(model: str, after: int, *, status: int = 429, times: int = 1) -> None:
    """The deterministic server answers `status` to calls of `model` after its first `after` calls."""
    Handler.fail_at.append({"model": model, "after": after, "status": status, "times": times})


# Issue 15: audio and image endpoints (transcription usage per token or per second, speech as bytes).
def _multipart_fields(raw: bytes) -> dict:
    out = {}
    for part in raw.split(b"\r\n--"):
        head, _, value = part.partition(b"\r\n\r\n")
        if b'name="' in head and b"filename=" not in head:
            name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
            out[name] = value.rsplit(b"\r\n", 1)[0].decode(errors="replace").strip()
    return out


def _media_post(self, body: dict) -> None:
    model = body.get("model", "")
    if self.path.endswith("/audio/speech"):
        return self._send(200, b"ID3fake-mp3-bytes", "audio/mpeg")
    if self.path.endswith("/audio/transcriptions"):
        usage = ({"type": "duration", "seconds": 90} if model == "whisper-1" else
                 {"type": "tokens", "input_tokens": 1000, "output_tokens": 50, "total_tokens": 1050,
                  "input_token_details": {"text_tokens": 100, "audio_tokens": 900}})
        return self._send(200, json.dumps({"text": "hello", "usage": usage}).encode())
    if self.path.endswith("/images/generations"):
        return self._send(200, json.dumps({
            "created": 1793613600, "data": [{"b64_json": "aGk="}],
            "usage": {"input_tokens": 1000, "output_tokens": 4000, "total_tokens": 5000,
                      "input_tokens_details": {"text_tokens": 200, "image_tokens": 800}}}).encode())
    self._send(404, b'{"error": {"message": "not found", "type": "invalid_request_error"}}')


Handler._media_post = _media_post
