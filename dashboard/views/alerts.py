from datetime import timedelta

import streamlit as st

from spendwatch.alerts import KINDS, SCOPES, WINDOWS, display_channel
from spendwatch.clock import utc_now
from spendwatch.dashboard import auth, charts, data
from spendwatch.dashboard.format import money, plain

STATE_LOOK = {
    "ok": ":green-badge[ok]",
    "at risk": ":orange-badge[at risk]",
    "fired": ":red-badge[fired]",
}

st.title("Alerts")
st.caption(
    "Budgets per day, week or month; month-end forecasts; spikes. `spendwatch serve` checks every minute "
    "and delivers each alert once to a webhook, e-mail or the log."
)
st.caption("Not applied here: the sidebar's dates and filters — each rule has its own scope, window and time zone.")
editable_here = auth.can_edit(data.config())
if not editable_here:
    st.info(auth.READ_ONLY_NOTE)

ss = st.session_state
saved = ss.pop("_sw_alert_saved", None)
if saved:  # the confirmation survives the rerun that resets the form
    st.success(f"Saved rule {saved}. The form is empty again for the next one.")
    st.toast(f"Saved rule {saved}.")

rules = data.alert_rules()
events = data.alert_events()
tabs = ["Budgets", "Recent events"] + (["Add or edit a rule"] if editable_here else [])
tab_rules, tab_events, *tab_edit = st.tabs(tabs)

with tab_rules:
    if not rules:
        st.info(
            "No alert rules yet. Add one in **Add or edit a rule**, with "
            "`spendwatch alerts add NAME --budget 100 --channel log`, or in the config's `[[alerts]]`."
        )
    health = data.alert_channel_health()
    recent = utc_now() - timedelta(days=1)
    for r in rules:
        with st.container(border=True):
            failing = [
                display_channel(c) for c in r["channels"] if health.get(c, {}).get("failing")
            ]
            b = data.alert_burn_down(r["name"]) if r["kind"] in ("budget", "forecast") else None
            fired_lately = any(
                e["rule_name"] == r["name"] and e["detected_at"] >= recent for e in events
            )
            state = data.rule_state(r, b, fired_lately=fired_lately)
            head = (
                f"{STATE_LOOK[state]} **{plain(r['name'])}** · {r['kind']} · {plain(r['scope'])} · "
                f"{r['window']} ({plain(r['timezone'])})"
            )
            st.markdown(
                head
                + (
                    f" · budget {plain(money(r['budget_usd']))}"
                    if r["budget_usd"] is not None
                    else ""
                )
            )
            if failing:
                st.error(
                    f"Failing channel(s): {', '.join(failing)} — deliveries gave up after repeated errors."
                )
            if b is not None:
                c1, c2, c3 = st.columns(3)
                c1.metric("Spent this window", money(b["spent_usd"]))
                c2.metric("Budget used", f"{b['spent_usd'] / b['budget_usd']:.0%}")
                if b["forecast_usd"] is not None:
                    c3.metric("Month-end forecast", money(b["forecast_usd"]))
                st.plotly_chart(charts.burn_down(b), width="stretch", key=f"burn_{r['name']}")
            if not editable_here:
                continue
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
    if not events:
        st.info("Nothing has fired yet.")
    else:
        st.dataframe(
            [
                {
                    "detected (UTC)": e["detected_at"],
                    "rule": e["rule_name"],
                    "kind": e["kind"],
                    "level": f"{e['level']} %" if e["level"] is not None else "",
                    "delivery": e["delivery"],
                    "message": e["message"],
                }
                for e in events
            ],
            width="stretch",
            hide_index=True,
        )

for tab in tab_edit:
    with tab:
        editable = [r for r in rules if r["source"] != "config"]
        names = ["(new rule)"] + [r["name"] for r in editable]
        if saved or ss.get("alerts_edit_pick") not in names:
            ss["alerts_edit_pick"] = "(new rule)"
        pick = st.selectbox("Rule", names, key="alerts_edit_pick")
        cur = next((r for r in editable if r["name"] == pick), None) or {}
        # every widget's key names the form's generation and the rule: a save or another pick starts
        # from that rule's stored values (or empty), never from what was typed before
        gen = ss.setdefault("_sw_alert_form_gen", 0)
        k = f"alert_{gen}_{pick}_"
        with st.form(f"alert_rule_form_{gen}"):
            name = st.text_input(
                "Name", value=cur.get("name", ""), disabled=bool(cur), key=k + "name"
            )
            kind = st.selectbox(
                "Kind", KINDS, index=KINDS.index(cur.get("kind", "budget")), key=k + "kind"
            )
            c1, c2 = st.columns(2)
            scope_col = c1.selectbox(
                "Scope",
                ("all", *SCOPES),
                key=k + "scope",
                index=(("all", *SCOPES).index(cur.get("scope_col") or "all")),
            )
            scope_value = c2.text_input(
                "Value", value=cur.get("scope_value") or "", key=k + "value"
            )
            c3, c4, c5 = st.columns(3)
            window = c3.selectbox(
                "Window", WINDOWS, index=WINDOWS.index(cur.get("window", "month")), key=k + "window"
            )
            timezone = c4.text_input("Time zone", value=cur.get("timezone", "UTC"), key=k + "tz")
            budget = c5.text_input(
                "Budget (USD)", value=str(cur.get("budget_usd") or ""), key=k + "budget"
            )
            levels = st.text_input(
                "Levels (%)",
                value=",".join(map(str, cur.get("levels", (50, 80, 100)))),
                key=k + "levels",
            )
            channels = st.text_area(
                "Channels, one per line (webhook:URL, email:ADDRESS, log)",
                value="\n".join(cur.get("channels", ["log"])),
                key=k + "channels",
            )
            if st.form_submit_button("Save rule"):
                rule_name = cur.get("name") or name
                error = data.save_alert_rule(
                    rule_name,
                    replace=bool(cur),
                    kind=kind,
                    scope=None if scope_col == "all" else f"{scope_col}={scope_value}",
                    window=window,
                    timezone=timezone,
                    budget=budget or None,
                    levels=levels,
                    channels=[c for c in channels.split("\n") if c.strip()],
                )
                if error:
                    st.error(error)
                else:
                    ss["_sw_alert_saved"] = rule_name
                    ss["_sw_alert_form_gen"] = gen + 1
                    st.rerun()
