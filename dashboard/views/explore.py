import pandas as pd
import streamlit as st

from spendwatch.dashboard import charts, data, sidebar
from spendwatch.dashboard.format import money, plain, table
from spendwatch.explore import DIMENSIONS, GRAINS, METRICS, group_label
from spendwatch.money import usd_exact

NONE = "(none)"


def _local(t, tz: str):
    """A stored UTC timestamp in the sidebar's zone (tables say which zone in their header)."""
    from zoneinfo import ZoneInfo

    return None if t is None or pd.isna(t) else pd.Timestamp(t).tz_localize("UTC").tz_convert(ZoneInfo(tz)).tz_localize(None)
LABELS = {"feature": "Feature", "model": "Model", "project": "Project", "user": "User", "api_key": "API key",
          "endpoint": "Endpoint", "status": "Status"}

st.title("Explore")
if not data.has_data():
    st.info("No requests yet. Get data in with `spendwatch ingest FILE.jsonl`, "
            "`client = spendwatch.instrument(OpenAI())` in your app, or `spendwatch demo`.")
    st.stop()

f = sidebar.filters()
st.caption(sidebar.describe(f))
dims = list(DIMENSIONS)
c1, c2, c3, c4 = st.columns(4)
c1.selectbox("Group by", dims, key=sidebar.choice("sw_explore_by", dims, "feature"), format_func=LABELS.get)
c2.selectbox("and by", [NONE, *dims], key=sidebar.choice("sw_explore_by2", [NONE, *dims], NONE),
             format_func=lambda d: LABELS.get(d, d))
c3.selectbox("Time grain", GRAINS, key=sidebar.choice("sw_explore_grain", list(GRAINS), "day"))
c4.radio("Metric", list(METRICS), key=sidebar.choice("sw_explore_metric", list(METRICS), "cost"), horizontal=True)
by1, by2, grain, metric = (st.session_state[k] for k in ("sw_explore_by", "sw_explore_by2", "sw_explore_grain",
                                                         "sw_explore_metric"))
by = (by1,) if by2 in (NONE, by1) else (by1, by2)
names = " and ".join(LABELS[b].lower() for b in by)

tbl = data.explore_table(f, by, metric)
if tbl.empty:
    st.info("No requests match these filters in this date range.")
    st.stop()
total = data.totals(f)
m1, m2, m3 = st.columns(3)
m1.metric("Cost", money(total["cost_usd"]))
m2.metric("Requests", f"{total['requests']:,}")
m3.metric("Tokens", f"{total['tokens']:,}")
st.plotly_chart(charts.metric_over_time(data.explore_series(f, by, grain, metric),
                                        title=f"{metric.capitalize()} by {names} per {grain}", metric=metric,
                                        grain=grain, tz=f.tz, legend=names.capitalize()), width="stretch")

shown, config = table(tbl, labels={**LABELS, "share": f"Share of {metric}"})
config["share"] = st.column_config.NumberColumn(f"Share of {metric}", format="percent")
picked = st.dataframe(shown, hide_index=True, on_select="rerun", selection_mode="single-row", key="explore_pick",
                      column_config=config)
if total["unpriced_requests"]:
    st.warning(f"unpriced ({total['unpriced_requests']:,} requests) in the selected range: no price for their "
               "model, so their cost is not in the figures (blank, never $0.00).")
rows = picked.selection.rows if picked else []
if not rows:
    st.caption("Select a row to see its requests and what each one cost.")
    st.stop()

row = tbl.iloc[rows[0]]
group = tuple((b, None if pd.isna(row[b]) else row[b]) for b in by)
st.subheader(f"Requests: {plain(group_label(dict(group), by))}")
reqs = data.drill(f, group)
st.caption("Newest first, at most 200. Select one to explain its cost.")
shown_reqs, req_config = table(reqs.assign(ts=reqs["ts"].map(lambda t: _local(t, f.tz))))
req_config["ts"] = f"Time ({f.tz})"
pick = st.dataframe(shown_reqs, hide_index=True, on_select="rerun", selection_mode="single-row",
                    key="explore_request_pick", column_config=req_config)
chosen = pick.selection.rows if pick else []
if reqs.empty:
    st.stop()
request_id = reqs.iloc[chosen[0] if chosen else 0]["request_id"]

st.subheader(f"Cost explain: {plain(request_id)}")
e = data.explain(request_id)
left, right = st.columns(2)
left.dataframe(pd.DataFrame(e["tokens"], columns=["tokens", "count"]), hide_index=True)
if e["price"] is None:
    right.warning(e["formula"])
else:
    p = e["price"]
    right.markdown(
        f"**Price row**: {plain(p['price_model'])} ({plain(p['resolution'])}), tier **{plain(p['tier'])}**, in force "
        f"{p['valid_from']:%Y-%m-%d} – {p['valid_to']:%Y-%m-%d}  \n"
        f"input {usd_exact(p['input_per_mtok'])} · cached {usd_exact(p['cached_per_mtok'])} · "
        f"output {usd_exact(p['output_per_mtok'])} per 1M tokens  \n**Source**: {plain(p['source'])}")
    right.code(e["formula"], language=None)
    right.metric("Cost of this request", money(e["cost_usd"]))
