"""`spendwatch sync openai`: the real openai SDK against a loopback server that answers with the
recorded Usage and Costs pages (tests/fixtures, copies of shared/openai), several pages chained by
has_more/next_page. Idempotent windows, retries, failures, the cursor, the CLI and the scheduler."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spendwatch import store
from spendwatch.collectors import openai_usage
from spendwatch.collectors.openai_usage import RetryPolicy
from spendwatch.errors import SpendwatchError
from tests.fake_openai import FIX, FakeOpenAI, page_token

KEY = "sk-admin-test-0123456789abcdef"
NOV1 = 1793491200  # 2026-11-01T00:00:00Z (first bucket of the grouped fixtures)
NOV2 = 1793577600  # 2026-11-02
NOV3 = 1793664000  # 2026-11-03
GROUP_BY = ["model", "project_id", "api_key_id", "batch", "service_tier"]


def fixture(name: str) -> dict:
    return json.loads((FIX / name).read_text())


def fast(sleeps: list[float] | None = None, attempts: int = 4) -> RetryPolicy:
    """Real backoff arithmetic, no real sleeping: the waits are recorded."""
    return RetryPolicy(
        attempts=attempts,
        initial=0.001,
        max_wait=0.01,
        jitter=0.001,
        sleep=(sleeps.append if sleeps is not None else (lambda s: None)),
    )


def header(call: dict, name: str) -> str | None:
    return next((v for k, v in call["headers"].items() if k.lower() == name), None)


@pytest.fixture
def fake(monkeypatch):
    with FakeOpenAI() as f:
        monkeypatch.setenv("OPENAI_BASE_URL", f.base_url)  # the SDK's own base-URL handling
        yield f


@pytest.fixture
def db(tmp_path):
    con = store.connect(tmp_path / "sync.duckdb")
    yield con
    con.close()


def serve_nov(fake: FakeOpenAI) -> None:
    """Grouped completions (2 daily buckets) and line-item costs (2 daily buckets), one bucket a page."""
    fake.serve_buckets("usage/completions", fixture("usage_completions_grouped_page.json")["data"])
    fake.serve_buckets("costs", fixture("costs_page_line_items.json")["data"])


def totals(con) -> tuple:
    u = con.execute(
        "SELECT count(*), sum(input_tokens), sum(cached_tokens), sum(output_tokens), sum(requests) "
        "FROM usage_buckets"
    ).fetchone()
    c = con.execute("SELECT count(*), sum(amount_usd) FROM cost_buckets").fetchone()
    return (*u, *c)


# 2026-11-01 in the grouped fixture, by hand:
#   input  1,834,512 + 9,120,455 + 402,118 = 11,357,085     cached 1,025,920 + 0 + 131,072 = 1,156,992
#   output   212,344 + 1,288,102 +  96,510 =  1,596,956     requests 612 + 20,000 + 118 = 20,730
# costs_page_line_items.json: 2.02148 + 1.2824 + 2.12344 + "1.36806825" (a string) + 2.5 = 9.29538825
NOV_TOTALS = (3, 11_357_085, 1_156_992, 1_596_956, 20_730, 5, D("9.29538825"))


def test_recorded_pages_are_followed_to_the_end_and_the_sdk_query_is_openais(fake, db):
    # Verbatim recorded pages: the spec example says has_more=true with a real-looking cursor, the grouped
    # page ends the chain. The SDK must send that exact cursor as `page`.
    first = fixture("usage_completions_page.json")
    fake.serve_pages("usage/completions", [first, fixture("usage_completions_grouped_page.json")])
    fake.serve_pages("usage/embeddings", [fixture("usage_embeddings_page.json")])
    fake.serve_buckets(
        "costs", fixture("costs_page.json")["data"] + fixture("costs_page_line_items.json")["data"]
    )

    result = openai_usage.sync_openai(
        db, KEY, since=date(2024, 11, 1), until=date(2026, 11, 2), retry=fast()
    )

    calls = fake.admin_calls("usage/completions")
    assert len(calls) == 2
    q = calls[0]["query"]
    assert q["start_time"] == [str(1730419200)]  # 2024-11-01T00:00:00Z
    assert q["end_time"] == [str(NOV3)]  # --until is inclusive: the day after 2026-11-02
    assert q["bucket_width"] == ["1d"] and q["limit"] == ["31"]
    assert q["group_by"] == GROUP_BY and "page" not in q
    assert (
        "group_by%5B%5D=model" in calls[0]["url"] or "group_by[]=model" in calls[0]["url"]
    )  # SDK's brackets
    assert (
        calls[1]["query"]["page"] == [first["next_page"]] == ["page_AAAAAGdGxdEiJdKOAAAAAGcqsYA="]
    )
    assert all(header(c, "authorization") == f"Bearer {KEY}" for c in fake.calls)
    emb = fake.admin_calls("usage/embeddings")[0]["query"]
    assert emb["group_by"] == [
        "model",
        "project_id",
        "api_key_id",
    ]  # embeddings have no batch/service_tier
    costs = fake.admin_calls("costs")
    assert [c["query"].get("page") for c in costs] == [
        None,
        [page_token(1)],
        [page_token(2)],
    ]  # 3 buckets, 3 pages
    assert costs[0]["query"]["group_by"] == ["project_id", "line_item", "api_key_id"]
    assert costs[0]["query"]["bucket_width"] == ["1d"]
    assert result.pages["completions"] == 2 and result.pages["costs"] == 3

    rows = db.execute(
        "SELECT bucket_start, model, project_id, batch, service_tier, input_tokens, cached_tokens, "
        "output_tokens, requests FROM usage_buckets WHERE kind = 'completions' "
        "ORDER BY bucket_start, model"
    ).fetchall()
    assert rows == [
        (datetime(2024, 11, 1), "", "", False, "", 1000, 400, 500, 5),  # spec example: not grouped
        (
            datetime(2026, 11, 1),
            "gpt-4o-2024-08-06",
            "proj_Zq3v8KkYl2mQwE4r",
            False,
            "default",
            1_834_512,
            1_025_920,
            212_344,
            612,
        ),
        (
            datetime(2026, 11, 1),
            "gpt-4o-mini-2024-07-18",
            "proj_Zq3v8KkYl2mQwE4r",
            True,
            "default",
            9_120_455,
            0,
            1_288_102,
            20_000,
        ),
        (
            datetime(2026, 11, 1),
            "o4-mini-2025-04-16",
            "proj_H7cT1nBvX9aR2sLp",
            False,
            "flex",
            402_118,
            131_072,
            96_510,
            118,
        ),
    ]
    assert db.execute(
        "SELECT input_tokens, requests FROM usage_buckets WHERE kind = 'embeddings'"
    ).fetchall() == [(16, 2)]
    # 0.06 (spec example) + 9.29538825 (line items) = 9.35538825, exact: the string amount is not a float
    assert db.execute("SELECT sum(amount_usd) FROM cost_buckets").fetchone()[0] == D("9.35538825")
    assert db.execute(
        "SELECT amount_usd FROM cost_buckets WHERE line_item LIKE 'gpt-4o-mini%'"
    ).fetchone()[0] == D("1.36806825")
    raw = db.execute("SELECT raw FROM usage_buckets WHERE model = 'o4-mini-2025-04-16'").fetchone()[
        0
    ]
    assert json.loads(raw)["input_uncached_tokens"] == 271_046


def test_same_window_twice_and_overlapping_windows_leave_totals_unchanged(fake, db):
    serve_nov(fake)
    openai_usage.sync_openai(db, KEY, since=date(2026, 11, 1), until=date(2026, 11, 2), retry=fast())
    assert totals(db) == NOV_TOTALS
    openai_usage.sync_openai(db, KEY, since=date(2026, 11, 1), until=date(2026, 11, 2), retry=fast())
    assert totals(db) == NOV_TOTALS
    openai_usage.sync_openai(
        db, KEY, since=date(2026, 10, 30), until=date(2026, 11, 1), retry=fast()
    )
    openai_usage.sync_openai(db, KEY, since=date(2026, 11, 2), retry=fast())  # to now
    openai_usage.sync_openai(db, KEY, retry=fast())  # from the cursor
    assert totals(db) == NOV_TOTALS


def test_a_revised_bucket_replaces_the_stored_one(fake, db):
    buckets = fixture("usage_completions_grouped_page.json")["data"]
    fake.serve_buckets("usage/completions", buckets)
    openai_usage.sync_openai(
        db, KEY, since=date(2026, 11, 1), until=date(2026, 11, 1), costs=False, retry=fast()
    )
    revised = copy.deepcopy(buckets)
    revised[0]["results"][0]["num_model_requests"] = 700  # OpenAI revised 612 → 700 …
    del revised[0]["results"][2]  # … and the o4-mini group moved out of this day
    fake.serve_buckets("usage/completions", revised)
    openai_usage.sync_openai(
        db, KEY, since=date(2026, 11, 1), until=date(2026, 11, 1), costs=False, retry=fast()
    )
    # 700 + 20,000 = 20,700 requests, two groups: the bucket was replaced, not added to
    assert db.execute("SELECT count(*), sum(requests) FROM usage_buckets").fetchone() == (2, 20_700)


def test_hourly_and_daily_buckets_of_the_same_day_are_kept_apart(fake, db):
    hourly = copy.deepcopy(fixture("usage_completions_grouped_page.json")["data"][0])
    hourly["end_time"] = NOV1 + 3600  # the 00:00-01:00 bucket starts when the daily bucket does
    fake.serve_buckets("usage/completions", [hourly])
    openai_usage.sync_openai(
        db,
        KEY,
        since=date(2026, 11, 1),
        until=date(2026, 11, 1),
        bucket_width="1h",
        kinds=["completions"],
        costs=False,
        retry=fast(),
    )
    assert fake.admin_calls("usage/completions")[0]["query"]["bucket_width"] == ["1h"]
    assert fake.admin_calls("usage/completions")[0]["query"]["limit"] == ["168"]
    serve_nov(fake)
    openai_usage.sync_openai(
        db,
        KEY,
        since=date(2026, 11, 1),
        until=date(2026, 11, 1),
        kinds=["completions"],
        costs=False,
        retry=fast(),
    )
    assert db.execute(
        "SELECT bucket_width, count(*), sum(requests) FROM usage_buckets GROUP BY ALL ORDER BY 1"
    ).fetchall() == [("1d", 3, 20_730), ("1h", 3, 20_730)]


def test_429_on_page_2_then_success_stores_every_page_once(fake, db):
    serve_nov(fake)
    fake.fail_admin(
        "usage/completions",
        429,
        page=page_token(1),
        body="error_429.json",
        headers={"retry-after": "0"},
    )
    sleeps: list[float] = []
    result = openai_usage.sync_openai(
        db, KEY, since=date(2026, 11, 1), until=date(2026, 11, 2), retry=fast(sleeps)
    )
    pages = [c["query"].get("page") for c in fake.admin_calls("usage/completions")]
    assert pages == [None, [page_token(1)], [page_token(1)]]  # page 2 asked twice, page 1 once
    assert result.retries == 1 and len(sleeps) == 1 and 0 < sleeps[0] <= 0.01
    assert totals(db) == NOV_TOTALS


def test_backoff_doubles_with_jitter_and_honours_retry_after(fake, db):
    serve_nov(fake)
    fake.fail_admin("usage/completions", 500, times=4)
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=5, initial=1.0, max_wait=60.0, jitter=0.5, sleep=sleeps.append)
    openai_usage.sync_openai(
        db,
        KEY,
        since=date(2026, 11, 1),
        until=date(2026, 11, 2),
        kinds=["completions"],
        costs=False,
        retry=policy,
    )
    # wait n = 1 × 2^(n-1) + uniform(0, 0.5)
    assert len(sleeps) == 4
    for n, s in enumerate(sleeps):
        assert 2**n <= s <= 2**n + 0.5, sleeps
    sleeps.clear()
    fake.fail_admin("usage/completions", 429, body="error_429.json", headers={"retry-after": "7"})
    openai_usage.sync_openai(
        db,
        KEY,
        since=date(2026, 11, 1),
        until=date(2026, 11, 2),
        kinds=["completions"],
        costs=False,
        retry=policy,
    )
    assert len(sleeps) == 1 and 7 <= sleeps[0] <= 7.5 + 1  # Retry-After wins over a 1 s backoff


def test_a_run_that_still_fails_keeps_its_pages_and_the_next_run_resumes(fake, db):
    serve_nov(fake)
    fake.fail_admin("usage/completions", 500, page=page_token(1), times=3)
    with pytest.raises(SpendwatchError) as e:
        openai_usage.sync_openai(
            db, KEY, since=date(2026, 11, 1), until=date(2026, 11, 2), retry=fast(attempts=3)
        )
    assert "\n" not in str(e.value) and "500" in str(e.value)
    # page 1 (2026-11-01, three groups) was stored before page 2 failed three times
    assert db.execute("SELECT count(*), sum(requests) FROM usage_buckets").fetchone() == (3, 20_730)
    state = openai_usage.sync_state(db)
    assert (
        state["last_status"] == "error"
        and state["cursor_ts"] is None
        and "500" in state["last_detail"]
    )
    openai_usage.sync_openai(db, KEY, since=date(2026, 11, 1), until=date(2026, 11, 2), retry=fast())
    assert totals(db) == NOV_TOTALS
    assert openai_usage.sync_state(db)["last_status"] == "ok"


def test_insufficient_quota_is_not_retried(fake, db):
    serve_nov(fake)
    fake.fail_admin("usage/completions", 429, body="error_429_insufficient_quota.json", times=5)
    with pytest.raises(SpendwatchError, match="insufficient_quota"):
        openai_usage.sync_openai(db, KEY, since=date(2026, 11, 1), retry=fast())
    assert len(fake.admin_calls("usage/completions")) == 1


def test_cursor_rereads_the_last_two_days(fake, db):
    serve_nov(fake)
    openai_usage.sync_openai(db, KEY, since=date(2026, 11, 1), until=date(2026, 11, 2), retry=fast())
    state = openai_usage.sync_state(db)
    assert state["cursor_ts"] == datetime(2026, 11, 3) and state["last_status"] == "ok"
    assert "completions 3 rows (2 pages)" in state["last_detail"]
    columns = {c for (c,) in db.execute(store.query("sync_state_columns")).fetchall()}
    if "last_ok_at" in columns:  # a later migration's column, read by the sync-stale alert
        assert db.execute("SELECT last_ok_at FROM sync_state").fetchone()[0] == state["last_run_at"]
    fake.calls.clear()
    openai_usage.sync_openai(db, KEY, retry=fast(), now=datetime(2026, 11, 4, 12, 0))
    q = fake.admin_calls("usage/completions")[0]["query"]
    assert (
        q["start_time"] == [str(NOV1)] and "end_time" not in q
    )  # cursor 11-03 minus 2 days; up to now
    assert openai_usage.sync_state(db)["cursor_ts"] == datetime(2026, 11, 4, 12, 0)
    assert totals(db) == NOV_TOTALS


def test_first_run_without_a_cursor_reads_30_days(fake, db):
    openai_usage.sync_openai(db, KEY, retry=fast(), now=datetime(2026, 11, 25, 6, 30))
    q = fake.admin_calls("usage/completions")[0]["query"]
    assert q["start_time"] == [
        str(NOV1 - 6 * 86400)
    ]  # 2026-10-26T00:00Z: 30 days before 11-25, at 00:00


def test_401_and_403_are_one_line_and_never_show_the_key(fake, db):
    fake.require_key("sk-admin-the-right-one")
    with pytest.raises(SpendwatchError) as e:
        openai_usage.sync_openai(db, KEY, retry=fast())
    text = str(e.value)
    assert "\n" not in text and "401" in text and "admin key required" in text and KEY not in text
    assert "sk-proj-****" not in text  # the server's message (which quotes a key) is not echoed
    assert len(fake.admin_calls("usage/completions")) == 1  # not retried
    state = openai_usage.sync_state(db)
    assert state["last_status"] == "error" and "admin key required" in state["last_detail"]
    fake.require_key(KEY)
    fake.fail_admin("usage/completions", 403)
    with pytest.raises(
        SpendwatchError, match=r"^OpenAI refused the key \(403\): admin key required"
    ):
        openai_usage.sync_openai(db, KEY, retry=fast())


def test_project_key_or_no_key_is_refused_before_any_request(fake, db):
    for key, why in [
        ("sk-proj-abc123", "project key"),
        (None, "no OpenAI admin key"),
        ("  ", "no OpenAI admin key"),
    ]:
        with pytest.raises(SpendwatchError, match=why) as e:
            openai_usage.sync_openai(db, key, retry=fast())
        assert "admin key required" in str(e.value) and "\n" not in str(e.value)
    assert fake.calls == []


def test_an_optional_kind_the_server_lacks_is_skipped(fake, db):
    serve_nov(fake)
    fake.fail_admin("usage/images", 404, body="error_400.json")
    result = openai_usage.sync_openai(
        db, KEY, since=date(2026, 11, 1), until=date(2026, 11, 2), retry=fast()
    )
    assert "images: not offered by the server (404), skipped" in result.summary()
    assert totals(db) == NOV_TOTALS


def test_migration_0008_keeps_existing_buckets(tmp_path):
    con = store.connect(tmp_path / "old.duckdb", migrate=False)
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP))"
    )
    for version, name, sql in store.migrations():
        if version < 8:
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name]
            )
    con.execute(
        "INSERT INTO usage_buckets (bucket_start, bucket_end, kind, model, input_tokens, requests) VALUES "
        "('2026-11-01', '2026-11-02', 'completions', 'gpt-4o', 100, 1),"
        "('2026-11-01 05:00', '2026-11-01 06:00', 'completions', 'gpt-4o', 7, 1)"
    )
    assert "0008_sync.sql" in store.apply_migrations(con)
    assert con.execute(
        "SELECT bucket_width, input_tokens FROM usage_buckets ORDER BY 1"
    ).fetchall() == [("1d", 100), ("1h", 7)]
    con.close()


# --- the command line and the scheduler ---


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    import os

    full = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SPENDWATCH_"))}
    return subprocess.run(
        [sys.executable, "-m", "spendwatch", *args],
        capture_output=True,
        text=True,
        env={**full, **env},
        cwd=cwd,
        timeout=60,
    )


def test_cli_sync_status_and_failures(fake, tmp_path):
    from spendwatch.cli import app

    serve_nov(fake)
    dbfile = tmp_path / "cli.duckdb"
    runner = CliRunner()
    r = runner.invoke(
        app,
        ["sync", "openai", "--db", str(dbfile), "--since", "2026-11-01", "--until", "2026-11-02"],
        env={"OPENAI_ADMIN_KEY": KEY, "OPENAI_BASE_URL": fake.base_url},
    )
    assert r.exit_code == 0, r.output
    assert "completions 3 rows (2 pages)" in r.stdout and "costs 5 rows (2 pages)" in r.stdout
    r = runner.invoke(app, ["sync", "status", "--db", str(dbfile)])
    assert (
        r.exit_code == 0
        and ", ok: openai sync 2026-11-01" in r.stdout
        and "next run starts 2026-11-01" in r.stdout
    )
    r = runner.invoke(
        app,
        ["sync", "openai", "--db", str(dbfile), "--bucket", "1m"],
        env={"OPENAI_ADMIN_KEY": KEY},
    )
    assert r.exit_code == 2
    assert KEY.encode() not in dbfile.read_bytes()  # the key is never stored

    # The console entry point: exit 1 and exactly one line on stderr, no traceback, no key.
    env = {"OPENAI_BASE_URL": fake.base_url}
    r = _cli("sync", "openai", "--db", str(dbfile), env=env, cwd=tmp_path)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "admin key required" in r.stderr
    fake.require_key("sk-admin-another")
    r = _cli(
        "sync", "openai", "--db", str(dbfile), env={**env, "OPENAI_ADMIN_KEY": KEY}, cwd=tmp_path
    )
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith(
        "spendwatch: error: OpenAI refused the key (401): admin key required"
    )
    assert KEY not in r.stderr + r.stdout and KEY.encode() not in dbfile.read_bytes()


def test_serve_syncs_hourly_only_with_an_admin_key(fake, db, monkeypatch):
    from spendwatch import scheduler
    from spendwatch.config import get_settings

    assert "spendwatch.collectors.openai_usage" in scheduler.JOB_MODULES
    assert openai_usage.openai_sync_job in scheduler.JOB_FACTORIES
    assert openai_usage.openai_sync_job(get_settings(), db) is None
    monkeypatch.setenv("OPENAI_ADMIN_KEY", KEY)
    monkeypatch.setattr(openai_usage, "DEFAULT_RETRY", fast())
    job_id, run, seconds = openai_usage.openai_sync_job(get_settings(), db)
    assert (job_id, seconds) == ("openai_sync", 3600)
    serve_nov(fake)
    # what the scheduler runs: it reads its clock once and passes it as `now` (a fixed one here, so
    # the first run's "last 30 days" covers the recorded November pages whatever day the test runs)
    scheduler.run_job(job_id, run, clock=lambda: datetime(2026, 11, 25, 6, 30))()
    state = openai_usage.sync_state(db)
    assert state["last_status"] == "ok" and totals(db) == NOV_TOTALS
    assert state["cursor_ts"] == datetime(2026, 11, 25, 6, 30)
