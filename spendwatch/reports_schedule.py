"""The monthly report that sends itself: on a day of each month, at a time in a time zone, last month's
chargeback (XLSX or CSV) or FOCUS export goes by e-mail (attached) and to webhooks (a summary).

A run is recorded like an alert: one ``alert_events`` row (kind ``report``, key ``report|NAME|YYYY-MM``)
and one ``alert_outbox`` row per channel, in one transaction, with the file written beside the
database first. The alerts job of ``serve`` sends the outbox (retries with backoff, state stored after
every try), so each month's report goes out exactly once per channel; a server that was down at the
scheduled time records it on its next run (catch-up).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from spendwatch import chargeback, focus, store
from spendwatch.alerts.rules import InvalidRule, check_channel
from spendwatch.errors import SpendwatchError
from spendwatch.money import usd
from spendwatch.scheduler import job_factory

log = logging.getLogger("spendwatch.reports")

FORMATS = {"xlsx": "xlsx", "csv": "csv", "focus": "csv"}  # format → file extension
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Schedule:
    """Send last month's report on ``day`` at ``at`` (HH:MM) in ``tz``, as ``format``, to ``channels``."""

    name: str
    channels: tuple[str, ...]
    format: str = "xlsx"
    by: str = "cost_centre"
    day: int = 2
    at: str = "08:00"
    tz: str = "UTC"
    source: str = "cli"

    def validated(self) -> Schedule:
        """The same schedule, or InvalidRule with a one-line reason."""
        if not _NAME.match(self.name):
            raise InvalidRule(
                f"report name must be letters, digits, '.', '_' or '-', got {self.name!r}"
            )
        if self.format not in FORMATS:
            raise InvalidRule(
                f"report format must be one of {', '.join(FORMATS)}, got {self.format!r}"
            )
        if self.by not in chargeback.DIMENSIONS:
            raise InvalidRule(
                f"report --by must be one of {', '.join(chargeback.DIMENSIONS)}, got {self.by!r}"
            )
        if not 1 <= int(self.day) <= 28:
            raise InvalidRule(f"report day must be 1..28 (every month has it), got {self.day}")
        if not _TIME.match(self.at):
            raise InvalidRule(f"report time must be HH:MM (24 h), got {self.at!r}")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidRule(
                f"unknown time zone {self.tz!r} (use a name like Europe/Berlin)"
            ) from None
        if not self.channels:
            raise InvalidRule(
                "a report needs at least one channel (email:ADDRESS, webhook:URL or log)"
            )
        for ch in self.channels:
            check_channel(ch)
        return self

    def send_at(self, month: date) -> datetime:
        """When the report of the month before ``month`` is due, as naive UTC."""
        hh, mm = (int(x) for x in self.at.split(":"))
        local = datetime.combine(
            month.replace(day=self.day), time(hh, mm), tzinfo=ZoneInfo(self.tz)
        )
        return local.astimezone(UTC).replace(tzinfo=None)

    def due(self, now: datetime) -> date | None:
        """The month whose report is due by ``now`` (the latest one), or None before the first."""
        this = now.date().replace(day=1)
        for month in (this, _prev(this)):
            if self.send_at(month) <= now:
                return _prev(month)
        return None


def _prev(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def save(con: duckdb.DuckDBPyConnection, s: Schedule) -> None:
    s = s.validated()
    con.execute(
        store.query("report_schedule_upsert"), {**_row(s), "channels": json.dumps(list(s.channels))}
    )


def _row(s: Schedule) -> dict[str, Any]:
    return {
        "name": s.name,
        "format": s.format,
        "by": s.by,
        "day": int(s.day),
        "at": s.at,
        "tz": s.tz,
        "source": s.source,
    }


def all_schedules(con: duckdb.DuckDBPyConnection) -> list[Schedule]:
    return [
        Schedule(
            name=r["name"],
            channels=tuple(json.loads(r["channels"])),
            format=r["format"],
            by=r["by_col"],
            day=r["day"],
            at=r["at_time"],
            tz=r["tz"],
            source=r["source"],
        )
        for r in store.fetch_dicts(con, store.query("report_schedules_all"))
    ]


def remove(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute(store.query("report_schedule_delete"), {"name": name}).fetchall())


def from_toml(toml: dict[str, Any]) -> list[Schedule]:
    """``[reports]`` (one schedule, named 'monthly' unless it says) or ``[[reports]]`` (several)."""
    entries = toml.get("reports", [])
    entries = [entries] if isinstance(entries, dict) else entries
    out = []
    for e in entries:
        if not isinstance(e, dict):
            raise InvalidRule(
                "the config's reports must be a table [reports] or tables [[reports]]"
            )
        known = {"name", "channels", "format", "by", "day", "at", "tz"}
        extra = set(e) - known
        if extra:
            raise InvalidRule(f"[reports]: unknown key {sorted(extra)[0]!r}")
        out.append(
            Schedule(
                name=str(e.get("name", "monthly")),
                channels=tuple(e.get("channels", ())),
                format=str(e.get("format", "xlsx")),
                by=str(e.get("by", "cost_centre")),
                day=int(e.get("day", 2)),
                at=str(e.get("at", "08:00")),
                tz=str(e.get("tz", "UTC")),
                source="config",
            ).validated()
        )
    return out


def sync_config(con: duckdb.DuckDBPyConnection, toml: dict[str, Any]) -> int:
    """Make the config-owned schedules equal the config's (CLI ones untouched)."""
    wanted = from_toml(toml)
    names = {s.name for s in wanted}
    with store.transaction(con):
        for old in all_schedules(con):
            if old.source == "config" and old.name not in names:
                remove(con, old.name)
            elif old.source != "config" and old.name in names:
                raise InvalidRule(
                    f"[reports] {old.name}: a report of that name was added with the CLI"
                )
        for s in wanted:
            save(con, s)
    return len(wanted)


def report_file(
    con: duckdb.DuckDBPyConnection,
    s: Schedule,
    month: date,
    *,
    now: datetime,
    cost_centres: dict[str, str],
    organization: str = "openai",
) -> tuple[bytes, str, dict[str, Any]]:
    """(file bytes, summary text, figures) of the month's report."""
    cb = chargeback.chargeback(con, month=month, now=now, by=s.by, cost_centres=cost_centres)
    h = cb.headline
    if s.format == "focus":
        rows, _ = focus.focus_rows(
            con, month=month, now=now, organization=organization, cost_centres=cost_centres
        )
        data = focus.render(rows, "csv")
    else:
        data = chargeback.file_bytes(cb, s.format)
    lines = [
        f"spendwatch: {s.name} — the OpenAI bill for {month:%B %Y}, {usd(h['billed_usd'])}: "
        f"{usd(h['allocated_usd'])} allocated to a {s.by.replace('_', ' ')}"
        + (f" ({h['allocated_pct']} %)" if h["allocated_pct"] is not None else "")
        + "."
    ]
    top = [r for r in cb.rows if r["reason"] is None][:5]
    if top:
        lines.append(
            "Largest: " + "; ".join(f"{r[s.by] or '—'} {usd(r['billed_usd'])}" for r in top) + "."
        )
    unalloc = [f"{k} {usd(v)}" for k, v in h["unallocated_usd"].items() if v]
    if unalloc:
        lines.append("Not allocated: " + "; ".join(unalloc) + ".")
    if cb.unsynced_days:
        lines.append(
            f"Not synced, left out: {len(cb.unsynced_days)} day(s) from {cb.unsynced_days[0]:%Y-%m-%d}."
        )
    figures = {
        "month": f"{month:%Y-%m}",
        "billed_usd": str(h["billed_usd"]),
        "allocated_usd": str(h["allocated_usd"]),
        "unallocated_usd": {k: str(v) for k, v in h["unallocated_usd"].items()},
    }
    return data, "\n".join(lines), figures


def run_due(
    con: duckdb.DuckDBPyConnection,
    *,
    now: datetime,
    out_dir: Path,
    cost_centres: dict[str, str] | None = None,
    organization: str = "openai",
) -> list[str]:
    """Record every report due by ``now`` and not yet recorded (file, event, one outbox row per channel).
    Returns the event keys recorded. A month with no bill yet is skipped (tried again next run)."""
    recorded = []
    for s in all_schedules(con):
        month = s.due(now)
        if month is None:
            continue
        key = f"report|{s.name}|{month:%Y-%m}"
        if con.execute(store.query("report_event_exists"), {"key": key}).fetchall()[0][0]:
            continue
        try:
            data, text, figures = report_file(
                con, s, month, now=now, cost_centres=cost_centres or {}, organization=organization
            )
        except chargeback.NotSynced as e:
            log.warning("report %s for %s not sent yet: %s", s.name, f"{month:%Y-%m}", e)
            continue
        name = (
            f"spendwatch-{s.name}-{month:%Y-%m}"
            + ("-focus" if s.format == "focus" else "")
            + f".{FORMATS[s.format]}"
        )
        path = out_dir / name
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        payload = {
            "rule": s.name,
            "kind": "report",
            "subject": f"spendwatch report: {s.name}, {month:%B %Y}",
            "attachment": str(path),
            **figures,
        }
        with store.transaction(con):
            con.execute(
                store.query("alert_event_insert"),
                {
                    "key": key,
                    "rule": s.name,
                    "kind": "report",
                    "window_start": month,
                    "level": None,
                    "detected_at": now,
                    "spend": figures["billed_usd"],
                    "budget": None,
                    "message": text,
                    "payload": json.dumps(payload),
                },
            )
            for ch in s.channels:
                con.execute(
                    store.query("alert_outbox_insert"), {"key": key, "channel": ch, "due": now}
                )
        recorded.append(key)
    return recorded


def as_dict(s: Schedule) -> dict[str, Any]:
    return asdict(s)


@job_factory
def _reports_job(settings, con):
    """`serve`: record due reports every minute; the alerts job's outbox sender delivers them."""
    toml = settings.load_toml()
    try:
        sync_config(con.cursor(), toml)
    except SpendwatchError as e:
        log.error("[reports] in the config: %s", e)
    out_dir = settings.db.with_name(settings.db.name + ".reports")
    centres = toml.get("cost_centres", {})
    org = str(toml.get("focus", {}).get("billing_account_id", "openai"))
    return (
        "reports",
        lambda now: run_due(
            con.cursor(), now=now, out_dir=out_dir, cost_centres=centres, organization=org
        ),
        60,
    )
