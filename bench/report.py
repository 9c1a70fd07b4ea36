"""Report latency at 10M requests (target <= 1 s): the same spend_report the CLI and the Reports
page call, over a table built with DuckDB SQL.

    .venv/bin/python bench/report.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import synthetic

from spendwatch import report


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    n = ap.parse_args().rows
    with tempfile.TemporaryDirectory() as d:
        con = synthetic.build(Path(d) / "bench.duckdb", n)
        print(f"{'report':34}{'first (s)':>10}{'warm median (s)':>17}")
        for by in (["feature"], ["day", "model"], ["month", "project"], []):
            times = []
            for _ in range(4):
                t = time.perf_counter()
                rows = report.spend_report(con, by=by)
                times.append(time.perf_counter() - t)
            label = f"--by {','.join(by) or '(total)'} ({len(rows)} rows)"
            print(f"{label:34}{times[0]:>10.3f}{sorted(times[1:])[1]:>17.3f}")


if __name__ == "__main__":
    main()
