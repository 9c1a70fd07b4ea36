"""Read request-log files (JSONL, CSV, Parquet) into the staging table ``_lines``.

Each reader only turns its format into one JSON text per record (``raw``), numbered by line;
checking and typing every value happens in SQL (``check_records.sql``), the same for all formats.
Lines a reader cannot even split (a CSV row with the wrong field count, bytes that are not UTF-8) arrive
with ``pre_reason``. Every reader splits lines on ``\\n`` only.
A clean JSONL file skips ``_lines`` altogether (``record_fields_jsonl.sql``, see ``spendwatch.ingest``).
"""

from __future__ import annotations

import csv
import json
import mmap
import re
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


NOT_UTF8 = "not UTF-8 text"


def stage_lines(
    con: duckdb.DuckDBPyConnection, lines: Sequence[str] | pa.Array, *, first_line_no: int = 1,
    pre_reasons: Sequence[str | None] | pa.Array | None = None,
) -> int:
    """Append already-split text lines to ``_lines`` (blank ones skipped, numbering kept). Returns how many.

    ``pre_reasons``: per line, why the reader already knows it is bad (e.g. not UTF-8), else None.
    Vectorised with pyarrow: no Python work per line.
    """
    if not len(lines):
        return 0
    arr = lines if isinstance(lines, pa.Array) else pa.array(lines, pa.large_string())
    raw = pc.utf8_rtrim(arr.cast(pa.large_string()), characters="\r\n")
    nums = pa.array(np.arange(first_line_no, first_line_no + len(raw), dtype=np.int64))
    if pre_reasons is None:
        reasons = pa.nulls(len(raw), pa.string())
    else:
        reasons = pre_reasons if isinstance(pre_reasons, pa.Array) else pa.array(pre_reasons, pa.string())
    batch = pa.table([nums, raw, reasons], schema=_LINES_SCHEMA)
    batch = batch.filter(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(raw)), 0))
    con.register("_lines_chunk", batch)
    con.execute("INSERT INTO _lines SELECT * FROM _lines_chunk")
    con.unregister("_lines_chunk")
    return batch.num_rows


def split_lines(body: bytes) -> tuple[pa.Array, pa.Array | None]:
    """Split bytes on ``\\n`` only (never U+2028, U+2029, U+0085, CR or form feed, which JSON strings
    may hold raw) into a string array, zero-copy, plus per-line pre-reasons (None when all is UTF-8).

    A line that is not UTF-8 is kept (its bad bytes shown as U+FFFD) with the reason ``not UTF-8 text``:
    the same rule for JSONL, CSV, spool segments and Batch output.
    """
    if body and not body.endswith(b"\n"):
        body += b"\n"
    buf = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10) + 1
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    arr = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets.tobytes()), pa.py_buffer(body))
    try:
        arr.validate(full=True)
        return arr, None
    except pa.ArrowInvalid:
        pass
    texts: list[str] = []
    reasons: list[str | None] = []
    for line in body.split(b"\n")[:-1]:  # the rare slow path: only a file with a bad byte comes here
        try:
            texts.append(line.decode("utf-8"))
            reasons.append(None)
        except UnicodeDecodeError:
            texts.append(line.decode("utf-8", errors="replace"))
            reasons.append(NOT_UTF8)
    return pa.array(texts, pa.large_string()), pa.array(reasons, pa.string())


def stage_bytes(con: duckdb.DuckDBPyConnection, body: bytes, *, first_line_no: int = 1) -> tuple[int, int]:
    """Stage newline-delimited bytes; returns (records staged, lines consumed)."""
    lines, reasons = split_lines(body)
    return stage_lines(con, lines, first_line_no=first_line_no, pre_reasons=reasons), len(lines)


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
                staged, used = stage_bytes(con, body, first_line_no=line_no)
                count += staged
                line_no += used
            if progress:
                progress(len(chunk))
    if tail:
        count += stage_bytes(con, tail, first_line_no=line_no)[0]
    return count


_CSV_DELIMITERS = ",;\t|"


def _csv_dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:65536].split("\n", 1)[0] or ",", delimiters=_CSV_DELIMITERS)
    except csv.Error:
        return csv.excel


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, progress: Progress | None = None) -> int:
    """CSV with a header row, flat token columns. Every record becomes one line of ``_lines`` numbered by
    the physical line it starts on (a quoted newline inside a field moves the following numbers on);
    a record with the wrong number of fields, or bytes that are not UTF-8, is one pre-reasoned line."""
    data = path.read_bytes()
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    physical = text.split("\n")  # \n only: a CR or U+2028 inside a field is data
    csv.field_size_limit(1 << 30)
    reader = csv.reader((line + "\n" for line in physical[:-1] + ([physical[-1]] if physical[-1] else [])),
                        _csv_dialect(text))
    nums: list[int] = []
    raws: list[str] = []
    reasons: list[str | None] = []
    header: list[str] | None = None
    end = 0
    while True:
        reason = None
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            row, reason = [], f"CSV row unreadable: {e}"
        start, end = end + 1, reader.line_num
        if header is None:
            if reason or _has_surrogates(row):
                raise SpendwatchError(f"cannot read CSV {path}: the header row is {reason or 'not UTF-8 text'}")
            header = row
            continue
        if reason is None:
            if not any(field.strip() for field in row):
                continue
            if _has_surrogates(row):
                reason = NOT_UTF8
            elif len(row) != len(header):
                reason = f"CSV row has {len(row)} fields, the header has {len(header)}"
        if reason is None:
            raws.append(json.dumps({k: (v if v != "" else None) for k, v in zip(header, row, strict=True)},
                                   ensure_ascii=False))
        else:
            raws.append(_clean("\n".join(physical[start - 1 : end])))
        nums.append(start)
        reasons.append(reason)
    if progress:
        progress(len(data))
    return _stage_numbered(con, nums, raws, reasons)


def _has_surrogates(fields: Sequence[str]) -> bool:
    return any(_SURROGATE.search(f) for f in fields)


_SURROGATE = re.compile("[\udc80-\udcff]")


def _clean(text: str) -> str:
    """Text read with surrogateescape, bad bytes shown as U+FFFD (storable)."""
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace").rstrip("\r")


def _stage_numbered(con: duckdb.DuckDBPyConnection, nums: list[int], raws: list[str],
                    reasons: list[str | None]) -> int:
    if not nums:
        return 0
    batch = pa.table([pa.array(nums, pa.int64()), pa.array(raws, pa.large_string()), pa.array(reasons, pa.string())],
                     schema=_LINES_SCHEMA)
    con.register("_lines_chunk", batch)
    con.execute("INSERT INTO _lines SELECT * FROM _lines_chunk")
    con.unregister("_lines_chunk")
    return batch.num_rows


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
