"""Chart builders: DataFrame in, plotly Figure out (pure, tested without Streamlit)."""

from __future__ import annotations

import zlib

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from spendwatch.dashboard.format import chart_text

# One colour per value (a model, family, feature ...), the same on every page and under every
# filter: picked by a hash of the name, not by the series' order (which changes with a filter).
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
           "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d",
           "#31a354", "#756bb1", "#636363", "#fd8d3c", "#74c476", "#9e9ac8", "#6baed6", "#e7969c"]
OTHER = "#b0b0b0"


def colour(value: object) -> str:
    """The fixed colour of a value ("(other)" and "(none)" are grey)."""
    text = str(value)
    if text in ("(other)", "(none)", "None"):
        return OTHER
    return PALETTE[zlib.crc32(text.encode()) % len(PALETTE)]


def _plain(df: pd.DataFrame, *columns: str | None) -> pd.DataFrame:
    """A copy whose user-text columns are safe plotly labels (tags are shown, never rendered)."""
    out = df.copy()
    for c in columns:
        if c and c in out.columns:
            out[c] = [chart_text(v) for v in out[c]]
    return out


def _colours(df: pd.DataFrame, column: str | None) -> dict[str, str]:
    return {v: colour(v) for v in df[column].unique()} if column and column in df.columns else {}


def daily_cost_stacked(df: pd.DataFrame) -> go.Figure:
    df = _plain(df, "model")
    fig = px.bar(df, x="day", y="cost_usd", color="model", title="Daily cost by model",
                 color_discrete_map=_colours(df, "model"),
                 labels={"day": "Day (UTC)", "cost_usd": "Cost (USD)", "model": "Model"})
    fig.update_layout(barmode="stack", yaxis_tickprefix="$", legend_title_text="Model", height=420)
    return fig


METRIC_LABELS = {"cost": "Cost (USD)", "tokens": "Tokens (input + output)", "requests": "Requests"}


def metric_over_time(df: pd.DataFrame, *, title: str, metric: str, grain: str, tz: str = "UTC",
                     legend: str = "Group", y_label: str | None = None, partial=None) -> go.Figure:
    """Stacked bars of ``value`` per ``bucket``, one colour per ``group`` (explore.series output)."""
    df = _plain(df, "group")
    fig = px.bar(df, x="bucket", y="value", color="group" if "group" in df and df["group"].nunique() > 1 else None,
                 title=title, color_discrete_map=_colours(df, "group"), labels={"bucket": f"{grain.capitalize()} ({tz})", "value": y_label or METRIC_LABELS[metric],
                                      "group": legend})
    fig.update_layout(barmode="stack", legend_title_text=legend, height=420)
    if partial is not None and not df.empty and (pd.to_datetime(df["bucket"]).dt.date == partial).any():
        # today's bar is today so far: say so on it, or it reads as a collapse in spend
        day = pd.Timestamp(partial)
        fig.add_vrect(x0=day - pd.Timedelta(hours=12), x1=day + pd.Timedelta(hours=12), fillcolor="#999999",
                      opacity=0.15, line_width=0, annotation_text="today (so far)", annotation_position="top left")
    if metric == "cost":
        fig.update_layout(yaxis_tickprefix="$")
    return fig


def bars(df: pd.DataFrame, *, x: str, y: str, title: str, x_label: str, y_label: str, money: bool = False,
         color: str | None = None, barmode: str = "group") -> go.Figure:
    df = _plain(df, x, color)
    fig = px.bar(df, x=x, y=y, color=color, title=title, labels={x: x_label, y: y_label}, barmode=barmode,
                 color_discrete_map=_colours(df, color) if color else None)
    fig.update_layout(height=380)
    if money:
        fig.update_layout(yaxis_tickprefix="$")
    return fig


def peak_vs_limit(df: pd.DataFrame, *, peak: str, limit: str, title: str, y_label: str) -> go.Figure:
    """Per model: the busiest minute next to the configured limit (models without a limit: peak only)."""
    fig = go.Figure()
    models = [chart_text(m) for m in df["model"]]
    fig.add_bar(x=models, y=df[peak], name="peak")
    fig.add_bar(x=models, y=df[limit], name="limit")
    fig.update_layout(title=title, barmode="group", xaxis_title="Model (family)", yaxis_title=y_label, height=380)
    return fig


SPENT, BUDGET, FORECAST = "#1f77b4", "#d62728", "#ff7f0e"  # three lines, three colours


def burn_down(b: dict) -> go.Figure:
    """Running spend in the rule's window against its budget, with the month-end forecast dashed."""
    days = [r["day"] for r in b["days"]]
    cum = [float(r["cumulative_usd"]) for r in b["days"]]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=days, y=cum, mode="lines+markers", name="spent", line={"color": SPENT}))
    all_days = b["all_days"]
    if all_days:
        fig.add_trace(go.Scatter(x=[all_days[0], all_days[-1]], y=[float(b["budget_usd"])] * 2, mode="lines",
                                 name="budget", line={"color": BUDGET}))
    if b["forecast_usd"] is not None and days:
        fig.add_trace(go.Scatter(x=[days[-1], all_days[-1]], y=[cum[-1], float(b["forecast_usd"])], mode="lines",
                                 name="forecast", line={"dash": "dash", "color": FORECAST}))
    fig.update_layout(title=f"Budget burn-down: {b['rule']}", xaxis_title="day", yaxis_title="USD",
                      height=300, margin={"t": 40, "b": 20})
    return fig


def logged_vs_billed(rows: list[dict], *, by: str, title: str) -> go.Figure:
    """Per group: cost from the logs, the Usage API's tokens at catalog prices, and the Costs API's bill."""
    series = (("logged_cost_usd", "logged"), ("usage_cost_usd", "usage at catalog prices"), ("billed_usd", "billed"))
    fig = go.Figure()
    x = [chart_text(str(r[by])) if r[by] is not None else "(none)" for r in rows]
    for col, name in series:
        fig.add_bar(x=x, y=[None if r[col] is None else float(r[col]) for r in rows], name=name)
    fig.update_layout(title=title, barmode="group", xaxis_title=by.capitalize(), yaxis_title="Cost (USD)",
                      yaxis_tickprefix="$", height=380)
    return fig
