"""No key is kept: one run through every path a key travels — an instrumented app (with a failing
call), the spool, file ingest of lines that carry keys, reports in every format, alerts, an OpenAI
sync (ok and 401) and its error messages — then every file the run wrote, every value in every
text column of the database, and everything printed are scanned for the keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import openai

from spendwatch.collectors import instrument as inst
from tests.fake_openai import FIX, FakeOpenAI

API_KEY = "sk-proj-SECRETapiKEY0123456789abcdefABCDEF"
ADMIN_KEY = "sk-admin-SECRETadminKEY0123456789abcdef"
WEBHOOK_TOKEN = "hooks/T000/B000/SECRETwebhookTOKEN"
SECRETS = [API_KEY, ADMIN_KEY, "SECRETapiKEY", "SECRETadminKEY"]


def _run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SPENDWATCH_"))}
    return subprocess.run([sys.executable, "-m", "spendwatch", *args], capture_output=True, text=True,
                          env={**base, **env}, cwd=cwd, timeout=120)


def test_no_key_is_written_anywhere(tmp_path):
    db, spool, out = tmp_path / "s.duckdb", tmp_path / "spool", tmp_path / "out"
    out.mkdir()
    printed: list[str] = []
    with FakeOpenAI() as server:
        # 1. the app: instrumented client with a real-looking key, one call that succeeds, one 429
        client = inst.instrument(openai.OpenAI(api_key=API_KEY, base_url=server.base_url, max_retries=0),
                                 feature="search", spool_dir=spool, sync=True)
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        server.fail("chat", 1)
        try:
            client.chat.completions.create(model="gpt-4o", messages=[])
        except openai.RateLimitError as e:
            printed.append(str(e))
        inst.flush()
        segments = list(spool.glob("*.jsonl"))
        assert segments  # the spool as the app left it, before `ingest --spool` drains it
        for seg in segments:
            assert not any(k.encode() in seg.read_bytes() for k in SECRETS), seg.name

        env = {"SPENDWATCH_DB": str(db), "OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": server.base_url,
               "SPENDWATCH_ALLOW_PRIVATE_WEBHOOKS": "1"}  # the receiver is on loopback
        # 2. a log file whose lines carry keys where they should not be
        logs = tmp_path / "leaky.jsonl"
        logs.write_text(
            json.dumps({"request_id": "a", "ts": "2026-11-10T10:00:00Z", "model": "gpt-4o", "feature": "x",
                        "usage": {"prompt_tokens": 10, "completion_tokens": 5}}) + "\n"
            + f'{{"request_id": "b", "headers": {{"Authorization": "Bearer {API_KEY}"}}, broken\n'
            + f"api_key={ADMIN_KEY} not json at all\n"
        )
        steps = [
            ("ingest", "--spool", "--spool-dir", str(spool)),
            ("ingest", str(logs)),
            ("quarantine", "--format", "json"),
            *[("report", "--by", "feature", "--format", f, "-o", str(out / f"r.{f}"))
              for f in ("csv", "xlsx", "parquet", "json")],
            ("alerts", "add", "all", "--budget", "0.000001", "--window", "month",
             "--channel", f"webhook:{server.base_url}/{WEBHOOK_TOKEN}", "--channel", "log"),
            ("alerts", "check", "--at", "2026-11-10T12:00"),
            ("alerts", "list"),
            ("alerts", "events"),
        ]
        for step in steps:
            r = _run(*step, env=env, cwd=tmp_path)
            assert r.returncode == 0, (step, r.stderr)
            printed += [r.stdout, r.stderr]

        # 3. the OpenAI sync: the admin key is accepted once, refused once
        fixture = lambda name: json.loads((FIX / name).read_text())["data"]  # noqa: E731
        server.serve_buckets("usage/completions", fixture("usage_completions_grouped_page.json"))
        server.serve_buckets("costs", fixture("costs_page_line_items.json"))
        server.require_key(ADMIN_KEY)
        ok = _run("sync", "openai", "--since", "2026-10-30", "--until", "2026-11-02",
                  env={**env, "OPENAI_ADMIN_KEY": ADMIN_KEY}, cwd=tmp_path)
        assert ok.returncode == 0, ok.stderr
        printed += [ok.stdout, ok.stderr]
        server.require_key("sk-admin-the-right-one")
        refused = _run("sync", "openai", env={**env, "OPENAI_ADMIN_KEY": ADMIN_KEY}, cwd=tmp_path)
        assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
        printed += [refused.stdout, refused.stderr]
        headers_seen = [c["headers"] for c in server.calls]

    # the keys did travel: the server saw them (so a clean scan below means something)
    assert any(API_KEY in json.dumps(h) for h in headers_seen)
    assert any(ADMIN_KEY in json.dumps(h) for h in headers_seen)

    # every file the run wrote (database included, byte for byte)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != logs]
    assert len(written) >= 5  # database, four exports
    for p in written:
        data = p.read_bytes()
        for s in SECRETS:
            assert s.encode() not in data, f"{s[:12]}… found in {p.relative_to(tmp_path)}"
    # every text value in the database (DuckDB may compress strings on disk)
    con = duckdb.connect(str(db), read_only=True)
    cols = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE data_type IN ('VARCHAR', 'JSON') AND table_schema = 'main'").fetchall()
    assert len(cols) > 20
    for table, col in cols:
        for s in SECRETS:
            n = con.execute(f'SELECT count(*) FROM "{table}" WHERE CAST("{col}" AS VARCHAR) LIKE ?',  # noqa: S608
                            [f"%{s}%"]).fetchone()[0]
            assert n == 0, f"{s[:12]}… in {table}.{col}"
    quarantined = con.execute("SELECT raw FROM quarantine ORDER BY line_no").fetchall()
    assert len(quarantined) == 2 and all("[REDACTED" in r[0] or "REDACTED" in r[0] for r in quarantined)
    con.close()
    # everything printed: CLI output, error messages, the SDK error the app saw
    text = "\n".join(printed)
    for s in SECRETS:
        assert s not in text
    assert "SECRETwebhookTOKEN" not in text  # webhook URLs are credentials too: shown by host only
