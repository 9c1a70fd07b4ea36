import streamlit as st

from spendwatch.dashboard import charts, data
from spendwatch.dashboard.format import money

st.title("Overview")
if not data.has_data():
    st.info(
        "No requests yet. Get data in with `spendwatch ingest FILE.jsonl`, instrument your app with "
        "`client = spendwatch.instrument(OpenAI())`, or try `spendwatch demo`."
    )
    st.stop()

t = data.overview_totals()
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
days = st.slider("Days shown", 7, 90, 30, key="overview_days")
st.plotly_chart(charts.daily_cost_stacked(data.daily_cost_by_model(days)), use_container_width=True)
