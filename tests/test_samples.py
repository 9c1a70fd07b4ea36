"""Captured samples: off by default, per-feature rates from [capture], the size limit, purge and
retention (with the clock passed in), import from a Batch API input + output file, redaction rules."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openai import OpenAI
from typer.testing import CliRunner

import spendwatch
from spendwatch import samples, scheduler
from spendwatch.cli import app
from spendwatch.config import Settings
from tests.fake_openai import FakeOpenAI, deterministic


@pytest.fixture
def fake():
    with FakeOpenAI() as f:
        deterministic(f)
        yield f


def _spooled(spool: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((spool / "samples").glob("*.json"))]


def test_capture_is_off_by_default_and_follows_per_feature_rates(fake, tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    plain = spendwatch.instrument(
        OpenAI(api_key="sk-test", base_url=fake.base_url), spool_dir=spool
    )
    plain.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "q1 easy"}])
    assert not (spool / "samples").exists()  # nothing captured without capture= or [capture]
    cfg = tmp_path / "sw.toml"
    cfg.write_text("[capture]\nrate = 0\nmax_chars = 400\n[capture.features]\nsearch = 1.0\n")
    monkeypatch.setenv("SPENDWATCH_CONFIG", str(cfg))
    client = spendwatch.instrument(
        OpenAI(api_key="sk-test", base_url=fake.base_url), spool_dir=spool
    )
    with spendwatch.tag(feature="search"):
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "q2 easy"}]
        )
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "q3 " + "x " * 400}]
        )
    with spendwatch.tag(feature="chat"):
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "q4 easy"}]
        )
    (rec,) = _spooled(spool)  # search only, and the 800-character prompt is over max_chars
    assert rec["feature"] == "search" and rec["request"]["messages"][0]["content"] == "q2 easy"
    assert rec["answer"] == "answer 2 answer 2" and (rec["input_tokens"], rec["output_tokens"]) == (
        2,
        4,
    )
    assert not list((spool / "samples").glob("*.part"))


def test_redaction_rules():
    text = (
        "key sk-proj-AAAAAAAAAAAAAAAAAAAAAAAA, aws AKIAABCDEFGHIJKLMNOP, gh ghp_abcdefghijklmnopqrstuvwxyz, "
        "Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl, patient a.b+c@mail.example.org"
    )
    out = samples.redact_text(text, lambda t: t.replace("patient", "p***"))
    assert out == (
        "key [REDACTED:key], aws [REDACTED:key], gh [REDACTED:key], "
        "Authorization: Bearer [REDACTED:token], p*** [REDACTED:email]"
    )
    assert samples.redact({"a": ["x@y.io", 3, None]}) == {"a": ["[REDACTED:email]", 3, None]}


def _sample(sid: str, ts: str) -> dict:
    return {
        "sample_id": sid,
        "ts": ts,
        "feature": "search",
        "model": "gpt-4o",
        "request": {"messages": [{"role": "user", "content": "hi"}]},
        "answer": "hello",
        "input_tokens": 1,
        "output_tokens": 1,
    }


def test_purge_and_the_serve_retention_job(con, tmp_path):
    n = samples.store_samples(
        con,
        [
            _sample("old", "2026-10-01T00:00:00Z"),
            _sample("mid", "2026-11-20T00:00:00Z"),
            _sample("new", "2026-12-01T00:00:00Z"),
        ],
        source="t",
    )
    assert (
        n == 3
        and samples.store_samples(con, [_sample("old", "2026-10-01T00:00:00Z")], source="t") == 0
    )
    now = datetime(2026, 12, 2)
    # retention_days = 10: cutoff 2026-11-22 -> "old" and "mid" go
    cfg = tmp_path / "sw.toml"
    cfg.write_text("[capture]\nretention_days = 10\n")
    for name in scheduler.JOB_MODULES:
        __import__(name)
    assert samples._samples_retention_job in scheduler.JOB_FACTORIES
    job_id, run, seconds = samples._samples_retention_job(Settings(config=cfg), con)
    assert (job_id, seconds) == ("samples-retention", 3600)
    run(now=now)
    assert [r for (r,) in con.execute("SELECT sample_id FROM samples").fetchall()] == ["new"]
    assert (
        samples.purge(con, older_than=timedelta(hours=12), now=now) == 1
    )  # cutoff 2026-12-01 12:00
    assert samples.parse_duration("30d") == timedelta(days=30)
    with pytest.raises(ValueError):
        samples.parse_duration("thirty")


def test_import_from_batch_input_and_output_and_purge_cli(tmp_path):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text(
        "\n".join(
            json.dumps(x)
            for x in [
                {
                    "custom_id": "search:1",
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": {
                        "model": "gpt-4o-mini",
                        "messages": [{"role": "user", "content": "mail me: x@corp.example"}],
                        "response_format": {"type": "json_object"},
                    },
                },
                {
                    "custom_id": "r2",
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": {
                        "model": "gpt-4o-mini",
                        "metadata": {"feature": "triage"},
                        "messages": [{"role": "user", "content": "label this"}],
                    },
                },
                {
                    "custom_id": "r3",
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": {
                        "model": "gpt-4o-mini",
                        "messages": [{"role": "user", "content": "fails"}],
                    },
                },
            ]
        )
        + "\n"
    )

    def body(i: int, content: str) -> dict:
        return {
            "id": f"chatcmpl-b{i}",
            "object": "chat.completion",
            "created": 1001548800,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
        }

    out.write_text(
        "\n".join(
            json.dumps(x)
            for x in [
                {
                    "id": "b2",
                    "custom_id": "r2",
                    "response": {"status_code": 200, "body": body(2, "positive")},
                    "error": None,
                },
                {
                    "id": "b1",
                    "custom_id": "search:1",
                    "response": {"status_code": 200, "body": body(1, '{"a": 1}')},
                    "error": None,
                },
                {
                    "id": "b3",
                    "custom_id": "r3",
                    "response": {"status_code": 500, "body": {"error": {}}},
                    "error": None,
                },
                "not json",
            ]
        )
        + "\n"
    )
    db = tmp_path / "s.duckdb"
    r = CliRunner().invoke(
        app, ["samples", "import", "--input", str(inp), "--output", str(out), "--db", str(db)]
    )
    assert r.exit_code == 0, r.output
    assert "2 samples imported, 0 already stored, 2 lines skipped" in r.stdout
    r = CliRunner().invoke(app, ["samples", "list", "--db", str(db)])
    assert "search: 1 samples, 2001-09-27" in r.stdout and "triage: 1 samples" in r.stdout
    from spendwatch import store

    c = store.connect(db)
    req = c.execute("SELECT request FROM samples WHERE feature = 'search'").fetchone()[0]
    c.close()
    assert "x@corp.example" not in req and "[REDACTED:email]" in req and "json_object" in req
    # 2001 is older than 30 days whatever today is
    r = CliRunner().invoke(app, ["samples", "purge", "--older-than", "30d", "--db", str(db)])
    assert r.exit_code == 0 and "2 samples older than 30d deleted" in r.stdout
    r = CliRunner().invoke(app, ["samples", "purge", "--older-than", "soon", "--db", str(db)])
    assert r.exit_code == 2


def test_async_clients_capture_too(fake, tmp_path):
    import asyncio

    from openai import AsyncOpenAI

    spool = tmp_path / "spool"
    client = spendwatch.instrument(
        AsyncOpenAI(api_key="sk-test", base_url=fake.base_url),
        feature="search",
        capture=1.0,
        spool_dir=spool,
    )

    async def go():
        await client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "q7 odd"}]
        )

    asyncio.run(go())
    (rec,) = _spooled(spool)
    assert rec["answer"] == "answer 7 answer 7" and rec["feature"] == "search"


def test_a_broken_config_never_breaks_the_app(fake, tmp_path, monkeypatch):
    bad = tmp_path / "bad.toml"
    bad.write_text("[capture\nrate = ")
    monkeypatch.setenv("SPENDWATCH_CONFIG", str(bad))
    spool = tmp_path / "spool"
    client = spendwatch.instrument(
        OpenAI(api_key="sk-test", base_url=fake.base_url), capture=1.0, spool_dir=spool
    )
    client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "q1 easy"}]
    )
    assert len(_spooled(spool)) == 1  # the explicit capture= still applies
    with pytest.raises(ValueError, match="between 0 and 1"):
        spendwatch.instrument(
            OpenAI(api_key="sk-test", base_url=fake.base_url), capture=2, spool_dir=spool
        )


def test_the_serve_drain_job_stores_handed_over_samples(con, tmp_path):
    spool = tmp_path / "spool"
    samples.write_spooled(spool / "samples", _sample("s1", "2026-11-01T00:00:00Z"))
    (spool / "samples" / "broken.json").write_text("{not json")
    job_id, run, seconds = samples._samples_drain_job(Settings(spool=spool), con)
    assert (job_id, seconds) == ("samples-drain", 5)
    run()
    assert con.execute("SELECT sample_id, source FROM samples").fetchall() == [("s1", "capture")]
    assert sorted(p.name for p in (spool / "samples").iterdir()) == [
        "broken.bad"
    ]  # kept for a person
