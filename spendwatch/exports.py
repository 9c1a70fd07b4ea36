"""Report rows out: JSON (exact decimals), CSV, formatted XLSX, Parquet.

Text cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) get a leading
apostrophe, as OWASP's CSV-injection advice says; numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MONEY_SUFFIX = "_usd"


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


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
    cols = _columns(rows, columns)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_cell_text(r.get(c)) for c in cols])
    return buf.getvalue()


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
    """Money columns (``*_usd``) in currency format, a totals row, a frozen header, autofilter."""
    import xlsxwriter

    cols = _columns(rows, columns)
    wb = xlsxwriter.Workbook(path, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(sheet[:31])
    bold = wb.add_format({"bold": True, "bg_color": "#EEEEEE", "border": 1})
    money = wb.add_format({"num_format": "$#,##0.00####"})
    money_total = wb.add_format({"num_format": "$#,##0.00####", "bold": True, "top": 1})
    int_fmt = wb.add_format({"num_format": "#,##0"})
    int_total = wb.add_format({"num_format": "#,##0", "bold": True, "top": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    total_label = wb.add_format({"bold": True, "top": 1})
    top = 0
    if title:
        ws.write(0, 0, neutralise(title), wb.add_format({"bold": True, "font_size": 13}))
        top = 2
    for j, c in enumerate(cols):
        ws.write(top, j, c, bold)
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


def write_parquet(rows: Sequence[dict[str, Any]], path: Path | io.BytesIO, *, columns: Sequence[str] | None = None) -> None:
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
    pq.write_table(pa.table(arrays) if cols else pa.table({}), path)
