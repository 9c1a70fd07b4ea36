"""Instrumentation overhead: median added latency per call, bare vs instrumented client, against
the same local OpenAI-format server in one run; and records/s the spool writer takes.

    .venv/bin/python bench/sdk_overhead.py [--calls 2000]

Bare and instrumented calls run in interleaved blocks (the order rotates), so drift on a busy
machine hits both alike; the figure is the difference of the medians (the mean difference is
printed too: it includes the writer thread's batches, which the median mostly skips), next to the
same figure for a second bare client: the noise floor of the run. The server speaks HTTP/1.1 keep-alive, as api.openai.com does, so a call does not pay for a
TCP connect and a server thread. A second figure runs the same SDK calls over an in-process
transport (no sockets, no server thread): the same difference with the network noise taken out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx2
import openai

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from spendwatch.collectors import instrument as inst  # noqa: E402
from spendwatch.collectors.spool import SpoolWriter, finished_segments  # noqa: E402
from tests.fake_openai import FIX, RATE_HEADERS, FakeOpenAI  # noqa: E402


def timed(create, n: int) -> list[float]:
    out, clock = [], time.perf_counter
    for _ in range(n):
        t = clock()
        create(model="unique-ids", messages=[])
        out.append(clock() - t)
    return out


def compare(creates: list, n: int, rounds: int = 40) -> list[list[float]]:
    """Per-call latencies of each client, n calls each, in interleaved blocks (the order rotates
    every round) so drift on a busy machine hits all alike. Blocks, not single calls: the writer
    thread's work after instrumented calls lands mostly in the instrumented block."""
    out: list[list[float]] = [[] for _ in creates]
    for r in range(rounds):
        for i in range(len(creates)):
            j = (i + r) % len(creates)
            out[j] += timed(creates[j], n // rounds)
    return out


def added(bare: list[float], other: list[float]) -> tuple[float, float, float]:
    """Median, mean and 10th-percentile added latency (s). On a busy machine the latency spreads
    over milliseconds and the median moves with the load; the low percentile stays put."""
    p10 = statistics.quantiles(other, n=10)[0] - statistics.quantiles(bare, n=10)[0]
    return (
        statistics.median(other) - statistics.median(bare),
        statistics.fmean(other) - statistics.fmean(bare),
        p10,
    )


def in_process_client(**kw) -> openai.OpenAI:
    """The real SDK over an httpx transport that answers in-process (the recorded chat completion)."""
    body = json.loads((FIX / "chat_completion_cached.json").read_text())
    headers = {"x-request-id": "req_bench", **RATE_HEADERS}
    seq = iter(range(10**9))

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={**body, "id": f"chatcmpl-b{next(seq)}"}, headers=headers)

    http = httpx2.Client(transport=httpx2.MockTransport(answer))
    return openai.OpenAI(
        api_key="sk-bench", base_url="http://bench.invalid/v1", http_client=http, **kw
    )


def cpu_split(directory: Path, n: int = 20_000) -> tuple[float, float]:
    """Where the added time goes, without the network's noise: the instrumentation's own work on
    the caller's thread per call (wrapper + httpx hook, around an SDK call that costs nothing), and
    the writer thread's work per record (build + encode + write), timed on one thread. Seconds."""
    client = in_process_client()
    raw = client.chat.completions.with_raw_response.create(model="unique-ids", messages=[])
    response, http_response = raw.parse(), raw.http_response
    hook = inst._note_response

    def sdk_call(**kw):
        hook(http_response)  # what httpx runs per HTTP response
        return response

    writer = inst._writer(directory / "split")
    wrapped = inst._sync_wrapper(sdk_call, "chat.completions", {"feature": "bench"}, writer)
    flush = getattr(writer, "flush", None) or writer.close
    caller, build = [], []
    for _ in range(5):
        flush()
        t = time.perf_counter()
        for _ in range(n):
            sdk_call(model="unique-ids", messages=[])
        t0 = time.perf_counter() - t
        t = time.perf_counter()
        for _ in range(n):
            wrapped(model="unique-ids", messages=[])
        caller.append((time.perf_counter() - t - t0) / n)
        t = time.perf_counter()
        flush()
        build.append((time.perf_counter() - t) / n)
    return min(caller), min(build)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000, help="pairs of calls (bare + instrumented)")
    n = ap.parse_args().calls
    with tempfile.TemporaryDirectory() as d, FakeOpenAI(keep_alive=True) as server:
        bare = openai.OpenAI(api_key="sk-bench", base_url=server.base_url).chat.completions.create
        bare2 = openai.OpenAI(api_key="sk-bench", base_url=server.base_url).chat.completions.create
        wrapped = inst.instrument(
            openai.OpenAI(api_key="sk-bench", base_url=server.base_url), spool_dir=d
        ).chat.completions.create
        compare([bare, bare2, wrapped], 400, rounds=4)  # warm up
        b, b2, w = compare([bare, bare2, wrapped], n)
        med, mean, p10 = added(b, w)
        print(
            f"median per call: bare {statistics.median(b) * 1e6:,.0f} µs, instrumented "
            f"{statistics.median(w) * 1e6:,.0f} µs, added {med * 1e6:,.1f} µs (target <= 50 µs); "
            f"mean added {mean * 1e6:,.1f} µs, p10 added {p10 * 1e6:,.1f} µs"
        )
        med, mean, p10 = added(b, b2)
        print(
            f"  noise floor of this run (a second bare client): median {med * 1e6:+,.1f} µs, "
            f"mean {mean * 1e6:+,.1f} µs, p10 {p10 * 1e6:+,.1f} µs"
        )

        bare = in_process_client().chat.completions.create
        wrapped = inst.instrument(in_process_client(), spool_dir=d).chat.completions.create
        compare([bare, wrapped], 400, rounds=4)
        b, w = compare([bare, wrapped], n)
        med, mean, p10 = added(b, w)
        print(
            f"in-process transport: bare {statistics.median(b) * 1e6:,.0f} µs, added {med * 1e6:,.1f} µs; "
            f"mean added {mean * 1e6:,.1f} µs, p10 added {p10 * 1e6:,.1f} µs"
        )
        inst.flush()  # write the instrumented calls' records before the directory goes
        caller, writer_cost = cpu_split(Path(d))
        print(
            f"CPU added: {caller * 1e6:.1f} µs/call on the caller's thread + {writer_cost * 1e6:.1f} µs/record "
            f"on the writer thread (best of 5 x 20,000)"
        )

        spool = Path(d) / "throughput"
        writer = SpoolWriter(spool)
        rec = {
            "request_id": "x",
            "ts": "2026-11-25T00:00:00Z",
            "model": "gpt-4o-mini",
            "endpoint": "chat.completions",
            "usage": {
                "prompt_tokens": 1200,
                "completion_tokens": 150,
                "prompt_tokens_details": {"cached_tokens": 0},
            },
        }
        m = 90_000  # one burst within the bounded queue (100,000)
        t = time.perf_counter()
        for i in range(m):
            writer.put({**rec, "request_id": f"r{i}"})
        writer.close(timeout=120)
        s = time.perf_counter() - t
        lines = sum(len(p.read_text().splitlines()) for p in finished_segments(spool))
        print(
            f"spool: {lines:,} records written in {s:.2f} s = {lines / s:,.0f} records/s "
            f"(target >= 50,000; dropped {writer.dropped})"
        )


if __name__ == "__main__":
    main()
