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


_MD_SPECIAL = set(
    "\\`*_{}[]()<>#!|~:$&.@"
)  # "." and "@": no www. or e-mail autolinks; "-" "+" only matter at a line start


def plain(text: object) -> str:
    """User text (a tag, a model name, a rule's scope) for a markdown element: every character that
    markdown, Streamlit's ``:colour[...]``/``:icon:`` directives or LaTeX could read is
    backslash-escaped, so ``[x](http://…)``, ``![](…)`` or a bare URL shows as the text it is."""
    return "".join(f"\\{ch}" if ch in _MD_SPECIAL else ch for ch in str(text)).replace("\n", " ")


def chart_text(text: object) -> object:
    """User text for a plotly label (legend, axis tick, hover): plotly renders ``<a href>``, ``<b>``
    and friends in labels, so ``<``, ``>`` and ``&`` become entities (shown literally)."""
    if not isinstance(text, str):
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
