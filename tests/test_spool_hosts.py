"""Issue 14 item 16 and issue 19 item 1: a writer killed with kill -9 leaves its open ``.part``
segment; the drain finishes it once the writer is gone, exactly once. Several hosts (distinct host
ids, separate processes) share one spool directory; a SIGKILLed writer and a SIGKILLed drainer
change no count."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spendwatch import store
from spendwatch.collectors.spool import drain, finish_orphans, finished_segments, host_name
from spendwatch.pricing import catalog
from tests.fake_openai import FakeOpenAI

# Writes exactly N records (sync: each on disk before put returns) into one open segment, says so,
# then waits to be killed. ROTATE_SECONDS is raised so the segment is still open (.part) at the kill.
KILLED_WRITER = """
import sys, time
from spendwatch.collectors import spool
spool.ROTATE_SECONDS = 3600
w = spool.SpoolWriter(sys.argv[1], sync=True, host_id=sys.argv[2] or None)
for i in range(int(sys.argv[3])):
    w.put({"request_id": f"{w.host}-{i}", "ts": "2026-11-10T12:00:00Z", "model": "gpt-4o",
           "usage": {"prompt_tokens": 100, "completion_tokens": 10}})
print("written", flush=True)
time.sleep(600)
"""

SDK_WRITER = """
import sys, openai, spendwatch
client = spendwatch.instrument(openai.OpenAI(api_key="sk-test-hosts-writer", base_url=sys.argv[1]),
                               spool_dir=sys.argv[2], feature=sys.argv[4])
for i in range(int(sys.argv[3])):
    client.chat.completions.create(model="unique-ids", messages=[])
"""

DRAINER = """
import sys, time
from spendwatch import store
from spendwatch.collectors.spool import drain
con = store.connect(sys.argv[1])
print("draining", flush=True)
while True:
    drain(con, sys.argv[2])
    time.sleep(0.05)
"""


def _env(host: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SPENDWATCH_"))}
    if host:
        env["SPENDWATCH_HOST_ID"] = host
    return env


def _killed_writer(spool: Path, host: str, n: int) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(spool), host, str(n)], stdout=subprocess.PIPE,
                         text=True, env=_env())
    assert p.stdout.readline().strip() == "written"
    p.send_signal(signal.SIGKILL)
    p.wait()
    return p


def test_part_of_a_killed_writer_is_drained_once_after_the_grace(tmp_path, con):
    spool = tmp_path / "spool"
    _killed_writer(spool, "", 50)  # this host (its hostname)
    (part,) = spool.glob("*.jsonl.part")
    assert part.name.startswith(host_name() + "-") and not finished_segments(spool)
    # the default grace (10 s since the last write) has not passed: the segment is left alone
    assert drain(con, spool).lines_read == 0 and part.exists()
    # another host's writer (its pid cannot be checked) only after PART_STALE_SECONDS
    assert finish_orphans(spool, grace=0, host_id="otherhost") == []
    old = part.stat().st_mtime - 11  # the file system's clock, as the drain reads it
    os.utime(part, (old, old))  # 11 s later, the writer's pid (this host) is gone
    r = drain(con, spool, part_stale=3600)
    assert (r.lines_read, r.ingested, r.quarantined) == (50, 50, 0)
    assert drain(con, spool).lines_read == 0
    assert not list(spool.iterdir())
    assert con.execute("SELECT count(*), count(DISTINCT request_id) FROM requests").fetchone() == (50, 50)


def test_a_live_writers_part_is_never_taken(tmp_path, con):
    spool = tmp_path / "spool"
    p = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(spool), "", "5"], stdout=subprocess.PIPE,
                         text=True, env=_env())
    try:
        assert p.stdout.readline().strip() == "written"
        (part,) = spool.glob("*.jsonl.part")
        old = part.stat().st_mtime - 60
        os.utime(part, (old, old))
        assert drain(con, spool, part_stale=3600).lines_read == 0 and part.exists()
        # however long idle, or however far a skewed clock makes it look: a live writer of this host keeps it
        assert drain(con, spool, part_stale=0).lines_read == 0 and part.exists()
    finally:
        p.kill()
        p.wait()


@pytest.mark.integration
def test_many_hosts_one_spool_killed_writer_and_drainer_exactly_once(tmp_path, db_path):
    spool = tmp_path / "spool"
    c = store.connect(db_path)
    catalog.materialise(c)
    c.close()
    calls = 250
    with FakeOpenAI() as server:
        writers = [
            subprocess.Popen([sys.executable, "-c", SDK_WRITER, server.base_url, str(spool), str(calls), host],
                             env=_env(host))
            for host in ("host-a", "host-a", "host-b", "host-b")
        ]
        drainer = subprocess.Popen([sys.executable, "-c", DRAINER, str(db_path), str(spool)], stdout=subprocess.PIPE,
                                   text=True, env=_env())
        assert drainer.stdout.readline().strip() == "draining"
        _killed_writer(spool, "host-c", 120)  # a third host; its writer SIGKILLed with a segment open
        time.sleep(1.5)
        drainer.send_signal(signal.SIGKILL)  # the drainer killed while writers still run
        drainer.wait()
        for w in writers:
            assert w.wait(timeout=300) == 0
    assert {p.name.split("-")[0] for p in spool.glob("*.part")} == {"host_c"}  # '-' in a host id becomes '_'
    time.sleep(0.6)
    con = store.connect(db_path)
    try:
        drain(con, spool, part_stale=0.5)  # host-c's pid cannot be checked from here: the stale rule
        drain(con, spool)
        assert not list(spool.iterdir())
        rows = con.execute("SELECT count(*), count(DISTINCT request_id) FROM requests").fetchone()
        assert rows == (4 * calls + 120, 4 * calls + 120)
        by_host = dict(con.execute(
            "SELECT split_part(source, '-', 1), count(*) FROM requests GROUP BY 1").fetchall())
        assert by_host == {"spool:host_a": 2 * calls, "spool:host_b": 2 * calls, "spool:host_c": 120}
        assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
        logged = con.execute("SELECT sum(ingested), sum(duplicates) FROM ingest_log WHERE kind = 'spool'").fetchone()
        assert logged == (4 * calls + 120, 0)
    finally:
        con.close()
