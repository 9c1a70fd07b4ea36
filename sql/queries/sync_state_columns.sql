-- The columns sync_state has (later migrations may add some, e.g. last_ok_at).
SELECT column_name FROM information_schema.columns WHERE table_name = 'sync_state';
