"""Instrumentation overhead: median latency per call, bare vs instrumented client, against the same
local OpenAI-format server in one run; and records/s the spool writer takes.

    .venv/bin/python bench/sdk_overhead.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import openai

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from spendwatch.collectors import instrument as inst  # noqa: E402
from spendwatch.collectors.spool import SpoolWriter, finished_segments  # noqa: E402
from tests.fake_openai import FakeOpenAI  # noqa: E402


def timed(create, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        create(model="unique-ids", messages=[])
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000)
    n = ap.parse_args().calls
    with tempfile.TemporaryDirectory() as d, FakeOpenAI() as server:
        bare = openai.OpenAI(api_key="sk-bench", base_url=server.base_url)
        wrapped = inst.instrument(openai.OpenAI(api_key="sk-bench", base_url=server.base_url), spool_dir=d)
        timed(bare.chat.completions.create, 200)  # warm up both
        timed(wrapped.chat.completions.create, 200)
        b, w = [], []
        for _ in range(5):  # interleave so drift hits both alike
            b += timed(bare.chat.completions.create, n // 5)
            w += timed(wrapped.chat.completions.create, n // 5)
        mb, mw = statistics.median(b), statistics.median(w)
        print(f"median per call: bare {mb * 1e6:,.0f} µs, instrumented {mw * 1e6:,.0f} µs, "
              f"added {(mw - mb) * 1e6:,.1f} µs (target <= 50 µs)")

        spool = Path(d) / "throughput"
        writer = SpoolWriter(spool)
        rec = {"request_id": "x", "ts": "2026-11-25T00:00:00Z", "model": "gpt-4o-mini", "endpoint": "chat.completions",
               "usage": {"prompt_tokens": 1200, "completion_tokens": 150, "prompt_tokens_details": {"cached_tokens": 0}}}
        m = 90_000  # one burst within the bounded queue (100,000)
        t = time.perf_counter()
        for i in range(m):
            writer.put({**rec, "request_id": f"r{i}"})
        writer.close(timeout=120)
        s = time.perf_counter() - t
        lines = sum(len(p.read_text().splitlines()) for p in finished_segments(spool))
        print(f"spool: {lines:,} records written in {s:.2f} s = {lines / s:,.0f} records/s "
              f"(target >= 50,000; dropped {writer.dropped})")


if __name__ == "__main__":
    main()
