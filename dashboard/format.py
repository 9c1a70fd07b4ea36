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
