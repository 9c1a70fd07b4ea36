"""Who sees the dashboard and who may change things (issue 16 item 9), and the Alerts form (item 8),
through streamlit's AppTest on the real app.py with a real DuckDB file.

Seed: one request today, 1,000,000 gpt-4o input tokens at $2.50 per 1M = $2.50; a monthly rule
"monthly" with a $10 budget and a 20 % level: 2.50 / 10 = 25 % ≥ 20 %, so it has fired.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from spendwatch import alerts, ingest, runtime, store
from spendwatch.alerts import rules
from spendwatch.clock import utc_now
from spendwatch.pricing import catalog
from tests.helpers import chat_record

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "x" * 32,
    "client_id": "id",
    "client_secret": "secret",
    "server_metadata_url": "https://idp.invalid/.well-known/openid-configuration",
}


@pytest.fixture(autouse=True)
def _fresh_runtime():
    runtime.reset()
    yield
    runtime.reset()


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "a.duckdb"
    con = store.connect(path)
    catalog.materialise(con)
    now: datetime = utc_now()
    ts = (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ingest.ingest_lines(
        con, [chat_record("a", "gpt-4o", 1_000_000, 0, ts=ts, feature="search")], source="t"
    )
    rules.save(
        con,
        alerts.make_rule("monthly", budget=10, window="month", levels="20", scope="feature=search"),
    )
    con.close()
    return path


def _app(
    db: Path,
    monkeypatch,
    *,
    config: str | None = None,
    user: dict | None = None,
    login: bool = False,
    page: str | None = None,
) -> AppTest:
    monkeypatch.setenv("SPENDWATCH_DB", str(db))
    if config is not None:
        cfg = db.with_suffix(".toml")
        cfg.write_text(config)
        monkeypatch.setenv("SPENDWATCH_CONFIG", str(cfg))
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    if login:
        at.secrets["auth"] = AUTH
    if user is not None:
        at.user = user
    at.run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    return at


def test_login_required_on_every_page_when_auth_is_configured(db, monkeypatch):
    at = _app(db, monkeypatch, login=True, user={"is_logged_in": False})
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.sidebar.multiselect  # not even the sidebar's filters
    for page in (
        "overview",
        "explore",
        "whatif",
        "alerts",
        "reports",
        "rate_limits",
        "data_health",
    ):
        with pytest.raises(
            ValueError, match=r"Known pages: \['Sign in'\]"
        ):  # no page is even registered
            at.switch_page(f"views/{page}.py")
    at = _app(db, monkeypatch, login=True, user={"is_logged_in": True, "email": "ann@example.com"})
    assert any(m.label == "Month to date" for m in at.metric)


def test_access_names_the_editors_everyone_else_reads(db, monkeypatch):
    cfg = '[access]\neditors = ["Boss@Example.com"]\n'
    reader = _app(
        db,
        monkeypatch,
        config=cfg,
        login=True,
        page="alerts",
        user={"is_logged_in": True, "email": "ann@example.com"},
    )
    assert any("Read-only" in i.value for i in reader.info)
    assert not reader.get("form") and not reader.button  # no form, no Remove, no test send
    assert "Budget burn-down: monthly" in [
        json.loads(c.proto.spec)["layout"]["title"]["text"] for c in reader.get("plotly_chart")
    ]
    editor = _app(
        db,
        monkeypatch,
        config=cfg,
        login=True,
        page="alerts",
        user={"is_logged_in": True, "email": "boss@example.com"},
    )
    assert not any("Read-only" in i.value for i in editor.info)
    assert editor.get("form") and any(b.label == "Remove" for b in editor.button)
    # the password path with [access]: no identity, so read-only; without [access]: may edit
    monkeypatch.setenv("SPENDWATCH_DASHBOARD_PASSWORD", "s3cret")
    at = _app(db, monkeypatch, config=cfg)
    assert at.text_input[0].label == "Password" and not at.metric
    at.text_input[0].input("s3cret").run()
    at.switch_page("views/alerts.py").run()
    assert any("Read-only" in i.value for i in at.info)
    runtime.reset()
    at = _app(db, monkeypatch, config="")
    at.text_input[0].input("s3cret").run()
    at.switch_page("views/alerts.py").run()
    assert at.get("form")


def test_alert_form_confirms_resets_and_cards_show_state(db, monkeypatch):
    at = _app(db, monkeypatch, page="alerts")
    head = next(m.value for m in at.markdown if "monthly" in m.value)
    assert "fired" in head  # 25 % of the budget ≥ the 20 % level
    assert "feature=search" in head.replace("\\", "")
    # open the scoped rule in the form, then go back to a new rule: nothing of it stays
    at.selectbox(key="alerts_edit_pick").set_value("monthly").run()
    assert at.text_input(key="alert_0_monthly_value").value == "search"
    at.selectbox(key="alerts_edit_pick").set_value("(new rule)").run()
    at.text_input(key="alert_0_(new rule)_name").set_value("spike-all")
    at.selectbox(key="alert_0_(new rule)_kind").set_value("spike")
    at.button[-1].click().run()  # "Save rule"
    assert not at.exception and not at.error
    assert any("Saved rule spike-all" in s.value for s in at.success)
    c = runtime.cursor()
    assert c.execute(
        "SELECT kind, scope_col, scope_value FROM alert_rules WHERE name = 'spike-all'"
    ).fetchall() == [("spike", None, None)]
    # the form is empty again
    assert at.selectbox(key="alerts_edit_pick").value == "(new rule)"
    assert at.text_input(key="alert_1_(new rule)_name").value == ""
    at.run()
    assert not any("Saved rule" in s.value for s in at.success)  # said once
