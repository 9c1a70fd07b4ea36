"""Report rows out: JSON (exact decimals), CSV, formatted XLSX, Parquet.

Text cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) get a leading
apostrophe, as OWASP's CSV-injection advice says, and so does every line inside a cell (a CR or LF
starts a new row for a careless importer); a field holding CR or LF is always quoted. Numbers are
written as numbers. Files are written to a temporary name and renamed, so a failed write leaves
the previous file as it was.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from spendwatch.errors import SpendwatchError

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MONEY_SUFFIX = "_usd"
XLSX_MAX_ROWS = 1_048_576  # Excel's sheet limit, header and totals rows included
# a formula start at the beginning of the text or right after a line break inside it
_FORMULA_AT_LINE_START = re.compile(r"(^|[\r\n])(?=[=+\-@\t\r])")


def neutralise(value: Any) -> Any:
    """Prefix ``'`` wherever a line of the text starts like a formula; other values pass unchanged."""
    if isinstance(value, str):
        return _FORMULA_AT_LINE_START.sub(r"\1'", value)
    return value


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through ``write(tmp)`` to a temporary file beside ``path``, then rename it over ``path``.

    Any failure (disk full, no permission, a directory given as the file) raises SpendwatchError with
    one line, and leaves whatever was at ``path`` untouched.
    """
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        pass
    except OSError as e:
        raise SpendwatchError(f"cannot write {path}: {e.strerror or e} (nothing was written)") from None
    else:
        if stat.S_ISDIR(st.st_mode):
            raise SpendwatchError(f"cannot write {path}: it is a directory; give a file name (nothing was written)")
        if not stat.S_ISREG(st.st_mode):
            raise SpendwatchError(f"cannot write {path}: not a regular file (nothing was written)")
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, path)
        tmp = None
        fsync_dir(path.parent)
    except OSError as e:
        raise SpendwatchError(f"cannot write {path}: {e.strerror or e} (the previous file, if any, is unchanged)") from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (some mounts refuse to fsync a directory: ignored)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> None:
    """UTF-8 text to ``path``, atomically (see write_atomic)."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def decimal_text(d: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros ('0.005615')."""
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


_DEC_TOKEN = re.compile(r'"\\u0000dec:([-0-9.]+)"')


def to_json_text(obj: Any) -> str:
    """JSON in which Decimal money stays exact: written as a JSON number, not a float."""

    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return "\x00dec:" + decimal_text(o)
        if isinstance(o, datetime | date):
            return o.isoformat()
        raise TypeError(f"not JSON serialisable: {type(o).__name__}")

    def walk(o: Any) -> Any:
        if isinstance(o, Decimal):
            return default(o)
        if isinstance(o, dict):
            return {k: walk(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [walk(v) for v in o]
        return o

    return _DEC_TOKEN.sub(r"\1", json.dumps(walk(obj), default=default, indent=2))


def _columns(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        return list(columns)
    return list(rows[0].keys()) if rows else []


def to_csv_text(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """CSV with "\n" line ends; a field holding CR or LF is quoted (QUOTE_MINIMAL quotes the
    characters of its line terminator, so each row is written with "\r\n" and the end swapped)."""
    cols = _columns(rows, columns)
    out = io.StringIO()
    row = io.StringIO()
    w = csv.writer(row, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for values in ([neutralise(c) for c in cols], *([_cell_text(r.get(c)) for c in cols] for r in rows)):
        w.writerow(values)
        out.write(row.getvalue()[:-2] + "\n")
        row.seek(0)
        row.truncate()
    return out.getvalue()


def _cell_text(v: Any) -> Any:
    if isinstance(v, Decimal):
        return decimal_text(v)
    if v is None:
        return ""
    return neutralise(v) if isinstance(v, str) else v


def write_xlsx(
    rows: Sequence[dict[str, Any]], path: Path | io.BytesIO, *, columns: Sequence[str] | None = None,
    sheet: str = "Report", title: str | None = None,
) -> None:
    """Money columns (``*_usd``) in currency format, a totals row, a frozen header, autofilter.

    Text is written as text (never a formula or a link). A report that does not fit a sheet is
    refused before anything is written: a truncated sheet would look complete.
    """
    import xlsxwriter

    cols = _columns(rows, columns)
    top = 2 if title else 0
    if top + 1 + len(rows) + 1 > XLSX_MAX_ROWS:
        fit = XLSX_MAX_ROWS - top - 2
        raise SpendwatchError(f"an XLSX sheet holds at most {fit:,} report rows and this report has {len(rows):,}; "
                              "use --format csv or parquet, or a coarser --by (nothing was written)")
    target = path if isinstance(path, io.BytesIO) else io.BytesIO()
    wb = xlsxwriter.Workbook(target, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(sheet[:31])
    bold = wb.add_format({"bold": True, "bg_color": "#EEEEEE", "border": 1})
    money = wb.add_format({"num_format": "$#,##0.00####"})
    money_total = wb.add_format({"num_format": "$#,##0.00####", "bold": True, "top": 1})
    int_fmt = wb.add_format({"num_format": "#,##0"})
    int_total = wb.add_format({"num_format": "#,##0", "bold": True, "top": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    total_label = wb.add_format({"bold": True, "top": 1})
    if title:
        ws.write_string(0, 0, neutralise(title), wb.add_format({"bold": True, "font_size": 13}))
        top = 2
    for j, c in enumerate(cols):
        ws.write_string(top, j, neutralise(c), bold)
        ws.set_column(j, j, max(12, len(c) + 2))
    totals: dict[str, Any] = {}
    for i, r in enumerate(rows, start=top + 1):
        for j, c in enumerate(cols):
            v = r.get(c)
            if v is None:
                ws.write_blank(i, j, None)
            elif isinstance(v, Decimal) or c.endswith(MONEY_SUFFIX):
                ws.write_number(i, j, float(v), money)
                totals[c] = totals.get(c, Decimal(0)) + Decimal(v)
            elif isinstance(v, bool):
                ws.write_boolean(i, j, v)
            elif isinstance(v, int):
                ws.write_number(i, j, v, int_fmt)
                totals[c] = totals.get(c, 0) + v
            elif isinstance(v, float):
                ws.write_number(i, j, v)
            elif isinstance(v, datetime | date):
                ws.write_datetime(i, j, v if isinstance(v, datetime) else datetime(v.year, v.month, v.day), date_fmt)
            else:
                ws.write_string(i, j, str(neutralise(v)))
    last = top + len(rows) + 1
    ws.write(last, 0, "Total", total_label)
    for j, c in enumerate(cols):
        if j and c in totals:
            fmt = money_total if c.endswith(MONEY_SUFFIX) else int_total
            ws.write_number(last, j, float(totals[c]), fmt)
    ws.freeze_panes(top + 1, 0)
    if cols:
        ws.autofilter(top, 0, top + max(len(rows), 1), len(cols) - 1)
    wb.close()
    if target is not path:
        write_atomic(Path(path), lambda tmp: tmp.write_bytes(target.getvalue()))


def write_parquet(rows: Sequence[dict[str, Any]], path: Path | io.BytesIO, *, columns: Sequence[str] | None = None) -> None:
    """Parquet is data, not a spreadsheet: text goes in as written; money as DECIMAL(38, 15)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = _columns(rows, columns)
    arrays = {}
    for c in cols:
        values = [r.get(c) for r in rows]
        if any(isinstance(v, Decimal) for v in values):
            arrays[c] = pa.array(values, pa.decimal128(38, 15))
        else:
            arrays[c] = pa.array(values)
    table = pa.table(arrays) if cols else pa.table({})
    if isinstance(path, io.BytesIO):
        pq.write_table(table, path)
        return
    buf = io.BytesIO()
    pq.write_table(table, buf)
    write_atomic(Path(path), lambda tmp: tmp.write_bytes(buf.getvalue()))
