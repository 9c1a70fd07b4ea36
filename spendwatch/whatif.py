"""Model-downgrade simulations from the team's own history: one SQL pass over the requests in scope.

The assumptions are stated with every result; where they are uncertain (how long the cheaper
model's answers are, how its tokenizer counts) the result is also given as a low/high range.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from spendwatch import store
from spendwatch.analytics import utc_now
from spendwatch.errors import SpendwatchError
from spendwatch.pricing import price_keys, resolve

# --range: tokenizer differences move input by about +-10 %, answer length moves output by +-40 %.
RANGE_INPUT = Decimal("0.10")
RANGE_OUTPUT = Decimal("0.40")
DAYS_PER_MONTH = Decimal(30)


@dataclass(frozen=True)
class Scenario:
    to_model: str
    from_model: str | None = None
    features: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    share: Decimal = Decimal(1)
    escalate: Decimal = Decimal(0)
    output_ratio: Decimal = Decimal(1)
    cache_hit: Decimal | None = None
    batch: bool = False
    prices: str = "current"  # current | historical
    with_range: bool = False

    def validate(self) -> None:
        for name in ("share", "escalate"):
            v = getattr(self, name)
            if not (0 <= v <= 1):
                raise ValueError(f"--{name} must be between 0 and 1, got {v}")
        if self.cache_hit is not None and not (0 <= self.cache_hit <= 1):
            raise ValueError(f"--cache-hit must be between 0 and 1, got {self.cache_hit}")
        if self.output_ratio <= 0:
            raise ValueError(f"--output-ratio must be positive, got {self.output_ratio}")
        if self.prices not in ("current", "historical"):
            raise ValueError("--prices must be current or historical")


@dataclass
class WhatIfResult:
    current_cost_usd: Decimal
    simulated_cost_usd: Decimal
    savings_usd: Decimal
    savings_pct: Decimal
    monthly_current_usd: Decimal
    monthly_simulated_usd: Decimal
    monthly_savings_usd: Decimal
    days: Decimal
    target_model: str
    assumptions: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    range: dict[str, Decimal] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def target_price_model(con: duckdb.DuckDBPyConnection, model: str) -> str:
    keys = price_keys(con)
    res = resolve(model, keys)
    if res.price_model is None:
        close = difflib.get_close_matches(model, sorted(keys), n=3, cutoff=0.5)
        hint = f"; closest known: {', '.join(close)}" if close else ""
        raise SpendwatchError(f"unknown target model {model!r}{hint}")
    return res.price_model


def _run(con: duckdb.DuckDBPyConnection, s: Scenario, target: str, start: datetime, end: datetime,
         input_ratio: Decimal, output_ratio: Decimal) -> list[dict[str, Any]]:
    params = {
        "start": start, "end": end, "from_model": s.from_model, "features": list(s.features),
        "projects": list(s.projects), "share": s.share, "input_ratio": input_ratio,
        "output_ratio": output_ratio, "cache_hit": s.cache_hit, "to_batch": s.batch, "target": target,
        "historical": s.prices == "historical", "price_at": utc_now(), "escalate": s.escalate,
    }
    return store.fetch_dicts(con, store.query("whatif"), params)


def simulate(con: duckdb.DuckDBPyConnection, s: Scenario) -> WhatIfResult:
    """Current vs simulated cost of the requests in scope (default: the last 30 days)."""
    s.validate()
    target = target_price_model(con, s.to_model)
    end = s.end or utc_now()
    start = s.start or end - timedelta(days=30)
    rows = _run(con, s, target, start, end, Decimal(1), s.output_ratio)
    current = sum((r["current_cost_usd"] for r in rows), Decimal(0))
    simulated = sum((r["simulated_cost_usd"] for r in rows), Decimal(0))
    days = Decimal((end - start).total_seconds()) / Decimal(86400)
    per_month = DAYS_PER_MONTH / days if days > 0 else Decimal(0)
    result = WhatIfResult(
        current_cost_usd=current,
        simulated_cost_usd=simulated,
        savings_usd=current - simulated,
        savings_pct=((current - simulated) / current * 100).quantize(Decimal("0.01")) if current else Decimal(0),
        monthly_current_usd=current * per_month,
        monthly_simulated_usd=simulated * per_month,
        monthly_savings_usd=(current - simulated) * per_month,
        days=days,
        target_model=target,
        assumptions=_assumptions(s, target, start, end),
        rows=rows,
    )
    if s.with_range:
        lo = _run(con, s, target, start, end, 1 - RANGE_INPUT, s.output_ratio * (1 - RANGE_OUTPUT))
        hi = _run(con, s, target, start, end, 1 + RANGE_INPUT, s.output_ratio * (1 + RANGE_OUTPUT))
        sim_lo = sum((r["simulated_cost_usd"] for r in lo), Decimal(0))
        sim_hi = sum((r["simulated_cost_usd"] for r in hi), Decimal(0))
        result.range = {
            "simulated_low_usd": sim_lo, "simulated_high_usd": sim_hi,
            "monthly_savings_low_usd": (current - sim_hi) * per_month,
            "monthly_savings_high_usd": (current - sim_lo) * per_month,
        }
    return result


def _assumptions(s: Scenario, target: str, start: datetime, end: datetime) -> list[str]:
    out = [
        f"requests from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC, successful ones only",
        f"{s.share * 100:g} % of matched requests move to {target} (chosen by a hash of the request id: the same requests every run)",
        f"{'today' if s.prices == 'current' else 'historical'} prices for the target model",
        f"the target's answers are {s.output_ratio:g}x as long as the original's",
    ]
    if s.escalate:
        out.append(f"{s.escalate * 100:g} % of moved requests escalate: they pay the target attempt and the original")
    if s.cache_hit is not None:
        out.append(f"{s.cache_hit * 100:g} % of input tokens hit the prompt cache")
    else:
        out.append("cached input as in the original requests")
    if s.batch:
        out.append("moved requests go through the Batch API (batch rates)")
    if s.with_range:
        out.append(f"range: input +-{RANGE_INPUT * 100:g} % (tokenizer), output +-{RANGE_OUTPUT * 100:g} % (answer length)")
    out.append("unpriced requests are left out of both totals")
    return out
