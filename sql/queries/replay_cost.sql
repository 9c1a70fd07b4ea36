-- What a replay run really cost, from the usage each call returned, at the prices in force at $at:
-- the target's tokens (x0.5 when the run went through the Batch API), the judge's, the embeddings'.
WITH rate AS (
    SELECT model, input_per_mtok AS i, coalesce(cached_per_mtok, input_per_mtok) AS c, output_per_mtok AS o
    FROM prices WHERE tier = 'standard' AND effective_from <= $at
    QUALIFY row_number() OVER (PARTITION BY model ORDER BY effective_from DESC) = 1
),
r AS (
    SELECT sum(input_tokens - cached_tokens)::DECIMAL(18, 0) AS fresh, sum(cached_tokens)::DECIMAL(18, 0) AS cached,
           sum(output_tokens)::DECIMAL(18, 0) AS o, sum(judge_input_tokens)::DECIMAL(18, 0) AS ji,
           sum(judge_output_tokens)::DECIMAL(18, 0) AS jo, sum(embed_tokens)::DECIMAL(18, 0) AS et
    FROM replay_results WHERE run_id = $run
)
SELECT coalesce((r.fresh * t.i + r.cached * t.c + r.o * t.o) * CAST($batch_factor AS DECIMAL(3, 2))
                * 0.000001::DECIMAL(7, 6), 0) AS replay_usd,
       coalesce((r.ji * j.i + r.jo * j.o) * 0.000001::DECIMAL(7, 6), 0) AS judge_usd,
       coalesce(r.et * e.i * 0.000001::DECIMAL(7, 6), 0) AS embed_usd
FROM r
LEFT JOIN rate t ON t.model = $target
LEFT JOIN rate e ON e.model = $embed
LEFT JOIN rate j ON j.model = $judge
