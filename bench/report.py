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
        # Same machine, same run: the text-only three-term formula (before issue 15's parts), for scale.
        base = (
            "SELECT q.feature, sum(((q.input_tokens - q.cached_tokens)::HUGEINT * p.input_nano"
            " + q.cached_tokens::HUGEINT * p.cached_nano + q.output_tokens::HUGEINT * p.output_nano)"
            "::DECIMAL(38, 0) * 0.000000000000001::DECIMAL(16, 15)) FROM requests q"
            " LEFT JOIN model_map m ON m.model = q.model LEFT JOIN price_rates p ON p.price_model = m.price_model"
            " AND p.tier = CASE WHEN q.batch THEN 'batch' ELSE 'standard' END"
            " AND q.ts >= p.valid_from AND q.ts < p.valid_to GROUP BY ALL"
        )
        times = []
        for _ in range(4):
            t = time.perf_counter()
            con.execute(base).fetchall()
            times.append(time.perf_counter() - t)
        print(f"{'baseline: text-only formula':34}{times[0]:>10.3f}{sorted(times[1:])[1]:>17.3f}")


if __name__ == "__main__":
    main()
