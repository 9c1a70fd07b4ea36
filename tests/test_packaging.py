"""One import name, SQL files inside the wheel, and a core that never imports the dashboard's libraries."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.integration
def test_wheel_has_one_top_level_name_and_the_sql(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (wheel,) = tmp_path.glob("spendwatch-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"spendwatch"}
    migrations = sorted(p.name for p in (ROOT / "sql" / "migrations").glob("*.sql"))
    assert migrations and all(f"spendwatch/sql/migrations/{m}" in names for m in migrations)
    queries = sorted(p.name for p in (ROOT / "sql" / "queries").glob("*.sql"))
    assert all(f"spendwatch/sql/queries/{q}" in names for q in queries)
    assert "spendwatch/data/price_history.csv" in names
    assert "spendwatch/collectors/files.py" in names and "spendwatch/dashboard/app.py" in names
    assert "spendwatch/dashboard/views/overview.py" in names and "spendwatch/dashboard/static/favicon.png" in names
    assert not any(n.startswith("spendwatch/dashboard/pages/") for n in names)  # Streamlit runs those ungated


def test_every_query_file_is_used():
    code = "\n".join(p.read_text() for p in [*(ROOT / "spendwatch").rglob("*.py"), *(ROOT / "collectors").rglob("*.py")])
    for q in (ROOT / "sql" / "queries").glob("*.sql"):
        assert f'"{q.stem}"' in code, f"sql/queries/{q.name} is not used"


def test_core_never_imports_streamlit_or_plotly():
    mods = ["spendwatch.store", "spendwatch.pricing.catalog", "spendwatch.pricing", "spendwatch.ingest", "spendwatch.report",
            "spendwatch.exports", "spendwatch.whatif", "spendwatch.forecast", "spendwatch.analytics",
            "spendwatch.demo", "spendwatch.server", "spendwatch.scheduler", "spendwatch.cli"]
    code = "import sys\n" + "".join(f"import {m}\n" for m in mods) + (
        "bad = [m for m in ('streamlit', 'plotly') if m in sys.modules]\nprint(','.join(bad))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""
