import streamlit as st

from spendwatch.dashboard import charts, data, sidebar
from spendwatch.dashboard.format import percent, plain

st.title("Rate limits")
if not data.has_data():
    st.info("No requests yet. Get data in with `client = spendwatch.instrument(OpenAI())` (it records the "
            "`x-ratelimit-*` headers), `spendwatch ingest FILE.jsonl`, or `spendwatch demo`.")
    st.stop()

f = sidebar.filters()
st.caption(sidebar.describe(f))
st.caption("Not applied here: the feature, project, API key and user filters — limits are per model, whatever "
           "the feature or key; the dates and the model filter apply.")
peaks = data.rate_limit_peaks(f)
if peaks.empty:
    st.info("No requests in the selected range.")
    st.stop()

# the headline is the worst share of any limit: a model at 121 % of its TPM limit is the news, not 1.4 % RPM
shares = [(float(r[col]), r["model"], name) for _, r in peaks.iterrows()
          for col, name in (("rpm_used", "RPM"), ("tpm_used", "TPM")) if r[col] is not None and r[col] == r[col]]
worst = max(shares, default=None)
m1, m2, m3 = st.columns(3)
m1.metric("Busiest minute", f"{int(peaks['peak_rpm'].max()):,} requests")
m2.metric("Highest share of a limit", percent(worst[0] if worst else None),
          help=f"{worst[1]}: {worst[2]} limit" if worst else "no limit known for these models")
m3.metric("429 answers in the range", f"{int(peaks['rate_limited'].sum()):,}")
c1, c2 = st.columns(2)
c1.plotly_chart(charts.peak_vs_limit(peaks, peak="peak_rpm", limit="rpm_limit", title="Peak requests per minute vs limit",
                                     y_label="Requests per minute"), width="stretch")
c2.plotly_chart(charts.peak_vs_limit(peaks, peak="peak_tpm", limit="tpm_limit", title="Peak tokens per minute vs limit",
                                     y_label="Tokens per minute"), width="stretch")
if worst and worst[0] > 1:
    st.error(f"{plain(worst[1])} ran at {percent(worst[0])} of its {worst[2]} limit in its busiest minute.")
num = st.column_config.NumberColumn
shown = peaks.assign(**{c: [None if v is None or v != v else float(v) for v in peaks[c]] for c in ("rpm_used", "tpm_used")})
st.dataframe(shown, hide_index=True, width="stretch", column_config={
    "model": "Model family", "peak_rpm": num("Peak RPM", format="localized"),
    "rpm_limit": num("RPM limit", format="localized"), "rpm_used": num("% of RPM", format="percent"),
    "peak_tpm": num("Peak TPM", format="localized"), "tpm_limit": num("TPM limit", format="localized"),
    "tpm_used": num("% of TPM", format="percent"), "basis": "Peaks from", "limit_source": "Limit from",
    "peak_minute": "Busiest minute (UTC)", "rate_limited": num("429s", format="localized")})
st.caption("Limits: the `[rate_limits]` table of the TOML config (e.g. `[rate_limits.gpt-4o]` `rpm = 500` "
           "`tpm = 30000`, the seed: usage tier 1), else the limit the recorded headers reported.")

st.radio("429 answers per", ["hour", "day", "week"], horizontal=True,
         key=sidebar.choice("sw_ratelimits_grain", ["hour", "day", "week"], "day"))
grain = st.session_state["sw_ratelimits_grain"]
series = data.rate_limited_series(f, grain)
if series.empty:
    st.success("No HTTP 429 answers in the selected range.")
else:
    st.plotly_chart(charts.metric_over_time(series, title=f"HTTP 429 answers per {grain}", metric="requests",
                                            grain=grain, tz=f.tz, legend="Model", y_label="429 answers"),
                    width="stretch")
