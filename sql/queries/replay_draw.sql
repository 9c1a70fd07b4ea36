-- The samples of a feature a replay draws: a fixed pseudo-random order (by a hash of the id), so a
-- rerun draws the same ones.
SELECT sample_id FROM samples WHERE feature = $feature ORDER BY hash(sample_id), sample_id LIMIT $n
