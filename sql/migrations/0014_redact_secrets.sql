-- Secrets never stored (issue 14 item 6): sw_redact(text) masks OpenAI keys (sk-…, sk-proj-…,
-- sk-admin-…) and bearer tokens. Ingest applies it to the free-text fields of valid rows
-- (check_records.sql) and to quarantined raw text and reasons (insert_staged_quarantine.sql), so the
-- fast path stays one SQL statement. contains()/ILIKE first: the regexps run only on suspect text.
CREATE OR REPLACE MACRO sw_redact(s) AS
    CASE WHEN contains(s::VARCHAR, 'sk-') OR s::VARCHAR ILIKE '%bearer%'
         THEN regexp_replace(regexp_replace(s::VARCHAR, 'sk-[A-Za-z0-9_\-]{6,}', 'sk-***REDACTED***', 'g'),
                             '(?i)(bearer\s+)[A-Za-z0-9_\-\.]{6,}', '\1***REDACTED***', 'g')
         ELSE s::VARCHAR END;

-- What was stored before this migration.
UPDATE quarantine SET raw = sw_redact(raw), reason = sw_redact(reason)
WHERE raw IS DISTINCT FROM sw_redact(raw) OR reason IS DISTINCT FROM sw_redact(reason);
UPDATE requests SET feature = sw_redact(feature), project_id = sw_redact(project_id),
                    api_key_id = sw_redact(api_key_id), user_id = sw_redact(user_id),
                    endpoint = sw_redact(endpoint), error_type = sw_redact(error_type),
                    tags = sw_redact(tags)::JSON
WHERE contains(concat_ws(' ', feature, project_id, api_key_id, user_id, endpoint, error_type, tags::VARCHAR), 'sk-')
   OR concat_ws(' ', feature, project_id, api_key_id, user_id, endpoint, error_type, tags::VARCHAR) ILIKE '%bearer%';
