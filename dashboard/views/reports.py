import pandas as pd
import streamlit as st

from spendwatch import analytics, period_report, reconcile, report
from spendwatch.dashboard import auth, charts, data, finance_view, sidebar
from spendwatch.dashboard.format import money, plain, st_column, table, unpriced_text

DIMS = period_report.DIMENSIONS
NO_COLS = "none"
PERIODS = {"month": "Month", "quarter": "Quarter", "range": "Date range"}


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


def period(months: list, now) -> tuple:
    """The period picker: (start, end, label, the month when one whole month is picked, else None)."""
    p1, p2 = st.columns([1, 2])
    p1.radio("Period", list(PERIODS), key=sidebar.choice("sw_reports_period", list(PERIODS), "month"),
             format_func=PERIODS.get, horizontal=True)
    kind = st.session_state["sw_reports_period"]
    if kind == "month":
        p2.selectbox("Month (UTC)", months,
                     key=sidebar.choice("sw_reports_month", months, period_report.default_month(months, now)),
                     format_func=lambda m: period_report.month_label(m, now))
        month = st.session_state["sw_reports_month"]
        start, end = analytics.month_window(month)
        return start, end, period_report.month_label(month, now), month
    if kind == "quarter":
        qs = period_report.quarters(months)
        p2.selectbox("Quarter (UTC)", qs, key=sidebar.choice("sw_reports_quarter", qs, qs[0]),
                     format_func=lambda q: period_report.quarter_label(q, now))
        q = st.session_state["sw_reports_quarter"]
        start, end = period_report.quarter_window(q)
        return start, end, period_report.quarter_label(q, now), None
    first = period_report.last_complete_month(now)
    p2.date_input("Days (UTC)", key=sidebar.default("sw_reports_days", (first, now.date())))
    picked = st.session_state["sw_reports_days"]
    picked = picked if isinstance(picked, tuple | list) else (picked,)
    picked = tuple(picked) or (now.date(),)
    start, end = period_report.range_window(picked[0], picked[-1])
    label = f"{start:%d %b %Y} – {end - pd.Timedelta(days=1):%d %b %Y}"
    return start, end, label + (f" ({period_report.IN_PROGRESS})" if end > now else ""), None


def pivot_table(rows: list[dict], by: str, cols: str) -> None:
    """The report as a table: one line per ``by`` value; with a second dimension, its values as columns."""
    if cols == NO_COLS:
        tot = analytics.report_totals(rows)
        shown = pd.concat([pd.DataFrame(rows, columns=[by, *report.METRICS]), pd.DataFrame([{by: "Total", **tot}])],
                          ignore_index=True)
        shown_df, config = table(shown, labels={by: DIMS[by]})
        st.dataframe(shown_df, hide_index=True, column_config=config)
        return
    lines, headers = period_report.pivot(rows, row=by, col=cols)
    df = pd.DataFrame(lines, columns=[by, *(k for k, _ in headers), "cost_usd", "requests", "unpriced_requests"])
    for k, _ in headers:
        df[k] = [None if v is None else float(v) for v in df[k]]
    shown_df, config = table(df, labels={by: DIMS[by], "cost_usd": "Total"})
    for k, label in headers:
        config[k] = st_column().NumberColumn(label, format="dollar", help=f"{DIMS[cols]}: {label}")
    st.dataframe(shown_df, hide_index=True, column_config=config)
    st.caption(f"Columns: {DIMS[cols].lower()}. An empty cell (None) had no traffic, or only traffic with no price "
               "(the Unpriced column counts it): never $0.00.")


def cost_centre_editor() -> None:
    """The [cost_centres] mapping: the TOML's lines fixed, the rest editable by editors (saved with who/when)."""
    st.subheader("Cost centres")
    toml = {str(k): str(v) for k, v in (data.config().get("cost_centres") or {}).items()}
    saved = {r["feature"]: r for r in data.saved_cost_centres()}
    features = sorted({*data.filter_options().get("feature", []), *saved} - set(toml))
    if toml:
        st.caption("Set in the TOML config's `[cost_centres]` (it wins; change it there):")
        st.dataframe(pd.DataFrame({"Feature": list(toml), "Cost centre": list(toml.values())}), hide_index=True)
    editable = auth.can_edit(data.config())
    grid = pd.DataFrame({
        "feature": features,
        "cost_centre": [saved[f]["cost_centre"] if f in saved else analytics.UNASSIGNED for f in features],
        "updated_by": [saved[f]["updated_by"] if f in saved else "" for f in features],
        "updated_at": [saved[f]["updated_at"] if f in saved else None for f in features],
    })
    config = {"feature": "Feature", "cost_centre": "Cost centre", "updated_by": "Saved by",
              "updated_at": st_column().DatetimeColumn("Saved at (UTC)", format="YYYY-MM-DD HH:mm")}
    st.dataframe(grid, hide_index=True, column_config=config)
    if not editable:
        st.info(auth.READ_ONLY_NOTE)
        return
    if not features:
        return
    e1, e2, e3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    e1.selectbox("Feature", features, key="_reports_cc_feature")
    e2.text_input("Cost centre (empty: forget the saved line)", key="_reports_cc_centre", max_chars=200)
    if e3.button("Save cost centre", key="_reports_cc_save"):
        feature = st.session_state["_reports_cc_feature"]
        centre = st.session_state.get("_reports_cc_centre") or None
        who = str(st.user.get("email") or "dashboard") if st.user.get("is_logged_in") else "dashboard"
        error = data.save_cost_centres({feature: centre}, by=who)
        if error:
            st.error(error)
        else:  # rerun so the report above already uses the new mapping
            st.session_state["_reports_cc_saved"] = f"Saved: {plain(feature)} → {plain(centre or '(not mapped here)')}."
            st.rerun()
    if "_reports_cc_saved" in st.session_state:
        st.success(st.session_state.pop("_reports_cc_saved"))


st.title("Reports")
months = data.report_months()
if not data.has_data() or not months:
    st.info("No requests yet, so no report. Get data in with `spendwatch ingest FILE.jsonl`, "
            "`client = spendwatch.instrument(OpenAI())` in your app, or `spendwatch demo`.")
    st.stop()

chosen = sidebar.filters()
set_values = sidebar.values(chosen)
if set_values:
    st.checkbox(f"Apply the sidebar's filters ({sidebar.describe_values(chosen)})",
                key=sidebar.default("sw_reports_filtered", True),
                help="off: all traffic, the same rows and totals as `spendwatch report`")
filtered = bool(set_values) and st.session_state["sw_reports_filtered"]
values = set_values if filtered else ()
if filtered:
    st.caption(f"Filtered by the sidebar: {sidebar.describe_values(chosen)}. Not applied here: the sidebar's "
               "dates — the period is picked below, in whole UTC days.")
else:
    st.caption("Not applied here: the sidebar's dates — the period is picked below, in whole UTC days. All "
               "traffic: the same rows and totals as `spendwatch report` (the sidebar's value filters apply when set).")
now = data.now()
start, end, label, month = period(months, now)
if end > now:
    st.warning(f"{label}: the period has not ended, so these figures will still grow.")
dims = list(DIMS)
c1, c2 = st.columns(2)
c1.selectbox("Rows", dims, key=sidebar.choice("sw_reports_by", dims, "feature"), format_func=DIMS.get)
by = st.session_state["sw_reports_by"]
col_opts = [NO_COLS, *(d for d in dims if d != by)]
c2.selectbox("Columns", col_opts, key=sidebar.choice("sw_reports_cols", col_opts, NO_COLS),
             format_func=lambda d: "(none)" if d == NO_COLS else DIMS[d])
cols = st.session_state["sw_reports_cols"]
group = (by,) if cols == NO_COLS else (by, cols)
centres = data.cost_centre_mapping()
if "cost_centre" in group and not centres:
    st.caption(f"No cost centres mapped yet (below, or `[cost_centres]` in the TOML), so every feature is "
               f"{analytics.UNASSIGNED}.")
centre_key = tuple(sorted(centres.items()))
rows = data.period_rows(start, end, group, centre_key, values)
tot = analytics.report_totals(rows)
kind = st.session_state["sw_reports_period"]
st.subheader(label)
m1, m2, m3 = st.columns(3)
all_unpriced = report.unpriced_only(tot)  # no priced request at all: "unpriced", never $0.00
m1.metric(f"Total for the {'period' if kind == 'range' else kind}" + (", filtered" if filtered else ""),
          unpriced_text(tot["unpriced_requests"]) if all_unpriced else money(tot["cost_usd"]),
          help="the requests the sidebar's filters select" if filtered else
          f"the same total as `spendwatch report --from {start:%Y-%m-%d} --to {end - pd.Timedelta(days=1):%Y-%m-%d}`")
m2.metric("Requests", f"{tot['requests']:,}")
m3.metric("Unpriced requests", f"{tot['unpriced_requests']:,}", help="their cost is unknown and not in the total")
by_rows = data.period_rows(start, end, (by,), centre_key, values)
chart = pd.DataFrame(by_rows, columns=[by, *report.METRICS])
chart = chart.assign(cost=chart["cost_usd"].astype(float), label=chart[by].fillna("(none)"))
st.plotly_chart(charts.bars(chart, x="label", y="cost", title=f"Cost by {DIMS[by].lower()}, {label}",
                            x_label=DIMS[by], y_label="Cost (USD)", money=True), width="stretch")
pivot_table(rows, by, cols)

d1, d2, d3 = st.columns(3)
stem = (f"spendwatch-{start:%Y-%m-%d}-to-{end - pd.Timedelta(days=1):%Y-%m-%d}-by-{'-'.join(group)}"
        + ("-filtered" if filtered else ""))
title = f"spendwatch report {label} by {' x '.join(group)}" + (
    " where " + "; ".join(f"{field} in {', '.join(vals)}" for field, vals in values) if filtered else "")
d1.download_button("Download CSV", data.period_file(start, end, group, centre_key, "csv", title, values),
                   f"{stem}.csv", "text/csv")
d2.download_button("Download XLSX", data.period_file(start, end, group, centre_key, "xlsx", title, values),
                   f"{stem}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
d3.download_button("Download Parquet", data.period_file(start, end, group, centre_key, "parquet", title, values),
                   f"{stem}.parquet", "application/vnd.apache.parquet")

cost_centre_editor()

# The page's sections after the monthly report: each a function (further ones in their own module,
# like finance_view.render), so one that has nothing to show ends itself, not the page.
if month is None:
    st.caption("Reconciliation with OpenAI's bill and the chargeback are per month: pick Period = Month.")
else:
    if filtered:
        st.caption("Below, the whole organisation: OpenAI's bill and the chargeback are not split by the sidebar's "
                   "filters.")
    reconciliation(month)
    finance_view.render(month)  # the Chargeback view (dashboard/finance_view.py)
