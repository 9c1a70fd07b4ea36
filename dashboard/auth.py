"""Who may see the dashboard, and who may change things in it.

Two gates, either or both: Streamlit's OIDC login (an ``[auth]`` section in
``.streamlit/secrets.toml``; every page then needs ``st.login()``) and the optional password
(SPENDWATCH_DASHBOARD_PASSWORD). Until a session passes them, app.py registers only the sign-in
page with ``st.navigation``, so no page script runs and no sidebar link shows, whatever the URL.

Changing things (alert rules) is open to everyone who got in, unless the TOML config has an
``[access]`` table: then only the logged-in e-mail addresses in ``editors`` may change anything and
everyone else sees the pages read-only.
"""

from __future__ import annotations

import streamlit as st

from spendwatch import access, runtime

READ_ONLY_NOTE = (
    "Read-only: only the editors named in the config's `[access]` table can change this."
)


def login_configured() -> bool:
    """True when secrets.toml has an ``[auth]`` section (Streamlit's OIDC login)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _logged_in() -> bool:
    return bool(st.user.get("is_logged_in"))


def allowed() -> bool:
    """Whether this session may see the pages (login, when configured, then the password, when set)."""
    if login_configured() and not _logged_in():
        return False
    secret = runtime.settings().dashboard_password
    return not access.password_required(secret) or bool(st.session_state.get("_sw_authenticated"))


def sign_in() -> None:
    """The only page an outsider gets: a login button and/or a password box, nothing else."""
    st.title("spendwatch")
    if login_configured() and not _logged_in():
        st.caption("This dashboard needs you to log in.")
        if st.button("Log in", type="primary"):
            st.login()
        return
    attempt = st.text_input("Password", type="password", key="_sw_password")
    if attempt and access.password_ok(runtime.settings().dashboard_password, attempt):
        st.session_state["_sw_authenticated"] = True
        st.rerun()
    if attempt:
        st.error("Wrong password.")


def editors(config: dict) -> tuple[str, ...] | None:
    """The e-mail addresses ``[access] editors = [...]`` names, or None when there is no [access]."""
    table = config.get("access")
    if not isinstance(table, dict):
        return None
    return tuple(str(e).strip().lower() for e in table.get("editors", []) if str(e).strip())


def can_edit(config: dict) -> bool:
    """Everyone who got in may change things, unless ``[access]`` names who may."""
    names = editors(config)
    if names is None:
        return True
    email = str(st.user.get("email") or "").strip().lower() if _logged_in() else ""
    return bool(email) and email in names
