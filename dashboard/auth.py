"""The password gate every page passes through (when SPENDWATCH_DASHBOARD_PASSWORD is set)."""

from __future__ import annotations

import streamlit as st

from spendwatch import access, runtime


def gate() -> None:
    """Show only a password box until the right password is given; then remember it for the session."""
    secret = runtime.settings().dashboard_password
    if not access.password_required(secret) or st.session_state.get("_sw_authenticated"):
        return
    attempt = st.text_input("Password", type="password", key="_sw_password")
    if attempt and access.password_ok(secret, attempt):
        st.session_state["_sw_authenticated"] = True
        st.rerun()
    if attempt:
        st.error("Wrong password.")
    st.stop()
