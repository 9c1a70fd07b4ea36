"""The spool: how processes other than `spendwatch serve` hand records to the one writer.

Each process appends JSON lines to its own open segment (``*.jsonl.part``) from a background
thread that wakes every ``FLUSH_SECONDS`` and writes what was queued in one batch; about once a
second the segment is closed and renamed to ``*.jsonl`` (finished). A killed process loses at most
what is queued plus its open segment: about one second of records (``sync=True`` loses none: each
record is written and fsynced on the caller's thread before the call returns). The drain ingests
finished segments in one transaction each, recording the segment in the ingest log in that same
transaction, and then deletes the file: a crash between the two neither loses nor doubles a
segment (the next drain sees the log entry and only deletes).

A segment is named ``<host>-<pid>-<ms>-<seq>.jsonl`` (``host``: ``SPENDWATCH_HOST_ID``, else the
hostname), so processes on many hosts can share one spool directory (a network file system: rename
within a directory is atomic there too). A writer killed with kill -9 leaves its open ``.part``: the
drain finishes it for it (renames it into place, exactly what the writer would have done) once its
process is gone (same host: the pid is checked) and ``PART_GRACE_SECONDS`` have passed, or, for a
writer on another host, once the file has not changed for ``PART_STALE_SECONDS``.
"""

from __future__ import annotations

import atexit
import collections
import json
import logging
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from spendwatch import store
from spendwatch.ingest import IngestResult, ingest_bytes, known_ids, remember_ids
from spendwatch.scheduler import job_factory

try:  # pydantic-core (always there with openai / pydantic-settings) encodes records in Rust
    from pydantic_core import to_json as _to_json
except ImportError:  # pragma: no cover
    _to_json = None

log = logging.getLogger("spendwatch.spool")
ROTATE_SECONDS = 1.0
# The writer wakes this often and writes what was queued in one batch; the caller never waits.
FLUSH_SECONDS = 0.1
QUEUE_MAX = 100_000
CHUNK = 64  # records encoded between writes (each write lets other threads have the GIL)


def _default(obj: Any) -> Any:
    dump = getattr(obj, "model_dump", None)
    return dump(exclude_none=True) if dump is not None else str(obj)


def encode(record: dict[str, Any]) -> bytes:
    """One JSON line (no newline). Pydantic models inside are written without their None fields."""
    if _to_json is not None:
        try:
            return _to_json(record, exclude_none=True, fallback=str)
        except Exception:  # noqa: S110 - fall back to the stdlib encoder below
            pass
    return json.dumps(record, default=_default, ensure_ascii=False).encode()


class SpoolWriter:
    """Never blocks the caller: records go into a bounded queue; a daemon thread writes them in batches.

    ``put`` takes a record (a dict) or a callable that builds one; builders run on the writer
    thread, off the caller's path. With ``sync=True`` the record is written and fsynced before
    ``put`` returns (nothing is lost if the process is killed, at the cost of a disk write per call).
    """

    def __init__(self, directory: Path, *, sync: bool = False, host_id: str | None = None) -> None:
        self.directory = Path(directory)
        self.host = host_name(host_id)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.sync = sync
        self.dropped = 0
        self._items: collections.deque[Any] = collections.deque()
        self._lock = threading.Lock()  # guards the open segment (writer thread, flush, sync puts)
        self._wake = threading.Event()
        self._closing = False
        self._fh: Any = None
        self._name = ""
        self._opened = 0.0
        self._seq = 0
        self._warned = False
        self._thread = threading.Thread(target=self._run, name="spendwatch-spool", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def put(self, record: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        """A record, or a callable that builds it (run on the writer thread, off the caller's path)."""
        if self.sync or self._closing:  # after close (at exit) nothing would write it later
            self._write_now(record)
        elif len(self._items) < QUEUE_MAX:
            # deque.append is atomic: no lock and no wake-up on the caller's path
            self._items.append(record)
        else:
            self.dropped += 1  # never block the app; counted

    def flush(self) -> None:
        """Write what is queued now and finish the open segment (the writer keeps running)."""
        try:
            with self._lock:
                self._write_queued()
                self._rotate()
        except Exception:
            self._warn("spool flush failed")

    def close(self, timeout: float = 5.0) -> None:
        """Flush what is queued and finish the open segment; the writer stops (runs at exit)."""
        self._closing = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._lock.acquire(timeout=timeout):  # whatever came in after the thread's last batch
            try:
                self._write_queued()
                self._rotate()
            except Exception:
                self._warn("spool flush failed")
            finally:
                self._lock.release()

    def _run(self) -> None:
        while True:
            self._wake.wait(FLUSH_SECONDS)
            closing = self._closing
            try:
                with self._lock:
                    self._write_queued()
                    if self._fh is not None and (
                        closing or time.monotonic() - self._opened >= ROTATE_SECONDS
                    ):
                        self._rotate()
            except Exception:  # the writer must survive anything (e.g. the directory removed)
                self._warn("spool write failed")
            if closing:
                return

    def _warn(self, msg: str) -> None:
        if not self._warned:
            self._warned = True
            log.exception(msg + " (further failures are silent)")

    def _segment_name(self) -> str:
        self._seq += 1
        return f"{self.host}-{os.getpid()}-{int(time.time() * 1000)}-{self._seq:06d}.jsonl"

    def _open(self) -> Any:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._name, self._opened = self._segment_name(), time.monotonic()
        self._fh = open(self.directory / (self._name + ".part"), "ab")  # noqa: SIM115
        return self._fh

    def _rotate(self) -> None:
        """Close the open segment and rename it into place (finished). Lock held."""
        fh, self._fh = self._fh, None
        if fh is not None:
            fh.close()
            os.replace(self.directory / (self._name + ".part"), self.directory / self._name)

    def _lines(self, n: int) -> list[bytes]:
        out: list[bytes] = []
        popleft = self._items.popleft
        for _ in range(n):
            rec = popleft()
            try:
                out.append(encode(rec() if callable(rec) else rec))
            except Exception:  # one bad record must not cost the others (or the app)
                self._warn("spool could not encode a record")
        return out

    def _write_queued(self) -> None:
        """Write every record queued so far in batches, then flush to the OS. Lock held."""
        n = len(self._items)
        if not n:
            return
        fh = self._fh or self._open()
        while n > 0:
            lines = self._lines(min(n, CHUNK))
            n -= CHUNK
            if lines:
                fh.write(b"\n".join(lines) + b"\n")
        fh.flush()
        if self.sync:
            os.fsync(fh.fileno())

    def _write_now(self, record: Any) -> None:
        """sync mode: this record (and anything queued before it) is on disk when this returns."""
        try:
            with self._lock:
                self._items.append(record)
                self._write_queued()
                if self._closing or time.monotonic() - self._opened >= ROTATE_SECONDS:
                    self._rotate()
        except Exception:
            self._warn("spool write failed")


def host_name(host_id: str | None = None) -> str:
    """This host's part of a segment name: letters, digits, ``.`` and ``_`` only (a ``-`` separates
    the fields of the name)."""
    return re.sub(r"[^A-Za-z0-9._]", "_", host_id or socket.gethostname()) or "host"


PART_GRACE_SECONDS = 10.0  # a dead writer's .part (same host) is finished this long after its last write
PART_STALE_SECONDS = 300.0  # any .part unchanged this long (a writer on another host) is finished too


def finished_segments(directory: Path) -> list[Path]:
    return sorted(Path(directory).glob("*.jsonl")) if Path(directory).is_dir() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: the pid exists, owned by someone else
        return True
    return True


def _directory_clock(directory: Path) -> float:
    """"Now" as the spool's file system stamps it: ages are mtime minus this, so a host whose clock is
    off (or a file server's that is) never makes a live segment look abandoned."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".clock-", dir=directory)
    except OSError:
        return time.time()  # a spool we cannot write to: the draining itself will say so
    try:
        return os.fstat(fd).st_mtime
    finally:
        os.close(fd)
        os.unlink(probe)


def finish_orphans(
    directory: Path, *, grace: float = PART_GRACE_SECONDS, stale: float = PART_STALE_SECONDS,
    host_id: str | None = None, wall: float | None = None,
) -> list[Path]:
    """Rename into place the ``.part`` segments whose writer was killed: on this host when its pid is
    gone and ``grace`` seconds passed since the last write; from any host when unchanged for ``stale``
    seconds. A rename is atomic and is what the writer itself would do, so a segment is finished at most
    once and then drained exactly once like any other."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    me, wall = host_name(host_id), _directory_clock(directory) if wall is None else wall
    done = []
    for part in sorted(directory.glob("*.jsonl.part")):
        fields = part.name.removesuffix(".jsonl.part").rsplit("-", 3)
        try:
            age = wall - part.stat().st_mtime
        except FileNotFoundError:
            continue  # its writer just finished it
        if len(fields) != 4 or not fields[1].isdigit():
            orphan = age >= stale
        else:
            if fields[0] == me:  # a live writer of this host is never overtaken, however idle
                orphan = age >= grace and not _alive(int(fields[1]))
            else:
                orphan = age >= stale
        if orphan:
            target = part.with_name(part.name.removesuffix(".part"))
            try:
                os.rename(part, target)
            except FileNotFoundError:
                continue
            log.warning("finished %s, left open by a writer that is gone", target.name)
            done.append(target)
    return done


def drain(
    con: duckdb.DuckDBPyConnection, directory: Path, *, now: datetime | None = None,
    part_grace: float = PART_GRACE_SECONDS, part_stale: float = PART_STALE_SECONDS, host_id: str | None = None,
) -> IngestResult:
    """Ingest every finished segment exactly once, then delete it; first finish the ``.part`` segments
    of writers that are gone (``finish_orphans``). ``now``: the clock records are checked against for
    future timestamps; ``host_id``: this host's name, as its writers use it (``SPENDWATCH_HOST_ID``)."""
    total = IngestResult("spool")
    finish_orphans(directory, grace=part_grace, stale=part_stale, host_id=host_id)
    keys = {seg: f"spool:{seg.name}" for seg in finished_segments(directory)}  # also each unit's source
    if not keys:
        return total
    done = {k for (k,) in con.execute(
        "SELECT unit_key FROM ingest_log WHERE kind = 'spool' AND unit_key IN (SELECT unnest($k::VARCHAR[]))",
        {"k": list(keys.values())}).fetchall()}
    todo = []
    for seg, key in keys.items():
        if key in done:
            seg.unlink(missing_ok=True)
        else:
            todo.append(seg)
    for group in _groups(todo):
        bodies = [seg.read_bytes() for seg in group]
        with store.request_writes():  # one scan of the stored ids per group of segments, not per segment
            known_ids(con, bodies)
            for seg, body in zip(group, bodies, strict=True):
                total = total + ingest_bytes(  # split on \n only: U+2028 in a tag is data
                    con, body, source=keys[seg], kind="spool", unit_key=keys[seg], now=now,
                    stored="_known", before_commit=remember_ids,
                )
                seg.unlink(missing_ok=True)
    return total


# A drain pass reads this much of the spool into memory at once (after downtime there can be hours of it).
GROUP_BYTES = 64 * 1024 * 1024


def _groups(segments: list[Path]) -> Iterator[list[Path]]:
    group: list[Path] = []
    size = 0
    for seg in segments:
        n = seg.stat().st_size
        if group and size + n > GROUP_BYTES:
            yield group
            group, size = [], 0
        group.append(seg)
        size += n
    if group:
        yield group


@job_factory
def _drain_job(settings, con):
    """`spendwatch serve` drains the spool every few seconds."""
    directory = settings.spool_dir()
    host = settings.host_id
    return ("spool-drain", lambda now: drain(con.cursor(), directory, now=now, host_id=host), 3.0)
