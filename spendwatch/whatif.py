"""Model-downgrade simulations from the team's own history: one SQL pass over the requests in scope
(per feature, model, project and batch flag; the what-if rollup's whole hours when it is fresh).

The assumptions are stated with every result; where they are uncertain (how long the cheaper
model's answers are, how its tokenizer counts) the result is also given as a low/high range.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from spendwatch import rollups, store
from spendwatch.clock import utc_now
from spendwatch.days import bounds
from spendwatch.errors import SpendwatchError
from spendwatch.pricing import price_keys, resolve

# --range: tokenizer differences move input by about +-10 %, answer length moves output by +-40 %.
RANGE_INPUT = Decimal("0.10")
RANGE_OUTPUT = Decimal("0.40")
DAYS_PER_MONTH = Decimal(30)
DEFAULT_DAYS = 30  # an open what-if window: the last 30 days


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
    evidence: str | None = None  # where output_ratio/escalate came from (a stored replay), if not typed in

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


def row_source(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> tuple[str, dict[str, Any]]:
    """The rows a window's simulation reads: the what-if rollup for its whole hours when the rollups
    are fresh, the requests themselves for the minutes at either edge (or for everything)."""
    return rollups.split_source(con, start, end, rollup_sql=store.query("whatif_source_hourly"),
                                raw="whatif_source_raw")


@dataclass(frozen=True)
class _Pass:
    """One priced pass: a scenario with its resolved target and the token ratios of this pass."""
    scenario: Scenario
    target: str
    input_ratio: Decimal
    output_ratio: Decimal


def _run(con: duckdb.DuckDBPyConnection, passes: list[_Pass], start: datetime, end: datetime,
         price_at: datetime) -> list[list[dict[str, Any]]]:
    """Every pass over one window in one query; the rows of each pass, in order."""
    source, params = row_source(con, start, end)
    sql = store.render("whatif", source=source)
    params |= {
        "sid": list(range(len(passes))),
        "from_model": [p.scenario.from_model for p in passes],
        "features": [list(p.scenario.features) for p in passes],
        "projects": [list(p.scenario.projects) for p in passes],
        "share": [_text(p.scenario.share) for p in passes],
        "escalate": [_text(p.scenario.escalate) for p in passes],
        "input_ratio": [_text(p.input_ratio) for p in passes],
        "output_ratio": [_text(p.output_ratio) for p in passes],
        "cache_hit": [None if p.scenario.cache_hit is None else _text(p.scenario.cache_hit) for p in passes],
        "to_batch": [p.scenario.batch for p in passes],
        "target": [p.target for p in passes],
        "historical": [p.scenario.prices == "historical" for p in passes],
        "any_historical": any(p.scenario.prices == "historical" for p in passes),
        "any_projects": any(p.scenario.projects for p in passes),
        # rows no scenario can match are skipped before grouping (the requests: before pricing too)
        "all_from": all(p.scenario.from_model for p in passes),
        "any_feature": sorted({f for p in passes for f in p.scenario.features})
        if all(p.scenario.features for p in passes) else [],
        "price_at": price_at,
    }
    out: list[list[dict[str, Any]]] = [[] for _ in passes]
    for r in store.fetch_named(con, sql, params):
        sid = r.pop("sid")
        r["moved_requests"] = _tidy(r["moved_requests"])
        r["target_unpriced"] = _tidy(r["target_unpriced"])
        out[sid].append(r)
    return out


def _text(d: Decimal) -> str:
    """A decimal as SQL reads it (never in exponent form)."""
    return format(Decimal(d), "f")


def _tidy(n: Decimal) -> int | Decimal:
    """An expected request count: a whole number as an int, else the decimal without trailing zeros."""
    return int(n) if n == n.to_integral_value() else n.normalize()


def _total(rows: list[dict[str, Any]], key: str) -> Decimal:
    return sum((r[key] for r in rows), Decimal(0))


def default_window(first: date | None, last: date | None, *, now: datetime,
                   days: int = DEFAULT_DAYS) -> tuple[datetime, datetime]:
    """The [start, end) a what-if prices: whole days ``first``..``last`` (both inclusive), never past
    ``now`` (an unfinished day counts up to now, so the monthly figures are not diluted by hours that
    have not happened); without ``first``, the ``days`` days before the end."""
    lo, hi = bounds(first, last)
    end = min(hi, now)
    start = lo if first is not None else end - timedelta(days=days)
    if end <= start:
        raise SpendwatchError(f"nothing to price: the window starts {start:%Y-%m-%d}, after now")
    return start, end


def simulate(con: duckdb.DuckDBPyConnection, s: Scenario, *, now: datetime | None = None) -> WhatIfResult:
    """Current vs simulated cost of the requests in scope (default: the last 30 days before ``now``)."""
    return simulate_many(con, [s], now=now)[0]


def simulate_many(con: duckdb.DuckDBPyConnection, scenarios: list[Scenario], *,
                  now: datetime | None = None) -> list[WhatIfResult]:
    """:func:`simulate` for each scenario, in one query per distinct window (the range's low and high
    passes included): recommendations price all their scenarios with one read of the rows.
    ``now`` (default: the clock) ends an open window and is the day today's prices are taken at."""
    for s in scenarios:
        s.validate()
    now = now or utc_now()
    targets: dict[str, str] = {}
    windows: dict[tuple[datetime, datetime], list[tuple[int, _Pass]]] = {}
    for i, s in enumerate(scenarios):
        if s.to_model not in targets:
            targets[s.to_model] = target_price_model(con, s.to_model)
        target = targets[s.to_model]
        end = s.end or now
        start = s.start or end - timedelta(days=DEFAULT_DAYS)
        todo = windows.setdefault((start, end), [])
        todo.append((i, _Pass(s, target, Decimal(1), s.output_ratio)))
        if s.with_range:
            todo.append((i, _Pass(s, target, 1 - RANGE_INPUT, s.output_ratio * (1 - RANGE_OUTPUT))))
            todo.append((i, _Pass(s, target, 1 + RANGE_INPUT, s.output_ratio * (1 + RANGE_OUTPUT))))
    results: list[WhatIfResult | None] = [None] * len(scenarios)
    for (start, end), todo in windows.items():
        rows = _run(con, [p for _, p in todo], start, end, now)
        by_scenario: dict[int, list[list[dict[str, Any]]]] = {}
        for (i, _), r in zip(todo, rows, strict=True):
            by_scenario.setdefault(i, []).append(r)
        for i, passes in by_scenario.items():
            results[i] = _result(scenarios[i], targets[scenarios[i].to_model], start, end, passes)
    return [r for r in results if r is not None]


def _result(s: Scenario, target: str, start: datetime, end: datetime,
            passes: list[list[dict[str, Any]]]) -> WhatIfResult:
    rows = passes[0]
    current = _total(rows, "current_cost_usd")
    simulated = _total(rows, "simulated_cost_usd")
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
        sim_lo = _total(passes[1], "simulated_cost_usd")
        sim_hi = _total(passes[2], "simulated_cost_usd")
        result.range = {
            "simulated_low_usd": sim_lo, "simulated_high_usd": sim_hi,
            "monthly_savings_low_usd": (current - sim_hi) * per_month,
            "monthly_savings_high_usd": (current - sim_lo) * per_month,
        }
    return result


def _assumptions(s: Scenario, target: str, start: datetime, end: datetime) -> list[str]:
    out = [
        f"requests from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC, successful ones only",
        f"{s.share * 100:g} % of matched requests move to {target}: exactly that share of the tokens and cost of "
        "each feature, model, project and batch group (the expected outcome, whichever requests are picked)",
        ("today's" if s.prices == "current" else "historical") + " prices for the target model",
        f"the target's answers are {s.output_ratio:g}x as long as the original's",
    ]
    if s.escalate:
        out.append(f"{s.escalate * 100:g} % of moved requests escalate: they pay the target attempt and the original")
    if s.cache_hit is not None:
        out.append(f"{s.cache_hit * 100:g} % of input tokens hit the prompt cache")
    else:
        out.append("cached input as in the original requests")
    if s.evidence:
        out.append(s.evidence)
    if s.batch:
        out.append("moved requests go through the Batch API (batch rates)")
    if s.with_range:
        out.append(f"range: input +-{RANGE_INPUT * 100:.0f} % (tokenizer), output +-{RANGE_OUTPUT * 100:.0f} % (answer length)")
    out.append("unpriced requests are left out of both totals")
    return out
