"""The bundled genai-prices snapshot: the one place that reads its data."""

from __future__ import annotations

from typing import Any


def openai_models() -> list[Any]:
    """genai-prices' OpenAI model entries (ids, match rules, dated and tiered prices)."""
    from genai_prices import data

    return next(p for p in data.providers if p.id == "openai").models
