"""The Chargeback view of the Reports page: what OpenAI billed for the month, allocated to teams.
Every figure comes from spendwatch.chargeback (the same rows as `spendwatch chargeback`)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from spendwatch import chargeback
from spendwatch.clock import utc_now
from spendwatch.dashboard import data, sidebar
from spendwatch.dashboard.format import money, money_columns

BY = {
    "cost_centre": "Cost centre",
    "feature": "Feature",
    "project": "Project",
    "api_key": "API key",
    "user": "User",
}
HEADERS = {
    "project_id": "Project",
    "reason": "Not allocated because",
    "billed_usd": "Owes (billed)",
    "logged_cost_usd": "Logged at list price",
    "requests": "Requests",
}


def render(month: date) -> None:
    """Headline, table and downloads of the month's chargeback, or how to get a bill in."""
    st.subheader("Chargeback: the bill allocated")
    st.radio(
        "Allocate by",
        list(BY),
        key=sidebar.choice("sw_reports_cb_by", list(BY), "cost_centre"),
        format_func=BY.get,
        horizontal=True,
    )
    by = st.session_state["sw_reports_cb_by"]
    try:
        cb = chargeback.chargeback(
            data.cursor(),
            month=month,
            now=utc_now(),
            by=by,
            cost_centres=data.config().get("cost_centres", {}),
        )
    except chargeback.NotSynced as e:
        st.caption(str(e))
        return
    h = cb.headline
    c1, c2, c3 = st.columns(3)
    c1.metric("Billed" + (" (month in progress)" if cb.in_progress else ""), money(h["billed_usd"]))
    c2.metric(
        f"Allocated to a {BY[by].lower()}",
        money(h["allocated_usd"]),
        delta=None if h["allocated_pct"] is None else f"{h['allocated_pct']} % of billed",
        delta_color="off",
    )
    c3.metric(
        "Not allocated",
        money(sum(h["unallocated_usd"].values())),
        help="; ".join(f"{k}: {money(v)}" for k, v in h["unallocated_usd"].items()),
    )
    if cb.unsynced_days:
        st.warning(
            f"{len(cb.unsynced_days)} day(s) of the month are not synced and left out, from "
            f"{cb.unsynced_days[0]:%Y-%m-%d}: run `spendwatch sync openai`."
        )
    df = pd.DataFrame(cb.rows, columns=[by, *chargeback.COLUMNS])
    df = money_columns(df, ["billed_usd", "logged_cost_usd"])
    df.loc[df["reason"] == "unpriced model", "logged_cost_usd"] = "unpriced"  # unknown, never $0.00
    df["requests"] = [f"{n:,}" for n in df["requests"]]
    st.dataframe(
        df,
        hide_index=True,
        column_config={by: BY[by], **HEADERS},
    )
    stem = f"spendwatch-{month:%Y-%m}-chargeback-by-{by}"
    d1, d2 = st.columns(2)
    d1.download_button(
        "Download chargeback XLSX",
        chargeback.file_bytes(cb, "xlsx"),
        f"{stem}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    d2.download_button(
        "Download chargeback CSV", chargeback.file_bytes(cb, "csv"), f"{stem}.csv", "text/csv"
    )
