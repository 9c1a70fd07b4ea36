"""Apache Spark computes the same numbers (issue 19, item 3): one log ingested into DuckDB and synced to
the lake; every report row from Spark (`local[2]`, one session for the module: the JVM starts once)
equals DuckDB's to the femto-dollar.

Skips only when pyspark is not installed AND $SPENDWATCH_REQUIRE_SPARK is unset; CI sets it, so there
a missing pyspark or Java fails the run instead of skipping it."""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal as D

import pytest

try:
    import pyspark  # noqa: F401
except ImportError:
    if os.environ.get("SPENDWATCH_REQUIRE_SPARK"):
        raise RuntimeError("SPENDWATCH_REQUIRE_SPARK is set but pyspark is not installed") from None
    pytest.skip(
        "pyspark is not installed (pip install 'spendwatch[spark]')", allow_module_level=True
    )

from typer.testing import CliRunner

from spendwatch import days, report, store
from spendwatch.cli import app
from spendwatch.lake import spark as spark_engine
from spendwatch.lake import sync
from tests import lake_data

# One SparkSession for the module: under pytest-xdist (CI: -n 2 --dist loadgroup) all of it runs on
# one worker, so the JVM starts once.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("spark")]

GROUPINGS = [
    ["month", "feature"],
    ["day", "model"],
    ["week", "project", "status"],
    ["user", "api_key", "endpoint"],
    [],
]
WINDOWS = [(None, None), (date(2026, 11, 1), date(2026, 11, 30))]


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("spark")
    con = lake_data.build_db(d / "db.duckdb")
    sync.sync(con, d / "lake", now=datetime(2026, 12, 5))
    spark_con = spark_engine.connect(d / "lake", master="local[2]")
    yield con, spark_con, d
    spark_con.spark.stop()
    con.close()


def _key(row: dict) -> tuple:
    return tuple(str(v) for v in row.values())


@pytest.mark.parametrize("by", GROUPINGS, ids=lambda b: ",".join(b) or "total")
def test_every_report_row_equals_duckdbs(engines, by):
    con, spark_con, _ = engines
    for first, last in WINDOWS if by[:1] in (["month"], ["day"]) else WINDOWS[:1]:
        want = report.spend_report(con, by=by, start=first, end=last)
        got = report.spend_report(spark_con, by=by, start=first, end=last)
        assert len(got) == len(want) > 0
        # ties in cost may come in either order; every value, types included, is equal
        assert sorted(got, key=_key) == sorted(want, key=_key)
        for row in got:
            assert isinstance(row["cost_usd"], D) and row["cost_usd"].as_tuple().exponent == -15


def test_per_request_costs_and_a_figure_by_hand(engines):
    con, spark_con, _ = engines
    sql = "SELECT request_id, cost_fusd, cost_usd FROM requests_priced ORDER BY request_id"
    want = con.execute(sql).fetchall()
    got = spark_con.execute(sql).fetchall()
    assert [(r, None if f is None else int(f), c) for r, f, c in got] == [
        (r, None if f is None else int(f), c) for r, f, c in want
    ]
    costs = dict((r, c) for r, _, c in got)
    # gpt-4o-2024-08-06 at $2.50 / cached $1.25 / out $10 per 1M tokens, 1200 prompt (1024 cached), 150 out:
    # (176 x 2.5 + 1024 x 1.25 + 150 x 10) / 1e6 = $0.00322
    assert costs["cached-0"] == D("0.00322")
    # batch: the same model at half price, 1000 in / 1000 out: (1000 x 1.25 + 1000 x 5) / 1e6 = $0.00625
    assert costs["batch-1"] == D("0.00625")
    # whisper-1 $0.006 per minute = $0.36 per hour: 12.345 s x 0.36 / 3600 = $0.0012345
    assert costs["whisper-2"] == D("0.0012345")
    # gpt-5.4, 300K input > 272K: 2x input ($5, cached $0.50), 1.5x output ($22.50) + 3 web searches x $10/1k
    # + 2 file searches x $2.50/1k + 1 code interpreter session x $0.03:
    # (200,000 x 5 + 100,000 x 0.5 + 1000 x 22.5) / 1e6 + 0.03 + 0.005 + 0.03 = $1.1375
    assert costs["long_ctx_tools-4"] == D("1.1375")
    # gpt-5.4 through eu.api.openai.com: $2.50 / cached $0.25 / out $15, +10 % on the token parts:
    # (11,321 x 2.5 + 1,024 x 0.25 + 678 x 15) / 1e6 x 1.1 = 0.0387285 x 1.1 = $0.04260135
    assert costs["residency-0"] == D("0.04260135")
    assert costs["unpriced-2"] is None and costs["no_usage-0"] is None and costs["error-1"] == 0


def test_cli_engine_spark_prints_what_the_database_prints(engines, monkeypatch):
    _, _, d = engines
    monkeypatch.chdir(d)
    runner = CliRunner()
    args = ["report", "--by", "month,model", "--format", "csv", "--from-date", "2026-11-01"]
    # the module holds the database open for writing; `report --lake` prints what `report --db` prints
    # (tests/test_lake.py), so the DuckDB side reads the lake here
    duck = runner.invoke(app, [*args, "--lake", "lake"])
    sp = runner.invoke(app, [*args, "--engine", "spark", "--lake", "lake", "--master", "local[2]"])
    assert duck.exit_code == sp.exit_code == 0, sp.output
    assert sp.stdout == duck.stdout and duck.stdout.count("\n") > 5


def test_an_empty_window_says_where_the_data_lies(engines):
    con, spark_con, _ = engines
    lo, hi = report.window(date(2025, 1, 1), date(2025, 1, 31))
    line = days.empty_window(spark_con, lo, hi)
    assert line == days.empty_window(con, lo, hi)
    assert (
        line
        == "no requests between 2025-01-01 and 2025-01-31; stored requests run from 2026-10-29 to 2026-12-03"
    )
    assert store.query("requests_extent")  # the same named query on both engines
