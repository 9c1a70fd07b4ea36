-- A run's verdict counts and the target's output length against the original's: the ratio of sums
-- and the residual variance the delta-method interval needs; median latencies (the original's from
-- the sample while it is kept).
WITH x AS (
    SELECT r.verdict, r.original_output_tokens::DOUBLE AS xo, r.output_tokens::DOUBLE AS yo,
           r.latency_ms, s.latency_ms AS original_latency_ms
    FROM replay_results r LEFT JOIN samples s USING (sample_id)
    WHERE r.run_id = $run
),
agg AS (
    SELECT count(*) AS n,
           count(*) FILTER (WHERE verdict = 'win') AS win,
           count(*) FILTER (WHERE verdict = 'tie') AS tie,
           count(*) FILTER (WHERE verdict = 'loss') AS loss,
           sum(xo) AS sx, sum(yo) AS sy,
           median(latency_ms) AS latency_ms_median,
           median(original_latency_ms) AS original_latency_ms_median
    FROM x
)
SELECT agg.*,
       agg.sy / nullif(agg.sx, 0) AS ratio,
       (SELECT sum(power(yo - xo * agg.sy / nullif(agg.sx, 0), 2)) FROM x) / nullif(agg.n - 1, 0) AS resid_var
FROM agg
