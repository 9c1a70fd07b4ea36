-- Retention: samples captured before the cutoff go.
DELETE FROM samples WHERE ts < $cutoff
