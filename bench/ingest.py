"""Ingest throughput: spendwatch's `ingest_file` vs DuckDB's own `read_json` over the same
generated JSONL, in the same run. Target: spendwatch >= 0.5x DuckDB's rows/s.

Each round times, on fresh database files: DuckDB's read_json into a table; spendwatch's ingest
(a clean file takes the one-statement read_json fast path); the same file again (all duplicates);
and, with --robust, the line-by-line path a file with lines to quarantine takes. Medians over
--repeat rounds (the machine may be shared).

    .venv/bin/python bench/ingest.py [--lines 1000000] [--repeat 3] [--robust] [--random-ids]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from spendwatch import ingest, store
from spendwatch.collectors import files
from spendwatch.pricing import catalog

MODELS = ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "o4-mini-2025-04-16", "text-embedding-3-small"]


ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def generate(path: Path, n: int, *, random_ids: bool = False) -> None:
    """``random_ids``: ids as OpenAI mints them (``chatcmpl-`` + 29 random base-62 characters) rather
    than in sequence; an index on the id is slower to fill with random keys."""
    rnd = random.Random(1)
    with open(path, "w") as f:
        for i in range(n):
            rid = "chatcmpl-" + "".join(rnd.choices(ALPHABET, k=29)) if random_ids else f"chatcmpl-{i:09d}"
            p = rnd.randint(50, 8000)
            c = rnd.choice([0, 0, 1024, 2048]) if p > 2048 else 0
            if i % 4 == 3:
                usage = {"input_tokens": p, "input_tokens_details": {"cached_tokens": c}, "output_tokens": 300,
                         "output_tokens_details": {"reasoning_tokens": 100}, "total_tokens": p + 300}
            else:
                usage = {"prompt_tokens": p, "completion_tokens": 200, "total_tokens": p + 200,
                         "prompt_tokens_details": {"cached_tokens": c},
                         "completion_tokens_details": {"reasoning_tokens": 0}}
            f.write(json.dumps({"request_id": rid, "ts": f"2026-11-{1 + i % 28:02d}T12:00:00Z",
                                "model": MODELS[i % 4], "endpoint": "chat.completions",
                                "feature": f"feature-{i % 12}", "project_id": f"proj_{i % 3}",
                                "user_id": f"u_{i % 1000}", "batch": i % 10 == 0, "latency_ms": 800,
                                "status": "ok", "usage": usage}) + "\n")


def _duckdb_read_json(f: Path, db: Path) -> float:
    raw = duckdb.connect(str(db))
    t = time.perf_counter()
    raw.execute("CREATE TABLE r AS SELECT * FROM read_json(?, format = 'newline_delimited')", [str(f)])
    took = time.perf_counter() - t
    raw.close()
    return took


def _spendwatch(f: Path, db: Path, n: int, *, robust: bool = False) -> tuple[float, float]:
    con = store.connect(db)
    catalog.materialise(con)
    fast_ok = files.jsonl_fast_path_ok
    if robust:
        files.jsonl_fast_path_ok = lambda _path: False
    try:
        t = time.perf_counter()
        result = ingest.ingest_file(con, f)
        first = time.perf_counter() - t
        assert (result.ingested, result.lines_read) == (n, n), result
        t = time.perf_counter()
        again = ingest.ingest_file(con, f)
        second = time.perf_counter() - t
        assert (again.duplicates, again.ingested) == (n, 0), again
    finally:
        files.jsonl_fast_path_ok = fast_ok
        con.close()
    return first, second


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--robust", action="store_true", help="also time the line-by-line path")
    ap.add_argument("--random-ids", action="store_true", help="random ids, as OpenAI's, not chatcmpl-000000001...")
    args = ap.parse_args()
    n = args.lines
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "requests.jsonl"
        t = time.perf_counter()
        generate(f, n, random_ids=args.random_ids)
        print(f"generated {n:,} lines ({f.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")
        for k in range(args.repeat):
            times.setdefault("duckdb", []).append(_duckdb_read_json(f, Path(d) / f"raw{k}.duckdb"))
            first, second = _spendwatch(f, Path(d) / f"sw{k}.duckdb", n)
            times.setdefault("ingest", []).append(first)
            times.setdefault("again", []).append(second)
            if args.robust:
                first, second = _spendwatch(f, Path(d) / f"rb{k}.duckdb", n, robust=True)
                times.setdefault("robust", []).append(first)
                times.setdefault("robust_again", []).append(second)
            ratio = times["duckdb"][-1] / times["ingest"][-1]
            print(f"round {k + 1}: read_json {times['duckdb'][-1]:.2f} s, ingest {times['ingest'][-1]:.2f} s "
                  f"({ratio:.2f}x)", flush=True)
            for p in Path(d).glob("*.duckdb*"):
                p.unlink()

    med = {k: statistics.median(v) for k, v in times.items()}
    labels = {"duckdb": "duckdb read_json (no checks)", "ingest": "spendwatch ingest (checked)",
              "again": "spendwatch re-ingest (all dup)", "robust": "line-by-line path (checked)",
              "robust_again": "line-by-line re-ingest"}
    print(f"medians of {args.repeat} rounds")
    print(f"{'':32}{'seconds':>10}{'rows/s':>14}")
    for key, label in labels.items():
        if key in med:
            print(f"{label:32}{med[key]:>10.2f}{n / med[key]:>14,.0f}")
    ratios = [a / b for a, b in zip(times["duckdb"], times["ingest"], strict=True)]
    print(f"ratio spendwatch / duckdb: {statistics.median(ratios):.2f}x median of rounds "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}; target >= 0.5x)")


if __name__ == "__main__":
    main()
