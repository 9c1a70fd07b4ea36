"""The cost logic, expressed once: the newest migration's ``CREATE OR REPLACE VIEW requests_priced``
text, taken as written and run over the lake by DuckDB, or by Spark after a small dialect translation.

Nothing here copies SQL: a migration that redefines the view (a new tier, an uplift) reaches the lake
readers without a change to this module. DuckDB-specific syntax the views use is named in ``to_spark``.
"""

from __future__ import annotations

import re

from spendwatch import store
from spendwatch.errors import SpendwatchError

# The views a lake reader needs, in the order they are created (each may use the ones before it).
VIEWS = ("requests_priced",)


def _pieces(sql: str) -> list[tuple[str, str]]:
    """``sql`` cut into ('comment' | 'quoted' | 'code', text) pieces: one scanner for ``--`` comments and
    quoted text ('' inside a string is a quote), so a ``;`` or ``--`` in either is never taken for syntax."""
    out, i, n = [], 0, len(sql)
    while i < n:
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            kind = "comment"
        elif sql[i] in "'\"":
            j = sql.find(sql[i], i + 1)
            while j >= 0 and sql.startswith(sql[i] * 2, j):
                j = sql.find(sql[i], j + 2)
            j = n if j < 0 else j + 1
            kind = "quoted"
        else:
            j = i + 1
            while j < n and sql[j] not in "'\"" and not sql.startswith("--", j):
                j += 1
            kind = "code"
        out.append((kind, sql[i:j]))
        i = j
    return out


def statements(sql: str) -> list[str]:
    """Split a migration into statements on ``;`` outside quotes and ``--`` comments (comments kept)."""
    out, current = [], []
    for kind, text in _pieces(sql):
        if kind != "code":
            current.append(text)
            continue
        *done, rest = text.split(";")
        for part in done:
            out.append("".join([*current, part]).strip())
            current = []
        current.append(rest)
    tail = "".join(current).strip()
    if strip_comments(tail).strip():
        out.append(tail)
    return out


def strip_comments(sql: str) -> str:
    """The statement without ``--`` comments (quoted text kept as is)."""
    return "".join(text for kind, text in _pieces(sql) if kind != "comment")


def _defines(statement: str, view: str) -> bool:
    head = " ".join(strip_comments(statement).split()[:6]).lower()
    return bool(re.match(rf"create (or replace )?view {re.escape(view)} as\b", head))


def view_sql(view: str) -> str:
    """The text of the newest migration statement that (re)defines ``view``."""
    for _, _name, sql in reversed(store.migrations()):
        for stmt in reversed(statements(sql)):
            if _defines(stmt, view):
                return strip_comments(stmt).strip()
    raise SpendwatchError(f"no migration defines the view {view}")


def cost_views() -> list[str]:
    """The CREATE VIEW statements of VIEWS, as the migrations define them today (DuckDB dialect)."""
    return [view_sql(v) for v in VIEWS]


# DuckDB → Spark SQL. Spark 4 already takes `::` casts, lateral column aliases, greatest/coalesce,
# FILTER (WHERE …) and CTEs; what differs is listed here, each rule tested in tests/test_lake_dialect.py.
_SPARK_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # DuckDB's 128-bit integer: Spark's exact 38-digit decimal holds the same values (1e-15 USD sums).
    (re.compile(r"\bHUGEINT\b", re.I), "DECIMAL(38, 0)"),
    # A view lives in the session, not in a catalog.
    (re.compile(r"\bCREATE\s+OR\s+REPLACE\s+VIEW\b", re.I), "CREATE OR REPLACE TEMPORARY VIEW"),
    (re.compile(r"\bCREATE\s+VIEW\b", re.I), "CREATE OR REPLACE TEMPORARY VIEW"),
)
_DUCKDB_ONLY = re.compile(
    r"\b(UNNEST|STRUCT_PACK|LIST_VALUE|ASOF|QUALIFY|EXCLUDE|COLUMNS)\b|\{'|\[\s*\{", re.I
)
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def to_spark(sql: str) -> str:
    """A DuckDB statement of spendwatch's SQL in Spark 4's dialect; refuses what it cannot translate
    (a view that grew DuckDB-only syntax fails loudly here instead of giving other numbers)."""
    text = strip_comments(sql)
    bad = _DUCKDB_ONLY.search(text)
    if bad:
        raise SpendwatchError(
            f"the Spark engine cannot run DuckDB's {bad.group(0)!r} yet (lake/views.py)"
        )
    for pattern, repl in _SPARK_RULES:
        text = pattern.sub(repl, text)
    return text


def spark_params(sql: str) -> str:
    """DuckDB's ``$name`` parameters as Spark's ``:name`` markers."""
    return _PARAM.sub(r":\1", sql)
