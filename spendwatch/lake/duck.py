"""DuckDB over the lake: an in-memory connection whose ``requests``, ``model_map`` and ``price_rates``
are views over the lake's Parquet files and whose cost views are the migrations' own text, so
``report.spend_report`` runs on it unchanged. Nothing is copied: the lake is the data."""

from __future__ import annotations

from pathlib import Path

import duckdb

from spendwatch.errors import SpendwatchError
from spendwatch.lake import sync, views

# The lake tables a reader sees besides requests (the sync's small tables).
READ_TABLES = tuple(sync.TABLES)


def lake_root(lake: str | Path) -> Path:
    """``lake`` checked to be a spendwatch lake (one clear line when it is not)."""
    root = Path(lake)
    if not root.is_dir():
        raise SpendwatchError(f"lake not found: {root} (run `spendwatch lake sync {root}` first)")
    if sync.read_manifest(root) is None:
        raise SpendwatchError(
            f"{root} is not a spendwatch lake (no {sync.MANIFEST}; run `spendwatch lake sync {root}`)"
        )
    return root


def request_files(root: Path) -> list[str]:
    """Every day's file (a day swapped in while we read is seen whole, old or new), or the empty
    schema file when the lake has no day yet."""
    files = sorted(str(p) for p in (root / "requests").glob(f"date=*/{sync.DATA}"))
    return files or [str(sync.schema_path(root))]


def open_lake(lake: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that reads the lake at ``lake`` like the database."""
    root = lake_root(lake)
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    # Relations, not SQL text, carry the paths: a directory name is never spliced into a statement.
    con.read_parquet(request_files(root), union_by_name=True).create_view("requests")
    for name in READ_TABLES:
        path = sync.table_path(root, name)
        if not path.exists():
            raise SpendwatchError(
                f"the lake {root} lacks {name} (run `spendwatch lake sync {root}`)"
            )
        con.read_parquet(str(path)).create_view(name)
    try:
        for statement in views.cost_views():
            con.execute(statement)
    except duckdb.Error as e:
        con.close()
        raise sync.stale(root, e) from None
    return con
