-- Records in a JSONL file, one per non-blank line (read_json fails on a line that is not exactly one
-- JSON object): the fast path's lines_read when some lines are blank or indented.
SELECT count(*)
FROM read_json($path, format = 'newline_delimited', records = true, compression = 'none',
               columns = {model: 'VARCHAR'});
