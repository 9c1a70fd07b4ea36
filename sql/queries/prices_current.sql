-- `spendwatch prices`: the standard-tier price in force today for every catalog model.
SELECT model, input_per_mtok, cached_per_mtok, output_per_mtok, source
FROM prices
WHERE tier = 'standard'
QUALIFY row_number() OVER (PARTITION BY model ORDER BY effective_from DESC) = 1
ORDER BY model
