"""Dollars as text: the one place display rounding happens (totals stay exact Decimals upstream)."""

from __future__ import annotations

from decimal import Decimal


def usd(value: Decimal | float | int | None) -> str:
    """'$1,234.57'; amounts under a cent keep four places ('$0.0025') so they never read as $0.00."""
    if value is None:
        return "—"
    v = Decimal(str(value))
    if v != 0 and abs(v) < Decimal("0.01"):
        return f"${v:,.4f}"
    return f"${v:,.2f}"


def usd_exact(value: Decimal | None) -> str:
    """Exact dollars for a formula: at least two decimals, no rounding ('$2.50', '$0.075')."""
    if value is None:
        return "—"
    d = Decimal(value)
    text = f"{d:,.2f}"
    if d != Decimal(text.replace(",", "")):
        text = f"{d.normalize():,f}"
    return "$" + text
