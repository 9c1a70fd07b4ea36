"""Read request-log files (JSONL, CSV, Parquet) into the staging table ``_lines``.

Each reader only turns its format into one JSON text per record (``raw``), numbered by line;
checking and typing every value happens in SQL (``check_records.sql``), the same for all formats.
Lines a reader cannot even split (a CSV row with the wrong column count) arrive with ``pre_reason``.
A clean JSONL file skips ``_lines`` altogether (``record_fields_jsonl.sql``, see ``spendwatch.ingest``).
"""

from __future__ import annotations

import mmap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from spendwatch.errors import SpendwatchError

FORMATS = ("auto", "jsonl", "csv", "parquet", "openai-batch")
CHUNK_BYTES = 8 << 20

Progress = Callable[[int], None]  # called with bytes (or rows) done since the last call

_LINES_SCHEMA = pa.schema([("line_no", pa.int64()), ("raw", pa.large_string()), ("pre_reason", pa.string())])


def detect_format(path: Path) -> str:
    name = path.name.lower()
    for suffix, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "jsonl"), (".csv", "csv"),
                        (".parquet", "parquet"), (".pq", "parquet")):
        if name.endswith(suffix) or name.endswith(suffix + ".tmp"):
            return fmt
    raise SpendwatchError(f"cannot tell the format of {path}: use --format jsonl|csv|parquet|openai-batch")


_BOM = b"\xef\xbb\xbf"


def jsonl_fast_path_ok(path: Path) -> bool:
    """Whether DuckDB's read_json may read ``path`` in place of the line reader: a non-empty file that
    does not start with a byte-order mark (read_json skips it, the line reader quarantines line 1),
    under a name read_json takes literally (no glob characters)."""
    name = str(path)
    if any(c in name for c in "*?[]{}") or "://" in name:
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(3)
    except OSError:
        return False
    return bool(head) and not head.startswith(_BOM)


class JsonlShape(NamedTuple):
    lines: int | None  # how many lines, when every one starts with "{" (so none is blank); else None
    odd_whitespace: bool  # a vertical tab or form feed: whitespace to read_json, not to json_valid


def jsonl_shape(path: Path) -> JsonlShape:
    """What the JSONL fast path must know of the file's bytes, vectorised over a memory map.

    For a file read_json accepts (it fails on a line that is not exactly one JSON object) ``lines``
    is its record count, the lines_read the line reader would report.
    """
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        buf = np.frombuffer(mm, dtype=np.uint8)
        try:
            size = len(buf)
            lines = 0 if buf[-1] == 10 else 1  # a last line without its newline
            braced = bool(buf[0] == 123)  # every line starts with "{": the first, then each after a newline
            for start in range(0, size, CHUNK_BYTES):
                newline = buf[start : start + CHUNK_BYTES] == 10
                lines += int(np.count_nonzero(newline))
                following = buf[start + 1 : start + CHUNK_BYTES + 1]  # the byte after each position
                braced = braced and bool((following[newline[: len(following)]] == 123).all())
                del newline, following
            odd = mm.find(b"\x0b") >= 0 or mm.find(b"\x0c") >= 0
        finally:
            del buf  # release the map's buffer before it closes
    return JsonlShape(lines if braced else None, odd)


def create_lines_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE _lines (line_no BIGINT, raw VARCHAR, pre_reason VARCHAR)")


def stage_lines(con: duckdb.DuckDBPyConnection, lines: Sequence[str] | pa.Array, *, first_line_no: int = 1) -> int:
    """Append already-split text lines to ``_lines`` (blank ones skipped, numbering kept). Returns how many.

    Vectorised with pyarrow: no Python work per line.
    """
    if not lines:
        return 0
    arr = lines if isinstance(lines, pa.Array) else pa.array(lines, pa.large_string())
    raw = pc.utf8_rtrim(arr.cast(pa.large_string()), characters="\r\n")
    nums = pa.array(np.arange(first_line_no, first_line_no + len(raw), dtype=np.int64))
    batch = pa.table([nums, raw, pa.nulls(len(raw), pa.string())], schema=_LINES_SCHEMA)
    batch = batch.filter(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(raw)), 0))
    con.register("_lines_chunk", batch)
    con.execute("INSERT INTO _lines SELECT * FROM _lines_chunk")
    con.unregister("_lines_chunk")
    return batch.num_rows


def _lines_from_bytes(body: bytes) -> pa.Array:
    """Zero-copy split of newline-terminated bytes into a string array (newlines trimmed later).

    Bytes that are not UTF-8 take the slow path: decoded with U+FFFD, then fail the JSON checks.
    """
    buf = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10) + 1
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    arr = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets.tobytes()), pa.py_buffer(body))
    try:
        arr.validate(full=True)
    except pa.ArrowInvalid:
        arr = pa.array(body.decode("utf-8", errors="replace").split("\n")[:-1], pa.large_string())
    return arr


def stage_jsonl(con: duckdb.DuckDBPyConnection, path: Path, progress: Progress | None = None) -> int:
    """Split the file into lines in 8 MiB chunks, vectorised (no Python work per line)."""
    count, line_no, tail = 0, 1, b""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(CHUNK_BYTES)
            if not chunk:
                break
            data = tail + chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                tail = data
            else:
                body, tail = data[: cut + 1], data[cut + 1 :]
                lines = _lines_from_bytes(body)
                count += stage_lines(con, lines, first_line_no=line_no)
                line_no += len(lines)
            if progress:
                progress(len(chunk))
    if tail:
        count += stage_lines(con, _lines_from_bytes(tail + b"\n"), first_line_no=line_no)
    return count


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, progress: Progress | None = None) -> int:
    """CSV with a header row, flat token columns; rows DuckDB cannot split are kept as rejects."""
    try:
        con.execute(
            "INSERT INTO _lines SELECT row_number() OVER () + 1, to_json(t)::VARCHAR, NULL "
            "FROM read_csv($p, header = true, all_varchar = true, store_rejects = true, "
            "rejects_table = '_csv_rejects', rejects_scan = '_csv_scans') t",
            {"p": str(path)},
        )
        con.execute(
            "INSERT INTO _lines SELECT line, csv_line, 'CSV row unreadable: ' || error_type "
            "FROM _csv_rejects"
        )
    except duckdb.Error as e:
        raise SpendwatchError(f"cannot read CSV {path}: {str(e).splitlines()[0]}") from None
    if progress:
        progress(path.stat().st_size)
    return con.execute("SELECT count(*) FROM _lines").fetchone()[0]


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, progress: Progress | None = None) -> int:
    try:
        con.execute(
            "INSERT INTO _lines SELECT row_number() OVER (), to_json(t)::VARCHAR, NULL FROM read_parquet($p) t",
            {"p": str(path)},
        )
    except duckdb.Error as e:
        raise SpendwatchError(f"cannot read Parquet {path}: {str(e).splitlines()[0]}") from None
    if progress:
        progress(path.stat().st_size)
    return con.execute("SELECT count(*) FROM _lines").fetchone()[0]


STAGERS = {"jsonl": stage_jsonl, "csv": stage_csv, "parquet": stage_parquet}
