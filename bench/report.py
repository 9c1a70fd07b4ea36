"""Report latency at 10M requests (target <= 1 s): the same spend_report the CLI and the Reports
page call, over a table built with DuckDB SQL.

    .venv/bin/python bench/report.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from spendwatch import catalog, report, store
from spendwatch.pricing import refresh_model_map


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    n = ap.parse_args().rows
    with tempfile.TemporaryDirectory() as d:
        con = store.connect(Path(d) / "bench.duckdb")
        catalog.materialise(con)
        t = time.perf_counter()
        con.execute("""
            INSERT INTO requests (request_id, ts, model, feature, project_id, user_id, batch, input_tokens,
                                  cached_tokens, output_tokens, source)
            SELECT 'r' || i, TIMESTAMP '2026-08-01' + INTERVAL (i % 7776000) SECOND,
                   ['gpt-4o-2024-08-06', 'gpt-4o-mini-2024-07-18', 'o4-mini', 'gpt-4.1', 'acme-x'][1 + i % 5],
                   'feature-' || (i % 12), 'proj_' || (i % 3), 'u_' || (i % 1000), i % 10 = 0,
                   1000 + i % 3000, CASE WHEN i % 3 = 0 THEN 1024 ELSE 0 END, 100 + i % 400, 'bench'
            FROM range(?) t(i)""", [n])
        refresh_model_map(con)
        print(f"built {n:,} requests in {time.perf_counter() - t:.1f} s")
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
