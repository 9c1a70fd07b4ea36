from decimal import Decimal

import pandas as pd
import streamlit as st

from spendwatch.clock import utc_now
from spendwatch.dashboard import charts, data, sidebar
from spendwatch.dashboard.format import money, money_columns
from spendwatch.errors import SpendwatchError
from spendwatch.replay import evidence
from spendwatch.whatif import Scenario

st.title("What-if")
if not data.has_data():
    st.info("No requests yet: a simulation replays your own traffic. Get data in with `spendwatch ingest FILE.jsonl`, "
            "`client = spendwatch.instrument(OpenAI())` in your app, or `spendwatch demo`.")
    st.stop()

f = sidebar.filters()
end = min(f.end, utc_now())
if end <= f.start:
    st.info("The selected dates are all in the future: pick a range with traffic in the sidebar.")
    st.stop()
features = data.filter_options()["feature"]
targets = data.target_models()
c1, c2 = st.columns([2, 1])
kept = [v for v in st.session_state.get("sw_whatif_features", list(f.features)) if v in features]
st.session_state["sw_whatif_features"] = kept
c1.multiselect("Features", features, key="sw_whatif_features", placeholder="all features")
c2.selectbox("Move them to", targets, key=sidebar.choice("sw_whatif_target", targets, "gpt-4o-mini"))
s1, s2, s3, s4 = st.columns(4)
s1.slider("Share moved (%)", 0, 100, step=5, key=sidebar.default("sw_whatif_share", 100))
s2.slider("Escalated back (%)", 0, 50, step=1, key=sidebar.default("sw_whatif_escalate", 0),
          help="moved requests that fail on the target and are retried on the original model")
s3.slider("Answer length (x original)", 0.25, 3.0, step=0.05, key=sidebar.default("sw_whatif_output", 1.0))
s4.slider("Cache hit (%)", 0, 100, step=5, key=sidebar.default("sw_whatif_cache", 50),
          disabled=not st.session_state.get("sw_whatif_cache_on", False))
b1, b2 = st.columns(2)
b1.checkbox("Set the cache-hit rate (else as today)", key=sidebar.default("sw_whatif_cache_on", False))
b2.checkbox("Send moved requests through the Batch API", key=sidebar.default("sw_whatif_batch", False))

ss = st.session_state
scenario = Scenario(
    to_model=ss["sw_whatif_target"], features=tuple(ss["sw_whatif_features"]), projects=f.projects,
    from_model=f.models[0] if len(f.models) == 1 else None, start=f.start, end=end,
    share=Decimal(ss["sw_whatif_share"]) / 100, escalate=Decimal(ss["sw_whatif_escalate"]) / 100,
    output_ratio=Decimal(str(ss["sw_whatif_output"])),
    cache_hit=Decimal(ss["sw_whatif_cache"]) / 100 if ss["sw_whatif_cache_on"] else None,
    batch=ss["sw_whatif_batch"], with_range=True,
)
try:
    res = data.whatif_result(scenario)
except (SpendwatchError, ValueError) as e:
    st.error(str(e))
    st.stop()

m1, m2, m3 = st.columns(3)
m1.metric("Current cost", money(res.current_cost_usd), help=f"over {res.days:.1f} days")
m2.metric("Simulated cost", money(res.simulated_cost_usd), delta=f"{-res.savings_pct:+.1f} %", delta_color="inverse")
m3.metric("Savings per month", f"{money(res.range['monthly_savings_low_usd'])} – {money(res.range['monthly_savings_high_usd'])}",
          help=f"central estimate {money(res.monthly_savings_usd)} a month (30 days)")
for quality in evidence.for_scenario(data.cursor(), scenario):
    st.text(quality)  # plain text (names are user data): a stored replay's quality, or "unverified" + command
if res.rows:
    rows = pd.DataFrame(res.rows)
    by_feature = rows.groupby("feature", as_index=False)[["current_cost_usd", "simulated_cost_usd"]].sum()
    long = by_feature.melt(id_vars="feature", var_name="scenario", value_name="cost")
    long["cost"] = long["cost"].astype(float)
    long["scenario"] = long["scenario"].map({"current_cost_usd": "current", "simulated_cost_usd": "simulated"})
    st.plotly_chart(charts.bars(long, x="feature", y="cost", color="scenario", title="Current vs simulated cost by feature",
                                x_label="Feature", y_label="Cost in the range (USD)", money=True), width="stretch")
    st.dataframe(money_columns(rows, ["current_cost_usd", "simulated_cost_usd"]), hide_index=True)
else:
    st.info("No successful requests match these choices in the selected range.")
st.markdown("**Assumptions**\n" + "\n".join(f"- {a}" for a in res.assumptions))

st.subheader("Recommendations")
days = max(1, round((end - f.start).total_seconds() / 86400))
st.toggle("Look for savings", key=sidebar.default("sw_whatif_recs", True),
          help="cheaper siblings, prompt caching and the Batch API, each priced by a simulation of its own")
recs = data.recommendations(days, end) if st.session_state["sw_whatif_recs"] else None
if recs is None:
    st.caption("Turn on *Look for savings* to price the recommendations.")
elif not recs:
    st.caption("Nothing to recommend for this range: no cheaper sibling, caching or batch saving above $0.01 a month.")
else:
    st.dataframe(money_columns(pd.DataFrame(recs), ["monthly_savings_usd"]), hide_index=True,
                 column_config={"monthly_savings_usd": "Savings / month", "savings_pct": "Savings %"})
