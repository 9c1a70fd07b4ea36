import streamlit as st

from spendwatch.dashboard import charts, data, sidebar
from spendwatch.dashboard.format import money, money_columns

st.title("Overview")
if not data.has_data():
    st.info(
        "No requests yet. Get data in with `spendwatch ingest FILE.jsonl`, instrument your app with "
        "`client = spendwatch.instrument(OpenAI())`, or try `spendwatch demo`."
    )
    st.stop()

t = data.overview_figures()  # overview_totals' figures, read through the hourly rollup at scale
f = data.month_forecast()
c1, c2, c3, c4 = st.columns(4)
c1.metric("Spend today (UTC)", money(t["today_usd"]))
c2.metric("Month to date", money(t["month_to_date_usd"]))
c3.metric("Forecast to month end", money(f["forecast_usd"]),
          help=f"80 % interval {money(f['low_usd'])} – {money(f['high_usd'])}")
c4.metric("Cache hit rate (month)", f"{t['cache_hit_rate']:.1%}", help=f"caching saved {money(t['month_cache_savings_usd'])}")
if t["month_unpriced_requests"]:
    st.warning(
        f"{t['month_unpriced_requests']:,} requests this month use models with no price; their cost is "
        "not in these totals. See `spendwatch prices --unpriced`."
    )

flt = sidebar.filters()
st.caption(sidebar.describe(flt))
rng = data.totals(flt)
r1, r2, r3 = st.columns(3)
r1.metric("Spend in the selected range", money(rng["cost_usd"]))
r2.metric("Requests in the selected range", f"{rng['requests']:,}")
r3.metric("Caching saved in the range", money(rng["cache_savings_usd"]))
st.plotly_chart(charts.metric_over_time(data.explore_series(flt, ("model",), "day", "cost"), title="Daily cost by model",
                                        metric="cost", grain="day", tz=flt.tz, legend="Model"), width="stretch")

st.subheader("Top features")
top = data.top_features(flt)
if top.empty:
    st.info("No requests in the selected range.")
else:
    top = top.assign(change_pct=[None if v is None else f"{float(v):+.1f} %" for v in top["change_pct"]])
    st.dataframe(money_columns(top, ["cost_usd", "previous_usd", "change_usd"]), hide_index=True,
                 column_config={"cost_usd": "Cost", "previous_usd": "Previous period", "change_usd": "Change",
                                "change_pct": "Change %", "requests": "Requests"})
