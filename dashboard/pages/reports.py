import pandas as pd
import streamlit as st

from spendwatch import analytics, report
from spendwatch.dashboard import charts, data, sidebar
from spendwatch.dashboard.format import money, money_columns

GROUPS = {"feature": "Feature", "project": "Project", "api_key": "API key", "cost_centre": "Cost centre"}

st.title("Reports")
months = data.report_months()
if not data.has_data() or not months:
    st.info("No requests yet, so no monthly report. Get data in with `spendwatch ingest FILE.jsonl`, "
            "`client = spendwatch.instrument(OpenAI())` in your app, or `spendwatch demo`.")
    st.stop()

c1, c2 = st.columns([1, 2])
c1.selectbox("Month (UTC)", months, key=sidebar.choice("sw_reports_month", months, months[0]),
             format_func=lambda m: f"{m:%B %Y}")
c2.radio("By", list(GROUPS), key=sidebar.choice("sw_reports_by", list(GROUPS), "feature"),
         format_func=GROUPS.get, horizontal=True)
month, by = st.session_state["sw_reports_month"], st.session_state["sw_reports_by"]
if by == "cost_centre" and not data.config().get("cost_centres"):
    st.caption("No `[cost_centres]` table in the TOML config (`feature = \"centre\"` lines), so every feature is "
               f"{analytics.UNASSIGNED}.")

rows = data.month_report(month, by)
tot = analytics.report_totals(rows)
m1, m2, m3 = st.columns(3)
m1.metric("Total for the month", money(tot["cost_usd"]),
          help=f"the same total as `spendwatch report --by {by if by != 'cost_centre' else 'feature'} "
               f"--from {month:%Y-%m-01}` over the month")
m2.metric("Requests", f"{tot['requests']:,}")
m3.metric("Unpriced requests", f"{tot['unpriced_requests']:,}", help="their cost is unknown and not in the total")
df = pd.DataFrame(rows, columns=[by, *report.METRICS])
chart = df.assign(cost=df["cost_usd"].astype(float), label=df[by].fillna("(none)"))
st.plotly_chart(charts.bars(chart, x="label", y="cost", title=f"Cost by {GROUPS[by].lower()}, {month:%B %Y}",
                            x_label=GROUPS[by], y_label="Cost (USD)", money=True), width="stretch")
shown = pd.concat([df, pd.DataFrame([{by: "Total", **tot}])], ignore_index=True)
st.dataframe(money_columns(shown, ["cost_usd"]), hide_index=True, column_config={by: GROUPS[by], "cost_usd": "Cost"})

d1, d2, d3 = st.columns(3)
stem = f"spendwatch-{month:%Y-%m}-by-{by}"
d1.download_button("Download CSV", data.report_file(month, by, "csv"), f"{stem}.csv", "text/csv")
d2.download_button("Download XLSX", data.report_file(month, by, "xlsx"), f"{stem}.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
d3.download_button("Download Parquet", data.report_file(month, by, "parquet"), f"{stem}.parquet",
                   "application/vnd.apache.parquet")

# Reconciliation with billed amounts: added by the reconciliation work
