-- Empty the rollups before a full rebuild.
DELETE FROM requests_hourly;
DELETE FROM requests_minutely;
DELETE FROM requests_daily_users;
DELETE FROM requests_whatif_hourly;
DELETE FROM rollup_state;
