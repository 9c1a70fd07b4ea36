"""Replay evidence beside a what-if: the latest finished replay of a feature on a target sets the
what-if's output ratio (measured) and escalation rate (= its loss rate), and one sentence says how
good the cheaper model was — or that the figure is unverified, and which command would verify it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from spendwatch import store, whatif
from spendwatch.money import usd
from spendwatch.replay import agreement


@dataclass(frozen=True)
class Evidence:
    run_id: str
    feature: str
    target: str
    judge: str | None
    samples: int
    tie_or_better_pct: float
    ci_low_pct: float
    ci_high_pct: float
    loss_rate: Decimal
    output_ratio: Decimal | None
    finished_at: datetime

    def sentence(self) -> str:
        by = (
            f"judged by {self.judge}"
            if self.judge
            else "checked by exact, JSON and embedding match"
        )
        text = (
            f"quality: {self.tie_or_better_pct:.0f} % tie-or-better ({self.ci_low_pct:.0f}–"
            f"{self.ci_high_pct:.0f} %, n={self.samples}, {by} on {self.finished_at:%Y-%m-%d})"
        )
        if self.output_ratio is not None:
            text += f"; answers {self.output_ratio:.2f}× as long"
        return text


def latest(con: duckdb.DuckDBPyConnection, feature: str, target: str) -> Evidence | None:
    """The newest finished replay of ``feature`` on ``target`` (None: unverified)."""
    try:
        runs = store.fetch_dicts(
            con,
            store.query("replay_runs_list"),
            {"feature": feature, "target": target, "status": "done"},
        )
    except duckdb.CatalogException:  # a database older than the replay tables (read-only open)
        return None
    for run in runs:
        s = store.fetch_dicts(con, store.query("replay_summary"), {"run": run["run_id"]})[0]
        if not s["n"]:
            continue
        n = s["n"]
        lo, hi = agreement.wilson(s["win"] + s["tie"], n)
        ratio = s["ratio"]
        return Evidence(
            run["run_id"],
            feature,
            target,
            run["judge"],
            n,
            100 * (s["win"] + s["tie"]) / n,
            100 * lo,
            100 * hi,
            (Decimal(s["loss"]) / n).quantize(Decimal("0.0001")),
            None if ratio is None else Decimal(str(round(ratio, 4))),
            run["finished_at"],
        )
    return None


def slider_values(ev: Evidence) -> dict[str, float | int]:
    """The What-if page's starting "answer length" and "escalated back" for a replayed feature: the
    measured values, snapped to the sliders' steps and ranges (0.25–3.0 by 0.05; 0–50 %)."""
    out: dict[str, float | int] = {"sw_whatif_escalate": min(50, max(0, round(ev.loss_rate * 100)))}
    if ev.output_ratio is not None:
        snapped = round(ev.output_ratio * 20) / 20
        out["sw_whatif_output"] = float(min(Decimal(3), max(Decimal("0.25"), Decimal(snapped))))
    return out


def command_for(feature: str, target: str) -> str:
    return f"spendwatch replay --feature {feature} --to {target} --sample 200"


def line(
    con: duckdb.DuckDBPyConnection, feature: str, target: str, monthly_savings_usd: Decimal | None
) -> str:
    """``search → gpt-4o-mini saves $169/month; quality: 91 % tie-or-better (…)`` or unverified."""
    head = f"{feature} → {target}"
    if monthly_savings_usd is not None:
        head += f" saves {usd(monthly_savings_usd)}/month"
    ev = latest(con, feature, target)
    if ev is None:
        return f"{head}; quality unverified — run `{command_for(feature, target)}`"
    return f"{head}; {ev.sentence()}"


def lines(
    con: duckdb.DuckDBPyConnection,
    features: list[str] | tuple[str, ...],
    target: str,
    monthly_savings_usd: Decimal | None = None,
) -> list[str]:
    """One sentence per feature (the What-if page's choice); with no feature chosen, one that says
    the quality is unverified until a feature is replayed."""
    if not features:
        return [
            f"quality on {target} unverified — replay a feature: `{command_for('FEATURE', target)}`"
        ]
    if len(features) == 1:
        return [line(con, features[0], target, monthly_savings_usd)]
    return [line(con, f, target, None) for f in features]


def for_scenario(
    con: duckdb.DuckDBPyConnection, scenario: Any, *, now: datetime | None = None
) -> list[str]:
    """The What-if page's sentences for its scenario: with one feature and a stored replay, the
    monthly savings priced with the replay's measured answer length and loss rate (what the CLI's
    what-if does by default), then the quality; otherwise "unverified" and the command."""
    features = tuple(scenario.features)
    ev = latest(con, features[0], scenario.to_model) if len(features) == 1 else None
    if ev is None:
        return lines(con, features, scenario.to_model)
    measured = with_evidence(con, scenario, output_ratio=None, escalate=None)
    result = whatif.simulate(con, replace(measured, with_range=False), now=now)
    return [
        f"{features[0]} → {scenario.to_model} saves {usd(result.monthly_savings_usd)}/month "
        f"(answer length and escalation as measured); {ev.sentence()}"
    ]


def with_evidence(con: duckdb.DuckDBPyConnection, s: whatif.Scenario, *, output_ratio: Decimal | None,
                  escalate: Decimal | None) -> whatif.Scenario:
    """The scenario with ``output_ratio`` and ``escalate`` as given, and where one is not given (None),
    from the latest stored replay of its one feature on the target (measured answer length; the
    loss rate as the escalation rate); without a replay, 1 and 0 as before."""
    ev = None
    if (output_ratio is None or escalate is None) and len(s.features) == 1:
        ev = latest(con, s.features[0], s.to_model)
    used = []
    if output_ratio is None and ev is not None and ev.output_ratio is not None:
        output_ratio = ev.output_ratio
        used.append(f"answer length {ev.output_ratio:g}x")
    if escalate is None and ev is not None:
        escalate = ev.loss_rate
        used.append(f"escalation {ev.loss_rate * 100:g} % (its loss rate)")
    note = (f"from replay {ev.run_id} ({ev.samples} samples): " + ", ".join(used)) if ev and used else None
    return replace(s, output_ratio=Decimal(1) if output_ratio is None else output_ratio,
                   escalate=Decimal(0) if escalate is None else escalate, evidence=note)
