-- Per model family (dated snapshots share their family's limits): the busiest minute's requests and
-- tokens between $start and $end, from the source slot (source_minutely.sql or source_minutely_raw.sql),
-- with what the recorded x-ratelimit-* headers said, and the 429 answers.
WITH m AS (
{{source}}
),
per_minute AS (
    SELECT m.minute,
           regexp_replace(m.model, '-(\d{4}-\d{2}-\d{2}|\d{4})$', '') AS family,
           sum(m.requests) AS requests, sum(m.tokens) AS tokens, sum(m.rate_limited) AS rate_limited,
           sum(m.header_requests) AS header_requests,
           max(m.header_limit_requests) AS header_limit_requests, max(m.header_limit_tokens) AS header_limit_tokens,
           max(m.header_used_requests) AS header_used_requests, max(m.header_used_tokens) AS header_used_tokens
    FROM m
    WHERE len($models::VARCHAR[]) = 0 OR list_contains($models::VARCHAR[], m.model)
    GROUP BY ALL
)
SELECT family AS model,
       sum(requests)::BIGINT AS requests,
       max(requests)::BIGINT AS peak_rpm_timestamps,
       max(tokens)::BIGINT AS peak_tpm_timestamps,
       first(minute ORDER BY requests DESC, minute) AS peak_minute,
       sum(header_requests)::BIGINT AS header_requests,
       max(header_used_requests)::BIGINT AS peak_rpm_headers,
       max(header_used_tokens)::BIGINT AS peak_tpm_headers,
       max(header_limit_requests)::BIGINT AS header_limit_rpm,
       max(header_limit_tokens)::BIGINT AS header_limit_tpm,
       sum(rate_limited)::BIGINT AS rate_limited
FROM per_minute
GROUP BY family
ORDER BY requests DESC, family
