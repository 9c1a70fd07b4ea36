"""The local channel between CLI commands and a running `spendwatch serve`, and who holds the file.

DuckDB lets one process hold a database file read-write, and then no other process may even read
it. `serve` holds it all day, so it also listens on a Unix socket next to the database
(``<db>.sock``, mode 0600, the peer's uid checked with SO_PEERCRED): a command that finds the file
held asks the server to run the same core function on a cursor of its connection. Requests and
answers are JSON lines; values keep their Python types through a small tagged encoding (Decimal,
datetime, tuples, spendwatch dataclasses), so the command prints exactly what it would print on
the stopped database. Which functions the server runs is fixed in :mod:`spendwatch.commands`.

Every writer also records itself (pid + command) in ``<db>.holder``, so that a command refused by
the lock can name the process that holds it.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import importlib
import json
import logging
import os
import re
import shlex
import socket
import socketserver
import struct
import sys
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from spendwatch.errors import DatabaseLocked, SpendwatchError

log = logging.getLogger("spendwatch.control")

MAX_LINE = 64 * 1024 * 1024  # one request or answer
SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes with the NUL


def socket_path(db: Path) -> Path:
    return db.with_name(db.name + ".sock")


def holder_path(db: Path) -> Path:
    return db.with_name(db.name + ".holder")


# -- who holds the file ------------------------------------------------------------------------


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def record_holder(db: Path, command: str | None = None) -> None:
    """Write ``<db>.holder`` (pid + command; temp file, then rename); removed at exit if still ours."""
    if str(db) == ":memory:":
        return
    path = holder_path(db)
    cmd = command or shlex.join(["spendwatch", *sys.argv[1:]])
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(
            json.dumps({"pid": os.getpid(), "command": _printable(cmd)[:200]}), encoding="utf-8"
        )
        os.replace(tmp, path)
    except OSError:
        return  # a read-only directory: the lock message falls back to the pid
    atexit.register(_drop_holder, path, os.getpid())


def _drop_holder(path: Path, pid: int) -> None:
    h = _read(path)
    if h is not None and h.get("pid") == pid:
        with contextlib.suppress(OSError):
            path.unlink()


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None


def holder(db: Path, pid: int | None = None) -> dict[str, Any] | None:
    """The recorded holder, if it is the process ``pid`` (DuckDB names it) or, without one, alive."""
    h = _read(holder_path(db))
    if h is None:
        return None
    if pid is not None:
        return h if h["pid"] == pid else None
    try:
        os.kill(h["pid"], 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return h


def locked_error(db: Path, error: Exception, *, spool: Path | None = None) -> SpendwatchError:
    """The lock refusal, naming the real holder (an `ingest` is not `serve`)."""
    m = re.search(r"pid (\d+)", str(error), re.IGNORECASE)
    pid = int(m.group(1)) if m else None
    h = holder(db, pid)
    if h is None:
        who = f"another process (pid {pid})" if pid else "another process"
        return DatabaseLocked(f"database {db} is held by {who}; wait for it to finish, or stop it")
    who = f"`{h['command']}` (pid {h['pid']})"
    words = h["command"].split()
    # the server (serve, or demo serving): it takes reads, and records through its spool
    if len(words) > 1 and words[1] in ("serve", "demo"):
        where = f" through its spool directory {spool}" if spool else " through its spool directory"
        return DatabaseLocked(
            f"database {db} is held by {who}, which does not run this command; stop it, "
            f"or hand records to it{where}"
        )
    return DatabaseLocked(
        f"database {db} is held by {who}; wait for it to finish and run this again"
    )


# -- values on the wire ------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A JSON-able form of ``value`` that :func:`decode` turns back into the same Python value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return (
            value
            if value == value and value not in (float("inf"), float("-inf"))
            else {"$float": repr(value)}
        )
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$td": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"$map": [[encode(k), encode(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        return {
            "$dc": f"{cls.__module__}:{cls.__qualname__}",
            "fields": {
                f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init
            },
        }
    raise TypeError(f"cannot send a {type(value).__name__} to or from the server")


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 or "$dc" in value:
        (tag, body), *_ = value.items()
        if tag == "$dec":
            return Decimal(body)
        if tag == "$dt":
            return datetime.fromisoformat(body)
        if tag == "$date":
            return date.fromisoformat(body)
        if tag == "$time":
            return time.fromisoformat(body)
        if tag == "$td":
            return timedelta(days=body[0], seconds=body[1], microseconds=body[2])
        if tag == "$float":
            return float(body)
        if tag == "$tuple":
            return tuple(decode(v) for v in body)
        if tag == "$map":
            return {decode(k): decode(v) for k, v in body}
        if tag == "$dc":
            return _dataclass(value["$dc"])(**{k: decode(v) for k, v in value["fields"].items()})
    return {k: decode(v) for k, v in value.items()}


def _dataclass(name: str) -> type:
    """Only spendwatch's own dataclasses are rebuilt from the wire."""
    module, _, qual = name.partition(":")
    if not module.startswith("spendwatch."):
        raise SpendwatchError(f"the server sent an unexpected type {name}")
    cls = getattr(importlib.import_module(module), qual, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise SpendwatchError(f"the server sent an unexpected type {name}")
    return cls


def _error(e: BaseException) -> dict[str, Any]:
    cls = type(e)
    if isinstance(e, SpendwatchError | ValueError | LookupError):
        return {"type": f"{cls.__module__}:{cls.__qualname__}", "message": str(e)}
    log.exception("routed call failed")
    first = (str(e).splitlines() or [""])[0]
    return {
        "type": "spendwatch.errors:SpendwatchError",
        "message": f"the server failed: {cls.__name__}: {first}",
    }


def _raise(err: dict[str, Any]) -> None:
    module, _, qual = str(err.get("type", "")).partition(":")
    message = str(err.get("message", "the server refused"))
    cls: Any = None
    if module.startswith("spendwatch.") or module == "builtins":
        with contextlib.suppress(ImportError):
            cls = getattr(importlib.import_module(module), qual, None)
    if not (isinstance(cls, type) and issubclass(cls, SpendwatchError | ValueError | LookupError)):
        cls = SpendwatchError
    raise cls(message)


# -- the server side ---------------------------------------------------------------------------


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (SO_PEERCRED: pid, uid, gid)."""
    _, uid, _ = struct.unpack(
        "3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    )
    return uid


class _Handler(socketserver.StreamRequestHandler):
    """One CLI process: a hello with its config, then calls, each answered on one line."""

    server: _Server

    def handle(self) -> None:
        if peer_uid(self.connection) != os.getuid():
            log.warning("refused a control connection from another user")
            return
        cur: duckdb.DuckDBPyConnection | None = None
        try:
            while line := self.rfile.readline(MAX_LINE):
                answer = self._answer(line, cur)
                if isinstance(answer, tuple):
                    cur, answer = answer
                self.wfile.write(json.dumps(answer).encode() + b"\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            if cur is not None:
                cur.close()

    def _answer(self, line: bytes, cur: duckdb.DuckDBPyConnection | None) -> Any:
        from spendwatch.pricing import catalog

        try:
            req = json.loads(line)
            if req.get("op") == "hello":
                if cur is not None:
                    cur.close()
                cur = self.server.con.cursor()
                cur.execute("SET TimeZone = 'UTC'")
                catalog.use(cur, decode(req.get("config")) or {}, may_rewrite=False)
                return cur, {"ok": True, "result": {"pid": os.getpid()}}
            if cur is None:
                raise SpendwatchError("say hello first")
            fn = self.server.resolve(str(req.get("fn")))
            result = fn(cur, *decode(req.get("args") or []), **decode(req.get("kwargs") or {}))
            return {"ok": True, "result": encode(result)}
        except Exception as e:  # the answer carries the error; the server keeps running
            return {"ok": False, "error": _error(e)}


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    con: duckdb.DuckDBPyConnection
    resolve: Callable[[str], Callable[..., Any]]


class ControlServer:
    """The socket `serve` answers read commands on (and the writes it carries out for them)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        db: Path,
        resolve: Callable[[str], Callable[..., Any]],
    ) -> None:
        """``resolve`` names the functions the server may run (spendwatch.commands.resolve)."""
        self.con, self.path, self.resolve = con, socket_path(db), resolve
        self._server: _Server | None = None

    def start(self) -> bool:
        """Listen in a background thread; False (and a warning) when the path cannot be a socket."""
        path = str(self.path)
        if not hasattr(socket, "SO_PEERCRED"):
            log.warning("no SO_PEERCRED on this platform; read commands cannot reach this server")
            return False
        if len(os.fsencode(path)) > SOCKET_PATH_MAX:
            log.warning(
                "control socket path %s is too long; read commands cannot reach this server", path
            )
            return False
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # a socket left by a killed server (we hold the database now)
        old = os.umask(0o177)  # born 0600: no moment where another user could connect
        try:
            server = _Server(path, _Handler)
        finally:
            os.umask(old)
        os.chmod(path, 0o600)
        server.con, server.resolve = self.con, self.resolve
        self._server = server
        threading.Thread(
            target=server.serve_forever, name="spendwatch-control", daemon=True
        ).start()
        return True

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self._server = None


# -- the command side --------------------------------------------------------------------------


class NotRouted(AttributeError, DatabaseLocked):
    """A command used the server's handle as a connection: its calls do not go through commands.call."""


class Remote:
    """A command's handle on a running server: :func:`spendwatch.commands.call` sends calls through it."""

    def __init__(self, sock: socket.socket, path: Path) -> None:
        self._sock, self.path = sock, path
        self._file = sock.makefile("rwb")
        self.pid: int | None = None

    def __getattr__(self, name: str) -> Any:
        """Used as a connection by a command that does not route its calls: one line, not a traceback."""
        if name.startswith("_") or "path" not in self.__dict__:
            raise AttributeError(name)
        db = self.path.with_name(self.path.name.removesuffix(".sock"))
        raise NotRouted(
            f"database {db} is held by `spendwatch serve` (pid {self.pid}), which does not run "
            "this command; stop it and run this again"
        )

    def request(self, message: dict[str, Any]) -> Any:
        self._file.write(json.dumps(message).encode() + b"\n")
        self._file.flush()
        line = self._file.readline(MAX_LINE)
        if not line:
            raise SpendwatchError(f"the server on {self.path} closed the connection")
        answer = json.loads(line)
        if not answer.get("ok"):
            _raise(answer.get("error") or {})
        return decode(answer.get("result"))

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return self.request(
            {"op": "call", "fn": name, "args": encode(list(args)), "kwargs": encode(kwargs)}
        )

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
            self._sock.close()


def connect(db: Path, *, config: dict[str, Any] | None, timeout: float = 600) -> Remote | None:
    """A handle on the server holding ``db``, or None when none answers on ``<db>.sock``."""
    path = socket_path(db)
    if (
        not path.exists()
        or len(os.fsencode(str(path))) > SOCKET_PATH_MAX
        or not hasattr(socket, "SO_PEERCRED")
    ):
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        return None
    if peer_uid(sock) != os.getuid():
        sock.close()
        raise SpendwatchError(f"{path} belongs to another user's process; not sending it anything")
    remote = Remote(sock, path)
    remote.pid = remote.request({"op": "hello", "config": encode(config or {})})["pid"]
    return remote
