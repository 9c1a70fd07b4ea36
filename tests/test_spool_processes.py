"""8 real processes x 2,000 instrumented calls into one spool, drained while they run: exactly 16,000 rows."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from spendwatch.collectors.spool import drain, finished_segments
from tests.fake_openai import FakeOpenAI

WRITERS, CALLS = 8, 2000
CHILD = """
import sys, openai, spendwatch
client = spendwatch.instrument(openai.OpenAI(api_key="sk-test-spool-writer", base_url=sys.argv[1]),
                               spool_dir=sys.argv[2], feature="load")
for i in range(int(sys.argv[3])):
    client.chat.completions.create(model="unique-ids", messages=[])
"""


@pytest.mark.integration
@pytest.mark.timeout(900)  # 8 processes x 2,000 calls; minutes on a loaded 2-core box
def test_eight_writers_one_spool_exactly_once(tmp_path, con):
    spool = tmp_path / "spool"
    with FakeOpenAI() as server:
        procs = [subprocess.Popen([sys.executable, "-c", CHILD, server.base_url, str(spool), str(CALLS)])
                 for _ in range(WRITERS)]
        drained = 0
        while any(p.poll() is None for p in procs):
            drained += drain(con, spool).ingested
            time.sleep(0.5)
        assert all(p.returncode == 0 for p in procs)
    drained += drain(con, spool).ingested
    assert drained == WRITERS * CALLS
    n, distinct = con.execute("SELECT count(*), count(DISTINCT request_id) FROM requests").fetchall()[0]
    assert n == distinct == WRITERS * CALLS
    assert not finished_segments(spool) and not list(spool.glob("*.part"))
