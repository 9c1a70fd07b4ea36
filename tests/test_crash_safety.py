"""SIGKILL `spendwatch ingest` (files, then the spool) at random points 20 times each, then run it to
the end: the totals equal a clean run's, exactly."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from spendwatch import store
from tests.helpers import chat_record

KILLS = 20


def _write_lines(path, start: int, n: int) -> None:
    with open(path, "w") as fh:
        for i in range(start, start + n):
            fh.write(chat_record(f"k{i}", ["gpt-4o", "gpt-4o-mini", "o1"][i % 3], 1000 + i % 700, 50 + i % 90,
                                 cached=1024 if i % 4 == 0 and 1000 + i % 700 >= 1024 else 0) + "\n")


def _totals(db):
    con = store.connect(db)
    try:
        return con.execute("SELECT count(*), sum(cost_usd), sum(input_tokens) FROM requests_priced").fetchall()[0]
    finally:
        con.close()


def _kill_then_finish(cmd: list[str], rnd: random.Random) -> None:
    for _ in range(KILLS):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.2, 1.6))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.integration
def test_random_kills_of_file_ingest(tmp_path):
    files = []
    for k in range(3):
        f = tmp_path / f"part{k}.jsonl"
        _write_lines(f, k * 40_000, 40_000)
        files.append(str(f))
    clean, crashed = tmp_path / "clean.duckdb", tmp_path / "crashed.duckdb"
    cli = [sys.executable, "-m", "spendwatch", "ingest", *files, "--db"]
    assert subprocess.run([*cli, str(clean)], capture_output=True).returncode == 0
    _kill_then_finish([*cli, str(crashed)], random.Random(20))
    assert _totals(crashed) == _totals(clean)
    assert _totals(clean)[0] == 120_000


@pytest.mark.integration
def test_random_kills_of_spool_drain(tmp_path):
    def make_spool(d):
        d.mkdir()
        for k in range(30):
            _write_lines(d / f"host-1-{k:04d}.jsonl", k * 3_000, 3_000)

    make_spool(tmp_path / "s1")
    make_spool(tmp_path / "s2")
    clean, crashed = tmp_path / "clean.duckdb", tmp_path / "crashed.duckdb"
    base = [sys.executable, "-m", "spendwatch", "ingest", "--spool", "--spool-dir"]
    assert subprocess.run([*base, str(tmp_path / "s1"), "--db", str(clean)], capture_output=True).returncode == 0
    _kill_then_finish([*base, str(tmp_path / "s2"), "--db", str(crashed)], random.Random(8))
    assert _totals(crashed) == _totals(clean)
    assert _totals(clean)[0] == 90_000
    assert not list((tmp_path / "s2").glob("*.jsonl"))
