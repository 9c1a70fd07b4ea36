-- Every monthly report schedule, by name.
SELECT name, format, by_col, day, at_time, tz, channels, source FROM report_schedules ORDER BY name
