"""Dashboard responsiveness under load (target: every page-data call <= 1 s): the process of
`spendwatch serve` — one DuckDB connection, APScheduler draining the spool every 3 s and checking
alerts every minute — while 8 writer processes (an app's workers) feed the spool; meanwhile the main
thread calls page data functions in a loop, as page views would: each call first brings the rollups
up to date (`rollups.ensure`, as dashboard/data.py does before it recomputes a figure), then runs.

    .venv/bin/python bench/load.py [--rows 1000000] [--seconds 60] [--rate 500]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import synthetic

from spendwatch import alerts, analytics, explore, forecast, report, rollups
from spendwatch.alerts import rules
from spendwatch.collectors.spool import SpoolWriter, finished_segments
from spendwatch.config import get_settings
from spendwatch.scheduler import build_scheduler

WRITERS = 8


def writer(directory: str, worker: int, rate: int, seconds: float, written) -> None:
    """One app worker: `rate` records a second into the spool (what `instrument()` hands it)."""
    spool = SpoolWriter(Path(directory))
    end, i = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        tick = time.monotonic()
        for _ in range(rate // 10):
            ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            spool.put({"request_id": f"load-{worker}-{i}", "ts": ts, "model": "gpt-4o-mini-2024-07-18",
                       "feature": f"feature-{i % 7}", "project_id": "proj_load", "status": "ok",
                       "usage": {"prompt_tokens": 900, "completion_tokens": 120,
                                 "prompt_tokens_details": {"cached_tokens": 0}}})
            i += 1
        time.sleep(max(0.0, 0.1 - (time.monotonic() - tick)))
    spool.close()
    with written.get_lock():
        written.value += i


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000, help="requests already in the store")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--rate", type=int, default=500, help="records per second per writer")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "load.duckdb"
        con = synthetic.build(db, a.rows)
        settings = get_settings(db=db, spool=Path(d) / "spool", alert_check_seconds=10)
        rules.save(con, alerts.make_rule("load-month", budget=1_000_000, window="month"))
        before = con.execute("SELECT count(*) FROM requests").fetchone()[0]
        t = time.perf_counter()
        print(f"rollups {rollups.ensure(con)} in {time.perf_counter() - t:.1f} s (the dashboard's first visit)")
        sched = build_scheduler(settings, con)
        sched.start()
        ctx = mp.get_context("spawn")
        written = ctx.Value("q", 0)
        procs = [ctx.Process(target=writer, args=(str(settings.spool_dir()), w, a.rate, a.seconds, written))
                 for w in range(WRITERS)]
        for p in procs:
            p.start()
        page = con.cursor()
        month_start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        today = datetime.now(UTC).date()
        last30 = explore.Filters.for_days(today.replace(day=1) if today.day > 30 else today - timedelta(days=29), today)
        calls = {
            "overview_figures": lambda: analytics.overview_figures(page),
            "forecast_month_end": lambda: forecast.forecast_month_end(page),
            "explore.table(feature, 30 d)": lambda: explore.table(page, last30, by=["feature"]),
            "explore.series(model, day)": lambda: explore.series(page, last30, by=["model"], grain="day"),
            "spend_report(month, feature)": lambda: report.spend_report(page, by=["feature"], start=month_start),
            "alerts.burn_down": lambda: alerts.burn_down(page, rules.get(page, "load-month")),
        }
        ensure_modes: dict[str, int] = {}
        times: dict[str, list[float]] = {k: [] for k in calls}
        t0 = time.monotonic()
        while time.monotonic() - t0 < a.seconds or any(p.is_alive() for p in procs):
            for name, fn in calls.items():
                t = time.perf_counter()
                mode = rollups.ensure(page)
                fn()
                times[name].append(time.perf_counter() - t)
                ensure_modes[mode] = ensure_modes.get(mode, 0) + 1
        for p in procs:
            p.join()
        deadline = time.monotonic() + 30
        while finished_segments(settings.spool_dir()) and time.monotonic() < deadline:
            time.sleep(0.5)
        elapsed = time.monotonic() - t0
        sched.shutdown()
        after = con.execute("SELECT count(*) FROM requests").fetchone()[0]
        backlog = len(finished_segments(settings.spool_dir()))

    print(f"{a.rows:,} requests in the store; {WRITERS} writers × {a.rate}/s for {a.seconds:.0f} s "
          f"wrote {written.value:,} records; drained {after - before:,} in {elapsed:.0f} s "
          f"({(after - before) / elapsed:,.0f} rows/s), spool backlog at the end: {backlog} segments")
    print("rollups.ensure before each call: " + ", ".join(f"{k} {v}" for k, v in sorted(ensure_modes.items())))
    print(f"{'page data call':30}{'calls':>7}{'p50 (ms)':>10}{'p95 (ms)':>10}{'max (ms)':>10}")
    for name, ts in times.items():
        ts.sort()
        p95 = ts[min(len(ts) - 1, int(len(ts) * 0.95))]
        print(f"{name:30}{len(ts):>7}{statistics.median(ts) * 1e3:>10.0f}{p95 * 1e3:>10.0f}{ts[-1] * 1e3:>10.0f}")


if __name__ == "__main__":
    main()
