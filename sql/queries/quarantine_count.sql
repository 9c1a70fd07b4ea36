-- How many lines sit in quarantine (the title of `spendwatch quarantine`).
SELECT count(*) AS n FROM quarantine
