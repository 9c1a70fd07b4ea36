"""Rate limits: per model family, the busiest minute's requests and tokens against the tier limits.

Usage comes from the recorded ``x-ratelimit-*`` headers where requests carry them (limit − remaining
is the window's use as OpenAI counted it, other apps on the key included), else from the request
timestamps (requests and input + output tokens per UTC minute). Limits come from the TOML config
``[rate_limits]`` over a small seed; where neither has a model, the limit the headers reported.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from spendwatch import rollups, store
from spendwatch.explore import Filters, group_label, grouped, run

# Seed tier limits (OpenAI usage tier 1). Override or extend with, in the TOML config:
#   [rate_limits.gpt-4o]
#   rpm = 5000
#   tpm = 800000
SEED_LIMITS: dict[str, dict[str, int]] = {"gpt-4o": {"rpm": 500, "tpm": 30_000}}


def limits(config: dict[str, Any] | None = None) -> dict[str, dict[str, int | None]]:
    """Model family → {'rpm', 'tpm'}: the seed, overridden key by key by ``[rate_limits]``."""
    out: dict[str, dict[str, int | None]] = {k: dict(v) for k, v in SEED_LIMITS.items()}
    for model, entry in ((config or {}).get("rate_limits", {}) or {}).items():
        if not isinstance(entry, dict):
            raise ValueError(f"[rate_limits.{model}] must be a table with rpm and/or tpm")
        cur = out.setdefault(model, {"rpm": None, "tpm": None})
        for k in ("rpm", "tpm"):
            if k in entry:
                v = entry[k]
                if not isinstance(v, int) or v <= 0:
                    raise ValueError(f"[rate_limits.{model}] {k} must be a positive integer, got {v!r}")
                cur[k] = v
    return out


def minute_source(con: duckdb.DuckDBPyConnection, f: Filters) -> str:
    """'minutely' when the fresh per-minute rollup can answer, else 'raw'."""
    aligned = all(t.second == 0 and t.microsecond == 0 for t in (f.start, f.end))
    return "minutely" if aligned and rollups.is_fresh(con) else "raw"


def peaks(con: duckdb.DuckDBPyConnection, f: Filters, *, config: dict[str, Any] | None = None) -> pd.DataFrame:
    """One row per model family: peak requests and tokens per minute, their basis, the limits and
    how much of them the peak used, and the 429 answers in the window. (Model filter only: limits
    are per model, whatever the feature or key.)"""
    source = minute_source(con, f)
    name = "source_minutely" if source == "minutely" else "source_minutely_raw"
    sql = store.render("ratelimit_peaks", source=store.query(name))
    rows = run(con, sql, {"start": f.start, "end": f.end, "after": rollups.EPOCH, "models": list(f.models)})
    lim = limits(config)
    out = []
    for r in rows:
        headers = (r["header_requests"] or 0) > 0
        conf = lim.get(r["model"], {})
        rpm_limit = conf.get("rpm") or r["header_limit_rpm"]
        tpm_limit = conf.get("tpm") or r["header_limit_tpm"]
        peak_rpm = r["peak_rpm_headers"] if headers and r["peak_rpm_headers"] is not None else r["peak_rpm_timestamps"]
        peak_tpm = r["peak_tpm_headers"] if headers and r["peak_tpm_headers"] is not None else r["peak_tpm_timestamps"]
        out.append({
            "model": r["model"], "requests": r["requests"], "peak_rpm": peak_rpm, "rpm_limit": rpm_limit,
            "rpm_used": (peak_rpm / rpm_limit) if rpm_limit else None,
            "peak_tpm": peak_tpm, "tpm_limit": tpm_limit, "tpm_used": (peak_tpm / tpm_limit) if tpm_limit else None,
            "basis": "x-ratelimit headers" if headers else "request timestamps",
            "limit_source": ("config" if r["model"] in lim and (conf.get("rpm") or conf.get("tpm"))
                             else "headers" if rpm_limit or tpm_limit else "none"),
            "peak_minute": r["peak_minute"], "rate_limited": r["rate_limited"],
        })
    cols = ["model", "requests", "peak_rpm", "rpm_limit", "rpm_used", "peak_tpm", "tpm_limit", "tpm_used", "basis",
            "limit_source", "peak_minute", "rate_limited"]
    return pd.DataFrame(out, columns=cols)


def rate_limited_series(con: duckdb.DuckDBPyConnection, f: Filters, *, grain: str = "day") -> pd.DataFrame:
    """HTTP 429 answers per time bucket and model (``bucket``, ``group``, ``value``)."""
    f = Filters(f.start, f.end, f.tz, models=f.models)
    rows = grouped(con, f, by=["model"], grain=grain)
    df = pd.DataFrame({"bucket": [r["bucket"] for r in rows], "group": [group_label(r, ["model"]) for r in rows],
                       "value": [r["rate_limited"] for r in rows]})
    return df[df["value"] > 0].reset_index(drop=True)
