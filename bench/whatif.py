"""What-if latency over 10M requests (target <= 1 s), read from the requests (what the CLI does while
the rollups are not built) and from the what-if rollup (what the dashboard does above 1M requests).

    .venv/bin/python bench/whatif.py [--rows 10000000] [--db PATH] [--memory-limit 8GB]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import synthetic

from spendwatch import recommend, rollups, store, whatif


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--db", type=Path, help="keep the database here (reused if it exists)")
    ap.add_argument("--memory-limit", default="8GB", help="DuckDB memory_limit (the machine is shared)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = a.db or Path(d) / "bench.duckdb"
        existed = path.exists()
        pin = duckdb.connect(str(path))  # one instance per file and process: the limit holds for con too
        pin.execute(f"SET memory_limit = '{a.memory_limit}'")
        con = store.connect(path) if existed else synthetic.build(path, a.rows)
        window = dict(start=datetime(2026, 8, 1), end=datetime(2026, 12, 1))
        cases = {
            "all gpt-4o -> gpt-4o-mini": whatif.Scenario(to_model="gpt-4o-mini", from_model="gpt-4o", **window),
            "everything -> gpt-4.1-nano": whatif.Scenario(to_model="gpt-4.1-nano", **window),
            "share+escalate+cache+batch": whatif.Scenario(
                to_model="gpt-4o-mini", share=Decimal("0.7"), escalate=Decimal("0.1"),
                cache_hit=Decimal("0.5"), batch=True, **window),
            "with --range (one pass)": whatif.Scenario(to_model="gpt-4o-mini", with_range=True, **window),
        }
        calls = {label: (lambda sc=sc: whatif.simulate(con, sc)) for label, sc in cases.items()}
        calls["recommend (30 days)"] = lambda: recommend.recommend(con, days=30, now=datetime(2026, 11, 24, 12))
        results: dict[str, dict[str, tuple[float, float]]] = {}
        for mode in ("requests", "rollup"):
            if mode == "requests":
                con.execute("DELETE FROM rollup_state")  # not fresh: read requests_priced
            else:
                t = time.perf_counter()
                rollups.refresh(con, full=True)
                print(f"rollups built in {time.perf_counter() - t:.1f} s")
            for label, fn in calls.items():
                times = []
                for _ in range(4):
                    t = time.perf_counter()
                    fn()
                    times.append(time.perf_counter() - t)
                results.setdefault(label, {})[mode] = (times[0], statistics.median(times[1:]))
        n = con.execute("SELECT count(*) FROM requests").fetchone()[0]
        print(f"{n:,} requests; seconds: first call / warm median of 3")
        print(f"{'scenario':30}{'requests first':>16}{'warm':>8}{'rollup first':>14}{'warm':>8}")
        for label, r in results.items():
            (rf, rw), (uf, uw) = r["requests"], r["rollup"]
            print(f"{label:30}{rf:>16.3f}{rw:>8.3f}{uf:>14.3f}{uw:>8.3f}")
        con.close()
        pin.close()


if __name__ == "__main__":
    main()
