"""Chart builders: DataFrame in, plotly Figure out (pure, tested without Streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go


def daily_cost_stacked(df: pd.DataFrame) -> go.Figure:
    fig = px.bar(df, x="day", y="cost_usd", color="model", title="Daily cost by model",
                 labels={"day": "Day (UTC)", "cost_usd": "Cost (USD)", "model": "Model"})
    fig.update_layout(barmode="stack", yaxis_tickprefix="$", legend_title_text="Model", height=420)
    return fig
