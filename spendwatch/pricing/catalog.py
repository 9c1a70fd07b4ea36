"""The price catalog: genai-prices, spendwatch's own dated history, and local overrides, merged
into one effective-dated ``prices`` table so that cost is a single SQL join.

Precedence on the same (model, tier, effective date): overrides > history > genai-prices.
genai-prices dates its batch/flex/priority variants from the day they were added (2026-10), and
models few price changes; ``data/price_history.csv`` (sourced from shared/openai/FACTS.md §8)
fills in the older history.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import metadata, resources
from typing import Any

import duckdb

from spendwatch import store
from spendwatch.errors import SpendwatchError
from spendwatch.pricing.genai import openai_models
from spendwatch.pricing.resolution import refresh_model_map

EPOCH = datetime(2000, 1, 1)
TIERS = ("standard", "batch", "flex", "priority")
PRIORITY = {"genai-prices": 1, "history": 2, "override": 3}


@dataclass(frozen=True)
class PriceRow:
    model: str
    tier: str
    effective_from: datetime
    input_per_mtok: Decimal
    cached_per_mtok: Decimal | None
    output_per_mtok: Decimal
    source: str
    origin: str  # genai-prices | history | override


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    value = getattr(value, "base", value)  # genai-prices TieredPrices: the base (short-context) rate
    return Decimal(str(value))


def _aliases(clause: Any) -> list[str]:
    """Exact model names a genai-prices match clause lists (ClauseEquals inside ClauseOr)."""
    if hasattr(clause, "equals"):
        return [clause.equals]
    if hasattr(clause, "or_"):
        return [a for c in clause.or_ for a in _aliases(c)]
    return []


def genai_prices_rows() -> list[PriceRow]:
    """Every OpenAI model in the bundled genai-prices snapshot, under its id and each alias."""
    version = metadata.version("genai-prices")
    rows: list[PriceRow] = []
    for m in openai_models():
        keys = [m.id, *[a for a in _aliases(m.match) if a != m.id]]
        src = f"genai-prices {version}"
        dated: list[tuple[datetime, Any]] = []
        if isinstance(m.prices, list):
            for cp in m.prices:
                start = getattr(cp.constraint, "start_date", None) if cp.constraint else None
                dated.append((_as_dt(start) if start else EPOCH, cp.prices))
        else:
            dated.append((EPOCH, m.prices))
        for variant in getattr(m, "price_variants", None) or []:
            when = variant.when or {}
            tier = "batch" if when.get("processing") == "batch" else when.get("service_tier")
            tier = {"fast": "priority", "default": None}.get(tier, tier)
            if tier not in TIERS or variant.prices is None or variant.prices.input_mtok is None:
                continue
            start = getattr(variant.constraint, "start_date", None) if variant.constraint else None
            dated.append((_as_dt(start) if start else EPOCH, (tier, variant.prices)))
        for start, prices in dated:
            tier = "standard"
            if isinstance(prices, tuple):
                tier, prices = prices
            inp, out = _dec(prices.input_mtok), _dec(prices.output_mtok)
            if inp is None:
                continue  # not a per-token model (images, audio minutes...)
            for key in keys:
                rows.append(
                    PriceRow(key, tier, start, inp, _dec(prices.cache_read_mtok), out or Decimal(0), src, "genai-prices")
                )
    return rows


def history_rows() -> list[PriceRow]:
    text = resources.files("spendwatch").joinpath("data", "price_history.csv").read_text(encoding="utf-8")
    return [
        PriceRow(
            r["model"],
            r["tier"],
            _as_dt(date.fromisoformat(r["effective_from"])),
            Decimal(r["input_per_mtok"]),
            _dec(r["cached_per_mtok"]),
            Decimal(r["output_per_mtok"]),
            "spendwatch history: " + r["source"],
            "history",
        )
        for r in csv.DictReader(text.splitlines())
    ]


def override_rows(config: dict[str, Any]) -> tuple[list[PriceRow], Decimal]:
    """``[pricing]`` of the TOML config: ``discount`` (factor on catalog prices) and ``[[pricing.models]]``."""
    pricing = config.get("pricing", {}) or {}
    try:
        discount = Decimal(str(pricing.get("discount", 1)))
    except Exception as e:
        raise SpendwatchError(f"pricing.discount must be a number, got {pricing.get('discount')!r}") from e
    if not (Decimal(0) < discount <= Decimal(1)):
        raise SpendwatchError(f"pricing.discount must be in (0, 1], got {discount}")
    rows = []
    for i, entry in enumerate(pricing.get("models", []) or []):
        where = f"pricing.models[{i}]"
        try:
            model = str(entry["model"])
            tier = str(entry.get("tier", "standard"))
            if tier not in TIERS:
                raise SpendwatchError(f"{where}: tier must be one of {', '.join(TIERS)}")
            eff = entry.get("effective_from", EPOCH.date())
            eff = _as_dt(eff if isinstance(eff, date) else date.fromisoformat(str(eff)))
            inp, out = Decimal(str(entry["input"])), Decimal(str(entry["output"]))
            cached = _dec(entry.get("cached"))
        except SpendwatchError:
            raise
        except KeyError as e:
            raise SpendwatchError(f"{where}: missing key {e.args[0]!r} (need model, input, output)") from e
        except Exception as e:
            raise SpendwatchError(f"{where}: {e}") from e
        if min(inp, out, cached if cached is not None else Decimal(0)) < 0:
            raise SpendwatchError(f"{where}: prices must not be negative")
        rows.append(PriceRow(model, tier, eff, inp, cached, out, f"override: {entry.get('note', 'config')}", "override"))
    return rows, discount


def _as_dt(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def merged_rows(config: dict[str, Any] | None = None) -> list[PriceRow]:
    """All sources merged: the highest-precedence row per (model, tier, effective_from) wins."""
    overrides, discount = override_rows(config or {})
    best: dict[tuple[str, str, datetime], PriceRow] = {}
    for row in [*genai_prices_rows(), *history_rows()]:
        if discount != 1:
            row = PriceRow(
                row.model, row.tier, row.effective_from,
                row.input_per_mtok * discount,
                None if row.cached_per_mtok is None else row.cached_per_mtok * discount,
                row.output_per_mtok * discount,
                f"{row.source} × {discount} discount", row.origin,
            )
        _keep(best, row)
    for row in overrides:
        _keep(best, row)
    return sorted(best.values(), key=lambda r: (r.model, r.tier, r.effective_from))


def _keep(best: dict, row: PriceRow) -> None:
    key = (row.model, row.tier, row.effective_from)
    if key not in best or PRIORITY[row.origin] >= PRIORITY[best[key].origin]:
        best[key] = row


def fingerprint(config: dict[str, Any] | None) -> str:
    parts = [
        metadata.version("genai-prices"),
        resources.files("spendwatch").joinpath("data", "price_history.csv").read_text(encoding="utf-8"),
        json.dumps((config or {}).get("pricing", {}), sort_keys=True, default=str),
        store.query("build_price_rates"),
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


# The tables one price catalog is made of. A private catalog shadows each of them with a TEMP table of
# the same name on one connection: DuckDB resolves a name in temp before main (inside views too), so
# every query on that connection prices with it and no other connection sees it. Extend this tuple
# when the catalog gains tables.
CATALOG_TABLES: tuple[str, ...] = ("prices", "price_rates", "model_map", "catalog_meta")


def overrides_in(config: dict[str, Any] | None) -> tuple[int, Decimal]:
    """How many ``[[pricing.models]]`` overrides a config has, and its catalog discount factor."""
    rows, discount = override_rows(config or {})
    return len(rows), discount


def in_force(con: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint of the catalog this connection prices with (None: none materialised yet)."""
    row = con.execute("SELECT value FROM catalog_meta WHERE key = 'fingerprint'").fetchone()
    empty = con.execute("SELECT count(*) = 0 FROM price_rates").fetchall()[0][0]
    return None if row is None or empty else row[0]


def use(con: duckdb.DuckDBPyConnection, config: dict[str, Any] | None, *, may_rewrite: bool) -> str:
    """Make ``con`` price with ``config`` and nothing else, whatever ran before.

    Returns ``'shared'`` when the materialised catalog already is this config's, ``'materialised'``
    when ``may_rewrite`` (the sole writer of the file) rewrote it, else ``'private'``: TEMP tables on
    this connection only (works on read-only connections, and never changes what another reader sees).
    """
    fp = fingerprint(config)
    if in_force(con) == fp:
        return "shared"
    if may_rewrite:
        materialise(con, config)
        return "materialised"
    for table in CATALOG_TABLES:
        ddl = con.execute(
            "SELECT sql FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main' "
            "AND database_name = current_database() AND table_name = ?", [table]).fetchone()[0]
        con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")  # noqa: S608 (a name from CATALOG_TABLES)
        con.execute("CREATE TEMP TABLE " + ddl.removeprefix("CREATE TABLE "))
    _write(con, config, fp)
    return "private"


def materialise(con: duckdb.DuckDBPyConnection, config: dict[str, Any] | None = None, *, force: bool = False) -> bool:
    """Rewrite ``prices`` and ``model_map`` when the catalog or overrides changed. Returns True if rewritten."""
    fp = fingerprint(config)
    if in_force(con) == fp and not force:
        return False
    _write(con, config, fp)
    return True


def _write(con: duckdb.DuckDBPyConnection, config: dict[str, Any] | None, fp: str) -> None:
    """Fill the catalog tables ``con`` resolves (main, or its private TEMP shadows) in one transaction."""
    rows = merged_rows(config)
    import pyarrow as pa

    table = pa.table(
        {
            "model": [r.model for r in rows],
            "tier": [r.tier for r in rows],
            "effective_from": [r.effective_from for r in rows],
            "input_per_mtok": pa.array([r.input_per_mtok for r in rows], pa.decimal128(18, 9)),
            "cached_per_mtok": pa.array([r.cached_per_mtok for r in rows], pa.decimal128(18, 9)),
            "output_per_mtok": pa.array([r.output_per_mtok for r in rows], pa.decimal128(18, 9)),
            "source": [r.source for r in rows],
        }
    )
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM prices")
        con.register("_catalog_rows", table)
        con.execute("INSERT INTO prices SELECT * FROM _catalog_rows")
        con.unregister("_catalog_rows")
        con.execute("DELETE FROM price_rates")
        con.execute(store.query("build_price_rates"))
        con.execute(
            "INSERT OR REPLACE INTO catalog_meta VALUES ('fingerprint', ?), ('materialised_at', ?)",
            [fp, datetime.utcnow().isoformat(timespec="seconds")],
        )
        refresh_model_map(con, full=True)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
