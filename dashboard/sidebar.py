"""The shared sidebar: date range, time zone and filters, drawn by app.py on every page.

Choices live in st.session_state under keys starting with ``sw_``. Streamlit forgets the state of a
widget that a run does not draw, so :func:`render` re-saves every ``sw_`` key at the top of each
run: a page's own choices (``sw_explore_by`` ...) survive a visit to another page too.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import streamlit as st

from spendwatch.dashboard import data
from spendwatch.dashboard.format import plain
from spendwatch.explore import FILTERS, Filters

PREFIX = "sw_"
RANGE, TZ = "sw_range", "sw_tz"
DEFAULT_DAYS = 30
COMMON_ZONES = ["UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago",
                "America/Los_Angeles", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney"]
LABELS = {"feature": "Feature", "project": "Project", "model": "Model", "api_key": "API key", "user": "User"}


def _zones() -> list[str]:
    return COMMON_ZONES + sorted(z for z in available_timezones() if z not in COMMON_ZONES)


def default(key: str, value) -> str:
    """Seed a persisted widget's value once (widgets then take it from session state, so no
    ``value=``/``index=`` argument is passed and Streamlit has nothing to warn about)."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def choice(key: str, options: list, fallback) -> str:
    """Like :func:`default`, for a selectbox/radio: a kept value no longer among the options resets."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = fallback if fallback in options else (options[0] if options else None)
    return key


def today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def render() -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(PREFIX)]:
        st.session_state[key] = st.session_state[key]  # keep choices across page switches
    with st.sidebar:
        st.subheader("Filters")
        zones = _zones()
        st.selectbox("Time zone", zones, key=choice(TZ, zones, "UTC"),
                     help="Days and hours on charts are in this zone; storage stays UTC.")
        tz = st.session_state[TZ]
        end = today(tz)
        st.date_input("Dates", key=default(RANGE, (end - timedelta(days=DEFAULT_DAYS - 1), end)),
                      help=f"Default: the last {DEFAULT_DAYS} days, today included.")
        options = data.filter_options()
        for name in FILTERS:
            key = f"{PREFIX}{name}"
            values = options.get(name, [])
            kept = [v for v in st.session_state.get(key, []) if v in values]
            st.session_state[key] = kept
            st.multiselect(LABELS[name], values, key=key, placeholder="all")


def dates() -> tuple[date, date]:
    """The chosen local days (a half-picked range counts as one day)."""
    picked = st.session_state.get(RANGE) or ()
    if isinstance(picked, date):
        picked = (picked,)
    if not picked:
        end = today(st.session_state.get(TZ, "UTC"))
        return end - timedelta(days=DEFAULT_DAYS - 1), end
    first = picked[0]
    last = picked[1] if len(picked) > 1 else first
    return first, last


def filters() -> Filters:
    """The sidebar's selection as the core's Filters (UTC window, zone, value lists)."""
    first, last = dates()
    values = {field: tuple(st.session_state.get(f"{PREFIX}{name}", [])) for name, (field, _) in FILTERS.items()}
    return Filters.for_days(first, last, tz=st.session_state.get(TZ, "UTC"), **values)


def describe(f: Filters) -> str:
    """A one-line caption of what the page shows (markdown: the chosen values are escaped)."""
    first, last = dates()
    return " · ".join([f"{first:%d %b %Y} – {last:%d %b %Y} ({f.tz})", *_value_parts(f)])


def describe_values(f: Filters) -> str:
    """The value filters alone ('feature: search · model: gpt-4o'), '' when none (markdown-escaped)."""
    return " · ".join(_value_parts(f))


def values(f: Filters) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The value filters that are set, as (Filters field, values) pairs: hashable for st.cache_data."""
    return tuple((field, getattr(f, field)) for field, _ in FILTERS.values() if getattr(f, field))


def _value_parts(f: Filters) -> list[str]:
    return [f"{LABELS[name].lower()}: {', '.join(plain(v) for v in getattr(f, field))}"
            for name, (field, _) in FILTERS.items() if getattr(f, field)]
