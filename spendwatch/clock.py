"""The one place that reads the wall clock. Core functions take ``now``/``at``; only the CLI, the
scheduler's jobs and the dashboard's entry points call these to fill them in."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, as the naive UTC datetime every stored ``ts`` uses."""
    return datetime.now(UTC).replace(tzinfo=None)
