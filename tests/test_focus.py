"""FOCUS 1.0 export: checked by the FinOps Foundation's own `focus-validator`, in a virtual environment of
its own (it needs `multimethod<2` and an older pandas than spendwatch's), made once and cached under
~/.cache so CI pays for it once; after that it runs offline on its bundled rules."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from spendwatch import focus
from spendwatch.chargeback import parse_month
from tests.test_chargeback import P1, P2, recorded  # noqa: F401  (the recorded Costs API page, two features)

VALIDATOR_PINS = ["focus-validator==1.0.0", "multimethod<2", "pandas<2.2", "numpy<2"]
NOW = datetime(2026, 12, 2, 9, 0)


def _validator() -> tuple[Path, Path]:
    """(focus-validator executable, the directory to run it in). It reads its currency list from a path
    relative to the working directory, so it runs from its own site-packages."""
    home = Path(
        os.environ.get(
            "SPENDWATCH_FOCUS_VENV", Path.home() / ".cache" / "spendwatch" / "focus-validator-1.0.0"
        )
    )
    exe = home / "bin" / "focus-validator"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(home)], check=True)
        r = subprocess.run(
            [str(home / "bin" / "python"), "-m", "pip", "install", "-q", *VALIDATOR_PINS],
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr[-2000:]
    site = subprocess.run(
        [
            str(home / "bin" / "python"),
            "-c",
            "import focus_validator, os; print(os.path.dirname(os.path.dirname(focus_validator.__file__)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return exe, Path(site)


def _validate(path: Path) -> str:
    exe, cwd = _validator()
    r = subprocess.run(
        [str(exe), "--data-file", str(path), "--validate-version", "1.0"],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )
    return r.stdout + r.stderr


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "spendwatch", *args], capture_output=True, text=True
    )


@pytest.mark.integration
def test_focus_export_passes_focus_validator_and_has_the_bill(recorded, db_path, tmp_path):  # noqa: F811
    recorded.close()
    cfg = tmp_path / "sw.toml"
    cfg.write_text(
        '[cost_centres]\nsearch = "=HYPERLINK(\\"http://x\\")"\n\n[focus]\nbilling_account_id = "org-abc"\n'
    )
    out = tmp_path / "nov.csv"
    r = _cli(
        "export",
        "focus",
        "--month",
        "2026-11",
        "-o",
        str(out),
        "--db",
        str(db_path),
        "--config",
        str(cfg),
    )
    assert r.returncode == 0, r.stderr
    report = _validate(out)
    assert "Validation succeeded" in report and "failed" not in report, report

    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 5  # the recorded page: five line items on 2026-11-01
    assert sum(D(r["BilledCost"]) for r in rows) == D("9.29538825")
    row = next(r for r in rows if r["ChargeDescription"] == "gpt-4o-2024-08-06, input")
    # 808,592 tokens at the list price $2.50 / 1M = $2.02148 (the bill says the same)
    assert (row["PricingQuantity"], row["PricingUnit"], row["ListUnitPrice"]) == (
        "808592",
        "Tokens",
        "0.0000025",
    )
    assert D(row["ListCost"]) == D("2.02148") and D(row["EffectiveCost"]) == D("2.02148")
    assert (row["BillingAccountId"], row["SubAccountId"], row["ServiceCategory"]) == (
        "org-abc",
        P1,
        "AI and Machine Learning",
    )
    assert (row["ChargePeriodStart"], row["ChargePeriodEnd"]) == (
        "2026-11-01T00:00:00Z",
        "2026-11-02T00:00:00Z",
    )
    assert (row["BillingPeriodStart"], row["BillingPeriodEnd"]) == (
        "2026-11-01T00:00:00Z",
        "2026-12-01T00:00:00Z",
    )
    # the split of $2.02148 as in the chargeback: search 1000 vs chat 3000 uncached tokens → 0.50537 / 1.51611
    tags = json.loads(row["Tags"])
    assert (
        tags["spendwatch/feature/search"] == "0.50537"
        and tags["spendwatch/feature/chat"] == "1.51611"
    )
    assert (
        tags['spendwatch/cost_centre/=HYPERLINK("http://x")'] == "0.50537"
    )  # a name is data, inside JSON
    web = next(r for r in rows if r["ChargeDescription"] == "web search tool calls")
    assert (web["SubAccountId"], web["ListCost"], web["x_Unallocated"]) == (
        P2,
        "2.5",
        "not instrumented",
    )

    broken = tmp_path / "broken.csv"  # the validator does fail a file without a mandatory column
    lines = out.read_text().splitlines()
    col = lines[0].split(",").index("BillingCurrency")
    broken.write_text(
        "\n".join(
            ",".join(c for j, c in enumerate(next(csv.reader([ln]))) if j != col)
            for ln in lines[:1]
        )
        + "\n"
    )
    assert "Validation failed" in _validate(broken)


def test_focus_parquet_and_bad_input(recorded, tmp_path):  # noqa: F811
    rows, missing = focus.focus_rows(recorded, month=parse_month("2026-11"), now=NOW)
    assert missing[0].isoformat() == "2026-11-03"
    t = pq.read_table(io.BytesIO(focus.render(rows, "parquet")))
    assert (
        t.num_rows == 5 and str(t.schema.field("ChargePeriodStart").type) == "timestamp[us, tz=UTC]"
    )
    assert set(focus.COLUMNS) <= set(t.column_names)


def test_export_focus_of_a_month_never_synced_exits_1(db_path, con, tmp_path):
    con.close()
    r = _cli(
        "export", "focus", "--month", "2026-10", "-o", str(tmp_path / "x.csv"), "--db", str(db_path)
    )
    assert (
        r.returncode == 1
        and r.stderr.count("\n") == 1
        and "spendwatch sync openai --from-date 2026-10-01" in r.stderr
    )
    assert not (tmp_path / "x.csv").exists()
