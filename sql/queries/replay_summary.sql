-- A run's verdict counts and the target's output length against the original's: the ratio of sums
-- and the residual variance the delta-method interval needs.
WITH x AS (
    SELECT verdict, original_output_tokens::DOUBLE AS xo, output_tokens::DOUBLE AS yo
    FROM replay_results WHERE run_id = $run
),
agg AS (
    SELECT count(*) AS n,
           count(*) FILTER (WHERE verdict = 'win') AS win,
           count(*) FILTER (WHERE verdict = 'tie') AS tie,
           count(*) FILTER (WHERE verdict = 'loss') AS loss,
           sum(xo) AS sx, sum(yo) AS sy
    FROM x
)
SELECT agg.*,
       agg.sy / nullif(agg.sx, 0) AS ratio,
       (SELECT sum(power(yo - xo * agg.sy / nullif(agg.sx, 0), 2)) FROM x) / nullif(agg.n - 1, 0) AS resid_var
FROM agg
