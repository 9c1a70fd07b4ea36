"""The instrumented SDK records every priced part (issue 15): hosted tool calls from Responses output
items, audio transcription (per token and per second), speech (no usage: cost unknown), images, and
the data-residency host. Real openai SDK against tests/fake_openai.py, then ingested and priced."""

from __future__ import annotations

import io
from decimal import Decimal as D

import openai
import pytest

from spendwatch.collectors import instrument as inst
from spendwatch.collectors import spool as spool_mod
from tests.fake_openai import FakeOpenAI

KEY = "sk-test-pricing-0123456789"
M = D(1_000_000)


@pytest.fixture
def server():
    with FakeOpenAI() as s:
        yield s


def _ingest(con, spool):
    inst.flush()
    spool_mod.drain(con, spool)


def test_hosted_tools_audio_and_images_are_recorded_and_priced(server, con, tmp_path):
    spool = tmp_path / "spool"
    client = inst.instrument(
        openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0), spool_dir=spool
    )
    client.responses.create(model="hosted-tools", input="find it")
    with inst.tag(feature="voice"):
        client.audio.transcriptions.create(
            model="whisper-1", file=("a.wav", io.BytesIO(b"RIFF0000"))
        )
        client.audio.transcriptions.create(
            model="gpt-4o-mini-transcribe", file=("a.wav", io.BytesIO(b"RIFF"))
        )
        client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input="hello")
    client.images.generate(model="gpt-image-1", prompt="a cat")
    _ingest(con, spool)
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT endpoint, model, web_search_calls, file_search_calls, code_interpreter_sessions, audio_seconds, "
            "usage_missing, cost_usd FROM requests_priced"
        ).fetchall()
    }
    # Responses: 2 web searches, 1 file search, 2 code-interpreter calls in one container = 1 session
    assert rows["responses"][1:4] == (2, 1, 1)
    # o4-mini-2025-04-16 text part of the fixture is as before; the tool fees add
    # 2 x $10/1k + 1 x $2.50/1k + 1 session x $0.03 = $0.0525 on top of the tokens
    tokens_only = con.execute(
        "SELECT sum(cost_usd) FROM request_cost_parts WHERE part IN ('input', 'cached_input', 'output')"
        " AND model = 'o4-mini-2025-04-16'"
    ).fetchone()[0]
    assert rows["responses"][-1] - tokens_only == D("0.0525")
    assert (
        con.execute(
            "SELECT count(*) FROM requests WHERE endpoint = 'audio.transcriptions'"
        ).fetchone()[0]
        == 2
    )
    whisper = con.execute(
        "SELECT cost_usd FROM requests_priced WHERE model = 'whisper-1'"
    ).fetchone()[0]
    assert whisper == D("0.009")  # 90 s at $0.006 / min
    mini = con.execute(
        "SELECT cost_usd FROM requests_priced WHERE model = 'gpt-4o-mini-transcribe'"
    ).fetchone()[0]
    assert mini == (100 * D("1.25") + 900 * D(3) + 50 * D(5)) / M  # text $1.25, audio $3, out $5
    assert rows["audio.speech"][0] == "gpt-4o-mini-tts" and rows["audio.speech"][5] is True
    assert rows["audio.speech"][-1] is None  # no usage: unknown, not $0
    assert rows["images.generate"][-1] == (200 * D(5) + 800 * D(10) + 4000 * D(40)) / M


def test_residency_host_is_recorded():
    assert inst.residency_of("https://eu.api.openai.com/v1") == "eu"
    assert inst.residency_of("https://us.api.openai.com/v1/") == "us"
    assert inst.residency_of("https://api.openai.com/v1") is None
    assert inst.residency_of("http://eu.example.com/v1") is None
