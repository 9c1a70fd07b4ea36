"""The real openai SDK against a local server in OpenAI's wire format, instrumented and bare."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal as D

import openai
import pytest

from spendwatch.collectors import instrument as inst
from spendwatch.collectors.spool import drain, finished_segments
from tests.fake_openai import FakeOpenAI

KEY = "sk-test-instrument-0123456789"


@pytest.fixture
def server():
    with FakeOpenAI() as s:
        yield s


def _records(spool) -> list[dict]:
    inst.flush()
    return [
        json.loads(line)
        for seg in finished_segments(spool)
        for line in seg.read_text().splitlines()
    ]


def _clients(server, spool, **kw):
    bare = openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=2)
    wrapped = inst.instrument(
        openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=2), spool_dir=spool, **kw
    )
    return bare, wrapped


def test_chat_completion_recorded_field_by_field(server, tmp_path):
    spool = tmp_path / "spool"
    bare, client = _clients(server, spool, feature="search", project="proj_1")
    expected = bare.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
    )
    with inst.tag(user="u_42", feature="inner"):
        got = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
    assert got.model_dump() == expected.model_dump()
    (rec,) = _records(spool)
    assert rec["request_id"] == "chatcmpl-AEcYx7v1K0dG3vX6n2RkZpQ4sT9bW"
    assert rec["model"] == "gpt-4o-2024-08-06" and rec["endpoint"] == "chat.completions"
    assert rec["feature"] == "inner" and rec["project_id"] == "proj_1" and rec["user_id"] == "u_42"
    assert (
        rec["usage"]["prompt_tokens"] == 2006
        and rec["usage"]["prompt_tokens_details"]["cached_tokens"] == 1920
    )
    assert rec["status"] == "ok" and rec["latency_ms"] > 0


def test_stream_without_include_usage_caller_sees_the_same_chunks(server, tmp_path):
    spool = tmp_path / "spool"
    bare, client = _clients(server, spool)
    msgs = [{"role": "user", "content": "hi"}]
    want = [
        c.model_dump()
        for c in bare.chat.completions.create(model="gpt-3.5-turbo", messages=msgs, stream=True)
    ]
    got = [
        c.model_dump()
        for c in client.chat.completions.create(model="gpt-3.5-turbo", messages=msgs, stream=True)
    ]
    assert got == want and all(c["choices"] for c in got)
    assert server.calls[-1]["body"]["stream_options"] == {
        "include_usage": True
    }  # asked for on the wire
    (rec,) = _records(spool)
    assert rec["usage"]["prompt_tokens"] == 10 and rec["usage"]["completion_tokens"] == 5
    assert rec["status"] == "ok" and rec["ttft_ms"] > 0 and rec["model"] == "gpt-3.5-turbo-0125"


def test_stream_closed_early_is_interrupted(server, tmp_path):
    spool = tmp_path / "spool"
    _, client = _clients(server, spool)
    stream = client.chat.completions.create(model="gpt-3.5-turbo", messages=[], stream=True)
    for _ in stream:
        break
    stream.close()
    (rec,) = _records(spool)
    assert rec["status"] == "interrupted" and "usage" not in rec


def test_responses_embeddings_async(server, tmp_path):
    spool = tmp_path / "spool"

    async def go():
        c = inst.instrument(
            openai.AsyncOpenAI(api_key=KEY, base_url=server.base_url),
            spool_dir=spool,
            feature="agent",
        )
        r = await c.responses.create(model="o4-mini", input="hi")
        e = await c.embeddings.create(
            model="text-embedding-3-small", input="hi", encoding_format="float"
        )
        return r, e

    r, e = asyncio.run(go())
    assert r.usage.input_tokens == 3210 and e.usage.prompt_tokens == 8
    recs = {x["endpoint"]: x for x in _records(spool)}
    assert recs["responses"]["usage"]["output_tokens_details"]["reasoning_tokens"] == 704
    assert recs["embeddings"]["usage"] == {"prompt_tokens": 8, "total_tokens": 8}


def test_errors_pass_through_and_retries_are_one_request(server, tmp_path):
    spool = tmp_path / "spool"
    bare, client = _clients(server, spool)
    with pytest.raises(openai.InternalServerError) as bare_err:
        bare.with_options(max_retries=0).chat.completions.create(model="always-500", messages=[])
    client_no_retry = inst.instrument(
        openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0), spool_dir=spool
    )
    with pytest.raises(openai.InternalServerError) as err:
        client_no_retry.chat.completions.create(model="always-500", messages=[])
    assert str(err.value) == str(bare_err.value)
    server.fail("429", 1)
    ok = client.chat.completions.create(model="429-once", messages=[])
    assert ok.id.startswith("chatcmpl-")
    recs = _records(spool)
    assert [(r["status"], r.get("http_status")) for r in recs] == [("error", 500), ("ok", None)]
    assert recs[0]["error_type"] == "InternalServerError"


def test_spool_drains_exactly_once_into_priced_rows(server, tmp_path, con):
    spool = tmp_path / "spool"
    _, client = _clients(server, spool, feature="search")
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o", messages=[])
    inst.flush()
    first = drain(con, spool)
    assert (first.ingested, first.duplicates) == (1, 2)  # the fixture returns the same response id
    assert drain(con, spool).lines_read == 0 and not finished_segments(spool)
    cost = con.execute("SELECT cost_usd FROM requests_priced").fetchall()[0][0]
    assert cost == (D(86) * D("2.50") + D(1920) * D("1.25") + D(300) * D(10)) / D(1_000_000)
    assert KEY not in "".join(
        p.read_text(errors="ignore")
        for p in tmp_path.rglob("*")
        if p.is_file() and p.suffix in (".jsonl", ".part", ".log")
    )


def test_cli_drains_the_spool(server, tmp_path):
    import subprocess
    import sys

    spool = tmp_path / "spool"
    _, client = _clients(server, spool)
    client.embeddings.create(model="text-embedding-3-small", input="x", encoding_format="float")
    inst.flush()
    cmd = [
        sys.executable,
        "-m",
        "spendwatch",
        "ingest",
        "--spool",
        "--spool-dir",
        str(spool),
        "--db",
        str(tmp_path / "s.duckdb"),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert (
        r.returncode == 0 and r.stdout.strip() == "1 ingested, 0 duplicates skipped, 0 quarantined"
    )
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.stdout.strip() == "0 ingested, 0 duplicates skipped, 0 quarantined"


def test_retries_counted_and_rate_limit_headers_recorded(server, tmp_path, con):
    spool = tmp_path / "spool"
    _, client = _clients(server, spool)
    server.fail("429", 1)
    client.chat.completions.create(model="429-once", messages=[])
    (rec,) = _records(spool)
    assert rec["retries"] == 1 and rec["status"] == "ok"
    assert rec["ratelimit"] == {
        "limit_requests": 500,
        "remaining_requests": 499,
        "limit_tokens": 30000,
        "remaining_tokens": 29000,
    }
    drain(con, spool)
    assert con.execute(
        "SELECT retries, ratelimit_limit_requests, ratelimit_remaining_tokens FROM requests"
    ).fetchall() == [(1, 500, 29000)]


def test_with_raw_response_is_recorded_and_unchanged(server, tmp_path):
    spool = tmp_path / "spool"
    bare, client = _clients(server, spool)
    client.chat.completions.with_raw_response  # built before instrumenting in real apps too  # noqa: B018
    inst.instrument(client, spool_dir=spool)  # idempotent: a second call adds nothing
    want = bare.chat.completions.with_raw_response.create(model="gpt-4o", messages=[])
    got = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=[])
    assert got.parse().model_dump() == want.parse().model_dump()
    assert got.headers.get("x-ratelimit-limit-requests") == "500"
    (rec,) = _records(spool)
    assert (
        rec["request_id"] == "chatcmpl-AEcYx7v1K0dG3vX6n2RkZpQ4sT9bW"
        and rec["usage"]["completion_tokens"] == 300
    )


def test_timeout_passes_through_and_is_recorded(server, tmp_path):
    spool = tmp_path / "spool"
    client = inst.instrument(
        openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0, timeout=0.3),
        spool_dir=spool,
    )
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="slow", messages=[])
    (rec,) = _records(spool)
    assert (rec["status"], rec["error_type"], rec["model"]) == ("error", "APITimeoutError", "slow")
    assert 250 < rec["latency_ms"] < 1500


def test_stream_with_include_usage_keeps_the_usage_chunk(server, tmp_path):
    spool = tmp_path / "spool"
    bare, client = _clients(server, spool)
    kw = dict(
        model="gpt-3.5-turbo", messages=[], stream=True, stream_options={"include_usage": True}
    )
    want = [c.model_dump() for c in bare.chat.completions.create(**kw)]
    got = [c.model_dump() for c in client.chat.completions.create(**kw)]
    assert got == want and got[-1]["choices"] == [] and got[-1]["usage"]["total_tokens"] == 15
    (rec,) = _records(spool)
    assert rec["usage"]["total_tokens"] == 15 and rec["status"] == "ok"


def test_calls_after_flush_are_recorded_and_batches_keep_every_record(server, tmp_path):
    spool = tmp_path / "spool"
    _, client = _clients(server, spool)
    client.chat.completions.create(model="unique-ids", messages=[])
    inst.flush()  # the writer keeps running after a flush
    for _ in range(300):
        client.chat.completions.create(model="unique-ids", messages=[])
    recs = _records(spool)
    assert len(recs) == len({r["request_id"] for r in recs}) == 301
    assert all(
        r["ts"].endswith("Z") and len(r["ts"]) == len("2026-11-25T09:12:27.512Z") for r in recs
    )


def test_sync_mode_has_the_record_on_disk_when_the_call_returns(server, tmp_path):
    spool = tmp_path / "spool"
    client = inst.instrument(
        openai.OpenAI(api_key=KEY, base_url=server.base_url), spool_dir=spool, sync=True
    )
    client.embeddings.create(model="text-embedding-3-small", input="x", encoding_format="float")
    on_disk = [
        json.loads(line) for p in spool.glob("*.jsonl*") for line in p.read_text().splitlines()
    ]
    assert [r["endpoint"] for r in on_disk] == ["embeddings"]  # no flush: written before returning


def test_stream_is_tagged_where_it_was_opened(server, tmp_path):
    spool = tmp_path / "spool"
    _, client = _clients(server, spool)
    with inst.tag(feature="chat-ui"):
        stream = client.chat.completions.create(model="gpt-3.5-turbo", messages=[], stream=True)
    chunks = list(stream)
    (rec,) = _records(spool)
    assert chunks and rec["feature"] == "chat-ui" and rec["status"] == "ok"
    assert rec["ratelimit"]["limit_requests"] == 500
