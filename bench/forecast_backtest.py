"""Forecast error and false forecast alerts on the demo data.

1. Clean months: forecast each full month's total from day 7, 14 and 21 and compare with what the
   month really cost (MAPE).
2. Injected spikes: a 2-hour burst (14:00-16:00 UTC) costing two average days of that month, put
   three days before the forecast day; MAPE against the month's real total (the spike included).
3. False-alert rate of a forecast rule: budget = 110 % of the month's real total with the spike
   (the spike adds ~2/30 = 6.7 %), so the month ends under budget either way. The rule is checked at
   18:00 every day from the spike's day to the month's end; a scenario fires when any check
   forecasts ≥ the budget. The same checks on the clean data for comparison.

    .venv/bin/python bench/forecast_backtest.py
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from spendwatch import demo, forecast, ingest, store
from spendwatch.pricing import catalog

NOW = datetime(2026, 11, 25, 12)
MONTHS = [datetime(2026, m, 1) for m in (7, 8, 9, 10)]
POINTS = (7, 14, 21)
SPIKE_DAYS = (4, 11, 18)
BUDGET_MARGIN = Decimal("1.10")
PER_MTOK = Decimal("2.50")  # gpt-4o input, $ per 1M tokens


def _next(m: datetime) -> datetime:
    return datetime(m.year + (m.month == 12), m.month % 12 + 1, 1)


def _total(con, start: datetime, end: datetime) -> Decimal:
    return sum((c for _, c in forecast.daily_spend(con, start=start, end=end)), Decimal(0))


def _spike(con, day: datetime, amount: Decimal, tag: str) -> None:
    """12 gpt-4o requests over two hours that cost ``amount`` together (whole tokens: a little less)."""
    tokens = int(amount / 12 / PER_MTOK * 1_000_000)
    lines = [
        json.dumps(
            {
                "request_id": f"spike-{tag}-{i}",
                "model": "gpt-4o",
                "endpoint": "chat.completions",
                "ts": (day + timedelta(hours=14, minutes=10 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "feature": "search",
                "usage": {"prompt_tokens": tokens, "completion_tokens": 0},
            }
        )
        for i in range(12)
    ]
    ingest.ingest_lines(con, lines, source=f"spike-{tag}", now=NOW)


def _unspike(con) -> None:
    con.execute("DELETE FROM requests WHERE request_id LIKE 'spike-%'")


def _fires(con, start_day: datetime, month_end: datetime, budget: Decimal) -> bool:
    day = start_day
    while day < month_end:
        if forecast.forecast_month_end(con, at=day.replace(hour=18))["forecast_usd"] >= budget:
            return True
        day += timedelta(days=1)
    return False


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        con = store.connect(Path(d) / "demo.duckdb")
        catalog.materialise(con)
        demo.generate(con, days=180, seed=7, now=NOW)
        clean_err: dict[int, list[Decimal]] = {k: [] for k in POINTS}
        spike_err: dict[int, list[Decimal]] = {k: [] for k in POINTS}
        fired = {"clean": 0, "spike": 0}
        scenarios = 0
        print(
            f"{'month':10}{'actual':>12}"
            + "".join(f"{'day ' + str(k):>22}" for k in POINTS)
            + "   (spike 3 days before: forecast, error)"
        )
        for m in MONTHS:
            nxt = _next(m)
            actual = _total(con, m, nxt)
            avg_day = actual / (nxt - m).days
            cells, spiked = [], []
            for k in POINTS:
                f = forecast.forecast_month_end(con, at=m.replace(day=k))
                err = abs(f["forecast_usd"] - actual) / actual * 100
                clean_err[k].append(err)
                cells.append(f"${f['forecast_usd']:>9,.2f} ({err:4.1f} %)")
                _spike(con, m.replace(day=k - 3), 2 * avg_day, f"{m:%m}-{k}")
                with_spike = _total(con, m, nxt)
                fs = forecast.forecast_month_end(con, at=m.replace(day=k))
                serr = abs(fs["forecast_usd"] - with_spike) / with_spike * 100
                spike_err[k].append(serr)
                spiked.append(f"${fs['forecast_usd']:,.0f} ({serr:.1f} %)")
                _unspike(con)
            print(
                f"{m:%Y-%m}   ${actual:>10,.2f}"
                + "".join(f"{c:>22}" for c in cells)
                + "   "
                + ", ".join(spiked)
            )
            budget = (actual + 2 * avg_day) * BUDGET_MARGIN
            for sd in SPIKE_DAYS:
                scenarios += 1
                fired["clean"] += _fires(con, m.replace(day=sd), nxt, budget)
                _spike(con, m.replace(day=sd), 2 * avg_day, f"{m:%m}-alert-{sd}")
                fired["spike"] += _fires(con, m.replace(day=sd), nxt, budget)
                _unspike(con)
        print(
            "MAPE clean"
            + " " * 12
            + "".join(f"{sum(v) / len(v):>20.1f} %" for v in clean_err.values())
        )
        print(
            "MAPE spike"
            + " " * 12
            + "".join(f"{sum(v) / len(v):>20.1f} %" for v in spike_err.values())
        )
        print(
            f"forecast rule at 110 % of the month with its spike, checked daily at 18:00 from the spike's day "
            f"({scenarios} scenarios: 4 months x spike days {', '.join(map(str, SPIKE_DAYS))}):"
        )
        print(
            f"  fired without spikes {fired['clean']}/{scenarios} ({fired['clean'] / scenarios:.0%}), "
            f"with one 2-hour spike {fired['spike']}/{scenarios} ({fired['spike'] / scenarios:.0%})"
        )


if __name__ == "__main__":
    main()
