"""Display formatting (rounding happens here, and only here)."""

from __future__ import annotations

from decimal import Decimal


def money(value: Decimal | float | int | None) -> str:
    if value is None:
        return "—"
    v = Decimal(str(value))
    if v != 0 and abs(v) < Decimal("0.01"):
        return f"${v:,.4f}"
    return f"${v:,.2f}"


def percent(value: Decimal | float | int | None, *, digits: int = 1) -> str:
    if value is None or _missing(value):
        return "—"
    return f"{float(value):.{digits}%}"


def money_columns(df, columns):
    """A copy of ``df`` for display with ``columns`` as money text (the numbers stay exact upstream)."""
    out = df.copy()
    for c in columns:
        if c in out.columns:
            out[c] = [money(None if _missing(v) else v) for v in out[c]]
    return out


def _missing(v) -> bool:
    try:
        return v is None or v != v  # NaN
    except TypeError:
        return False
