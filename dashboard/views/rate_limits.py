import streamlit as st

from spendwatch.dashboard import charts, data, sidebar
from spendwatch.dashboard.format import percent

st.title("Rate limits")
if not data.has_data():
    st.info("No requests yet. Get data in with `client = spendwatch.instrument(OpenAI())` (it records the "
            "`x-ratelimit-*` headers), `spendwatch ingest FILE.jsonl`, or `spendwatch demo`.")
    st.stop()

f = sidebar.filters()
st.caption(sidebar.describe(f) + " · the model filter applies; limits are per model, whatever the feature or key")
peaks = data.rate_limit_peaks(f)
if peaks.empty:
    st.info("No requests in the selected range.")
    st.stop()

used = peaks["rpm_used"].dropna()
worst = float(used.max()) if not used.empty else None
m1, m2, m3 = st.columns(3)
m1.metric("Busiest minute", f"{int(peaks['peak_rpm'].max()):,} requests")
m2.metric("Highest share of an RPM limit", percent(worst))
m3.metric("429 answers in the range", f"{int(peaks['rate_limited'].sum()):,}")
c1, c2 = st.columns(2)
c1.plotly_chart(charts.peak_vs_limit(peaks, peak="peak_rpm", limit="rpm_limit", title="Peak requests per minute vs limit",
                                     y_label="Requests per minute"), width="stretch")
c2.plotly_chart(charts.peak_vs_limit(peaks, peak="peak_tpm", limit="tpm_limit", title="Peak tokens per minute vs limit",
                                     y_label="Tokens per minute"), width="stretch")
shown = peaks.assign(rpm_used=[percent(v) for v in peaks["rpm_used"]], tpm_used=[percent(v) for v in peaks["tpm_used"]])
st.dataframe(shown, hide_index=True, column_config={
    "model": "Model family", "peak_rpm": "Peak RPM", "rpm_limit": "RPM limit", "rpm_used": "% of RPM",
    "peak_tpm": "Peak TPM", "tpm_limit": "TPM limit", "tpm_used": "% of TPM", "basis": "Peaks from",
    "limit_source": "Limit from", "peak_minute": "Busiest minute (UTC)", "rate_limited": "429s"})
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
