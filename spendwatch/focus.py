"""The month's bill as FOCUS 1.0 (the FinOps Open Cost and Usage Specification), for FinOps tools.

One row per UTC day × project × Costs API line item (model × charge part): BilledCost from the Costs
API, ListCost from the dated catalog (the line's quantity at the list price; the billed amount where
the catalog has no price), EffectiveCost = ContractedCost = BilledCost (OpenAI bills no commitments),
and the chargeback's feature / cost-centre split of the line in ``Tags``. Columns are those
``focus-validator --validate-version 1.0`` checks, plus the 1.0 spec's ``*Name`` spellings and
``ServiceSubcategory`` (FOCUS 1.1) where they cost nothing; spendwatch's own columns start with ``x_``.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import duckdb

from spendwatch import chargeback, exports
from spendwatch.chargeback import classify, month_end

COLUMNS = (
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeType",
    "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory",
    "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice", "EffectiveCost",
    "InvoiceIssuer", "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory", "PricingQuantity",
    "PricingUnit", "Provider", "ProviderName", "Publisher", "PublisherName", "RegionId", "RegionName",
    "ResourceID", "ResourceName", "ResourceType", "ServiceCategory", "ServiceName", "ServiceSubcategory",
    "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName", "Tags",
    "x_Model", "x_ChargePart", "x_Tier", "x_LongContext", "x_Unallocated",
)  # fmt: skip
FORMATS = ("csv", "parquet")
PICO = Decimal("1e-12")
MICRO = Decimal("0.000001")
_UNITS = {
    "tokens": "Tokens",
    "calls": "Calls",
    "requests": "Requests",
    "seconds": "Seconds",
    "sessions": "Sessions",
}


def focus_rows(
    con: duckdb.DuckDBPyConnection,
    *,
    month: date,
    now: datetime,
    organization: str = "openai",
    cost_centres: dict[str, str] | None = None,
) -> tuple[list[dict[str, Any]], list[date]]:
    """(FOCUS rows of the month's synced days, the unsynced days); raises NotSynced like chargeback."""
    synced, missing = chargeback.synced_days(con, month, now=now)
    if not synced:
        chargeback.chargeback(con, month=month, now=now)  # raises NotSynced with the sync command
    start = datetime.combine(synced[0], time())
    end = datetime.combine(chargeback.next_day(synced[-1]), time())
    cc = cost_centres or {}
    params = {
        "start": start,
        "end": end,
        **chargeback.line_item_lists(con, start, end),
        "cc_feature": list(cc),
        "cc_centre": [str(v) for v in cc.values()],
    }
    sql = chargeback.matched_sql("focus_rows", "feature")
    raw = con.execute(sql, params).fetchall()
    period = (_utc(month), _utc(month_end(month)))
    items = {r[2]: classify(r[2]) for r in raw}
    return [_row(r, items[r[2]], period, organization) for r in raw], missing


def _utc(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _row(r: tuple, item: Any, period: tuple[datetime, datetime], org: str) -> dict[str, Any]:
    (
        day,
        project,
        line_item,
        _key,
        part,
        prio,
        lc,
        billed,
        qty,
        unit,
        fusd,
        by_feature,
        by_centre,
        logged,
    ) = r
    billed = Decimal(billed)
    quantity = Decimal(qty).normalize() if qty is not None else None
    unit_name = _UNITS.get(
        (unit or "").lower(), "Tokens" if part != "org" and quantity is not None else None
    )
    list_unit = (Decimal(fusd) / 10**15).normalize() if fusd is not None else None
    list_cost = (quantity * list_unit) if quantity is not None and list_unit is not None else billed
    tags = {**_tag_amounts(by_feature), **_tag_amounts(by_centre)}
    unallocated = None
    if part == "org":
        unallocated = "org-level"
    elif not by_feature:
        unallocated = "not instrumented" if logged is None else "unpriced model"
    if unallocated:
        tags["spendwatch/unallocated"] = unallocated
    tier = "priority" if prio else item.tier
    return {
        "AvailabilityZone": None,
        "BilledCost": billed,
        "BillingAccountId": org,
        "BillingAccountName": None,
        "BillingCurrency": "USD",
        "BillingPeriodEnd": period[1],
        "BillingPeriodStart": period[0],
        "ChargeCategory": "Credit" if billed < 0 else "Usage",
        "ChargeClass": None,
        "ChargeDescription": line_item,
        "ChargeType": "Credit"
        if billed < 0
        else "Usage",  # 1.0-preview's name, still checked by the validator
        "ChargeFrequency": "Usage-Based",
        "ChargePeriodEnd": _utc(chargeback.next_day(day)),
        "ChargePeriodStart": _utc(day),
        "CommitmentDiscountCategory": None,
        "CommitmentDiscountId": None,
        "CommitmentDiscountName": None,
        "CommitmentDiscountStatus": None,
        "CommitmentDiscountType": None,
        "ConsumedQuantity": quantity,
        "ConsumedUnit": unit_name if quantity is not None else None,
        "ContractedCost": billed,
        "ContractedUnitPrice": None,
        "EffectiveCost": billed,
        "InvoiceIssuer": "OpenAI",
        "InvoiceIssuerName": "OpenAI",
        "ListCost": list_cost,
        "ListUnitPrice": list_unit,
        "PricingCategory": "Standard",
        "PricingQuantity": quantity,
        "PricingUnit": unit_name if quantity is not None else None,
        "Provider": "OpenAI",
        "ProviderName": "OpenAI",
        "Publisher": "OpenAI",
        "PublisherName": "OpenAI",
        "RegionId": None,
        "RegionName": None,
        "ResourceID": None,
        "ResourceName": None,
        "ResourceType": None,
        "ServiceCategory": "AI and Machine Learning",
        "ServiceName": "OpenAI API",
        "ServiceSubcategory": "Generative AI",
        "SkuId": f"{item.model}/{part}" if item.model else part,
        "SkuPriceId": f"{item.model or 'openai'}/{tier}/{part}",
        "SubAccountId": project or None,
        "SubAccountName": None,
        "Tags": json.dumps(tags, ensure_ascii=False, sort_keys=True),
        "x_Model": item.model,
        "x_ChargePart": part,
        "x_Tier": tier,
        "x_LongContext": bool(lc),
        "x_Unallocated": unallocated,
    }


def _tag_amounts(pairs: list[dict[str, Any]] | None) -> dict[str, str]:
    """[{k, v (pico-dollars)}] → {k: dollars as text}, summed per key (FOCUS tag values are strings)."""
    out: dict[str, Decimal] = {}
    for p in pairs or []:
        out[p["k"]] = out.get(p["k"], Decimal(0)) + Decimal(p["v"]) * PICO
    return {k: exports.decimal_text(v.quantize(MICRO)) for k, v in out.items()}


def render(rows: list[dict[str, Any]], fmt: str) -> bytes:
    """CSV (timestamps as ISO 8601 UTC with Z, formula-like text made inert) or Parquet bytes."""
    if fmt == "csv":
        flat = [{k: _csv_value(v) for k, v in r.items()} for r in rows]
        return exports.to_csv_text(flat, COLUMNS).encode("utf-8")
    buf = io.BytesIO()
    exports.write_parquet(rows, buf, columns=COLUMNS)
    return buf.getvalue()


def _csv_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, bool):
        return "true" if v else "false"
    return v
