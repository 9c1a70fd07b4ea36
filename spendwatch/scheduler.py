"""The one scheduler of `spendwatch serve`: APScheduler's BackgroundScheduler, in the same process
as the dashboard, so jobs and pages share one DuckDB connection (each thread uses its own cursor).

Features register their jobs in ``JOB_FACTORIES``; each factory gets the settings and the shared
connection and returns ``(job_id, func, seconds)`` or None (e.g. sync without an admin key).
A job's ``func`` takes ``now`` (naive UTC): the scheduler reads the clock once per run and passes
it, so a job's result never depends on when the code under test happens to run.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import duckdb
from apscheduler.schedulers.background import BackgroundScheduler

from spendwatch.clock import utc_now
from spendwatch.config import Settings

log = logging.getLogger("spendwatch.scheduler")

JobSpec = tuple[str, Callable[..., Any], float]
JobFactory = Callable[[Settings, duckdb.DuckDBPyConnection], JobSpec | None]
JOB_FACTORIES: list[JobFactory] = []
# Modules whose import registers job factories (a feature adds its module name here).
JOB_MODULES: list[str] = [
    "spendwatch.alerts.job",
    "spendwatch.collectors.spool",
    "spendwatch.rollups_job",
    "spendwatch.collectors.openai_usage",
    "spendwatch.reports_schedule",
    "spendwatch.samples",
    "spendwatch.lake.job",
]


def job_factory(func: JobFactory) -> JobFactory:
    """Decorator: add a job factory to the scheduler of `spendwatch serve`."""
    JOB_FACTORIES.append(func)
    return func


def build_scheduler(settings: Settings, con: duckdb.DuckDBPyConnection) -> BackgroundScheduler:
    """Coalesced, one instance per job, misfires caught up once after downtime."""
    import importlib

    for name in JOB_MODULES:
        importlib.import_module(name)
    sched = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for factory in JOB_FACTORIES:
        spec = factory(settings, con)
        if spec is None:
            continue
        job_id, func, seconds = spec
        sched.add_job(run_job(job_id, func), "interval", seconds=seconds, id=job_id, name=job_id,
                      next_run_time=None if seconds > 3600 else _soon())
    return sched


def _soon() -> datetime:
    return datetime.now(UTC)


def takes_now(func: Callable[..., Any]) -> bool:
    try:
        return "now" in inspect.signature(func).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return False


def run_job(job_id: str, func: Callable[..., Any],
            clock: Callable[[], datetime] = utc_now) -> Callable[[], None]:
    """What the scheduler calls: read the clock once, pass it as ``now``, log (never raise) a failure."""
    with_now = takes_now(func)

    def run() -> None:
        try:
            func(now=clock()) if with_now else func()
        except Exception:  # a failing job must not stop the scheduler; it is logged and retried next tick
            log.exception("job %s failed", job_id)

    return run
