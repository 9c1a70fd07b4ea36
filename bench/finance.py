"""Chargeback and FOCUS export of one month with 10M logged requests (target <= 2 s each).

A month of requests (12 features, 3 projects, 5 models, one unpriced) and its Costs API bill (each
day x project x model x part at 90 % of list price, plus web search calls and vector storage) are
built in DuckDB; then the same calls the CLI makes are timed: first call and warm median of three.

    .venv/bin/python bench/finance.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from spendwatch import chargeback, focus, report, store
from spendwatch.pricing import catalog, refresh_model_map

MONTH = date(2026, 11, 1)
NOW = datetime(2026, 12, 2, 9)


def build(path: Path, rows: int):
    con = store.connect(path)
    catalog.materialise(con)
    t = time.perf_counter()
    con.execute(
        """
        INSERT INTO requests (request_id, ts, model, feature, project_id, user_id, api_key_id, batch, input_tokens,
                              cached_tokens, output_tokens, source)
        SELECT 'r' || i, TIMESTAMP '2026-11-01' + INTERVAL (i % 2592000) SECOND,
               ['gpt-4o-2024-08-06', 'gpt-4o-mini-2024-07-18', 'o4-mini', 'gpt-4.1', 'acme-x'][1 + i % 5],
               'feature-' || (i % 12), 'proj_' || (i % 3), 'u_' || (i % 1000), 'key_' || (i % 7), i % 10 = 0,
               1000 + i % 3000, CASE WHEN i % 3 = 0 THEN 1024 ELSE 0 END, 100 + i % 400, 'bench'
        FROM range(?) t(i)""",
        [rows],
    )
    refresh_model_map(con)
    con.execute("""
        INSERT INTO cost_buckets (bucket_start, bucket_end, project_id, line_item, amount_usd, quantity, source)
        WITH g AS (
            SELECT date_trunc('day', ts) AS d, project_id, model,
                   sum(input_tokens - cached_tokens) AS ti, sum(cached_tokens) AS tc, sum(output_tokens) AS t_o,
                   sum(cost_usd) AS c
            FROM requests_priced WHERE cost_usd IS NOT NULL GROUP BY ALL
        )
        SELECT d, d + INTERVAL 1 DAY, project_id, model || ', ' || p, (c * 0.9 * w)::DECIMAL(38, 12), q, 'bench'
        FROM g, LATERAL (VALUES ('input', 0.5, ti), ('cached input', 0.1, tc), ('output', 0.4, t_o)) v(p, w, q)
        UNION ALL
        SELECT DISTINCT d, d + INTERVAL 1 DAY, 'proj_0', 'web search tool calls', 2.5, 250, 'bench' FROM g
        UNION ALL
        SELECT DISTINCT d, d + INTERVAL 1 DAY, '', 'Vector storage', 1.2, NULL, 'bench' FROM g""")
    print(
        f"built {rows:,} requests in November 2026 and their bill in {time.perf_counter() - t:.1f} s"
    )
    return con


def timed(label: str, fn) -> None:
    times = []
    for _ in range(4):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    print(f"{label:46}{times[0]:>10.2f}{sorted(times[1:])[1]:>17.2f}   {out}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument(
        "--memory-limit", default="8GB", help="DuckDB memory_limit (the machine is shared)"
    )
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        con = build(Path(d) / "bench.duckdb", a.rows)
        con.execute(f"SET memory_limit = '{a.memory_limit}'")
        centres = {f"feature-{i}": f"centre-{i % 3}" for i in range(12)}
        print(f"{'call':46}{'first (s)':>10}{'warm median (s)':>17}   result")

        def cb(by: str) -> str:
            return f"{len(chargeback.chargeback(con, month=MONTH, now=NOW, by=by, cost_centres=centres).rows)} rows"

        def export(fmt: str) -> str:
            rows = focus.focus_rows(con, month=MONTH, now=NOW, cost_centres=centres)[0]
            return f"{len(rows):,} rows, {len(focus.render(rows, fmt)):,} bytes"

        timed(
            "(reference) report --by feature",
            lambda: f"{len(report.spend_report(con, by=['feature']))} rows",
        )
        for by in ("feature", "cost_centre", "user"):
            timed(f"chargeback --by {by}", lambda by=by: cb(by))
        timed("export focus (CSV)", lambda: export("csv"))
        timed("export focus --format parquet", lambda: export("parquet"))


if __name__ == "__main__":
    main()
