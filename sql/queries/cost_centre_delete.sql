-- Forget one feature's saved cost centre (it falls back to the TOML config, else unassigned).
DELETE FROM cost_centre_map WHERE feature = $feature
