"""What asking a running `spendwatch serve` costs a read command, against reading the stopped file.

Writes a demo database (30 days, ~80k requests), then times `report --by feature,model`:
  1. the core call alone: report.spend_report on an open connection vs through an open control channel
     (and a tiny call, sync status, for the round trip itself);
  2. opening: store.connect(read_only) + catalog check vs connecting to <db>.sock (hello);
  3. the whole CLI child process, direct on the stopped database vs routed through serve.

    python bench/serve_routing.py [--days 30] [--repeat 20]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

CLI = [sys.executable, "-m", "spendwatch"]


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=20)
    a = ap.parse_args()

    from spendwatch import commands, control, report, store
    from spendwatch.collectors.openai_usage import sync_state
    from spendwatch.pricing import catalog

    tmp = Path(tempfile.mkdtemp(prefix="sw-bench-"))
    db = tmp / "bench.duckdb"
    subprocess.run([*CLI, "demo", "--no-serve", "--days", str(a.days), "--db", str(db)], check=True,
                   capture_output=True)
    kw = {"by": ["feature", "model"], "start": date(2000, 1, 1), "end": date(2100, 1, 1)}
    report_args = ["report", "--db", str(db), "--by", "feature,model", "--format", "json"]

    def open_direct() -> object:
        con = store.connect(db, read_only=True)
        catalog.use(con, {}, may_rewrite=False)
        con.close()
        return None

    con = store.connect(db, read_only=True)
    n = con.execute("SELECT count(*) FROM requests").fetchone()[0]
    direct_call = median_ms(lambda: report.spend_report(con, **kw), a.repeat)
    direct_tiny = median_ms(lambda: sync_state(con), a.repeat)
    direct_open = median_ms(open_direct, a.repeat)
    con.close()
    direct_cli = median_ms(lambda: subprocess.run([*CLI, *report_args], check=True, capture_output=True), 3)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    serve = subprocess.Popen([*CLI, "serve", "--db", str(db), "--port", str(port)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        remote = None
        deadline = time.time() + 90
        while remote is None and time.time() < deadline:
            remote = control.connect(db, config={})
            if remote is None:
                time.sleep(0.2)
        if remote is None:
            raise SystemExit("serve did not open its control socket")
        routed_call = median_ms(lambda: commands.call(report.spend_report, remote, **kw), a.repeat)
        routed_tiny = median_ms(lambda: commands.call(sync_state, remote), a.repeat)
        remote.close()
        routed_open = median_ms(lambda: control.connect(db, config={}).close(), a.repeat)  # type: ignore[union-attr]
        routed_cli = median_ms(lambda: subprocess.run([*CLI, *report_args], check=True, capture_output=True), 3)
    finally:
        serve.terminate()
        serve.wait(timeout=30)

    print(f"{n:,} requests; `report --by feature,model`, median ms")
    print(f"{'':34}{'direct':>10}{'via serve':>12}")
    print(f"{'core call (connection open)':34}{direct_call:>10.1f}{routed_call:>12.1f}")
    print(f"{'a tiny call (sync status)':34}{direct_tiny:>10.1f}{routed_tiny:>12.1f}")
    print(f"{'open (connect / hello)':34}{direct_open:>10.1f}{routed_open:>12.1f}")
    print(f"{'whole CLI child process':34}{direct_cli:>10.0f}{routed_cli:>12.0f}")


if __name__ == "__main__":
    main()
