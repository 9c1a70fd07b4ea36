-- Stage the checked rows of _lines (robust path: every line gets a row or a reason).
CREATE OR REPLACE TEMP TABLE _staged AS
{{records}};
