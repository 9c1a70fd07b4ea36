"""The Parquet lake read by DuckDB (no Spark needed): the same report as the database file, whole-day
atomic swaps, an idempotent re-run, incremental days, the serve job, and the cost view taken from the
newest migration (issue 19, item 2)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest

from spendwatch import ingest, report, store
from spendwatch.config import ConfigError, Settings
from spendwatch.errors import SpendwatchError
from spendwatch.lake import duck, sync, views
from spendwatch.scheduler import run_job
from tests import lake_data

NOW = datetime(2026, 12, 5, 9, 0)
GROUPINGS = [
    ["feature"],
    ["day", "model"],
    ["month", "project"],
    ["week", "user", "status"],
    ["api_key", "endpoint"],
    [],
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database and its lake, built once; each test works on its own copy."""
    d = tmp_path_factory.mktemp("lake_template")
    con = lake_data.build_db(d / "db.duckdb")
    sync.sync(con, d / "lake", now=NOW)
    con.close()
    return d


@pytest.fixture
def built(template: Path, tmp_path: Path):
    shutil.copy(template / "db.duckdb", tmp_path / "db.duckdb")
    shutil.copytree(template / "lake", tmp_path / "lake")
    con = store.connect(tmp_path / "db.duckdb")
    yield con, tmp_path / "lake"
    con.close()


def _snapshot(lake: Path) -> dict[str, tuple[int, int, str]]:
    """Every file of the lake (but the lock): (inode, mtime in ns, sha256)."""
    out = {}
    for p in sorted(lake.rglob("*")):
        if p.is_file() and p.name != "_lock":
            st = p.stat()
            out[str(p.relative_to(lake))] = (
                st.st_ino,
                st.st_mtime_ns,
                hashlib.sha256(p.read_bytes()).hexdigest(),
            )
    return out


@pytest.mark.parametrize("by", GROUPINGS, ids=lambda b: ",".join(b) or "total")
def test_lake_report_equals_database(built, by):
    con, lake = built
    lake_con = duck.open_lake(lake)
    for first, last in [
        (None, None),
        (date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 12, 2), None),
    ]:
        assert report.spend_report(lake_con, by=by, start=first, end=last) == report.spend_report(
            con, by=by, start=first, end=last
        )


def test_layout_and_hand_checked_figure(built):
    _, lake = built
    days = sorted(p.parent.name for p in (lake / "requests").glob("date=*/data.parquet"))
    assert days[0] == "date=2026-10-29" and days[-1] == "date=2026-12-03" and len(days) == 36
    for name in ("price_rates", "model_map", "usage_buckets", "cost_buckets"):
        assert (lake / name / "data.parquet").is_file()
    rows = report.spend_report(
        duck.open_lake(lake), by=["model"], start=date(2026, 10, 29), end=date(2026, 10, 29)
    )
    by_model = {r["model"]: r for r in rows}
    # 2026-10-29 holds cached-0: gpt-4o-2024-08-06 at $2.50 / cached $1.25 / out $10 per 1M tokens,
    # 1200 prompt (1024 cached), 150 completion: (176 x 2.5 + 1024 x 1.25 + 150 x 10) / 1e6 = $0.00322
    assert by_model["gpt-4o-2024-08-06"]["cost_usd"] == D("0.00322")
    assert by_model["gpt-4o-2024-08-06"]["requests"] == 1


def test_rerun_changes_nothing(built):
    con, lake = built
    before = _snapshot(lake)
    r = sync.sync(con, lake, now=datetime(2026, 12, 6))
    assert (r.days_written, r.days_unchanged, r.tables_written) == (0, 36, [])
    assert (
        _snapshot(lake) == before
    )  # same inodes, mtimes and bytes: not even the manifest was rewritten


def test_incremental_day_is_swapped_whole(built):
    con, lake = built
    before = _snapshot(lake)
    # one late request for an existing day, one on a new day
    lines = [
        json.dumps(
            {
                "request_id": "late",
                "ts": "2026-11-05T23:59:59Z",
                "model": "gpt-4o-mini",
                "usage": {"prompt_tokens": 1_000_000, "completion_tokens": 0},
            }
        ),
        json.dumps(
            {
                "request_id": "new-day",
                "ts": "2026-12-04T00:00:00Z",
                "model": "gpt-4o-mini",
                "usage": {"prompt_tokens": 0, "completion_tokens": 1_000_000},
            }
        ),
    ]
    ingest.ingest_lines(con, lines, source="t", now=NOW)
    r = sync.sync(con, lake, now=NOW)
    assert (r.days_written, r.rows_written, r.days_unchanged) == (2, 4 + 1 + 1, 35)
    after = _snapshot(lake)
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed == {
        "requests/date=2026-11-05/data.parquet",
        "requests/date=2026-12-04/data.parquet",
        "_manifest.json",
    }
    old, new = (
        before["requests/date=2026-11-05/data.parquet"],
        after["requests/date=2026-11-05/data.parquet"],
    )
    assert (
        old[0] != new[0]
    )  # a new file renamed over the old one, never the old file written in place
    assert not list((lake / "_tmp").glob("*")) if (lake / "_tmp").exists() else True
    lake_con = duck.open_lake(lake)
    # gpt-4o-mini $0.15 per 1M input, $0.60 per 1M output: the two new requests cost $0.15 and $0.60
    rows = {r["day"]: r for r in report.spend_report(lake_con, by=["day"], start=date(2026, 12, 4))}
    assert rows[date(2026, 12, 4)]["cost_usd"] == D("0.60")
    for by in GROUPINGS:
        assert report.spend_report(lake_con, by=by) == report.spend_report(con, by=by)


def test_reader_never_sees_half_a_day(built):
    """A day rewritten over and over while a reader counts it: always all of its requests."""
    con, lake = built
    day = date(2026, 11, 2)
    want = con.execute(
        "SELECT count(*) FROM requests WHERE CAST(ts AS DATE) = ?", [day]
    ).fetchone()[0]
    stop = threading.Event()
    writes = []

    def writer() -> None:
        cur = con.cursor()
        start = datetime(2026, 11, 2)
        while not stop.is_set():
            tmp = lake / "_tmp"
            tmp.mkdir(exist_ok=True)
            sync._publish(
                cur,
                store.query("lake_request_day"),
                {"start": start, "end": datetime(2026, 11, 3)},
                tmp,
                sync.day_path(lake, day),
            )
            writes.append(1)

    t = threading.Thread(target=writer)
    t.start()
    try:
        seen = set()
        for _ in range(12):
            reader = duck.open_lake(lake)
            seen.add(
                reader.execute(
                    "SELECT count(*) FROM requests WHERE CAST(ts AS DATE) = ?", [day]
                ).fetchone()[0]
            )
            reader.close()
    finally:
        stop.set()
        t.join()
    assert len(writes) > 3
    assert seen == {want}


def test_leftovers_of_a_killed_sync_are_never_read(built):
    con, lake = built
    (lake / "_tmp").mkdir(exist_ok=True)
    (lake / "_tmp" / "half.parquet").write_bytes(b"PAR1 half a file")
    (lake / "requests" / "date=2026-11-07").mkdir(exist_ok=True)
    (lake / "requests" / "date=2026-11-07" / "_tmp.parquet").write_bytes(b"garbage")
    assert report.spend_report(duck.open_lake(lake), by=[]) == report.spend_report(con, by=[])
    sync.sync(con, lake, now=NOW)
    assert not (lake / "_tmp").exists()


def test_a_new_column_rewrites_every_day(built):
    con, lake = built
    con.execute("ALTER TABLE requests ADD COLUMN lake_test_col BIGINT NOT NULL DEFAULT 7")
    r = sync.sync(con, lake, now=NOW)
    assert r.days_written == 36
    assert duck.open_lake(lake).execute(
        "SELECT DISTINCT lake_test_col FROM requests"
    ).fetchall() == [(7,)]


def test_a_day_the_database_dropped_stays_in_the_lake(built):
    con, lake = built
    con.execute("DELETE FROM requests WHERE CAST(ts AS DATE) = DATE '2026-10-29'")
    sync.sync(con, lake, now=NOW)
    assert sync.day_path(lake, date(2026, 10, 29)).exists()


def test_second_sync_at_once_is_refused(built):
    con, lake = built
    with sync._locked(lake), pytest.raises(SpendwatchError, match="another lake sync"):
        sync.sync(con, lake, now=NOW)


def test_empty_database_gives_an_empty_lake(tmp_path):
    con = store.connect(tmp_path / "e.duckdb")
    from spendwatch.pricing import catalog

    catalog.materialise(con)
    sync.sync(con, tmp_path / "lake", now=NOW)
    lake_con = duck.open_lake(tmp_path / "lake")
    assert report.spend_report(lake_con, by=["feature"]) == []


def test_serve_job_syncs_with_the_now_it_is_given(built, tmp_path):
    con, _ = built
    from spendwatch.lake import job

    cfg = tmp_path / "sw.toml"
    cfg.write_text(f'[lake]\ndir = "{tmp_path / "served"}"\ninterval = 60\n', encoding="utf-8")
    settings = Settings(db=tmp_path / "db.duckdb", config=cfg)
    job_id, func, seconds = job._lake_job(settings, con)
    assert (job_id, seconds) == ("lake-sync", 60)
    run_job(job_id, func, clock=lambda: datetime(2030, 1, 2, 3, 4))()
    manifest = json.loads((tmp_path / "served" / "_manifest.json").read_text())
    assert manifest["synced_at"] == "2030-01-02T03:04:00"
    assert len(manifest["requests"]) == 36

    cfg.write_text("", encoding="utf-8")
    assert job._lake_job(settings, con) is None
    cfg.write_text('[lake]\ndir = "x"\ninterval = -1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="interval"):
        job._lake_job(settings, con)
    assert "spendwatch.lake.job" in __import__("spendwatch.scheduler").scheduler.JOB_MODULES


def _cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "spendwatch", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_cli_report_lake_prints_what_report_db_prints(template, tmp_path):
    shutil.copy(template / "db.duckdb", tmp_path / "db.duckdb")
    r = _cli("lake", "sync", "lake", "--db", "db.duckdb", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "36 days written (156 requests)" in r.stdout
    for args in (["--by", "month,feature", "--format", "csv", "--from-date", "2026-10-30"],):
        db = _cli("report", "--db", "db.duckdb", *args, cwd=tmp_path)
        lk = _cli("report", "--lake", "lake", *args, cwd=tmp_path)
        assert db.returncode == lk.returncode == 0, lk.stderr
        assert lk.stdout == db.stdout and len(db.stdout.splitlines()) > 5
    r = _cli("lake", "sync", "lake", "--db", "db.duckdb", cwd=tmp_path)
    assert "0 days written (0 requests), 36 unchanged" in r.stdout
    r = _cli("report", "--lake", "nowhere", cwd=tmp_path)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "lake not found" in r.stderr


_BLOCK_PYSPARK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "pyspark" or name.startswith("pyspark."):
            raise ImportError("No module named 'pyspark'")
sys.meta_path.insert(0, Block())
"""


def test_without_pyspark_the_cli_works_and_spark_says_how_to_install(built, tmp_path):
    code = _BLOCK_PYSPARK + (
        "sys.argv = ['spendwatch', *sys.argv[1:]]\n"
        "from spendwatch.cli import main\n"
        "try:\n    main()\nfinally:\n    assert 'pyspark' not in sys.modules and 'py4j' not in sys.modules\n"
    )

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = run("report", "--lake", "lake", "--by", "model")
    assert ok.returncode == 0 and "gpt-4o-mini" in ok.stdout, ok.stderr
    r = run("report", "--engine", "spark", "--lake", "lake")
    assert r.returncode == 1
    assert (
        r.stderr
        == "spendwatch: error: the Spark engine needs pyspark and Java 17+: pip install 'spendwatch[spark]'\n"
    )


def test_cost_view_is_the_newest_migrations_text(monkeypatch):
    text = views.view_sql("requests_priced")
    newest = max(v for v, _, sql in store.migrations() if "VIEW requests_priced" in sql)
    source = dict((v, sql) for v, _, sql in store.migrations())[newest]
    assert text.startswith("CREATE OR REPLACE VIEW requests_priced AS")
    assert " ".join(text.split()) in " ".join(views.strip_comments(source).split())
    # a later migration that redefines the view is what the lake readers run, with no change here
    later = "-- x; y\nCREATE TABLE t (a VARCHAR DEFAULT 'a;b');\nCREATE OR REPLACE VIEW requests_priced AS SELECT 1 AS one;\n"
    monkeypatch.setattr(
        store,
        "migrations",
        lambda: (
            [*store.migrations.__wrapped__(), (9999, "9999_x.sql", later)]
            if hasattr(store.migrations, "__wrapped__")
            else [(1, "0001_a.sql", source), (9999, "9999_x.sql", later)]
        ),
    )
    assert (
        views.view_sql("requests_priced")
        == "CREATE OR REPLACE VIEW requests_priced AS SELECT 1 AS one"
    )


def test_statement_splitter_and_spark_dialect():
    sql = "SELECT 'a;''b' AS s; -- c; d\nSELECT 2::HUGEINT AS x;\nCREATE OR REPLACE VIEW v AS SELECT 1"
    assert views.statements(sql) == [
        "SELECT 'a;''b' AS s",
        "-- c; d\nSELECT 2::HUGEINT AS x",
        "CREATE OR REPLACE VIEW v AS SELECT 1",
    ]
    assert views.to_spark(
        "CREATE OR REPLACE VIEW v AS SELECT x::HUGEINT * 2 -- hugeint\nFROM t"
    ) == ("CREATE OR REPLACE TEMPORARY VIEW v AS SELECT x::DECIMAL(38, 0) * 2 \nFROM t")
    assert (
        views.spark_params("WHERE ts >= $start AND ts < $end") == "WHERE ts >= :start AND ts < :end"
    )
    with pytest.raises(SpendwatchError, match="unnest"):
        views.to_spark("SELECT unnest([1, 2])")


@pytest.mark.integration
def test_serve_syncs_the_lake_and_lake_sync_runs_beside_it(template, tmp_path):
    """A real `spendwatch serve` with [lake] dir syncs the lake; `lake sync` while it holds the file
    is run by the server (routed), and that lake reports what the database reports."""
    from tests.test_serve_control import Serve

    shutil.copy(template / "db.duckdb", tmp_path / "db.duckdb")
    (tmp_path / "spendwatch.toml").write_text(
        '[lake]\ndir = "served"\ninterval = 3600\n', encoding="utf-8"
    )
    serve = Serve(tmp_path / "db.duckdb", tmp_path)
    try:
        manifest = tmp_path / "served" / sync.MANIFEST
        for _ in range(300):
            if manifest.exists():
                break
            threading.Event().wait(0.2)
        assert json.loads(manifest.read_text())["requests"]["2026-11-05"]["requests"] == 4
        r = _cli("lake", "sync", "beside", "--db", "db.duckdb", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert "36 days written (156 requests)" in r.stdout
        db = _cli(
            "report", "--db", "db.duckdb", "--by", "day,model", "--format", "csv", cwd=tmp_path
        )
    finally:
        serve.stop()
    for lake in ("served", "beside"):
        lk = _cli("report", "--lake", lake, "--by", "day,model", "--format", "csv", cwd=tmp_path)
        assert lk.stdout == db.stdout and db.stdout.count("\n") > 30


def test_a_lake_synced_by_another_version_says_sync_again(built):
    """Tables that do not fit this spendwatch's cost views: one line naming the fix; a sync repairs it."""
    con, lake = built
    prices = sync.table_path(lake, "price_rates")
    old = duckdb.connect()
    old.read_parquet(str(prices)).project("* EXCLUDE (lc_threshold)").write_parquet(
        str(lake / "old.parquet")
    )
    os.replace(lake / "old.parquet", prices)
    with pytest.raises(SpendwatchError) as e:
        duck.open_lake(lake)
    assert f"run `spendwatch lake sync {lake}` again" in str(e.value) and "\n" not in str(e.value)
    assert sync.sync(con, lake, now=NOW).tables_written == ["price_rates"]
    assert report.spend_report(duck.open_lake(lake), by=["model"]) == report.spend_report(
        con, by=["model"]
    )
