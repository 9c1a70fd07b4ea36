"""The rollup top-up of `spendwatch serve`: every few seconds, after the spool drain has added rows,
so a page view finds the rollups already fresh instead of paying for the top-up itself."""

from __future__ import annotations

from spendwatch import rollups
from spendwatch.scheduler import job_factory

SECONDS = 5


@job_factory
def _rollups_job(settings, con):
    return ("rollups-refresh", lambda: rollups.ensure(con.cursor(), min_rows=rollups.MIN_ROWS), SECONDS)
