import streamlit as st

from spendwatch.alerts import KINDS, SCOPES, WINDOWS, display_channel
from spendwatch.dashboard import charts, data
from spendwatch.dashboard.format import money

st.title("Alerts")
st.caption("Budgets per day, week or month; month-end forecasts; spikes. `spendwatch serve` checks every minute "
           "and delivers each alert once to a webhook, e-mail or the log.")

rules = data.alert_rules()
tab_rules, tab_events, tab_edit = st.tabs(["Budgets", "Recent events", "Add or edit a rule"])

with tab_rules:
    if not rules:
        st.info("No alert rules yet. Add one in **Add or edit a rule**, with "
                "`spendwatch alerts add NAME --budget 100 --channel log`, or in the config's `[[alerts]]`.")
    health = data.alert_channel_health()
    for r in rules:
        with st.container(border=True):
            failing = [display_channel(c) for c in r["channels"] if health.get(c, {}).get("failing")]
            head = f"**{r['name']}** · {r['kind']} · {r['scope']} · {r['window']} ({r['timezone']})"
            st.markdown(head + (f" · budget {money(r['budget_usd'])}" if r["budget_usd"] is not None else ""))
            if failing:
                st.error(f"Failing channel(s): {', '.join(failing)} — deliveries gave up after repeated errors.")
            if r["kind"] in ("budget", "forecast"):
                b = data.alert_burn_down(r["name"])
                c1, c2, c3 = st.columns(3)
                c1.metric("Spent this window", money(b["spent_usd"]))
                c2.metric("Budget used", f"{b['spent_usd'] / b['budget_usd']:.0%}")
                if b["forecast_usd"] is not None:
                    c3.metric("Month-end forecast", money(b["forecast_usd"]))
                st.plotly_chart(charts.burn_down(b), width="stretch", key=f"burn_{r['name']}")
            b1, b2 = st.columns(2)
            if b1.button("Send a test message", key=f"test_{r['name']}"):
                for channel, outcome in data.send_alert_test(r["name"]).items():
                    (st.success if outcome == "ok" else st.error)(f"{channel}: {outcome}")
            if r["source"] == "config":
                b2.caption("Defined in the config file: edit it there.")
            elif b2.button("Remove", key=f"rm_{r['name']}"):
                data.remove_alert_rule(r["name"])
                st.rerun()

with tab_events:
    events = data.alert_events()
    if not events:
        st.info("Nothing has fired yet.")
    else:
        st.dataframe(
            [{"detected (UTC)": e["detected_at"], "rule": e["rule_name"], "kind": e["kind"],
              "level": f"{e['level']} %" if e["level"] is not None else "", "delivery": e["delivery"],
              "message": e["message"]} for e in events],
            width="stretch", hide_index=True,
        )

with tab_edit:
    editable = [r for r in rules if r["source"] != "config"]
    names = ["(new rule)"] + [r["name"] for r in editable]
    pick = st.selectbox("Rule", names, key="alerts_edit_pick")
    cur = next((r for r in editable if r["name"] == pick), None) or {}
    with st.form("alert_rule_form"):
        name = st.text_input("Name", value=cur.get("name", ""), disabled=bool(cur))
        kind = st.selectbox("Kind", KINDS, index=KINDS.index(cur.get("kind", "budget")))
        c1, c2 = st.columns(2)
        scope_col = c1.selectbox("Scope", ("all", *SCOPES),
                                 index=(("all", *SCOPES).index(cur.get("scope_col") or "all")))
        scope_value = c2.text_input("Value", value=cur.get("scope_value") or "")
        c3, c4, c5 = st.columns(3)
        window = c3.selectbox("Window", WINDOWS, index=WINDOWS.index(cur.get("window", "month")))
        timezone = c4.text_input("Time zone", value=cur.get("timezone", "UTC"))
        budget = c5.text_input("Budget (USD)", value=str(cur.get("budget_usd") or ""))
        levels = st.text_input("Levels (%)", value=",".join(map(str, cur.get("levels", (50, 80, 100)))))
        channels = st.text_area("Channels, one per line (webhook:URL, email:ADDRESS, log)",
                                value="\n".join(cur.get("channels", ["log"])))
        if st.form_submit_button("Save rule"):
            error = data.save_alert_rule(
                cur.get("name") or name, replace=bool(cur), kind=kind,
                scope=None if scope_col == "all" else f"{scope_col}={scope_value}", window=window,
                timezone=timezone, budget=budget or None, levels=levels,
                channels=[c for c in channels.splitlines() if c.strip()],
            )
            if error:
                st.error(error)
            else:
                st.success("Saved.")
                st.rerun()
