-- Remember how a Usage API model name resolves to a catalog price (NULL: unpriced).
INSERT OR REPLACE INTO model_map (model, price_model, rule) VALUES (?, ?, ?);
