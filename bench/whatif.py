"""What-if latency over 10M requests (target <= 1 s).

    .venv/bin/python bench/whatif.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import synthetic

from spendwatch import whatif


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    n = ap.parse_args().rows
    with tempfile.TemporaryDirectory() as d:
        con = synthetic.build(Path(d) / "bench.duckdb", n)
        window = dict(start=datetime(2026, 8, 1), end=datetime(2026, 12, 1))
        cases = {
            "all gpt-4o -> gpt-4o-mini": whatif.Scenario(to_model="gpt-4o-mini", from_model="gpt-4o", **window),
            "everything -> gpt-4.1-nano": whatif.Scenario(to_model="gpt-4.1-nano", **window),
            "share+escalate+cache+batch": whatif.Scenario(
                to_model="gpt-4o-mini", share=Decimal("0.7"), escalate=Decimal("0.1"),
                cache_hit=Decimal("0.5"), batch=True, **window),
            "with --range (3 passes)": whatif.Scenario(to_model="gpt-4o-mini", with_range=True, **window),
        }
        print(f"{'scenario':30}{'first (s)':>10}{'warm median (s)':>17}")
        for label, sc in cases.items():
            times = []
            for _ in range(3):
                t = time.perf_counter()
                whatif.simulate(con, sc)
                times.append(time.perf_counter() - t)
            print(f"{label:30}{times[0]:>10.3f}{sorted(times[1:])[0]:>17.3f}")


if __name__ == "__main__":
    main()
