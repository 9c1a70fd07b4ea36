-- Lines that could not be read, kept with their raw text (API keys and bearer tokens redacted).
INSERT INTO quarantine (source, line_no, raw, reason)
SELECT $source, line_no,
       regexp_replace(regexp_replace(raw, 'sk-[A-Za-z0-9_\-]{6,}', 'sk-***REDACTED***', 'g'),
                      '(?i)(bearer\s+)[A-Za-z0-9_\-\.]{6,}', '\1***REDACTED***', 'g'),
       reason
FROM _staged s
WHERE reason IS NOT NULL
  -- re-ingesting the same unit does not quarantine the same line twice
  AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.source = $source AND q.line_no = s.line_no)
ORDER BY line_no;
