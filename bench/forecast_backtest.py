"""Forecast error (MAPE) on the demo data: forecast each full month's total from day 7, 14 and 21,
compare with what the month really cost.

    .venv/bin/python bench/forecast_backtest.py
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from spendwatch import demo, forecast, store
from spendwatch.pricing import catalog


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        con = store.connect(Path(d) / "demo.duckdb")
        catalog.materialise(con)
        now = datetime(2026, 11, 25, 12)
        demo.generate(con, days=180, seed=7, now=now)
        months = [datetime(2026, m, 1) for m in (7, 8, 9, 10)]
        print(f"{'month':10}{'actual':>12}" + "".join(f"{'day ' + str(k):>22}" for k in (7, 14, 21)))
        errors: dict[int, list[Decimal]] = {7: [], 14: [], 21: []}
        for m in months:
            nxt = datetime(m.year + (m.month == 12), m.month % 12 + 1, 1)
            actual = sum((c for _, c in forecast.daily_spend(con, start=m, end=nxt)), Decimal(0))
            cells = []
            for k in (7, 14, 21):
                f = forecast.forecast_month_end(con, at=m.replace(day=k))
                err = abs(f["forecast_usd"] - actual) / actual * 100
                errors[k].append(err)
                cells.append(f"${f['forecast_usd']:>9,.2f} ({err:4.1f} %)")
            print(f"{m:%Y-%m}   ${actual:>10,.2f}" + "".join(f"{c:>22}" for c in cells))
        print("MAPE      " + " " * 12 + "".join(f"{sum(v) / len(v):>20.1f} %" for v in errors.values()))


if __name__ == "__main__":
    main()
