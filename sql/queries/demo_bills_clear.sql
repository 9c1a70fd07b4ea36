-- Before the demo writes its synthetic Usage and Costs API data: drop what an earlier demo run wrote.
DELETE FROM cost_buckets WHERE source = 'demo';
DELETE FROM usage_buckets WHERE source = 'demo';
