"""The dashboard password: constant-time check, and no page content without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from streamlit.testing.v1 import AppTest

from spendwatch import access, demo, runtime, store
from spendwatch.pricing import catalog

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")


def test_password_check():
    assert access.password_ok(None, None) and access.password_ok(SecretStr(""), None)
    assert not access.password_ok(SecretStr("s3cret"), None)
    assert not access.password_ok(SecretStr("s3cret"), "s3cre")
    assert access.password_ok(SecretStr("s3cret"), "s3cret")


@pytest.fixture
def demo_db(tmp_path):
    db = tmp_path / "a.duckdb"
    con = store.connect(db)
    catalog.materialise(con)
    demo.generate(con, days=3)
    con.close()
    runtime.reset()
    yield db
    runtime.reset()


def test_pages_hidden_without_password(demo_db, monkeypatch):
    monkeypatch.setenv("SPENDWATCH_DB", str(demo_db))
    monkeypatch.setenv("SPENDWATCH_DASHBOARD_PASSWORD", "s3cret")
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.metric and not at.get("plotly_chart")
    assert at.text_input[0].label == "Password"
    at.text_input[0].input("wrong").run()
    assert at.error and not at.metric
    at.text_input[0].input("s3cret").run()
    assert any(m.label == "Month to date" for m in at.metric)


def test_serve_binds_loopback_by_default():
    import inspect

    from spendwatch import server
    from spendwatch.cli import serve_commands

    assert inspect.signature(server.serve).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(serve_commands.serve_cmd).parameters["host"].default == "127.0.0.1"
