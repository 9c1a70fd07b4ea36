-- Add or replace a monthly report schedule (values as parameters).
INSERT OR REPLACE INTO report_schedules (name, format, by_col, day, at_time, tz, channels, source)
VALUES ($name, $format, $by, $day, $at, $tz, $channels, $source)
