"""Display formatting (rounding happens here, and only here)."""

from __future__ import annotations

from decimal import Decimal

from spendwatch.money import usd as money

__all__ = ["chart_text", "money", "money_columns", "percent", "plain", "table", "unpriced_text"]


def percent(value: Decimal | float | int | None, *, digits: int = 1) -> str:
    if value is None or _missing(value):
        return "—"
    return f"{float(value):.{digits}%}"


def money_columns(df, columns):
    """A copy of ``df`` with ``columns`` as money text (prefer :func:`table`: numbers that sort)."""
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


# -- tables: numbers stay numbers (they sort as numbers), formatted by column_config -------------

MONEY = {
    "cost_usd": "Cost",
    "previous_usd": "Previous period",
    "change_usd": "Change",
    "current_cost_usd": "Current cost",
    "simulated_cost_usd": "Simulated cost",
    "savings_usd": "Savings",
    "monthly_savings_usd": "Savings / month",
    "cache_savings_usd": "Caching saved",
    "logged_cost_usd": "Logged cost",
    "usage_cost_usd": "Usage at catalog prices",
    "billed_usd": "Billed",
    "drift_usd": "Drift",
    "from_input_per_mtok": "From: input / 1M",
    "from_output_per_mtok": "From: output / 1M",
    "to_input_per_mtok": "To: input / 1M",
    "to_output_per_mtok": "To: output / 1M",
}
COUNTS = {
    "requests": "Requests",
    "tokens": "Tokens",
    "input_tokens": "Input tokens",
    "cached_tokens": "Cached tokens",
    "output_tokens": "Output tokens",
    "reasoning_tokens": "Reasoning tokens",
    "rate_limited": "429s",
    "quarantined": "Quarantined",
    "units": "Ingest units",
    "lines": "Lines",
    "sources": "Sources",
}
PERCENT_POINTS = {"change_pct": "Change %", "savings_pct": "Savings %", "drift_pct": "Drift %"}
SHARES = {"share": "Share"}
TEXT = {
    "feature": "Feature",
    "model": "Model",
    "project": "Project",
    "project_id": "Project",
    "user": "User",
    "user_id": "User",
    "api_key": "API key",
    "api_key_id": "API key",
    "endpoint": "Endpoint",
    "status": "Status",
    "cost_centre": "Cost centre",
    "request_id": "Request",
    "batch": "Batch",
    "service_tier": "Tier",
    "price_source": "Price from",
    "unpriced": "Unpriced",
    "from_model": "From model",
    "to_model": "To model",
}


def unpriced_text(n: object) -> str:
    """How an unpriced group reads on screen (never as $0.00)."""
    return f"unpriced ({int(n):,} requests)" if n else ""


def table(
    df,
    *,
    labels: dict[str, str] | None = None,
    total: dict | None = None,
    other_key: str | None = None,
):
    """``df`` for ``st.dataframe`` and its ``column_config``: money as float dollars (the exact
    decimals stay upstream; this is display rounding), counts as integers with separators, shares as
    percentages, human headers. A group whose every priced figure is missing because its model has no
    price gets cost None ("—"... blank, never $0.00) and "unpriced (N requests)" beside it.

    ``total`` (a totals dict of the same window): an "(other)" row is appended so the rows add up to
    it (top-N tables); ``other_key`` names the label column (default: the first column)."""
    import pandas as pd

    out = df.copy()
    if total is not None and not out.empty:
        key = other_key or out.columns[0]
        rest = {
            c: total[c] - sum(out[c].dropna(), type(total[c])(0))
            for c in ("cost_usd", "requests", "unpriced_requests")
            if c in out.columns and c in total
        }
        if rest.get("requests", 0) > 0 or rest.get("cost_usd", 0) > 0:
            out = pd.concat([out, pd.DataFrame([{key: "(other)", **rest}])], ignore_index=True)
    if "unpriced_requests" in out.columns:
        unpriced = out["unpriced_requests"].fillna(0).astype(int)
        if "cost_usd" in out.columns:
            priced = (
                out["requests"].fillna(0).astype(int) - unpriced
                if "requests" in out.columns
                else None
            )
            none_priced = (unpriced > 0) & (
                (priced <= 0) if priced is not None else (out["cost_usd"] == 0)
            )
            out["cost_usd"] = [
                None if np_ else v for v, np_ in zip(out["cost_usd"], none_priced, strict=True)
            ]
        out["unpriced"] = [unpriced_text(n) for n in unpriced]
        out = out.drop(columns=["unpriced_requests"])
    config: dict = {}
    names = {**TEXT, **(labels or {})}
    for c in out.columns:
        label = names.get(c, MONEY.get(c, COUNTS.get(c, PERCENT_POINTS.get(c, SHARES.get(c, c)))))
        if c in MONEY:
            out[c] = [None if _missing(v) else float(v) for v in out[c]]
            config[c] = st_column().NumberColumn(label, format="dollar")
        elif c in COUNTS:
            out[c] = pd.array([None if _missing(v) else int(v) for v in out[c]], dtype="Int64")
            config[c] = st_column().NumberColumn(label, format="localized")
        elif c in PERCENT_POINTS:
            out[c] = [None if _missing(v) else float(v) for v in out[c]]
            config[c] = st_column().NumberColumn(label, format="%+.1f %%")
        elif c in SHARES:
            out[c] = [None if _missing(v) else float(v) for v in out[c]]
            config[c] = st_column().NumberColumn(label, format="percent")
        else:
            config[c] = label
    return out, config


def st_column():
    import streamlit as st

    return st.column_config
