"""Ingest throughput: spendwatch's `ingest_file` vs DuckDB's own `read_json` over the same
generated JSONL, in the same run. Target: spendwatch >= 0.5x DuckDB's rows/s.

    .venv/bin/python bench/ingest.py [--lines 1000000]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import duckdb

from spendwatch import catalog, ingest, store

MODELS = ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "o4-mini-2025-04-16", "text-embedding-3-small"]


def generate(path: Path, n: int) -> None:
    rnd = random.Random(1)
    with open(path, "w") as f:
        for i in range(n):
            p = rnd.randint(50, 8000)
            c = rnd.choice([0, 0, 1024, 2048]) if p > 2048 else 0
            if i % 4 == 3:
                usage = {"input_tokens": p, "input_tokens_details": {"cached_tokens": c}, "output_tokens": 300,
                         "output_tokens_details": {"reasoning_tokens": 100}, "total_tokens": p + 300}
            else:
                usage = {"prompt_tokens": p, "completion_tokens": 200, "total_tokens": p + 200,
                         "prompt_tokens_details": {"cached_tokens": c},
                         "completion_tokens_details": {"reasoning_tokens": 0}}
            f.write(json.dumps({"request_id": f"chatcmpl-{i:09d}", "ts": f"2026-11-{1 + i % 28:02d}T12:00:00Z",
                                "model": MODELS[i % 4], "endpoint": "chat.completions",
                                "feature": f"feature-{i % 12}", "project_id": f"proj_{i % 3}",
                                "user_id": f"u_{i % 1000}", "batch": i % 10 == 0, "latency_ms": 800,
                                "status": "ok", "usage": usage}) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    n = ap.parse_args().lines
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "requests.jsonl"
        t = time.perf_counter()
        generate(f, n)
        print(f"generated {n:,} lines ({f.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")

        raw = duckdb.connect(str(Path(d) / "raw.duckdb"))
        t = time.perf_counter()
        raw.execute("CREATE TABLE r AS SELECT * FROM read_json(?, format = 'newline_delimited')", [str(f)])
        duck_s = time.perf_counter() - t
        raw.close()

        con = store.connect(Path(d) / "sw.duckdb")
        catalog.materialise(con)
        t = time.perf_counter()
        result = ingest.ingest_file(con, f)
        sw_s = time.perf_counter() - t
        assert result.ingested == n, result
        t = time.perf_counter()
        again = ingest.ingest_file(con, f)
        re_s = time.perf_counter() - t
        assert again.duplicates == n

    print(f"{'':32}{'seconds':>10}{'rows/s':>14}")
    print(f"{'duckdb read_json (no checks)':32}{duck_s:>10.2f}{n / duck_s:>14,.0f}")
    print(f"{'spendwatch ingest (checked)':32}{sw_s:>10.2f}{n / sw_s:>14,.0f}")
    print(f"{'spendwatch re-ingest (all dup)':32}{re_s:>10.2f}{n / re_s:>14,.0f}")
    print(f"ratio spendwatch / duckdb: {duck_s / sw_s:.2f}x (target >= 0.5x)")


if __name__ == "__main__":
    main()
