"""Errors a user can act on: the CLI prints them as one line and exits 1."""


class SpendwatchError(Exception):
    """A failure with a one-line, human reason (no traceback shown)."""


class DatabaseLocked(SpendwatchError):
    """Another process (usually `spendwatch serve`) holds the database file."""
