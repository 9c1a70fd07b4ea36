"""Display formatting (rounding happens here, and only here)."""

from __future__ import annotations

from decimal import Decimal

from spendwatch.money import usd as money

__all__ = ["money", "money_columns", "percent"]


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
