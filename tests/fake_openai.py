"""A local HTTP server that answers like OpenAI (recorded payloads from tests/fixtures), on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIX = Path(__file__).resolve().parent / "fixtures"
RATE_HEADERS = {"x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "499",
                "x-ratelimit-limit-tokens": "30000", "x-ratelimit-remaining-tokens": "29000"}


def sse_events(include_usage: bool) -> bytes:
    """The recorded 2025 chat stream; without include_usage the usage chunk is not sent (as the spec says)."""
    blocks = [b for b in (FIX / "chat_stream.sse").read_text().split("\n\n") if b.strip()]
    out = []
    for b in blocks:
        payload = b[len("data: "):]
        if payload != "[DONE]" and json.loads(payload)["usage"] is not None and not include_usage:
            continue
        out.append(b + "\n\n")
    return "".join(out).encode()


class Handler(BaseHTTPRequestHandler):
    calls: list[dict] = []
    fail_next: dict[str, int] = {}
    counter = 0
    lock = threading.Lock()

    def log_message(self, *a):  # quiet
        pass

    def _send(self, code: int, body: bytes, ctype: str = "application/json", extra: dict | None = None) -> None:
        self.send_response(code)
        self.send_header("content-type", ctype)
        self.send_header("x-request-id", "req_test")
        for k, v in {**RATE_HEADERS, **(extra or {})}.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["content-length"])) or b"{}")
        if len(Handler.calls) < 1000:
            Handler.calls.append({"path": self.path, "body": body, "headers": dict(self.headers)})
        model = body.get("model", "")
        if model == "slow":  # for client timeouts
            time.sleep(1.5)
        if model == "always-500":
            return self._send(500, (FIX / "error_500.json").read_bytes())
        if model == "429-once" and Handler.fail_next.get("429", 0) > 0:
            Handler.fail_next["429"] -= 1
            return self._send(429, (FIX / "error_429.json").read_bytes(), extra={"retry-after": "0"})
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
            return self._send(200, json.dumps(payload).encode())
        if self.path.endswith("/responses"):
            return self._send(200, (FIX / "responses_reasoning_cached.json").read_bytes())
        if self.path.endswith("/embeddings"):
            return self._send(200, (FIX / "embeddings.json").read_bytes())
        self._send(404, b'{"error": {"message": "not found", "type": "invalid_request_error", "param": null, "code": null}}')


class FakeOpenAI:
    def __enter__(self) -> FakeOpenAI:
        Handler.calls = []
        Handler.fail_next = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
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
