import pandas as pd
import streamlit as st

from spendwatch import analytics, reconcile, report
from spendwatch.dashboard import charts, data, finance_view, sidebar
from spendwatch.dashboard.format import money, table

GROUPS = {"feature": "Feature", "project": "Project", "api_key": "API key", "cost_centre": "Cost centre"}


def reconciliation(month) -> None:
    """The month's logs against OpenAI's bill, by day, project or model (nothing when not synced)."""
    st.subheader("Reconciliation with OpenAI's bill")
    rec_dims = list(reconcile.DIMENSIONS)
    st.radio("Reconcile by", rec_dims, key=sidebar.choice("sw_reports_rec_by", rec_dims, "day"), horizontal=True,
             format_func=str.capitalize)
    rec_by = st.session_state["sw_reports_rec_by"]
    rec = data.month_reconciliation(month, rec_by)
    if rec is None:
        st.caption("Nothing synced from OpenAI's Usage and Costs API for this month, so there is no bill to compare. "
                   "Set `OPENAI_ADMIN_KEY` and run `spendwatch sync openai` (`spendwatch serve` syncs every hour).")
        return
    rt = reconcile.totals(rec)
    r1, r2, r3 = st.columns(3)
    r1.metric("Logged cost", money(rt["logged_cost_usd"]), help="the request logs at catalog prices")
    r2.metric("Billed (Costs API)", money(rt["billed_usd"]))
    r3.metric("Drift (billed − logged)", money(rt["drift_usd"]), delta_color="off",
              delta=None if rt["drift_pct"] is None else f"{rt['drift_pct']:+.1f} %",
              help="over the days with a bill; a day not synced has no drift")
    st.plotly_chart(charts.logged_vs_billed(rec, by=rec_by, title=f"Logged vs billed by {rec_by}, {month:%B %Y}"),
                    width="stretch")
    rec_df, rec_config = table(pd.DataFrame(rec))
    st.dataframe(rec_df, hide_index=True, column_config=rec_config)
    st.download_button("Download reconciliation CSV", data.reconciliation_csv(month, rec_by),
                       f"spendwatch-{month:%Y-%m}-reconciliation-by-{rec_by}.csv", "text/csv")


st.title("Reports")
months = data.report_months()
if not data.has_data() or not months:
    st.info("No requests yet, so no monthly report. Get data in with `spendwatch ingest FILE.jsonl`, "
            "`client = spendwatch.instrument(OpenAI())` in your app, or `spendwatch demo`.")
    st.stop()

st.caption("Not applied here: the sidebar's dates and filters — a report is one whole UTC month of all traffic, "
           "the same rows and totals as `spendwatch report`, whatever is selected elsewhere.")
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
shown_df, config = table(shown, labels={by: GROUPS[by]})
st.dataframe(shown_df, hide_index=True, column_config=config)

d1, d2, d3 = st.columns(3)
stem = f"spendwatch-{month:%Y-%m}-by-{by}"
d1.download_button("Download CSV", data.report_file(month, by, "csv"), f"{stem}.csv", "text/csv")
d2.download_button("Download XLSX", data.report_file(month, by, "xlsx"), f"{stem}.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
d3.download_button("Download Parquet", data.report_file(month, by, "parquet"), f"{stem}.parquet",
                   "application/vnd.apache.parquet")

# The page's sections after the monthly report: each a function (further ones in their own module,
# like finance_view.render), so one that has nothing to show ends itself, not the page.
reconciliation(month)
finance_view.render(month)  # the Chargeback view (dashboard/finance_view.py)
