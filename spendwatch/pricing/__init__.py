"""Pricing: the dated price catalog (``catalog``), model-name resolution (``resolution``),
genai-prices access (``genai``) and Costs API line-item parsing (``line_items``).

The resolution API is re-exported here (``pricing.resolve``, ``pricing.refresh_model_map`` …)
because most callers only need that; the catalog is imported as ``spendwatch.pricing.catalog``.
Import order is one-way: genai <- resolution <- catalog, so there is no import circle.
"""

from spendwatch.pricing.resolution import (
    Resolution,
    cost_usd,
    price_in_force,
    price_keys,
    refresh_model_map,
    resolve,
)

__all__ = ["Resolution", "cost_usd", "price_in_force", "price_keys", "refresh_model_map", "resolve"]
