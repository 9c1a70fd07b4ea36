"""spendwatch dashboard: the entry script (`spendwatch serve` runs it)."""

import streamlit as st

from spendwatch.dashboard.auth import gate

st.set_page_config(page_title="spendwatch", page_icon=":material/monitoring:", layout="wide")
gate()  # every page is behind the optional password

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
]
st.navigation(pages).run()
