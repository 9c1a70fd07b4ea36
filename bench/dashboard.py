"""Dashboard latency: each page's data functions (the core calls the cached wrappers in
dashboard/data.py make) over a synthetic requests table, with the hourly rollups built on demand.

    .venv/bin/python bench/dashboard.py [--rows 10000000] [--db PATH] [--raw]

--db keeps the database (built once, reused on the next run); --raw also times every function
without the rollups (what a fresh install does below rollups.MIN_ROWS, or before the first build).
Targets: <= 300 ms per function at 10M requests, <= 1 s at 100M.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import synthetic

from spendwatch import (
    analytics,
    explore,
    forecast,
    health,
    ratelimits,
    recommend,
    rollups,
    store,
    whatif,
)

# synthetic.build spreads requests over 90 days from 2026-08-27; the "sidebar" shows the last 30.
FIRST, LAST = date(2026, 10, 26), date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 12)


def page_functions(con: duckdb.DuckDBPyConnection, spool: Path) -> list[tuple[str, str, Callable[[], Any]]]:
    f = explore.Filters.for_days(FIRST, LAST)
    rid = con.execute("SELECT request_id FROM requests LIMIT 1").fetchone()[0]
    scen = whatif.Scenario(to_model="gpt-4o-mini", start=f.start, end=f.end, with_range=True)
    odd = timedelta(minutes=37, seconds=12)  # a window that ends (and starts) mid-hour: edges read requests
    scen_odd = whatif.Scenario(to_model="gpt-4o-mini", start=f.start + odd, end=NOW + odd, with_range=True)
    centres = {f"feature-{i}": f"centre-{i % 3}" for i in range(12)}
    return [
        ("Overview", "overview_figures (today, month)", lambda: analytics.overview_figures(con, now=NOW)),
        ("Overview", "today and month, feature filter", lambda: explore.today_and_month(
            con, explore.Filters(f.start, f.end, features=("feature-3",)), now=NOW)),
        ("Overview", "last request (data freshness)", lambda: health.last_request(con)),
        ("Overview", "forecast_month_end", lambda: forecast.forecast_month_end(con, at=NOW)),
        ("Overview", "forecast_month_end, one feature", lambda: forecast.forecast_month_end(
            con, at=NOW, scope_col="feature", scope_value="feature-3")),
        ("Overview", "forecast_month_end at 12:37:12", lambda: forecast.forecast_month_end(con, at=NOW + odd)),
        ("Overview", "totals (30 days)", lambda: explore.totals(con, f)),
        ("Overview", "series by model per day", lambda: explore.series(con, f, by=["model"], grain="day")),
        ("Overview", "top_features vs previous period", lambda: analytics.top_features(con, f)),
        ("Sidebar", "filter_options (5 filters)", lambda: explore.filter_options(con)),
        ("Explore", "table by feature", lambda: explore.table(con, f, by=["feature"])),
        ("Explore", "series by feature per day", lambda: explore.series(con, f, by=["feature"], grain="day")),
        ("Explore", "table by model, project", lambda: explore.table(con, f, by=["model", "project"])),
        ("Explore", "series by model per hour", lambda: explore.series(con, f, by=["model"], grain="hour")),
        ("Explore", "table by user", lambda: explore.table(con, f, by=["user"])),
        ("Explore", "drill: requests of one feature", lambda: explore.requests(con, f, group={"feature": "feature-3"})),
        ("Explore", "cost explain (one request)", lambda: explore.explain(con, rid)),
        ("What-if", "simulate with range (one pass)", lambda: whatif.simulate(con, scen)),
        ("What-if", "simulate with range, mid-hour edges", lambda: whatif.simulate(con, scen_odd)),
        ("What-if", "recommendations", lambda: recommend.recommend(con, days=30, now=NOW)),
        ("What-if", "prices per 1M of source and target models", lambda: explore.model_prices(con)),
        ("Reports", "report_months", lambda: analytics.report_months(con)),
        ("Reports", "month_report by feature", lambda: analytics.month_report(con, month=LAST, by="feature")),
        ("Reports", "month_report by cost centre", lambda: analytics.month_report(
            con, month=LAST, by="cost_centre", cost_centres=centres)),
        ("Reports", "XLSX bytes", lambda: analytics.report_bytes(
            analytics.month_report(con, month=LAST, by="feature"), columns=["feature", "requests", "cost_usd"],
            fmt="xlsx")),
        ("Rate limits", "peaks per model", lambda: ratelimits.peaks(con, f)),
        ("Rate limits", "429s per day", lambda: ratelimits.rate_limited_series(con, f)),
        ("Data health", "sources", lambda: health.sources(con)),
        ("Data health", "rows per source per day", lambda: health.rows_per_source(con, f)),
        ("Data health", "unpriced models", lambda: health.unpriced_models(con)),
        ("Data health", "quarantine + reasons", lambda: (health.quarantine_reasons(con), health.quarantine(con))),
        ("Data health", "recent ingests, sync, spool", lambda: (health.recent_ingests(con), health.sync_state(con),
                                                                health.spool_backlog(spool))),
    ]


def timed(fn: Callable[[], Any], runs: int = 4) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times[0], statistics.median(times[1:])


def run_all(con: duckdb.DuckDBPyConnection, spool: Path, label: str) -> dict[tuple[str, str], tuple[float, float]]:
    out = {}
    for page, name, fn in page_functions(con, spool):
        out[(page, name)] = timed(fn)
    print(f"  ({label} done)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--db", type=Path, help="keep the database here (reused if it exists)")
    ap.add_argument("--raw", action="store_true", help="also time every function without the rollups")
    ap.add_argument("--memory-limit", default="8GB", help="DuckDB memory_limit (the machine is shared)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = a.db or Path(d) / "bench.duckdb"
        existed = path.exists()
        # Connections to one file in one process share the database instance, so this setting holds
        # for the connection that synthetic.build / store.connect open next.
        pin = duckdb.connect(str(path))
        pin.execute(f"SET memory_limit = '{a.memory_limit}'")
        if existed:
            con = store.connect(path)
            print(f"reusing {path}")
        else:
            con = synthetic.build(path, a.rows)
        con.execute("CHECKPOINT")
        n = con.execute("SELECT count(*) FROM requests").fetchone()[0]
        spool = Path(d) / "spool"
        results: dict[str, dict] = {}
        if a.raw:
            con.execute("DELETE FROM rollup_state")  # not fresh: every query reads requests_priced
            results["raw"] = run_all(con, spool, "raw")
        t = time.perf_counter()
        mode = rollups.refresh(con, full=True)
        build = time.perf_counter() - t
        hourly = con.execute("SELECT count(*) FROM requests_hourly").fetchone()[0]
        minutely = con.execute("SELECT count(*) FROM requests_minutely").fetchone()[0]
        users = con.execute("SELECT count(*) FROM requests_daily_users").fetchone()[0]
        print(f"rollups {mode} in {build:.1f} s: {hourly:,} hourly, {minutely:,} per-minute, "
              f"{users:,} per-day-and-user rows")
        con.execute("INSERT INTO requests (request_id, ts, model, source) VALUES ($id, $ts, 'gpt-4.1', 'bench')",
                    {"id": f"bench-late-{time.time_ns()}", "ts": datetime(2026, 11, 24, 9)})
        t = time.perf_counter()
        mode = rollups.ensure(con)
        print(f"one more request, then rollups.ensure: {mode} in {(time.perf_counter() - t) * 1000:.0f} ms")
        results["rollups"] = run_all(con, spool, "rollups")
        print()
        print(f"{n:,} requests, window {FIRST} .. {LAST} (30 days); ms: first call / warm median of 3")
        cols = list(results)
        head = f"{'page':12}{'data function':38}" + "".join(f"{c + ' first':>14}{c + ' warm':>14}" for c in cols)
        print(head)
        print("-" * len(head))
        for page, name, _ in page_functions(con, spool):
            line = f"{page:12}{name:38}"
            for c in cols:
                first, warm = results[c][(page, name)]
                line += f"{first * 1000:>14.0f}{warm * 1000:>14.0f}"
            print(line)
        con.close()
        pin.close()


if __name__ == "__main__":
    main()
