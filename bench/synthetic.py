"""A large requests table built inside DuckDB (fast), shared by the benchmarks."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from spendwatch import store
from spendwatch.pricing import catalog, refresh_model_map


def build(path: Path, rows: int, *, random_ids: bool = False) -> duckdb.DuckDBPyConnection:
    """``random_ids``: ids spread like OpenAI's (``chatcmpl-`` + md5) instead of 'r0', 'r1', ...: then no
    row group's min/max can rule an id out, as with a real log."""
    con = store.connect(path)
    catalog.materialise(con)
    t = time.perf_counter()
    con.execute("""
        INSERT INTO requests (request_id, ts, model, feature, project_id, user_id, batch, input_tokens,
                              cached_tokens, output_tokens, source)
        SELECT CASE WHEN $random THEN 'chatcmpl-' || md5(i::VARCHAR) ELSE 'r' || i END,
               TIMESTAMP '2026-08-27' + INTERVAL (i % 7776000) SECOND,
               ['gpt-4o-2024-08-06', 'gpt-4o-mini-2024-07-18', 'o4-mini', 'gpt-4.1', 'acme-x'][1 + i % 5],
               'feature-' || (i % 12), 'proj_' || (i % 3), 'u_' || (i % 1000), i % 10 = 0,
               1000 + i % 3000, CASE WHEN i % 3 = 0 THEN 1024 ELSE 0 END, 100 + i % 400, 'bench'
        FROM range($rows) t(i)""", {"rows": rows, "random": random_ids})
    refresh_model_map(con)
    print(f"built {rows:,} requests in {time.perf_counter() - t:.1f} s")
    return con
