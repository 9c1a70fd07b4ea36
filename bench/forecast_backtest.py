"""Forecast error and false forecast alerts on the demo data.

1. Clean months: forecast each full month's total from day 7, 14 and 21 and compare with what the
   month really cost (MAPE); and from 12:00 and 00:00 on every day 3-28 (a steadier average, the
   mean signed error and how often the 80 % interval held the month's total).
2. Injected spikes: a 2-hour burst (14:00-16:00 UTC) costing two average days of that month, put
   three days before the forecast day; MAPE against the month's real total (the spike included).
3. False-alert rate of a forecast rule, checked at 18:00 every day from day 4, 11 or 18 to the
   month's end (a scenario fires when any check forecasts >= the budget):
   - clean: budget 110 % of the month's real total;
   - one spike on the first checked day (a 2-hour burst of two average days, and a 3-hour burst of
     five): budget 110 % of the month's real total with the spike, so the month ends under budget.
   Also how much of a spike the forecast carries into the days after it: forecast with the spike
   - forecast without - the spike's own cost, as a share of that cost, over all those checks
   (0 %: the spike is counted once, as spend made; 100 %: one more spike projected).

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
SPIKES = (("one 2-hour spike of 2 days' spend", 2, 2), ("one 3-hour spike of 5 days' spend", 5, 3))
PER_MTOK = Decimal("2.50")  # gpt-4o input, $ per 1M tokens


def _next(m: datetime) -> datetime:
    return datetime(m.year + (m.month == 12), m.month % 12 + 1, 1)


def _total(con, start: datetime, end: datetime) -> Decimal:
    return sum((c for _, c in forecast.daily_spend(con, start=start, end=end)), Decimal(0))


def _spike(con, day: datetime, amount: Decimal, tag: str, hours: int = 2) -> None:
    """12 gpt-4o requests over ``hours`` hours from 14:00 that cost ``amount`` together (whole tokens: a
    little less)."""
    tokens = int(amount / 12 / PER_MTOK * 1_000_000)
    lines = [
        json.dumps(
            {
                "request_id": f"spike-{tag}-{i}",
                "model": "gpt-4o",
                "endpoint": "chat.completions",
                "ts": (day + timedelta(hours=14, minutes=5 * hours * i)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
                "feature": "search",
                "usage": {"prompt_tokens": tokens, "completion_tokens": 0},
            }
        )
        for i in range(12)
    ]
    ingest.ingest_lines(con, lines, source=f"spike-{tag}", now=NOW)


def _unspike(con) -> None:
    con.execute("DELETE FROM requests WHERE request_id LIKE 'spike-%'")


def _checks(con, start_day: datetime, month_end: datetime) -> list[Decimal]:
    """The forecast at 18:00 each day from ``start_day`` to the month's end."""
    out, day = [], start_day
    while day < month_end:
        out.append(forecast.forecast_month_end(con, at=day.replace(hour=18))["forecast_usd"])
        day += timedelta(days=1)
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        con = store.connect(Path(d) / "demo.duckdb")
        catalog.materialise(con)
        demo.generate(con, days=180, seed=7, now=NOW)
        clean_err: dict[int, list[Decimal]] = {k: [] for k in POINTS}
        spike_err: dict[int, list[Decimal]] = {k: [] for k in POINTS}
        fired = {"clean": 0} | {name: 0 for name, _, _ in SPIKES}
        worst = {"clean": Decimal(0)} | {name: Decimal(0) for name, _, _ in SPIKES}
        carried: dict[str, list[Decimal]] = {name: [] for name, _, _ in SPIKES}
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
            for sd in SPIKE_DAYS:
                scenarios += 1
                clean = _checks(con, m.replace(day=sd), nxt)
                fired["clean"] += max(clean) >= actual * BUDGET_MARGIN
                worst["clean"] = max(worst["clean"], max(clean) / (actual * BUDGET_MARGIN))
                for name, days, hours in SPIKES:
                    _spike(con, m.replace(day=sd), days * avg_day, f"{m:%m}-alert-{sd}", hours)
                    with_spike = _total(con, m, nxt)
                    budget = with_spike * BUDGET_MARGIN
                    spiked = _checks(con, m.replace(day=sd), nxt)
                    fired[name] += max(spiked) >= budget
                    worst[name] = max(worst[name], max(spiked) / budget)
                    cost = with_spike - actual
                    carried[name] += [
                        (s - c - cost) / cost * 100 for s, c in zip(spiked, clean, strict=True)
                    ]
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
        for hour in (12, 0):
            signed, inside = [], 0
            for m in MONTHS:
                actual = _total(con, m, _next(m))
                for k in range(3, 29):
                    f = forecast.forecast_month_end(con, at=m.replace(day=k, hour=hour))
                    signed.append((f["forecast_usd"] - actual) / actual * 100)
                    inside += f["low_usd"] <= actual <= f["high_usd"]
            print(
                f"clean, forecast at {hour:02d}:00 on every day 3-28: MAPE {sum(map(abs, signed)) / len(signed):.1f} %, "
                f"mean error {sum(signed) / len(signed):+.2f} %, "
                f"the 80 % interval held the month's total {inside}/{len(signed)} times"
            )
        print(
            f"forecast rule checked daily at 18:00 from day {', '.join(map(str, SPIKE_DAYS))} to the month's end "
            f"({scenarios} scenarios: 4 months x 3 start days); highest forecast / budget in brackets:"
        )
        print(
            f"  clean, budget 110 % of the month: fired {fired['clean']}/{scenarios} ({worst['clean']:.3f})"
        )
        for name, _, _ in SPIKES:
            c = carried[name]
            print(
                f"  {name} on the first day, budget 110 % of the month with it: fired {fired[name]}/{scenarios} "
                f"({worst[name]:.3f}); carried into the rest of the month: mean {sum(c) / len(c):+.1f} %, "
                f"max {max(c):+.1f} % of its cost"
            )


if __name__ == "__main__":
    main()
