"""Shared fixtures. Tests keep off the developer's machine: no OPENAI_*/SPENDWATCH_* from the
environment, every test works in its own tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent / "fixtures"  # copies of ../shared/openai (CI clones have it too, but keep tests self-contained)
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith(("OPENAI_", "SPENDWATCH_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def con(db_path: Path):
    """A real DuckDB file with the schema and the price catalog."""
    from spendwatch import store
    from spendwatch.pricing import catalog

    c = store.connect(db_path)
    catalog.materialise(c)
    yield c
    c.close()


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches():
    """Streamlit's caches and the process-wide store outlive a test; clear them after each one."""
    yield
    import sys

    if "streamlit" in sys.modules:
        import streamlit as st

        st.cache_data.clear()
    if "spendwatch.runtime" in sys.modules:
        sys.modules["spendwatch.runtime"].reset()
