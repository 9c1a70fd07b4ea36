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
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import metadata, resources
from typing import Any

import duckdb

from spendwatch import store
from spendwatch.errors import SpendwatchError
from spendwatch.pricing.genai import openai_models
from spendwatch.pricing.resolution import _DATED, refresh_model_map

EPOCH = datetime(2000, 1, 1)
GENAI_TIER_DAY = datetime(2026, 10, 12)  # the day genai-prices added its flex/priority variants
_GPT5X = re.compile(r"^gpt-5\.\d")
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
    value = getattr(
        value, "base", value
    )  # genai-prices TieredPrices: the base (short-context) rate
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
            if tier == "priority" and start == GENAI_TIER_DAY and _GPT5X.match(m.id):
                start = EPOCH  # the priority page lists gpt-5.x since launch; genai-prices dates it 2026-10-12
                src_row = f"{src} (priority variant, dated from the model's launch: FACTS-2026)"
            else:
                src_row = src
            inp, out = _dec(prices.input_mtok), _dec(prices.output_mtok)
            if inp is None:
                if tier == "standard" and _dec(getattr(prices, "audio_hours", None)) is not None:
                    inp, out = Decimal(0), Decimal(0)  # priced per hour of audio only (whisper-1)
                else:
                    continue  # not a per-token model (tts-1 per character ...)
            for key in keys:
                rows.append(
                    PriceRow(
                        key,
                        tier,
                        start,
                        inp,
                        _dec(prices.cache_read_mtok),
                        out or Decimal(0),
                        src_row,
                        "genai-prices",
                    )
                )
    return rows


@dataclass(frozen=True)
class PartRow:
    """A dated rate for one part beyond text in/cached/out (see sql/migrations/0020_price_parts.sql)."""

    model: str
    tier: str
    effective_from: datetime
    part: str
    rate: Decimal
    unit: str  # mtok | kcall | session | hour | tokens | factor
    source: str
    origin: str


# genai-prices ModelPrice field -> (part, unit)
GENAI_PARTS = {
    "cache_write_mtok": ("cache_write", "mtok"),
    "input_audio_mtok": ("audio_input", "mtok"),
    "cache_audio_read_mtok": ("cached_audio_input", "mtok"),
    "output_audio_mtok": ("audio_output", "mtok"),
    "input_image_mtok": ("image_input", "mtok"),
    "output_image_mtok": ("image_output", "mtok"),
    "web_searches_kcount": ("web_search", "kcall"),
    "storage_searches_kcount": ("file_search", "kcall"),
    "audio_hours": ("audio_hour", "hour"),
}


def genai_part_rows() -> list[PartRow]:
    """Part rates and long-context tiers of every OpenAI model in genai-prices, under each alias."""
    src = f"genai-prices {metadata.version('genai-prices')}"
    rows: list[PartRow] = []
    for m in openai_models():
        keys = [m.id, *[a for a in _aliases(m.match) if a != m.id]]
        dated: list[tuple[str, datetime, Any]] = []
        if isinstance(m.prices, list):
            for cp in m.prices:
                start = getattr(cp.constraint, "start_date", None) if cp.constraint else None
                dated.append(("standard", _as_dt(start) if start else EPOCH, cp.prices))
        else:
            dated.append(("standard", EPOCH, m.prices))
        for variant in getattr(m, "price_variants", None) or []:
            when = variant.when or {}
            tier = "batch" if when.get("processing") == "batch" else when.get("service_tier")
            tier = {"fast": "priority", "default": None}.get(tier, tier)
            if tier in TIERS and variant.prices is not None:
                start = (
                    getattr(variant.constraint, "start_date", None) if variant.constraint else None
                )
                dated.append((tier, _as_dt(start) if start else EPOCH, variant.prices))
        for tier, start, prices in dated:
            found: list[tuple[str, Decimal, str]] = []
            for field, (part, unit) in GENAI_PARTS.items():
                value = _dec(getattr(prices, field, None))
                if value is not None:
                    found.append((part, value, unit))
            lc = _long_context(prices)
            if lc:
                found += lc
            for key in keys:
                for part, value, unit in found:
                    rows.append(PartRow(key, tier, start, part, value, unit, src, "genai-prices"))
    return rows


def _long_context(prices: Any) -> list[tuple[str, Decimal, str]]:
    """genai-prices TieredPrices (gpt-5.4 and later): the threshold and the input/output multipliers."""
    inp, out = getattr(prices, "input_mtok", None), getattr(prices, "output_mtok", None)
    tiers = getattr(inp, "tiers", None)
    if not tiers or not getattr(out, "tiers", None):
        return []
    return [
        ("long_context_threshold", Decimal(tiers[0].start), "tokens"),
        ("long_context_input", Decimal(str(tiers[0].price)) / Decimal(str(inp.base)), "factor"),
        (
            "long_context_output",
            Decimal(str(out.tiers[0].price)) / Decimal(str(out.base)),
            "factor",
        ),
    ]


def part_history_rows() -> list[PartRow]:
    """spendwatch's own dated part rates (``data/part_history.csv``), filling genai-prices' gaps."""
    text = (
        resources.files("spendwatch")
        .joinpath("data", "part_history.csv")
        .read_text(encoding="utf-8")
    )
    return [
        PartRow(
            r["model"],
            r["tier"],
            _as_dt(date.fromisoformat(r["effective_from"])),
            r["part"],
            Decimal(r["rate"]),
            r["unit"],
            "spendwatch history: " + r["source"],
            "history",
        )
        for r in csv.DictReader(text.splitlines())
    ]


def merged_part_rows(discount: Decimal = Decimal(1)) -> list[PartRow]:
    """genai-prices and history part rows; history wins on the same (model, tier, date, part)."""
    best: dict[tuple[str, str, datetime, str], PartRow] = {}
    for row in [*genai_part_rows(), *part_history_rows()]:
        if discount != 1 and row.unit not in ("tokens", "factor"):
            row = PartRow(
                row.model,
                row.tier,
                row.effective_from,
                row.part,
                row.rate * discount,
                row.unit,
                f"{row.source} × {discount} discount",
                row.origin,
            )
        best[(row.model, row.tier, row.effective_from, row.part)] = row
    return sorted(best.values(), key=lambda r: (r.model, r.tier, r.part, r.effective_from))


def with_family_tiers(rows: list[PriceRow]) -> list[PriceRow]:
    """Give a dated snapshot (``o3-2025-04-16``) its family's (``o3``) batch/flex/priority rows.

    A family row is copied when it is older than the snapshot's own earliest row of that tier, so a
    snapshot's own tier price (``gpt-4o-2024-05-13`` priority) is never replaced by its family's.
    """
    keys = {r.model for r in rows}
    own_first: dict[tuple[str, str], datetime] = {}
    by_family: dict[str, list[PriceRow]] = {}
    for r in rows:
        k = (r.model, r.tier)
        own_first[k] = min(own_first.get(k, r.effective_from), r.effective_from)
        if r.tier != "standard":
            by_family.setdefault(r.model, []).append(r)
    out = list(rows)
    for key in keys:
        dated = _DATED.match(key)
        if not dated or dated.group("family") not in by_family:
            continue
        family = dated.group("family")
        for r in by_family[family]:
            first = own_first.get((key, r.tier))
            if first is None or r.effective_from < first:
                out.append(
                    PriceRow(
                        key,
                        r.tier,
                        r.effective_from,
                        r.input_per_mtok,
                        r.cached_per_mtok,
                        r.output_per_mtok,
                        f"{r.source} (via family {family})",
                        r.origin,
                    )
                )
    return out


def history_rows() -> list[PriceRow]:
    text = (
        resources.files("spendwatch")
        .joinpath("data", "price_history.csv")
        .read_text(encoding="utf-8")
    )
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
        raise SpendwatchError(
            f"pricing.discount must be a number, got {pricing.get('discount')!r}"
        ) from e
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
            raise SpendwatchError(
                f"{where}: missing key {e.args[0]!r} (need model, input, output)"
            ) from e
        except Exception as e:
            raise SpendwatchError(f"{where}: {e}") from e
        if min(inp, out, cached if cached is not None else Decimal(0)) < 0:
            raise SpendwatchError(f"{where}: prices must not be negative")
        rows.append(
            PriceRow(
                model,
                tier,
                eff,
                inp,
                cached,
                out,
                f"override: {entry.get('note', 'config')}",
                "override",
            )
        )
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
                row.model,
                row.tier,
                row.effective_from,
                row.input_per_mtok * discount,
                None if row.cached_per_mtok is None else row.cached_per_mtok * discount,
                row.output_per_mtok * discount,
                f"{row.source} × {discount} discount",
                row.origin,
            )
        _keep(best, row)
    for row in overrides:
        _keep(best, row)
    rows = with_family_tiers(list(best.values()))
    return sorted(rows, key=lambda r: (r.model, r.tier, r.effective_from))


def _keep(best: dict, row: PriceRow) -> None:
    key = (row.model, row.tier, row.effective_from)
    if key not in best or PRIORITY[row.origin] >= PRIORITY[best[key].origin]:
        best[key] = row


def fingerprint(config: dict[str, Any] | None) -> str:
    parts = [
        metadata.version("genai-prices"),
        resources.files("spendwatch")
        .joinpath("data", "price_history.csv")
        .read_text(encoding="utf-8"),
        resources.files("spendwatch")
        .joinpath("data", "part_history.csv")
        .read_text(encoding="utf-8"),
        json.dumps((config or {}).get("pricing", {}), sort_keys=True, default=str),
        store.query("build_price_rates"),
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


# The tables one price catalog is made of. A private catalog shadows each of them with a TEMP table of
# the same name on one connection: DuckDB resolves a name in temp before main (inside views too), so
# every query on that connection prices with it and no other connection sees it. Extend this tuple
# when the catalog gains tables.
CATALOG_TABLES: tuple[str, ...] = ("prices", "part_prices", "price_rates", "model_map", "catalog_meta")


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


def materialise(
    con: duckdb.DuckDBPyConnection, config: dict[str, Any] | None = None, *, force: bool = False
) -> bool:
    """Rewrite ``prices`` and ``model_map`` when the catalog or overrides changed. Returns True if rewritten."""
    fp = fingerprint(config)
    if in_force(con) == fp and not force:
        return False
    _write(con, config, fp)
    return True


def _write(con: duckdb.DuckDBPyConnection, config: dict[str, Any] | None, fp: str) -> None:
    """Fill the catalog tables ``con`` resolves (main, or its private TEMP shadows) in one transaction."""
    rows = merged_rows(config)
    _, discount = override_rows(config or {})
    part_rows = merged_part_rows(discount)
    import pyarrow as pa

    parts = pa.table(
        {
            "model": [r.model for r in part_rows],
            "tier": [r.tier for r in part_rows],
            "effective_from": [r.effective_from for r in part_rows],
            "part": [r.part for r in part_rows],
            "rate": pa.array([r.rate for r in part_rows], pa.decimal128(18, 9)),
            "unit": [r.unit for r in part_rows],
            "source": [r.source for r in part_rows],
        }
    )
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
        con.execute("DELETE FROM part_prices")
        con.register("_catalog_parts", parts)
        con.execute("INSERT INTO part_prices BY NAME SELECT * FROM _catalog_parts")
        con.unregister("_catalog_parts")
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
