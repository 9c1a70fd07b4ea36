-- The demo's Usage API buckets (source 'demo'): per whole UTC day in [$start, $end), project and model, what the
-- demo requests used, plus the legacy project's traffic that no instrumented client logged
-- ($legacy_share of proj_web's gpt-4o-mini tokens, under $legacy_project).
INSERT INTO usage_buckets (bucket_start, bucket_end, bucket_width, kind, model, project_id, batch, input_tokens,
                           cached_tokens, output_tokens, requests, source)
WITH logged AS (
    SELECT date_trunc('day', ts) AS d, project_id, model, batch,
           CASE WHEN endpoint = 'embeddings' THEN 'embeddings' ELSE 'completions' END AS kind,
           sum(input_tokens) AS i, sum(cached_tokens) AS c, sum(output_tokens) AS o, count(*) AS n
    FROM requests
    WHERE source = 'demo' AND status = 'ok' AND ts >= $start AND ts < $end
    GROUP BY ALL
)
SELECT d, d + INTERVAL 1 DAY, '1d', kind, model, project_id, batch, i, c, o, n, 'demo' FROM logged
UNION ALL
SELECT d, d + INTERVAL 1 DAY, '1d', kind, model, $legacy_project, false,
       (i * $legacy_share)::BIGINT, 0, (o * $legacy_share)::BIGINT, greatest(1, (n * $legacy_share)::BIGINT), 'demo'
FROM logged WHERE project_id = 'proj_web' AND model = $legacy_model AND NOT batch
