"""The data-residency uplift (issue 15): +10 % on the token parts of a request sent to an eu./us. API host,
for models released on or after 2026-03-05 (shared/openai/FACTS-2026.md; LiteLLM #31136, #32387). Tool-call
fees are not uplifted. Figures by hand from genai-prices 0.2.3's rates (USD per 1M tokens)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal as D

import httpx2
import openai
import pytest

from spendwatch import ingest
from spendwatch.collectors import instrument as inst
from spendwatch.collectors import spool as spool_mod
from spendwatch.pricing import catalog
from tests.fake_openai import FakeOpenAI
from tests.helpers import cost_of
from tests.test_pricing_parts import _write

M = D(1_000_000)
TS = "2026-11-02T10:00:00Z"
CHAT = {
    "prompt_tokens": 10_000,
    "completion_tokens": 2000,
    "prompt_tokens_details": {"cached_tokens": 4000},
}


def _rec(
    rid: str, model: str, usage: dict, residency: str | None = None, ts: str = TS, **extra
) -> dict:
    rec = {"request_id": rid, "ts": ts, "model": model, "usage": usage, **extra}
    if residency:
        rec["data_residency"] = residency
    return rec


# gpt-5.4: $2.50 in / $0.25 cached / $15 out. 6,000 text in + 4,000 cached + 2,000 out:
# 6000 x 2.50 + 4000 x 0.25 + 2000 x 15 = 15,000 + 1,000 + 30,000 = 46,000 / 1M = $0.046
BASE_54 = D("0.046")
SCENARIOS = [
    # eu. host, after 2026-03-05: $0.046 x 1.10 = $0.0506
    ("eu54", _rec("eu54", "gpt-5.4", CHAT, "eu"), {"data_residency": "eu"}, D("0.0506")),
    # the same request to api.openai.com: the base $0.046
    ("gl54", _rec("gl54", "gpt-5.4", CHAT), {}, BASE_54),
    # gpt-5 (released 2025-08-07, before the cut-off) on an eu. host: no uplift.
    # $1.25 / $0.125 / $10: 6000 x 1.25 + 4000 x 0.125 + 2000 x 10 = 7,500 + 500 + 20,000 = $0.028
    ("eu5", _rec("eu5", "gpt-5", CHAT, "eu"), {"data_residency": "eu"}, D("0.028")),
    # us. host with 2 web searches: the tokens x 1.10, the tool fee not: 0.0506 + 2 x $10/1k = $0.0706
    (
        "us54tools",
        _rec("us54tools", "gpt-5.4", CHAT, "us", tool_calls={"web_search": 2}),
        {"data_residency": "us", "web_search_calls": 2},
        D("0.0706"),
    ),
    # batch on an eu. host: genai-prices' gpt-5.4 batch row (from 2026-10-14) $1.25 / $0.13 / $7.50:
    # 6000 x 1.25 + 4000 x 0.13 + 2000 x 7.5 = 7,500 + 520 + 15,000 = 23,020 -> $0.02302 x 1.10 = $0.025322
    (
        "eu54batch",
        _rec("eu54batch", "gpt-5.4", CHAT, "eu", batch=True),
        {"data_residency": "eu", "batch": True},
        D("0.025322"),
    ),
    # long context (over 272K input) on an eu. host: 2x input, 1.5x output = $5 / $0.50 / $22.50, then x 1.10:
    # 200,000 x 5 + 100,000 x 0.50 + 1,000 x 22.5 = 1,000,000 + 50,000 + 22,500 = $1.0725 -> $1.17975
    (
        "eu54lc",
        _rec(
            "eu54lc",
            "gpt-5.4",
            {
                "input_tokens": 300_000,
                "output_tokens": 1000,
                "input_tokens_details": {"cached_tokens": 100_000},
            },
            "eu",
        ),
        {
            "data_residency": "eu",
            "input_tokens": 300_000,
            "cached_tokens": 100_000,
            "output_tokens": 1000,
        },
        D("1.17975"),
    ),
    # the day before the rule's cut-off (2026-03-04), same eu. request: no uplift, $0.046
    (
        "eu54before",
        _rec("eu54before", "gpt-5.4", CHAT, "eu", ts="2026-03-04T23:59:59Z"),
        {"data_residency": "eu", "ts": "2026-03-04T23:59:59Z"},
        BASE_54,
    ),
    # gpt-realtime-2.1 (LiteLLM #32387) audio on an eu. host: text $4 / $0.40 / $24, audio $32 / $0.40 / $64;
    # text in 2000-600-(1500-400) = 300 x 4 = 1,200; cached text 200 x 0.40 = 80; audio in 1100 x 32 = 35,200;
    # cached audio 400 x 0.40 = 160; text out 200 x 24 = 4,800; audio out 800 x 64 = 51,200
    # = 92,640 / 1M = $0.09264 x 1.10 = $0.101904
    (
        "eu_rt",
        _rec(
            "eu_rt",
            "gpt-realtime-2.1",
            {
                "input_tokens": 2000,
                "output_tokens": 1000,
                "input_token_details": {
                    "text_tokens": 500,
                    "audio_tokens": 1500,
                    "cached_tokens": 600,
                    "cached_tokens_details": {"text_tokens": 200, "audio_tokens": 400},
                },
                "output_token_details": {"text_tokens": 200, "audio_tokens": 800},
            },
            "eu",
            endpoint="realtime",
        ),
        {
            "data_residency": "eu",
            "input_tokens": 2000,
            "cached_tokens": 600,
            "cached_audio_tokens": 400,
            "audio_input_tokens": 1500,
            "output_tokens": 1000,
            "audio_output_tokens": 800,
        },
        D("0.101904"),
    ),
]


def _flat(rid: str, rec: dict, cols: dict) -> dict:
    base = {
        "request_id": rid,
        "ts": TS,
        "model": rec["model"],
        "input_tokens": 10_000,
        "cached_tokens": 4000,
        "output_tokens": 2000,
    }
    return {**base, **cols}


@pytest.mark.parametrize("path", ["jsonl", "lines", "csv", "parquet", "spool"])
def test_uplift_through_every_ingest_path(con, tmp_path, path):
    _write(
        path,
        tmp_path,
        con,
        [s[1] for s in SCENARIOS],
        [_flat(rid, rec, cols) for rid, rec, cols, _ in SCENARIOS],
    )
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    for rid, _, _, expected in SCENARIOS:
        assert cost_of(con, rid) == expected, rid


def test_jsonl_fast_path_is_taken_with_residency(con, tmp_path):
    f = tmp_path / "log.jsonl"
    f.write_text("".join(json.dumps(s[1]) + "\n" for s in SCENARIOS))
    called = []
    orig = ingest.commit_staged
    ingest.commit_staged = lambda *a, **k: called.append(1) or orig(*a, **k)
    try:
        r = ingest.ingest_file(con, f)
    finally:
        ingest.commit_staged = orig
    assert r.ingested == len(SCENARIOS) and not called
    assert cost_of(con, "eu54") == D("0.0506")


def test_uplift_is_its_own_part_and_the_parts_add_up(con):
    ingest.ingest_lines(con, [json.dumps(s[1]) for s in SCENARIOS], source="t")
    rows = con.execute(
        "SELECT r.request_id, r.cost_usd, sum(p.cost_usd), "
        "sum(p.cost_usd) FILTER (WHERE p.part = 'residency_uplift') "
        "FROM requests_priced r LEFT JOIN request_cost_parts p USING (request_id) GROUP BY ALL"
    ).fetchall()
    uplift = {rid: u for rid, _, _, u in rows}
    for rid, total, parts, _ in rows:
        assert parts == total, rid
    assert uplift["eu54"] == D("0.0046")  # 10 % of $0.046
    assert uplift["us54tools"] == D(
        "0.0046"
    )  # 10 % of the tokens only, not of the $0.02 web-search fee
    assert uplift["eu5"] is None and uplift["gl54"] is None and uplift["eu54before"] is None


def test_uplift_rounds_once_per_request_half_up(con):
    """An override makes gpt-5.4 cost 5e-15 USD per input token: 1 token = 5 fUSD, x 1.10 = 5.5 -> 6 fUSD
    (half-up; half-even would give 6 as well for 5.5, so 3 tokens: 15 x 1.10 = 16.5 -> 17, half-even 16)."""
    catalog.materialise(
        con,
        {
            "pricing": {
                "models": [
                    {
                        "model": "gpt-5.4",
                        "input": "0.000000005",
                        "output": "0",
                        "effective_from": "2026-11-01",
                    }
                ]
            }
        },
    )
    usage = {"prompt_tokens": 3, "completion_tokens": 0}
    ingest.ingest_lines(
        con,
        [json.dumps(_rec("r3", "gpt-5.4", usage, "eu")), json.dumps(_rec("r3g", "gpt-5.4", usage))],
        source="t",
    )
    assert cost_of(con, "r3g") == D("15e-15")
    assert cost_of(con, "r3") == D("17e-15")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "spendwatch", *args], capture_output=True, text=True
    )


def test_explain_and_prices_show_the_uplift(tmp_path):
    f = tmp_path / "log.jsonl"
    f.write_text(json.dumps(SCENARIOS[0][1]) + "\n")
    db = str(tmp_path / "x.duckdb")
    assert _cli("ingest", str(f), "--db", db).returncode == 0
    out = _cli("explain", "eu54", "--db", db)
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if "residency_uplift" in x)
    assert "residency_uplift (eu): +10 % of $0.046 token cost = $0.0046" in line
    assert "LiteLLM #31136" in line  # its source
    assert "total: $0.0506" in out.stdout
    js = json.loads(_cli("explain", "eu54", "--db", db, "--format", "json").stdout)
    part = next(p for p in js["parts"] if p["part"].startswith("residency_uplift"))
    assert D(str(part["rate"])) == D("0.1") and D(str(part["cost_usd"])) == D("0.0046")
    prices = _cli("prices", "gpt-5.4", "--db", db, "--at", "2026-11-02")
    assert "data residency (eu./us. API hosts): +10 % on every token part" in prices.stdout
    old = _cli("prices", "gpt-5", "--db", db, "--at", "2026-11-02")
    assert "data residency" not in old.stdout


class _ToFake(httpx2.HTTPTransport):
    """Sends what the SDK addresses to eu.api.openai.com over real HTTP to the local fake server."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return super().handle_request(request)


def test_instrumented_sdk_on_an_eu_host_is_uplifted(con, tmp_path):
    spool = tmp_path / "spool"
    with FakeOpenAI() as server:
        port = int(server.base_url.split(":")[2].split("/")[0])
        client = inst.instrument(
            openai.OpenAI(
                api_key="sk-test-residency-0123456789",
                data_residency="eu",  # eu.api.openai.com
                max_retries=0,
                http_client=httpx2.Client(transport=_ToFake(port)),
            ),
            spool_dir=spool,
        )
        msg = [{"role": "user", "content": "hi"}]
        client.chat.completions.create(model="echo:gpt-5.4", messages=msg)
        client.chat.completions.create(model="gpt-4o", messages=msg)  # answers as gpt-4o-2024-08-06
        inst.flush()
        headers = {k.lower(): v for k, v in server.calls[-1]["headers"].items()}
        assert headers["host"] == "eu.api.openai.com"  # the SDK addressed the eu. host
    spool_mod.drain(con, spool)
    rows = dict(con.execute("SELECT model, data_residency FROM requests").fetchall())
    assert rows == {"gpt-5.4": "eu", "gpt-4o-2024-08-06": "eu"}
    cost = dict(con.execute("SELECT model, cost_usd FROM requests_priced").fetchall())
    # the fixture's usage: 2,006 prompt (1,920 cached), 300 completion.
    # gpt-5.4: 86 x 2.50 + 1920 x 0.25 + 300 x 15 = 215 + 480 + 4,500 = 5,195 / 1M = $0.005195, x 1.10 = $0.0057145
    assert cost["gpt-5.4"] == D("0.0057145")
    # gpt-4o-2024-08-06 (2024): $2.50 / $1.25 / $10, no uplift: 215 + 2,400 + 3,000 = $0.005615
    assert cost["gpt-4o-2024-08-06"] == D("0.005615")
