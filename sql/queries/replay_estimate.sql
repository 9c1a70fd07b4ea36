-- What a replay will cost before it starts, from the drawn samples' own token counts at the prices
-- in force at $at: the replays on the target (output assumed as long as the original's; x0.5 for
-- the Batch API), embeddings of both answers, and (with a judge) two judge calls per sample, each
-- reading the request, both answers and $judge_overhead tokens of instructions.
WITH rate AS (
    SELECT model, input_per_mtok AS i, output_per_mtok AS o
    FROM prices WHERE tier = 'standard' AND effective_from <= $at
    QUALIFY row_number() OVER (PARTITION BY model ORDER BY effective_from DESC) = 1
),
s AS (
    SELECT sum(input_tokens)::DECIMAL(18, 0) AS i, sum(output_tokens)::DECIMAL(18, 0) AS o, count(*) AS n
    FROM samples WHERE list_contains($ids, sample_id)
)
SELECT s.n AS samples,
       coalesce((s.i * t.i + s.o * t.o) * CAST($batch_factor AS DECIMAL(3, 2)) * 0.000001::DECIMAL(7, 6), 0)
           AS replay_usd,
       coalesce(2 * s.o * e.i * 0.000001::DECIMAL(7, 6), 0) AS embed_usd,
       CASE WHEN $judge IS NULL THEN 0 ELSE
           coalesce((2 * (s.i + 2 * s.o + s.n * $judge_overhead) * j.i + 2 * s.n * $judge_out * j.o)
                    * 0.000001::DECIMAL(7, 6), 0) END AS judge_usd
FROM s
LEFT JOIN rate t ON t.model = $target
LEFT JOIN rate e ON e.model = $embed
LEFT JOIN rate j ON j.model = $judge
