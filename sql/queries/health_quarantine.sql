-- Quarantined lines, newest first, optionally of one reason: a page of $limit from $offset.
SELECT id, quarantined_at, source, line_no, reason, raw
FROM quarantine
WHERE $reason IS NULL OR reason = $reason
ORDER BY id DESC
LIMIT $limit OFFSET $offset
