"""The alert check of `spendwatch serve`: every minute (SPENDWATCH_ALERT_CHECK_SECONDS), coalesced,
one instance at a time; the first run right at start-up is the catch-up check after downtime."""

from __future__ import annotations

import logging
from datetime import datetime

from spendwatch.alerts import rules
from spendwatch.alerts.check import check
from spendwatch.alerts.deliver import Delivery, deliver
from spendwatch.scheduler import job_factory

log = logging.getLogger("spendwatch.alerts")


def run_once(con, cfg: Delivery, *, now: datetime) -> None:
    """Check then send: what was recorded is sent now, or on a later run if this one fails."""
    new = check(con, at=now, now=now)
    if new:
        log.info("%d new alert event(s)", len(new))
    deliver(con, cfg, now=now)


@job_factory
def _alerts_job(settings, con):
    # the config is read once, at start-up (rules and SMTP alike), not on every tick
    rules.sync_config(con.cursor(), settings.load_toml())
    cfg = Delivery.from_settings(settings)
    return ("alerts-check", lambda now: run_once(con.cursor(), cfg, now=now), settings.alert_check_seconds)
