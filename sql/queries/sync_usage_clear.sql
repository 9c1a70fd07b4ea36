-- Before a page of Usage API buckets is stored: drop what an earlier sync stored for the same buckets
-- (same kind, width and start), so each bucket holds exactly the latest answer, even when OpenAI
-- revised it or a group vanished. Runs in the page's transaction, before sync_usage_upsert.
DELETE FROM usage_buckets
WHERE kind = $kind
  AND bucket_width = $width
  AND bucket_start IN (SELECT unnest($starts::TIMESTAMP[]));
