-- How many samples are stored (before/after an insert or purge).
SELECT count(*) FROM samples
