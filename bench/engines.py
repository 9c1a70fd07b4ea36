"""Where the line is: the month report on DuckDB (the file), DuckDB (the Parquet lake) and Spark
(`local[2]`) over the same N synthetic requests, plus what the lake sync costs.

    .venv/bin/python bench/engines.py [--rows 10000000] [--master 'local[2]'] [--no-spark]

Spark needs the extra (pip install -e '.[spark]') and Java 17+. Every engine's rows are checked equal
to DuckDB's before a time is printed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import synthetic

from spendwatch import report
from spendwatch.lake import duck, sync

# synthetic.build spreads requests over 90 days from 2026-08-27: September is a whole month
MONTH = (date(2026, 9, 1), date(2026, 9, 30))
REPORTS: list[tuple[str, list[str], tuple[date | None, date | None]]] = [
    ("month --by feature", ["feature"], MONTH),
    ("month --by day,model", ["day", "model"], MONTH),
    ("all --by month,project", ["month", "project"], (None, None)),
]


def timed(fn: Callable[[], Any], runs: int = 3) -> tuple[float, float, Any]:
    """(first run s, median of the next ``runs`` s, result)."""
    t = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t
    rest = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        rest.append(time.perf_counter() - t)
    return first, statistics.median(rest) if rest else float("nan"), out


def _key(row: dict) -> tuple:
    return tuple(str(v) for v in row.values())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--no-spark", action="store_true")
    ap.add_argument(
        "--runs", type=int, default=3, help="warm runs after the first (0: the first only)"
    )
    ap.add_argument(
        "--reports", type=int, default=len(REPORTS), help="time only the first N reports"
    )
    ap.add_argument(
        "--dir", type=Path, default=None, help="work directory (default: a temporary one)"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        con = synthetic.build(Path(d) / "bench.duckdb", args.rows)
        lake = Path(d) / "lake"
        t = time.perf_counter()
        r = sync.sync(con, lake, now=datetime(2026, 12, 1))
        first_sync = time.perf_counter() - t
        t = time.perf_counter()
        sync.sync(con, lake, now=datetime(2026, 12, 1))
        resync = time.perf_counter() - t
        size = sum(p.stat().st_size for p in lake.rglob("*.parquet"))
        db_size = (Path(d) / "bench.duckdb").stat().st_size
        print(
            f"lake sync: {r.days_written} days, {args.rows:,} requests in {first_sync:.1f} s; "
            f"re-run with nothing new {resync:.2f} s; lake {size / 1e6:,.0f} MB (database file "
            f"{db_size / 1e6:,.0f} MB)"
        )

        engines: list[tuple[str, Any]] = [("DuckDB (file)", con)]
        t = time.perf_counter()
        engines.append(("DuckDB (lake)", duck.open_lake(lake)))
        opened = {"DuckDB (lake)": time.perf_counter() - t}
        if not args.no_spark:
            from spendwatch.lake import spark

            t = time.perf_counter()
            spark_con = spark.connect(lake, master=args.master)
            opened[f"Spark {args.master}"] = time.perf_counter() - t
            engines.append((f"Spark {args.master}", spark_con))

        print(f"\n{args.rows:,} requests; first run / warm median of {args.runs}, seconds")
        header = f"{'report':26}" + "".join(f"{name:>24}" for name, _ in engines)
        print(header)
        print(
            f"{'(open / session start)':26}"
            + "".join(f"{opened.get(n, 0):>24.2f}" for n, _ in engines)
        )
        for label, by, (first, last) in REPORTS[: args.reports]:
            cells, want = [], None
            for _, c in engines:
                t0, warm, rows = timed(
                    lambda c=c, by=by, lo=first, hi=last: report.spend_report(
                        c, by=by, start=lo, end=hi
                    ),
                    args.runs,
                )
                if want is None:
                    want = sorted(rows, key=_key)
                elif sorted(rows, key=_key) != want:
                    raise SystemExit(f"{label}: rows differ from DuckDB's")
                cells.append(f"{t0:.2f} / {warm:.2f}")
            print(f"{label:26}" + "".join(f"{cell:>24}" for cell in cells))


if __name__ == "__main__":
    main()
