"""Small units into a big table: what `serve`'s spool drain and a daily `spendwatch ingest` cost once
the database holds --rows requests, and the process's peak memory doing it.

Stored and new ids are spread like OpenAI's (md5), so zone maps cannot skip row groups for them.
The requests table has no unique index (migration 0070): every unit anti-joins the stored ids, so
its cost grows with the table, where an index lookup would not; a spool pass scans them once for all
its segments. Each round, in a fresh child process (so its peak RSS is the work's own): a 1,000-line
JSONL file (fast path), the same file again (all duplicates), a 1,000-line file with one bad line
(line-by-line path), and a spool pass of 10 segments of 100 lines. Medians over --repeat rounds.

    .venv/bin/python bench/ingest_units.py [--rows 10000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def _lines(prefix: str, n: int) -> list[str]:
    """Ids spread like the stored ones (``chatcmpl-`` + md5), so no row group's min/max rules them out."""
    return [json.dumps({"request_id": "chatcmpl-" + hashlib.md5(f"{prefix}-{i}".encode()).hexdigest(), "ts": "2026-11-10T12:00:00Z", "model": "gpt-4o-2024-08-06",
                        "feature": "bench", "usage": {"prompt_tokens": 1000 + i, "completion_tokens": 100}})
            for i in range(n)]


def _round(db: str, work: str, k: int, out) -> None:
    from spendwatch import ingest, store  # noqa: PLC0415
    from spendwatch.collectors import spool  # noqa: PLC0415 - imported in the child

    w = Path(work)
    clean = w / f"clean{k}.jsonl"
    clean.write_text("\n".join(_lines(f"c{k}", 1000)) + "\n")
    bad = w / f"bad{k}.jsonl"
    bad.write_text("\n".join(_lines(f"b{k}", 999)) + "\nnot json\n")
    spool_dir = w / f"spool{k}"
    spool_dir.mkdir()
    for s in range(10):
        (spool_dir / f"r{k}-seg{s:02d}.jsonl").write_text("\n".join(_lines(f"s{k}-{s}", 100)) + "\n")
    con = store.connect(db)
    times = {}
    for key, fn in [
        ("file", lambda: ingest.ingest_file(con, clean)),
        ("again", lambda: ingest.ingest_file(con, clean)),
        ("line_path", lambda: ingest.ingest_file(con, bad)),
        ("spool", lambda: spool.drain(con, spool_dir)),
    ]:
        t = time.perf_counter()
        fn()
        times[key] = time.perf_counter() - t
    con.close()
    times["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import synthetic  # noqa: PLC0415 - bench/ is on the path only when run as a script

    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "big.duckdb"
        synthetic.build(db, args.rows, random_ids=True).close()
        runs = []
        for k in range(args.repeat):
            q = ctx.Queue()
            p = ctx.Process(target=_round, args=(str(db), d, k, q))
            p.start()
            runs.append(q.get())
            p.join()
            print(f"round {k + 1}: " + ", ".join(f"{key} {v:.3f}" for key, v in runs[-1].items()), flush=True)
    labels = {"file": "1,000-line file, fast path (s)", "again": "same file again, all duplicates (s)",
              "line_path": "1,000-line file, line path (s)", "spool": "spool pass, 10 x 100 lines (s)",
              "rss_mb": "peak RSS of the process (MB)"}
    print(f"medians of {args.repeat} rounds, table of {args.rows:,} requests")
    for key, label in labels.items():
        print(f"{label:40}{statistics.median(r[key] for r in runs):>10.3f}")


if __name__ == "__main__":
    main()
