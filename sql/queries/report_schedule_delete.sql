-- Remove a report schedule (its sent reports stay in alert_events); returns the name removed.
DELETE FROM report_schedules WHERE name = $name RETURNING name
