-- Lines that could not be read, kept with their raw text; API keys and bearer tokens redacted in the
-- text and in the reason (which quotes values), by sw_redact (migration 0014).
INSERT INTO quarantine (source, line_no, raw, reason)
SELECT $source, line_no, sw_redact(raw), sw_redact(reason)
FROM _staged s
WHERE reason IS NOT NULL
  -- re-ingesting the same unit does not quarantine the same line twice
  AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.source = $source AND q.line_no = s.line_no)
ORDER BY line_no;
