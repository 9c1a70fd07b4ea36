-- Each model name seen in requests and the price key it resolves to (NULL: unpriced): the What-if
-- page shows the source model's price per 1M tokens beside the target's.
SELECT model, price_model FROM model_map ORDER BY model
