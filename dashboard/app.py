"""spendwatch dashboard: the entry script (`spendwatch serve` runs it)."""

import streamlit as st

from spendwatch.dashboard import sidebar
from spendwatch.dashboard.auth import gate

st.set_page_config(page_title="spendwatch", page_icon=":material/monitoring:", layout="wide")
gate()  # every page is behind the optional password

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/explore.py", title="Explore", icon=":material/query_stats:"),
    st.Page("pages/whatif.py", title="What-if", icon=":material/science:"),
    st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:"),
    st.Page("pages/reports.py", title="Reports", icon=":material/receipt_long:"),
    st.Page("pages/rate_limits.py", title="Rate limits", icon=":material/speed:"),
    st.Page("pages/data_health.py", title="Data health", icon=":material/health_and_safety:"),
]
navigation = st.navigation(pages)
sidebar.render()  # date range, time zone, filters: shared by every page, kept across page switches
navigation.run()
