"""The spool: how processes other than `spendwatch serve` hand records to the one writer.

Each process appends JSON lines to its own open segment (``*.jsonl.part``) from a background
thread; about once a second the segment is closed and renamed to ``*.jsonl`` (finished). The
drain ingests finished segments in one transaction each, recording the segment in the ingest log
in that same transaction, and then deletes the file: a crash between the two neither loses nor
doubles a segment (the next drain sees the log entry and only deletes).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from spendwatch.ingest import IngestResult, ingest_lines
from spendwatch.scheduler import job_factory

log = logging.getLogger("spendwatch.spool")
ROTATE_SECONDS = 1.0
QUEUE_MAX = 100_000


class SpoolWriter:
    """Never blocks the caller: records go into a bounded queue; a daemon thread writes them."""

    def __init__(self, directory: Path, *, sync: bool = False) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.sync = sync
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=QUEUE_MAX)
        self._seq = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="spendwatch-spool", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def put(self, record: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        """A record, or a callable that builds it (run on the writer thread, off the caller's path)."""
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1  # never block the app; counted

    def close(self, timeout: float = 5.0) -> None:
        """Flush what is queued and finish the open segment (runs at exit)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _segment_name(self) -> str:
        self._seq += 1
        return f"{socket.gethostname()}-{os.getpid()}-{int(time.time() * 1000)}-{self._seq:06d}.jsonl"

    def _run(self) -> None:
        fh, name, opened = None, "", 0.0
        while True:
            try:
                rec = self._queue.get(timeout=0.2)
            except queue.Empty:
                rec = ...
            if fh is not None and (rec is None or time.monotonic() - opened >= ROTATE_SECONDS):
                fh.close()
                os.replace(self.directory / (name + ".part"), self.directory / name)
                fh = None
            if rec is None:
                return
            if rec is ...:
                continue
            if fh is None:
                name, opened = self._segment_name(), time.monotonic()
                fh = open(self.directory / (name + ".part"), "a", encoding="utf-8")  # noqa: SIM115
            try:
                if callable(rec):
                    rec = rec()
                fh.write(json.dumps(rec, default=str) + "\n")
                fh.flush()
                if self.sync:
                    os.fsync(fh.fileno())
            except Exception:  # recording must never break the app
                log.exception("spool write failed")


def finished_segments(directory: Path) -> list[Path]:
    return sorted(Path(directory).glob("*.jsonl")) if Path(directory).is_dir() else []


def drain(con: duckdb.DuckDBPyConnection, directory: Path) -> IngestResult:
    """Ingest every finished segment exactly once, then delete it."""
    total = IngestResult("spool")
    for seg in finished_segments(directory):
        key = f"spool:{seg.name}"
        done = con.execute("SELECT count(*) FROM ingest_log WHERE kind = 'spool' AND unit_key = ?", [key]).fetchall()
        if not done[0][0]:
            lines = seg.read_text(encoding="utf-8", errors="replace").splitlines()
            total = total + ingest_lines(con, lines, source=f"spool:{seg.name}", kind="spool", unit_key=key)
        seg.unlink(missing_ok=True)
    return total


@job_factory
def _drain_job(settings, con):
    """`spendwatch serve` drains the spool every few seconds."""
    directory = settings.spool_dir()
    return ("spool-drain", lambda: drain(con.cursor(), directory), 3.0)
