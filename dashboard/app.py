"""spendwatch dashboard: the entry script (`spendwatch serve` runs it).

The page scripts live in ``views/`` (not ``pages/``, which Streamlit would run by itself on a direct
URL, around this script's gate); only this script registers them, and only after the gate."""

import time
from pathlib import Path

import streamlit as st

from spendwatch import rollups_job
from spendwatch.dashboard import auth, sidebar

HERE = Path(__file__).resolve().parent
# A local file: a material-icon favicon is fetched from a font CDN, and nothing may leave the machine.
st.set_page_config(
    page_title="spendwatch", page_icon=str(HERE / "static" / "favicon.png"), layout="wide"
)

if not auth.allowed():
    st.navigation([st.Page(auth.sign_in, title="Sign in", default=True)], position="hidden").run()
    st.stop()

pages = [
    st.Page(
        HERE / "views/overview.py", title="Overview", icon=":material/dashboard:", default=True
    ),
    st.Page(HERE / "views/explore.py", title="Explore", icon=":material/query_stats:"),
    st.Page(HERE / "views/whatif.py", title="What-if", icon=":material/science:"),
    st.Page(HERE / "views/alerts.py", title="Alerts", icon=":material/notifications:"),
    st.Page(HERE / "views/reports.py", title="Reports", icon=":material/receipt_long:"),
    st.Page(HERE / "views/rate_limits.py", title="Rate limits", icon=":material/speed:"),
    st.Page(
        HERE / "views/data_health.py", title="Data health", icon=":material/health_and_safety:"
    ),
]
navigation = st.navigation(pages)
building = rollups_job.status()
if building["state"] == "building":  # serve started moments ago on a large database
    st.info(f"Building the hourly rollups ({time.time() - building['started']:.0f} s so far): until they are "
            "ready, figures come from the raw table and take a little longer.", icon=":material/hourglass_top:")
sidebar.render()  # date range, time zone, filters: shared by every page, kept across page switches
navigation.run()
