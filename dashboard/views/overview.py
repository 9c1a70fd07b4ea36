import streamlit as st

from spendwatch import health
from spendwatch.clock import utc_now
from spendwatch.dashboard import charts, data, sidebar
from spendwatch.dashboard.format import money, plain, table
from spendwatch.explore import FILTERS

st.title("Overview")
if not data.has_data():
    st.info(
        "No requests yet. Get data in with `spendwatch ingest FILE.jsonl`, instrument your app with "
        "`client = spendwatch.instrument(OpenAI())`, or try `spendwatch demo`."
    )
    st.stop()

flt = sidebar.filters()
now = utc_now().replace(microsecond=0)
fresh = health.freshness(data.last_request(), now)
chosen = {name: getattr(flt, field) for name, (field, _) in FILTERS.items() if getattr(flt, field)}
# the forecast has one scope: one value of one filter; anything more and it says what it left out
scope = next(iter(chosen.items())) if len(chosen) == 1 and len(next(iter(chosen.values()))) == 1 else None
t = data.filtered_overview(flt, now)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Spend today (UTC)", money(t["today_usd"]), help="today so far (UTC)")
c2.metric("Month to date", money(t["month_to_date_usd"]))
if fresh["stale"]:
    c3.metric("Forecast to month end", "unavailable",
              help=f"the data is stale ({fresh['text']}): a forecast would extrapolate a gap")
else:
    f = data.month_forecast(scope[0], scope[1][0]) if scope else data.month_forecast()
    c3.metric("Forecast to month end", money(f["forecast_usd"]),
              help=f"80 % interval {money(f['low_usd'])} – {money(f['high_usd'])}")
c4.metric("Cache hit rate (month)", f"{t['cache_hit_rate']:.1%}", help=f"caching saved {money(t['month_cache_savings_usd'])}")
notes = [f"Data: {fresh['text']}" + (f" ({data.last_request():%Y-%m-%d %H:%M} UTC)" if data.last_request() else "")]
if fresh["stale"]:
    st.warning(f"The data is stale: {fresh['text']}. Today's spend and the month's figures stop there, and the "
               "forecast is unavailable until requests arrive again (is the collector or `spendwatch serve` running?).")
notes.append("top row: today and this month (UTC) whatever the sidebar's dates; its other filters apply"
             + ("" if scope or not chosen or fresh["stale"] else
                " except to the forecast, which takes one value of one filter (it shows all traffic)"))
st.caption(" · ".join(notes))

st.caption(sidebar.describe(flt))
rng = data.totals(flt)
if rng["unpriced_requests"]:
    st.warning(
        f"unpriced ({rng['unpriced_requests']:,} requests) in the selected range: models with no price, whose cost "
        "is not in these totals. See `spendwatch prices --unpriced` and Data health."
    )
r1, r2, r3 = st.columns(3)
r1.metric("Spend in the selected range", money(rng["cost_usd"]))
r2.metric("Requests in the selected range", f"{rng['requests']:,}")
r3.metric("Caching saved in the range", money(rng["cache_savings_usd"]))
st.plotly_chart(charts.metric_over_time(data.explore_series(flt, ("model",), "day", "cost"), title="Daily cost by model",
                                        metric="cost", grain="day", tz=flt.tz, legend="Model",
                                        partial=sidebar.today(flt.tz)), width="stretch")

st.subheader("Top features")
top = data.top_features(flt)
if top.empty:
    st.info("No requests in the selected range.")
else:
    unpriced = data.explore_table(flt, ("feature",), "cost")[["feature", "unpriced_requests"]]
    shown, config = table(top.merge(unpriced, on="feature", how="left"), total=rng)
    st.dataframe(shown, hide_index=True, column_config=config)
    st.caption(f"The ten costliest features, then {plain('(other)')} for the rest: the rows add up to the range's "
               "total above.")
