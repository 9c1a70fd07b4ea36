"""Report latency at 10M requests (target <= 1 s): the same spend_report the CLI and the Reports
page call, over a table built with DuckDB SQL.

    .venv/bin/python bench/report.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from importlib import resources
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
        view_before_and_after(con)


def view_before_and_after(con, rounds: int = 7) -> None:
    """The cost view of migration 0020 (before the residency uplift, 0060) against today's, interleaved in the
    same run so that the machine's load falls on both alike: `--by feature` over each view, medians."""
    src = (
        resources.files("spendwatch.sql").joinpath("migrations", "0020_price_parts.sql").read_text()
    )
    start = src.index("CREATE OR REPLACE VIEW requests_priced AS")
    view = src[start : src.index(";", src.index("AS cost_usd", start))]
    con.execute(view.replace("VIEW requests_priced AS", "TEMP VIEW requests_priced_0020 AS", 1))
    q = "SELECT feature, sum(cost_usd), count(*) FILTER (WHERE cost_usd IS NULL) FROM {} GROUP BY ALL"
    times: dict[str, list[float]] = {"requests_priced_0020": [], "requests_priced": []}
    for _ in range(rounds):
        for name, acc in times.items():
            t = time.perf_counter()
            con.execute(q.format(name)).fetchall()
            acc.append(time.perf_counter() - t)
    before, after = (statistics.median(v) for v in times.values())
    print(f"{'--by feature, 0020 view (before)':34}{'':>10}{before:>17.3f}")
    print(f"{'--by feature, 0060 view (now)':34}{'':>10}{after:>17.3f}")
    print(f"{'ratio now / before':34}{'':>10}{after / before:>17.3f}")


if __name__ == "__main__":
    main()
