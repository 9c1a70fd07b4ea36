"""The command-line contract: report formats, --help everywhere, exit codes, prices."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import Decimal as D

import openpyxl
import pyarrow.parquet as pq
import pytest
import typer.main
from typer.testing import CliRunner

from spendwatch.cli import app
from tests.helpers import chat_record

M = D(1_000_000)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spendwatch", *args], capture_output=True, text=True)


@pytest.fixture
def seeded(tmp_path):
    f = tmp_path / "log.jsonl"
    f.write_text("\n".join([
        chat_record("a", "gpt-4o", 1_000_000, 100_000, cached=500_000, feature="search", project_id="p1",
                    ts="2026-10-31T23:59:59Z"),
        chat_record("b", "gpt-4o-mini", 2_000_000, 0, feature="=HYPERLINK(\"x\")", project_id="p1",
                    ts="2026-11-01T00:00:00Z"),
        chat_record("c", "mystery-model", 10, 10, feature="search", ts="2026-11-02T08:00:00Z"),
    ]) + "\n")
    db = tmp_path / "r.duckdb"
    r = _cli("ingest", str(f), "--db", str(db))
    assert r.returncode == 0 and r.stdout.strip() == "3 ingested, 0 duplicates skipped, 0 quarantined"
    return db


def test_report_json_contract(seeded):
    r = _cli("report", "--db", str(seeded), "--by", "feature,month", "--format", "json")
    rows = json.loads(r.stdout, parse_float=D)
    assert [list(x) for x in rows][0] == ["feature", "month", "requests", "input_tokens", "cached_tokens",
                                          "output_tokens", "cost_usd", "unpriced_requests"]
    by = {(x["feature"], x["month"]): x for x in rows}
    assert by[("search", "2026-10-01")]["cost_usd"] == (D(500_000) * D("2.5") + D(500_000) * D("1.25")
                                                         + D(100_000) * D(10)) / M
    assert by[("search", "2026-11-01")]["unpriced_requests"] == 1
    assert by[("search", "2026-11-01")]["cost_usd"] == 0
    assert by[('=HYPERLINK("x")', "2026-11-01")]["cost_usd"] == D("0.3")  # stored verbatim


def test_report_date_window_is_inclusive_utc_days(seeded):
    r = _cli("report", "--db", str(seeded), "--by", "day", "--from", "2026-11-01", "--to", "2026-11-01",
             "--format", "json")
    assert [(x["day"], x["requests"]) for x in json.loads(r.stdout)] == [("2026-11-01", 1)]


def test_report_csv_xlsx_parquet(seeded, tmp_path):
    r = _cli("report", "--db", str(seeded), "--by", "feature", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {x["feature"] for x in rows} == {"search", "'=HYPERLINK(\"x\")"}  # formula neutralised
    x = tmp_path / "r.xlsx"
    assert _cli("report", "--db", str(seeded), "--by", "feature", "--format", "xlsx", "-o", str(x)).returncode == 0
    ws = openpyxl.load_workbook(x).active
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    cost_col = header.index("cost_usd") + 1
    assert "$" in ws.cell(2, cost_col).number_format
    last = ws.max_row
    assert ws.cell(last, 1).value == "Total"
    assert ws.cell(last, cost_col).value == pytest.approx(2.875 + 0.3)  # 0.5M x 2.50 + 0.5M x 1.25 + 0.1M x 10, per 1M
    assert "'=HYPERLINK" in str([ws.cell(i, 1).value for i in range(2, last)])
    p = tmp_path / "r.parquet"
    assert _cli("report", "--db", str(seeded), "--format", "parquet", "-o", str(p)).returncode == 0
    t = pq.read_table(p).to_pylist()
    assert sum(row["cost_usd"] for row in t) == D("2.875") + D("0.3")


def test_bad_usage_exit_2_and_errors_exit_1(seeded):
    r = _cli("report", "--db", str(seeded), "--format", "yaml")
    assert r.returncode == 2
    r = _cli("report", "--db", str(seeded), "--by", "feature;drop")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "unknown --by column" in r.stderr
    r = _cli("prices", "gpt-unknown-1", "--db", str(seeded))
    assert r.returncode == 1 and "unpriced" in r.stderr


def test_prices_shows_price_in_force_and_source(seeded):
    r = _cli("prices", "gpt-4o-2024-08-06", "--db", str(seeded), "--format", "json")
    row = json.loads(r.stdout, parse_float=D)
    assert (row["input_per_mtok"], row["cached_per_mtok"], row["output_per_mtok"]) == (D("2.5"), D("1.25"), D(10))
    assert row["source"]
    r = _cli("prices", "--unpriced", "--db", str(seeded))
    assert r.stdout.startswith("mystery-model\t1 requests")


def _commands(group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name)
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*prefix, name))


def test_every_command_has_help_and_a_readme_mention():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    root = typer.main.get_command(app)
    names = list(_commands(root))
    assert {("ingest",), ("report",), ("prices",), ("demo",), ("serve",), ("quarantine",)} <= set(names)
    # the program itself answers --help in a child process; every subcommand through the same app
    # in-process (one child per command cost ~40 s of CI for the same click code path)
    top = _cli("--help")
    assert top.returncode == 0 and "Usage" in top.stdout
    runner = CliRunner()
    for path in names:
        r = runner.invoke(app, [*path, "--help"])
        assert r.exit_code == 0 and "Usage" in r.stdout, path
        assert f"spendwatch {' '.join(path)}" in readme, f"README does not mention `spendwatch {' '.join(path)}`"
