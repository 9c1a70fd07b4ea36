"""The feature → cost-centre mapping: the TOML ``[cost_centres]`` table plus the lines saved from the
Reports page (table cost_centre_map, with who saved each and when). The TOML wins for every feature
it names, so a mapping kept in version control cannot be overridden from the browser."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from spendwatch import store
from spendwatch.errors import SpendwatchError

MAX_NAME = 200


def saved(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The saved lines: feature, cost_centre, updated_by, updated_at (ordered by feature). A database
    opened read-only before its migration to 0055 has none."""
    try:
        return store.fetch_dicts(con, store.query("cost_centre_map"))
    except duckdb.CatalogException:
        return []


def effective(
    con: duckdb.DuckDBPyConnection, toml_centres: dict[str, Any] | None
) -> dict[str, str]:
    """feature → centre: the saved lines, overridden by every feature the TOML names."""
    out = {r["feature"]: r["cost_centre"] for r in saved(con)}
    out.update({str(k): str(v) for k, v in (toml_centres or {}).items()})
    return out


def _clean(text: object, what: str) -> str:
    value = str(text or "").strip()
    if not value:
        raise SpendwatchError(f"a {what} cannot be empty")
    if len(value) > MAX_NAME or "\n" in value or "\r" in value:
        raise SpendwatchError(f"a {what} must be one line of at most {MAX_NAME} characters")
    return value


def save(
    con: duckdb.DuckDBPyConnection,
    mapping: dict[str, str | None],
    *,
    by: str,
    at: datetime,
    toml_centres: dict[str, Any] | None = None,
) -> list[str]:
    """Store ``mapping`` (feature → centre; None or '' forgets the feature's saved line) as one
    transaction, recording ``by`` and ``at``. Features the TOML names are refused (it wins anyway),
    so nobody saves a line that would silently do nothing. Returns the features changed."""
    toml = {str(k) for k in (toml_centres or {})}
    locked = sorted(f for f in mapping if f in toml)
    if locked:
        raise SpendwatchError(
            f"feature {locked[0]!r} is mapped in the TOML config's [cost_centres]; change it there"
        )
    who = _clean(by, "user name")
    current = {r["feature"]: r["cost_centre"] for r in saved(con)}
    changed = []
    with store.transaction(con):
        for feature, centre in mapping.items():
            feature = _clean(feature, "feature")
            if centre is None or not str(centre).strip():
                if feature in current:
                    con.execute(store.query("cost_centre_delete"), {"feature": feature})
                    changed.append(feature)
                continue
            centre = _clean(centre, "cost centre")
            if current.get(feature) == centre:
                continue
            con.execute(
                store.query("cost_centre_upsert"),
                {"feature": feature, "cost_centre": centre, "updated_by": who, "updated_at": at},
            )
            changed.append(feature)
    return changed
