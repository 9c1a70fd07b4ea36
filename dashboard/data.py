"""The one module that owns caching: the store as a resource, query results with a short TTL."""

from __future__ import annotations

import duckdb
import streamlit as st

from spendwatch import (
    alerts,
    analytics,
    explore,
    forecast,
    health,
    ratelimits,
    recommend,
    reconcile,
    rollups,
    runtime,
    whatif,
)
from spendwatch.alerts import rules as alert_rules_mod


def cursor():
    return runtime.cursor()


@st.cache_data(ttl=30, show_spinner=False)
def overview_totals() -> dict:
    return analytics.overview_totals(cursor())


@st.cache_data(ttl=30, show_spinner=False)
def daily_cost_by_model(days: int):
    return analytics.daily_cost_by_model(cursor(), days=days)


@st.cache_data(ttl=30, show_spinner=False)
def has_data() -> bool:
    return analytics.has_data(cursor())


@st.cache_data(ttl=60, show_spinner=False)
def month_forecast(scope_col: str | None = None, scope_value: str | None = None, at=None) -> dict:
    rollups_ready()
    return forecast.forecast_month_end(cursor(), at=at, scope_col=scope_col, scope_value=scope_value)


@st.cache_data(ttl=30, show_spinner=False)
def filtered_overview(f: explore.Filters, now) -> dict:
    """Today and month to date (UTC) under the sidebar's value filters (its dates do not apply:
    these windows are today and this month by definition)."""
    rollups_ready()
    return explore.today_and_month(cursor(), f, now=now)


@st.cache_data(ttl=10, show_spinner=False)
def last_request():
    return health.last_request(cursor())


# --- Issue 7 pages: every figure comes from the core; rollups are brought up to date on demand. ---

def rollups_ready() -> str:
    """Build or top up the hourly rollups once the table is large (a no-op below rollups.MIN_ROWS).
    Not cached: a fresh check costs about a millisecond, a top-up after an ingest tens, and every
    cached figure below calls it before it recomputes, so figures never read a stale rollup."""
    try:
        return rollups.ensure(cursor())
    except duckdb.Error as e:  # e.g. a write conflict with ingest: raw queries still answer
        return f"unavailable: {e}"


@st.cache_data(ttl=60, show_spinner=False)
def config() -> dict:
    return runtime.settings().load_toml()


@st.cache_data(ttl=30, show_spinner=False)
def overview_figures() -> dict:
    rollups_ready()
    return analytics.overview_figures(cursor())


@st.cache_data(ttl=60, show_spinner=False)
def filter_options() -> dict[str, list[str]]:
    rollups_ready()
    return explore.filter_options(cursor())


@st.cache_data(ttl=30, show_spinner=False)
def totals(f: explore.Filters) -> dict:
    rollups_ready()
    return explore.totals(cursor(), f)


@st.cache_data(ttl=30, show_spinner=False)
def explore_table(f: explore.Filters, by: tuple[str, ...], metric: str):
    rollups_ready()
    return explore.table(cursor(), f, by=by, metric=metric)


@st.cache_data(ttl=30, show_spinner=False)
def explore_series(f: explore.Filters, by: tuple[str, ...], grain: str, metric: str):
    rollups_ready()
    return explore.series(cursor(), f, by=by, grain=grain, metric=metric)


@st.cache_data(ttl=30, show_spinner=False)
def drill(f: explore.Filters, group: tuple[tuple[str, object], ...], limit: int = 200):
    return explore.requests(cursor(), f, group=dict(group), limit=limit)


@st.cache_data(ttl=300, show_spinner=False)
def explain(request_id: str) -> dict | None:
    return explore.explain(cursor(), request_id)


@st.cache_data(ttl=30, show_spinner=False)
def top_features(f: explore.Filters, n: int = 10):
    rollups_ready()
    return analytics.top_features(cursor(), f, n=n)


@st.cache_data(ttl=300, show_spinner=False)
def target_models() -> list[str]:
    return analytics.target_models(cursor())


@st.cache_data(ttl=300, show_spinner=False)
def prices_per_mtok() -> tuple[dict[str, dict], dict[str, str]]:
    """The standard-tier price in force per price key, and each seen model's price key."""
    return explore.model_prices(cursor())


@st.cache_data(ttl=60, show_spinner="Simulating…")
def whatif_result(scenario: whatif.Scenario) -> whatif.WhatIfResult:
    rollups_ready()
    return whatif.simulate(cursor(), scenario)


@st.cache_data(ttl=300, show_spinner="Looking for savings…")
def recommendations(days: int, now) -> list[dict]:
    rollups_ready()
    return recommend.recommend(cursor(), days=days, now=now, config=config())


@st.cache_data(ttl=60, show_spinner=False)
def report_months() -> list:
    rollups_ready()
    return analytics.report_months(cursor())


@st.cache_data(ttl=60, show_spinner=False)
def month_report(month, by: str) -> list[dict]:
    rollups_ready()
    return analytics.month_report(cursor(), month=month, by=by, cost_centres=config().get("cost_centres", {}))


@st.cache_data(ttl=60, show_spinner=False)
def report_file(month, by: str, fmt: str) -> bytes:
    from spendwatch import report

    rows = month_report(month, by)
    return analytics.report_bytes(rows, columns=[by, *report.METRICS], fmt=fmt,
                                  title=f"spendwatch report {month:%Y-%m} by {by}")


@st.cache_data(ttl=60, show_spinner=False)
def month_reconciliation(month, by: str) -> list[dict] | None:
    """The month's logs beside OpenAI's Usage and Costs API, or None when nothing of it is synced."""
    start, end = analytics.month_window(month)
    if not reconcile.has_synced(cursor(), start, end):
        return None
    return reconcile.reconcile(cursor(), start=start, end=end, by=by)


@st.cache_data(ttl=60, show_spinner=False)
def reconciliation_csv(month, by: str) -> bytes:
    from spendwatch import exports

    rows = month_reconciliation(month, by) or []
    return exports.to_csv_text(rows, [*reconcile.parse_by(by), *reconcile.COLUMNS]).encode()


@st.cache_data(ttl=30, show_spinner=False)
def rate_limit_peaks(f: explore.Filters):
    rollups_ready()
    return ratelimits.peaks(cursor(), f, config=config())


@st.cache_data(ttl=30, show_spinner=False)
def rate_limited_series(f: explore.Filters, grain: str):
    rollups_ready()
    return ratelimits.rate_limited_series(cursor(), f, grain=grain)


@st.cache_data(ttl=30, show_spinner=False)
def health_sources():
    return health.sources(cursor())


@st.cache_data(ttl=30, show_spinner=False)
def sync_state():
    return health.sync_state(cursor())


@st.cache_data(ttl=30, show_spinner=False)
def recent_ingests(limit: int = 20):
    return health.recent_ingests(cursor(), limit=limit)


@st.cache_data(ttl=30, show_spinner=False)
def rows_per_source(f: explore.Filters):
    rollups_ready()
    return health.rows_per_source(cursor(), f)


@st.cache_data(ttl=30, show_spinner=False)
def future_timestamps() -> dict:
    return health.future_timestamps(cursor())


@st.cache_data(ttl=30, show_spinner=False)
def quarantine_reasons():
    return health.quarantine_reasons(cursor())


@st.cache_data(ttl=30, show_spinner=False)
def quarantine(reason: str | None, limit: int, offset: int):
    return health.quarantine(cursor(), reason=reason, limit=limit, offset=offset)


@st.cache_data(ttl=30, show_spinner=False)
def unpriced_models():
    rollups_ready()
    return health.unpriced_models(cursor())


@st.cache_data(ttl=5, show_spinner=False)
def spool_backlog() -> dict:
    return health.spool_backlog(runtime.settings().spool_dir()).as_dict()


# -- alerts (not cached: rules change from this page) -----------------------------------------------

def alert_rules() -> list[dict]:
    return [{**alert_rules_mod.as_dict(r), "channels": list(r.channels)} for r in alerts.all_rules(cursor())]


def alert_channel_health() -> dict:
    return alerts.channel_health(cursor())


def alert_burn_down(name: str) -> dict:
    c = cursor()
    return alerts.burn_down(c, alert_rules_mod.get(c, name))


def alert_events(limit: int = 100) -> list[dict]:
    return alerts.recent_events(cursor(), limit)


def send_alert_test(name: str) -> dict:
    rule = alert_rules_mod.get(cursor(), name)
    return alerts.send_test(rule.channels, rule.name, alerts.Delivery.from_settings(runtime.settings()))


def remove_alert_rule(name: str) -> None:
    alert_rules_mod.remove(cursor(), name)


def save_alert_rule(name: str, *, replace: bool, **fields) -> str | None:
    """Validate and store a rule from the form; the one-line reason when it is refused."""
    try:
        alert_rules_mod.save(cursor(), alerts.make_rule(name, **fields), replace=replace)
    except alerts.InvalidRule as e:
        return str(e)
    return None


def rule_state(rule: dict, burn: dict | None, *, fired_lately: bool) -> str:
    """A rule card's state: "fired" once the window's spend crossed its first level (a forecast rule:
    once the forecast reached the budget), "at risk" while the month-end forecast reaches the budget
    (a forecast rule: 80 % of it), else "ok". Spike and other rules: fired when an event came in the
    last 24 hours."""
    if burn is None:
        return "fired" if fired_lately else "ok"
    budget, spent, fc = burn["budget_usd"], burn["spent_usd"], burn["forecast_usd"]
    if rule["kind"] == "forecast":
        if fc is not None and fc >= budget:
            return "fired"
        return "at risk" if fc is not None and fc * 5 >= budget * 4 else "ok"
    if spent * 100 >= budget * min(rule.get("levels") or (100,)):
        return "fired"
    return "at risk" if fc is not None and fc >= budget else "ok"


# -- Reports page: any period by one or two dimensions, the editable cost-centre mapping (issue 17) --

def now():
    """The wall clock (UTC, naive); a test pins it with session state ``_sw_now``."""
    from spendwatch.clock import utc_now

    return st.session_state.get("_sw_now") or utc_now()


def cost_centre_mapping() -> dict[str, str]:
    """feature → centre: the lines saved on the Reports page, the TOML winning where it names a feature
    (not cached: an edit shows at once)."""
    from spendwatch import cost_centres

    return cost_centres.effective(cursor(), config().get("cost_centres", {}))


def saved_cost_centres() -> list[dict]:
    from spendwatch import cost_centres

    return cost_centres.saved(cursor())


def save_cost_centres(mapping: dict[str, str | None], *, by: str) -> str | None:
    """Store the page's edits; the one-line reason when they are refused."""
    from spendwatch import cost_centres
    from spendwatch.errors import SpendwatchError

    try:
        cost_centres.save(cursor(), mapping, by=by, at=now(), toml_centres=config().get("cost_centres", {}))
    except SpendwatchError as e:
        return str(e)
    return None


@st.cache_data(ttl=60, show_spinner=False)
def period_rows(start, end, by: tuple[str, ...], centres: tuple[tuple[str, str], ...],
                values: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> list[dict]:
    from spendwatch import period_report

    rollups_ready()
    return period_report.rows(cursor(), start=start, end=end, by=list(by), cost_centres=dict(centres),
                              values=dict(values))


@st.cache_data(ttl=60, show_spinner=False)
def period_file(start, end, by: tuple[str, ...], centres: tuple[tuple[str, str], ...], fmt: str, title: str,
                values: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> bytes:
    from spendwatch import report

    rows = period_rows(start, end, by, centres, values)
    return analytics.report_bytes(rows, columns=[*by, *report.METRICS], fmt=fmt, title=title)
