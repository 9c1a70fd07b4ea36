import streamlit as st

from spendwatch.dashboard import charts, data, sidebar

st.title("Data health")
spool = data.spool_backlog()
if not data.has_data():
    st.info("No requests yet. Get data in with `spendwatch ingest FILE.jsonl` (bad lines are quarantined, "
            "never dropped), `client = spendwatch.instrument(OpenAI())` (records reach the spool, then the "
            "database), `spendwatch sync openai`, or `spendwatch demo`.")

sources = data.health_sources()
reasons = data.quarantine_reasons()
unpriced = data.unpriced_models()
future = data.future_timestamps()
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("Requests stored", f"{int(sources['requests'].sum()):,}")
m2.metric("Quarantined lines", f"{int(reasons['lines'].sum()):,}")
m3.metric("Unpriced models", f"{len(unpriced):,}")
m4.metric("Spool backlog", f"{spool['finished_files']:,} files", help=f"{spool['directory']}: "
          f"{spool['open_files']} open segment(s), {spool['bytes']:,} bytes waiting")
m5.metric("Dated in the future", f"{int(future['requests']):,} requests",
          help="ingested with a timestamp more than 5 minutes ahead of the ingesting clock (a skewed app "
               "clock?): kept and counted, never hidden")
if future["requests"]:
    st.warning(f"{int(future['requests']):,} requests in {int(future['units']):,} ingest(s) were dated more than "
               f"5 minutes in the future when they arrived (last {future['last_seen']:%Y-%m-%d %H:%M} UTC): "
               "check the clock of the app that sends them.")

st.subheader("Sources")
if sources.empty:
    st.caption("Nothing ingested yet.")
else:
    st.dataframe(sources, hide_index=True, column_config={
        "source_kind": "Source", "requests": "Requests", "first_request": "First request (UTC)",
        "last_request": "Last request (UTC)", "units": "Ingest units", "last_ingest": "Last ingest (UTC)",
        "last_status": "Last status", "quarantined": "Quarantined"})
sync = data.sync_state()
if sync.empty:
    st.caption("OpenAI Usage/Costs sync: never run (`spendwatch sync openai` with `OPENAI_ADMIN_KEY`).")
else:
    st.dataframe(sync, hide_index=True, column_config={"cursor_ts": "Synced up to (UTC)", "last_run_at": "Last run"})

f = sidebar.filters()
st.caption("The chart below follows the sidebar's dates and time zone; its value filters and the tables on this "
           "page do not apply — data health is about every stored row, whoever sent it.")
per_day = data.rows_per_source(f)
if not per_day.empty:
    st.plotly_chart(charts.metric_over_time(per_day, title="Requests per source per day", metric="requests", grain="day",
                                            tz=f.tz, legend="Source"), width="stretch")

st.subheader("Unpriced models")
if unpriced.empty:
    st.success("Every request has a price.")
else:
    st.warning("These models have no price, so their requests are left out of every cost (never counted as $0). "
               "Price them with `[[pricing.models]]` in the TOML config.")
    st.dataframe(unpriced, hide_index=True)

st.subheader("Quarantined lines")
if reasons.empty:
    st.caption("No line has been quarantined.")
else:
    st.dataframe(reasons, hide_index=True)
    options = ["(all)", *reasons["reason"]]
    c1, c2 = st.columns([3, 1])
    c1.selectbox("Reason", options, key=sidebar.choice("sw_health_reason", options, "(all)"))
    reason = st.session_state["sw_health_reason"]
    lines = int(reasons["lines"].sum() if reason == "(all)" else reasons.loc[reasons["reason"] == reason, "lines"].sum())
    pages = max(1, -(-lines // 50))
    if st.session_state.get("sw_health_page", 1) > pages:
        st.session_state["sw_health_page"] = pages
    c2.number_input(f"Page (of {pages})", 1, pages, key=sidebar.default("sw_health_page", 1))
    page = min(st.session_state["sw_health_page"], pages)
    st.dataframe(data.quarantine(None if reason == "(all)" else reason, 50, (page - 1) * 50), hide_index=True,
                 column_config={"raw": st.column_config.TextColumn("Raw line", width="large")})

st.subheader("Recent ingests")
st.dataframe(data.recent_ingests(), hide_index=True)
