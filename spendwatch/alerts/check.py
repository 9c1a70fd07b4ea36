"""Evaluate every rule as of one instant and record what fired.

Detection and recording happen in one transaction: an event and one outbox row per channel are
written together, keyed so each (rule, window, level) exists once. Sending is `deliver`'s job, so a
crash after this commit still delivers (once) after a restart.
"""

from __future__ import annotations

import json
import logging
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from spendwatch import forecast, store
from spendwatch.alerts.rules import WEEKDAYS, Rule, all_rules
from spendwatch.clock import utc_now
from spendwatch.money import usd as money
from spendwatch.report import render_scoped

log = logging.getLogger("spendwatch.alerts")

SPIKE_TRAILING_DAYS = 14
SPIKE_COOLDOWN = timedelta(hours=6)  # one spike alert per rule per 6 hours: a spike is one breach
TOP_FEATURES = 3


@dataclass
class Event:
    key: str
    rule: str
    kind: str
    window_start: datetime | None
    level: int | None
    spend_usd: Decimal | None
    budget_usd: Decimal | None
    message: str
    payload: dict[str, Any] = field(default_factory=dict)
    channels: tuple[str, ...] = ()
    deliver: bool = True  # lower budget levels crossed in the same check are recorded, not sent


# -- calendar windows ----------------------------------------------------------------------------

def window_bounds(at: datetime, rule: Rule) -> tuple[datetime, datetime]:
    """[start, end) in naive UTC of the rule's calendar window (in its time zone) containing ``at``."""
    tz = rule.tz
    local = at.replace(tzinfo=UTC).astimezone(tz).date()
    if rule.window == "day":
        first, nxt = local, local + timedelta(days=1)
    elif rule.window == "week":
        first = local - timedelta(days=(local.weekday() - WEEKDAYS.index(rule.week_start)) % 7)
        nxt = first + timedelta(days=7)
    else:
        first = local.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
    return _utc(first, tz), _utc(nxt, tz)


def _utc(d: date, tz) -> datetime:
    return datetime.combine(d, time(), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


# -- queries -------------------------------------------------------------------------------------

def _scope_sql(name: str, rule: Rule) -> tuple[str, dict[str, Any]]:
    return render_scoped(name, rule.scope_col), {"value": rule.scope_value if rule.scope_col else None}


def window_spend(con: duckdb.DuckDBPyConnection, rule: Rule, start: datetime, end: datetime) -> Decimal:
    sql, params = _scope_sql("alert_window_spend", rule)
    spend, _ = con.execute(sql, {**params, "start": start, "end": end}).fetchone()
    return Decimal(spend)


def top_features(con: duckdb.DuckDBPyConnection, rule: Rule, start: datetime, end: datetime) -> list[dict[str, Any]]:
    sql, params = _scope_sql("alert_top_features", rule)
    rows = con.execute(sql, {**params, "start": start, "end": end, "n": TOP_FEATURES}).fetchall()
    return [{"feature": f, "spend_usd": Decimal(s)} for f, s in rows]


def same_hour_spend(con: duckdb.DuckDBPyConnection, rule: Rule, at: datetime) -> tuple[Decimal, Decimal]:
    """(spend in the last hour, median spend in the same hour over the trailing days; $0 days count)."""
    sql, params = _scope_sql("alert_same_hour_spend", rule)
    got = dict(con.execute(sql, {**params, "at": at, "days": SPIKE_TRAILING_DAYS}).fetchall())
    trailing = [Decimal(got.get(d, 0)) for d in range(1, SPIKE_TRAILING_DAYS + 1)]
    return Decimal(got.get(0, 0)), statistics.median(trailing)


def month_forecast(con: duckdb.DuckDBPyConnection, rule: Rule, at: datetime) -> Decimal:
    f = forecast.forecast_month_end(con, at=at, scope_col=rule.scope_col, scope_value=rule.scope_value)
    return Decimal(f["forecast_usd"])


# -- detection -----------------------------------------------------------------------------------

def _drivers(feats: list[dict[str, Any]]) -> str:
    return ", ".join(f"{f['feature']} {money(f['spend_usd'])}" for f in feats) or "none"


def _payload(rule: Rule, **extra: Any) -> dict[str, Any]:
    return {"rule": rule.name, "kind": rule.kind, "scope": rule.scope_label, "window": rule.window,
            "timezone": rule.timezone, **extra}


def detect_budget(con, rule: Rule, at: datetime, start: datetime, end: datetime) -> list[Event]:
    spend = window_spend(con, rule, start, min(at, end))
    pct = spend * 100 / rule.budget_usd
    # levels already recorded need no message: skip the top-features and forecast queries for them
    crossed = [lv for lv in rule.levels if pct >= lv and not _exists(con, _budget_key(rule, start, lv))]
    if not crossed:
        return []
    feats = top_features(con, rule, start, min(at, end))
    fc = month_forecast(con, rule, at)
    local_start = start.replace(tzinfo=UTC).astimezone(rule.tz)
    events = []
    for lv in crossed:
        text = (f"spendwatch: {rule.name} — {rule.scope_label} has spent {money(spend)} this {rule.window} "
                f"({pct:.0f} % of its {money(rule.budget_usd)} budget; level {lv} %). "
                f"{rule.window.capitalize()} from {local_start:%Y-%m-%d %H:%M} {rule.timezone}. "
                f"Month-end forecast {money(fc)}. Top features: {_drivers(feats)}.")
        events.append(Event(
            key=_budget_key(rule, start, lv), rule=rule.name, kind="budget", window_start=start,
            level=lv, spend_usd=spend, budget_usd=rule.budget_usd, message=text,
            payload=_payload(rule, level=lv, spend_usd=str(spend), budget_usd=str(rule.budget_usd),
                             percent=f"{pct:.1f}", window_start=start.isoformat() + "Z",
                             forecast_usd=str(fc), top_features=_json_feats(feats)),
        ))
    return events


def _budget_key(rule: Rule, start: datetime, level: int) -> str:
    return f"{rule.name}|budget|{start.isoformat()}|{level}"


def detect_forecast(con, rule: Rule, at: datetime) -> list[Event]:
    start = datetime(at.year, at.month, 1)  # forecasts are of the UTC calendar month
    fc = month_forecast(con, rule, at)
    if fc < rule.budget_usd:
        return []
    spend = window_spend(con, rule, start, at)
    feats = top_features(con, rule, at - timedelta(days=1), at)
    text = (f"spendwatch: {rule.name} — {rule.scope_label} is on pace to exceed its {money(rule.budget_usd)} "
            f"monthly budget: forecast {money(fc)} by month end, {money(spend)} spent so far. "
            f"Top features in the last 24 h: {_drivers(feats)}.")
    return [Event(key=f"{rule.name}|forecast|{start.isoformat()}", rule=rule.name, kind="forecast",
                  window_start=start, level=100, spend_usd=spend, budget_usd=rule.budget_usd, message=text,
                  payload=_payload(rule, spend_usd=str(spend), budget_usd=str(rule.budget_usd), forecast_usd=str(fc),
                                   window_start=start.isoformat() + "Z", top_features=_json_feats(feats)))]


def detect_spike(con, rule: Rule, at: datetime) -> list[Event]:
    last_hour, median = same_hour_spend(con, rule, at)
    if last_hour < rule.spike_floor_usd or last_hour <= rule.spike_factor * median:
        return []
    recent = con.execute(store.query("alert_recent_spikes"),
                         {"rule": rule.name, "since": at - SPIKE_COOLDOWN, "at": at}).fetchone()[0]
    if recent:
        return []
    hour = at.replace(minute=0, second=0, microsecond=0)
    feats = top_features(con, rule, at - timedelta(hours=1), at)
    ratio = f"{last_hour / median:.1f}×" if median else "new spend"
    text = (f"spendwatch: {rule.name} — spend spike on {rule.scope_label}: {money(last_hour)} in the last hour, "
            f"{ratio} the usual {money(median)} for this hour (median of {SPIKE_TRAILING_DAYS} days). "
            f"Top features: {_drivers(feats)}.")
    return [Event(key=f"{rule.name}|spike|{hour.isoformat()}", rule=rule.name, kind="spike", window_start=at,
                  level=None, spend_usd=last_hour, budget_usd=None, message=text,
                  payload=_payload(rule, spend_usd=str(last_hour), median_usd=str(median),
                                   factor=str(rule.spike_factor), top_features=_json_feats(feats)))]


def detect_unpriced(con, rule: Rule, at: datetime) -> list[Event]:
    sql, params = _scope_sql("alert_unpriced_models", rule)
    events = []
    for model, first_seen, n in con.execute(sql, {**params, "at": at}).fetchall():
        text = (f"spendwatch: {rule.name} — model {model!r} has no price ({n:,} requests since "
                f"{first_seen:%Y-%m-%d %H:%M} UTC); its cost is missing from every total. "
                "Add it under [pricing] in the config or see `spendwatch prices --unpriced`.")
        events.append(Event(key=f"{rule.name}|unpriced|{model}", rule=rule.name, kind="unpriced",
                            window_start=first_seen, level=None, spend_usd=None, budget_usd=None, message=text,
                            payload=_payload(rule, model=model, requests=n)))
    return events


def detect_sync_stale(con, rule: Rule, at: datetime) -> list[Event]:
    row = con.execute(store.query("alert_sync_last_ok")).fetchone()
    if row is None:
        return []  # never synced: nothing to be stale
    last_ok, status, detail = row
    if last_ok is not None and at - last_ok < timedelta(hours=rule.stale_hours):
        return []
    since = last_ok.isoformat() if last_ok else "never"
    text = (f"spendwatch: {rule.name} — the OpenAI usage sync is stale: last success {since}"
            f"{' UTC' if last_ok else ''}, last attempt {status or 'unknown'}{': ' + detail if detail else ''}.")
    return [Event(key=f"{rule.name}|sync-stale|{since}", rule=rule.name, kind="sync-stale", window_start=last_ok,
                  level=None, spend_usd=None, budget_usd=None, message=text,
                  payload=_payload(rule, last_ok_at=since, last_status=status))]


def _json_feats(feats: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"feature": f["feature"], "spend_usd": str(f["spend_usd"])} for f in feats]


def detect(con: duckdb.DuckDBPyConnection, rule: Rule, at: datetime, *, catch_up_from: datetime | None = None) -> list[Event]:
    """Everything the rule says as of ``at``; with ``catch_up_from``, also the window that ended unseen."""
    if rule.kind == "budget":
        start, end = window_bounds(at, rule)
        events = detect_budget(con, rule, at, start, end)
        if catch_up_from is not None and catch_up_from < start:
            prev_start, prev_end = window_bounds(start - timedelta(microseconds=1), rule)
            events += detect_budget(con, rule, prev_end, prev_start, prev_end)
    elif rule.kind == "forecast":
        events = detect_forecast(con, rule, at)
    elif rule.kind == "spike":
        events = detect_spike(con, rule, at)
    elif rule.kind == "unpriced":
        events = detect_unpriced(con, rule, at)
    else:
        events = detect_sync_stale(con, rule, at)
    for e in events:
        e.channels = rule.channels
    return events


# -- recording -----------------------------------------------------------------------------------

class _DryRun(Exception):
    pass


def check(con: duckdb.DuckDBPyConnection, *, at: datetime | None = None, dry_run: bool = False,
          now: datetime | None = None) -> list[Event]:
    """Evaluate all enabled rules as of ``at`` (naive UTC; default now) and record new events with
    their deliveries in one transaction. Returns the events that are new (with ``dry_run``: would be).
    ``now`` is the wall clock (default: read it): a deliveries' due time is never after it, so a
    back-test of an earlier instant sends at once."""
    now = now or utc_now()
    at = at or now
    new: list[Event] = []
    try:
        _check(con, at, now, dry_run, new)
    except _DryRun:
        pass
    return new


def _check(con, at: datetime, now: datetime, dry_run: bool, new: list[Event]) -> None:
    with store.transaction(con):
        row = con.execute("SELECT checked_at FROM alert_checks WHERE id = 1").fetchone()
        last = row[0] if row else None
        for rule in all_rules(con, enabled_only=True):
            events = detect(con, rule, at, catch_up_from=last)
            fresh = [e for e in events if not _exists(con, e.key)]
            if rule.kind == "budget":  # send only the highest newly crossed level per window
                top: dict[Any, Event] = {}
                for e in fresh:
                    if e.window_start not in top or e.level > top[e.window_start].level:
                        top[e.window_start] = e
                for e in fresh:
                    e.deliver = e is top[e.window_start]
            due = min(at, now)
            for e in fresh:
                _record(con, e, at, due)
            new += fresh
        if last is None or at > last:
            con.execute("INSERT OR REPLACE INTO alert_checks (id, checked_at) VALUES (1, ?)", [at])
        if dry_run:
            raise _DryRun


def _exists(con, key: str) -> bool:
    return con.execute("SELECT count(*) FROM alert_events WHERE event_key = ?", [key]).fetchone()[0] > 0


def _record(con, e: Event, at: datetime, due: datetime) -> None:
    payload = {**e.payload, "event_id": e.key, "text": e.message, "delivered": e.deliver}
    con.execute(store.query("alert_event_insert"), {
        "key": e.key, "rule": e.rule, "kind": e.kind, "window_start": e.window_start, "level": e.level,
        "detected_at": at, "spend": e.spend_usd, "budget": e.budget_usd, "message": e.message,
        "payload": json.dumps(payload),
    })
    if e.deliver:
        for ch in e.channels:
            con.execute(store.query("alert_outbox_insert"), {"key": e.key, "channel": ch, "due": due})


def burn_down(con: duckdb.DuckDBPyConnection, rule: Rule, at: datetime | None = None) -> dict[str, Any]:
    """The current window of a budget or forecast rule, day by day (in the rule's zone): spend, the
    running total against the budget, and for month windows the forecast to month end."""
    at = at or utc_now()
    start, end = window_bounds(at, rule)
    sql, params = _scope_sql("alert_burn_down", rule)
    rows = store.fetch_dicts(con, sql, {**params, "start": start, "end": end, "at": at, "tz": rule.timezone})
    today = at.replace(tzinfo=UTC).astimezone(rule.tz).date()
    days = [r for r in rows if r["day"] <= today]
    return {
        "rule": rule.name, "window_start": start, "window_end": end, "budget_usd": rule.budget_usd,
        "days": days, "all_days": [r["day"] for r in rows],
        "spent_usd": days[-1]["cumulative_usd"] if days else Decimal(0),
        "forecast_usd": month_forecast(con, rule, at) if rule.window == "month" else None,
    }
