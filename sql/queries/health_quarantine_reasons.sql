-- How many lines each quarantine reason holds, and when it was last seen.
SELECT reason, count(*)::BIGINT AS lines, count(DISTINCT source)::BIGINT AS sources, max(quarantined_at) AS last_seen
FROM quarantine
GROUP BY reason
ORDER BY lines DESC, reason
