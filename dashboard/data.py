"""The one module that owns caching: the store as a resource, query results with a short TTL."""

from __future__ import annotations

import streamlit as st

from spendwatch import analytics, forecast, runtime


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
def month_forecast() -> dict:
    return forecast.forecast_month_end(cursor())
