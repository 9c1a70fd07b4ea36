"""`spendwatch serve` keeps the rollups topped up in the background, so page views find them fresh."""

from __future__ import annotations

import time
from datetime import timedelta

from spendwatch import ingest, rollups
from spendwatch.config import get_settings
from spendwatch.scheduler import build_scheduler
from tests.helpers import chat_record


def _wait_fresh(con, seconds: float = 20) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if rollups.is_fresh(con):
            return True
        time.sleep(0.2)
    return False


def test_serve_refreshes_the_rollups_after_ingest(con, db_path, monkeypatch):
    monkeypatch.setattr(rollups, "MIN_ROWS", 3)  # the job reads it on each run
    ingest.ingest_lines(con, [chat_record(f"a{i}", "gpt-4o", 1000, 10, ts="2026-11-20T10:00:00Z")
                              for i in range(5)], source="first")
    assert not rollups.is_fresh(con)
    sched = build_scheduler(get_settings(db=db_path), con)
    sched.start()
    job = sched.get_job("rollups-refresh")
    assert job.trigger.interval == timedelta(seconds=5) and job.max_instances == 1
    try:
        assert _wait_fresh(con), "the first run (at start-up) builds the rollups"
        ingest.ingest_lines(con, [chat_record(f"b{i}", "gpt-4o", 1000, 10, ts="2026-11-21T10:00:00Z")
                                  for i in range(4)], source="second")
        assert not rollups.is_fresh(con)
        assert _wait_fresh(con), "a later run appends the new rows"
        assert rollups.state(con)["rows_covered"] == 9
    finally:
        sched.shutdown(wait=True)
