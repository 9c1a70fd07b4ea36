from decimal import Decimal

import pandas as pd
import streamlit as st

from spendwatch.clock import utc_now
from spendwatch.dashboard import charts, data, sidebar
from spendwatch.dashboard.format import money, plain, table
from spendwatch.errors import SpendwatchError
from spendwatch.replay import evidence
from spendwatch.whatif import Scenario

st.title("What-if")
if not data.has_data():
    st.info("No requests yet: a simulation replays your own traffic. Get data in with `spendwatch ingest FILE.jsonl`, "
            "`client = spendwatch.instrument(OpenAI())` in your app, or `spendwatch demo`.")
    st.stop()

f = sidebar.filters()
st.caption(sidebar.describe(f))
st.caption("Not applied here: the sidebar's model, user and API key filters — a simulation replays traffic by "
           "feature, project and source model; pick the source model below.")
end = min(f.end, utc_now())
if end <= f.start:
    st.info("The selected dates are all in the future: pick a range with traffic in the sidebar.")
    st.stop()
def _embedding(model: str | None) -> bool:
    """Embedding models and chat models never stand in for each other."""
    return bool(model) and "embedding" in model


features = data.filter_options()["feature"]
# one source model at a time: "any model" would move embedding traffic onto a chat model (or back)
models = data.filter_options()["model"]
busiest_chat = next((m for m in models if not _embedding(m)), models[0] if models else None)
load = st.session_state.pop("_sw_whatif_load", None)
if load:  # "Load into the simulator" on a recommendation: set the widgets before they are drawn
    st.session_state.update({"sw_whatif_features": [load["feature"]], "sw_whatif_from": load["model"],
                             "sw_whatif_target": load["to"], "sw_whatif_batch": load["kind"] == "Batch API",
                             "sw_whatif_share": 100})
c1, c0, c2 = st.columns([2, 1, 1])
kept = [v for v in st.session_state.get("sw_whatif_features", list(f.features)) if v in features]
st.session_state["sw_whatif_features"] = kept
c1.multiselect("Features", features, key="sw_whatif_features", placeholder="all features")
c0.selectbox("From model", models, key=sidebar.choice("sw_whatif_from", models, busiest_chat))
source = st.session_state["sw_whatif_from"]
targets = [t for t in data.target_models() if _embedding(t) == _embedding(source)]
c2.selectbox("Move them to", targets, key=sidebar.choice("sw_whatif_target", targets, "gpt-4o-mini"))
chosen = st.session_state["sw_whatif_features"]
measured = evidence.latest(data.cursor(), chosen[0], st.session_state["sw_whatif_target"]) if len(chosen) == 1 else None
if measured and st.session_state.get("_sw_whatif_seeded") != measured.run_id:
    # a replayed feature: the sliders start at what the replay measured (moving them still overrides)
    st.session_state.update(evidence.slider_values(measured), _sw_whatif_seeded=measured.run_id)
s1, s2, s3, s4 = st.columns(4)
s1.slider("Share moved (%)", 0, 100, step=5, key=sidebar.default("sw_whatif_share", 100))
s2.slider("Escalated back (%)", 0, 50, step=1, key=sidebar.default("sw_whatif_escalate", 0),
          help="moved requests that fail on the target and are retried on the original model")
s3.slider("Answer length (x original)", 0.25, 3.0, step=0.05, key=sidebar.default("sw_whatif_output", 1.0))
s4.slider("Cache hit (%)", 0, 100, step=5, key=sidebar.default("sw_whatif_cache", 50),
          disabled=not st.session_state.get("sw_whatif_cache_on", False))
if measured:
    st.caption(f"Answer length and escalation start at what replay {measured.run_id} measured on "
               f"{measured.finished_at:%Y-%m-%d}.")
b1, b2 = st.columns(2)
b1.checkbox("Set the cache-hit rate (else as today)", key=sidebar.default("sw_whatif_cache_on", False))
b2.checkbox("Send moved requests through the Batch API", key=sidebar.default("sw_whatif_batch", False))

ss = st.session_state
scenario = Scenario(
    to_model=ss["sw_whatif_target"], features=tuple(ss["sw_whatif_features"]), projects=f.projects,
    from_model=source, start=f.start, end=end,
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
    rows = rows.assign(savings_usd=rows["current_cost_usd"] - rows["simulated_cost_usd"])
    by_feature = rows.groupby("feature", as_index=False)[["current_cost_usd", "simulated_cost_usd"]].sum()
    long = by_feature.melt(id_vars="feature", var_name="scenario", value_name="cost")
    long["cost"] = long["cost"].astype(float)
    long["scenario"] = long["scenario"].map({"current_cost_usd": "current", "simulated_cost_usd": "simulated"})
    st.plotly_chart(charts.bars(long, x="feature", y="cost", color="scenario", title="Current vs simulated cost by feature",
                                x_label="Feature", y_label="Cost in the range (USD)", money=True), width="stretch")
    prices, mapped = data.prices_per_mtok()
    to = prices.get(res.target_model, {})
    src = [prices.get(mapped.get(m) or "", {}) for m in rows["model"]]
    rows = rows.assign(from_input_per_mtok=[p.get("input_per_mtok") for p in src],
                       from_output_per_mtok=[p.get("output_per_mtok") for p in src],
                       to_input_per_mtok=to.get("input_per_mtok"), to_output_per_mtok=to.get("output_per_mtok"))
    shown, config = table(rows[["feature", "model", "requests", "unpriced_requests", "current_cost_usd",
                                "simulated_cost_usd", "savings_usd", "from_input_per_mtok", "from_output_per_mtok",
                                "to_input_per_mtok", "to_output_per_mtok"]])
    st.dataframe(shown, hide_index=True, column_config=config)
    st.caption(f"Prices per 1M tokens, standard tier, in force today: the source model's beside "
               f"{plain(res.target_model)}'s.")
else:
    st.info("No successful requests match these choices in the selected range.")
st.markdown("**Assumptions**\n" + "\n".join(f"- {plain(a)}" for a in res.assumptions))

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
    recs = [r for r in recs if _embedding(r["model"]) == _embedding(r["to"])]  # never embeddings <-> chat
    shown, config = table(pd.DataFrame(recs).rename(columns={"to": "to_model"}),
                          labels={"kind": "Kind", "why": "Why", "model": "From model"})
    st.dataframe(shown, hide_index=True, column_config=config)
    labels = [f"{r['kind']}: {r['feature']} {r['model']} → {r['to']} ({money(r['monthly_savings_usd'])} a month)"
              for r in recs]
    l1, l2 = st.columns([3, 1])
    l1.selectbox("Recommendation", range(len(recs)), format_func=labels.__getitem__, key="whatif_rec_pick",
                 label_visibility="collapsed")
    if l2.button("Load into the simulator"):
        st.session_state["_sw_whatif_load"] = recs[st.session_state["whatif_rec_pick"] or 0]
        st.rerun()
