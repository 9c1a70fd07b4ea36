"""Shared seed for the rollup-vs-raw comparisons of the forecast and the what-if: varied traffic over
two months (models incl. an unpriced one, batch, cached input, failures, several features, projects and
users, requests at odd minutes), so both paths see edges, mixed groups and unpriced rows."""

from __future__ import annotations

from datetime import datetime, timedelta

from spendwatch import ingest, rollups
from tests.helpers import chat_record

MODELS = ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "o4-mini", "gpt-4.1", "acme-x"]
T0 = datetime(2026, 10, 1)


def seed_varied(con, n: int = 900) -> None:
    lines = []
    for i in range(n):
        ts = T0 + timedelta(minutes=97 * i + (i * i) % 53)  # about 60 days, at odd minutes
        lines.append(chat_record(
            f"v{i}", MODELS[i % 5], 1000 + (i * 37) % 3000, 50 + (i * 11) % 700,
            cached=1024 if i % 3 == 0 else 0, reasoning=30 if i % 5 == 2 else 0,
            ts=ts.strftime("%Y-%m-%dT%H:%M:%SZ"), feature=f"f{i % 4}", project_id=f"p{i % 2}",
            user_id=f"u{i % 3}", batch=i % 7 == 0, status="error" if i % 11 == 0 else "ok",
        ))
    ingest.ingest_lines(con, lines, source="t")


def test_refresh_builds_the_whatif_rollup(con):
    seed_varied(con)
    assert rollups.refresh(con, full=True) == "rebuilt"
    got = con.execute("SELECT sum(requests), sum(unpriced_requests), sum(priced_input_tokens), sum(cost_fusd) "
                      "FROM requests_whatif_hourly").fetchone()
    want = con.execute("SELECT count(*), count(*) FILTER (WHERE cost_fusd IS NULL), "
                       "sum(input_tokens) FILTER (WHERE cost_fusd IS NOT NULL), sum(cost_fusd) "
                       "FROM requests_priced WHERE status = 'ok'").fetchone()
    assert got == want and got[1] > 0
    # an incremental top-up appends the new hour's row, a rebuild starts over
    ingest.ingest_lines(con, [chat_record("late", "gpt-4o-2024-08-06", 100, 10, ts="2026-12-05T10:00:00Z")], source="t")
    assert rollups.ensure(con, min_rows=1) == "incremental"
    assert con.execute("SELECT sum(requests) FROM requests_whatif_hourly").fetchone()[0] == want[0] + 1
    assert rollups.refresh(con, full=True) == "rebuilt"
    assert con.execute("SELECT sum(requests) FROM requests_whatif_hourly").fetchone()[0] == want[0] + 1
