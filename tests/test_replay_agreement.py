"""The agreement checks and the statistics, with values worked out by hand; and a replay of
structured-output samples (response_format) against the deterministic fake models."""

from __future__ import annotations

import json

import pytest
from openai import OpenAI

import spendwatch
from spendwatch import samples
from spendwatch.replay import agreement, runs
from tests.fake_openai import FakeOpenAI, deterministic


def test_method_for_each_kind_of_answer():
    assert agreement.method_for({"response_format": {"type": "json_object"}}, '{"a": 1}') == "json"
    assert (
        agreement.method_for(
            {"tools": [{"type": "function"}]}, '[{"name": "f", "arguments": "{}"}]'
        )
        == "json"
    )
    assert agreement.method_for({"response_format": {"type": "text"}}, "positive") == "exact"
    assert agreement.method_for({}, "Positive ") == "exact"
    assert agreement.method_for({}, "a longer free text answer") == "embedding"


def test_json_and_tool_calls_compare_field_by_field():
    # tool-call arguments are parsed: key order and spacing do not matter
    a = json.dumps([{"name": "search", "arguments": '{"q": "x", "n": 3}'}])
    b = json.dumps([{"name": "search", "arguments": '{"n":3,"q":"x"}'}])
    assert agreement.json_agreement(a, b) == (True, 1.0)
    # 1 of 2 fields equal
    assert agreement.json_agreement('{"answer": 1, "ok": true}', '{"answer": 2, "ok": true}') == (
        False,
        0.5,
    )
    assert agreement.json_agreement('{"answer": 1}', "not json") == (None, 0.0)
    assert agreement.exact_agreement("Positive", " positive ")


def test_pairwise_verdict_both_orders():
    # (original shown as A, target shown as A)
    assert agreement.pairwise_verdict("B", "A") == "win"  # target preferred in both orders
    assert agreement.pairwise_verdict("A", "B") == "loss"
    assert agreement.pairwise_verdict("A", "A") == "tie"  # position bias: split
    assert agreement.pairwise_verdict("B", "B") == "tie"
    assert agreement.pairwise_verdict(None, "A") == "tie"


def test_wilson_and_ratio_interval():
    # 8 of 10: 0.4902 .. 0.9433 (worked in tests/test_replay.py); 0 of 10: 0 .. 1.96^2/(10 + 1.96^2) = 0.2775
    lo, hi = agreement.wilson(8, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.4902, 0.9433)
    lo, hi = agreement.wilson(0, 10)
    assert lo == 0 and hi == pytest.approx(3.8415 / 13.8415, abs=1e-4)
    assert agreement.wilson(0, 0) == (0.0, 0.0)
    # x = (4, 4), y = (6, 4): R = 10 / 8 = 1.25; residuals 1, -1; var 2 / 1 = 2;
    # half = 1.96 sqrt(2 / 2) / 4 = 0.49
    lo, hi = agreement.ratio_interval(1.25, 2.0, 2, 4.0)
    assert (round(lo, 2), round(hi, 2)) == (0.76, 1.74)
    assert agreement.ratio_interval(1.5, 0.0, 5, 4.0) == (1.5, 1.5)


def test_structured_output_samples(con, db_path):
    with FakeOpenAI() as fake:
        deterministic(fake)
        client = OpenAI(api_key="sk-test", base_url=fake.base_url)
        app = spendwatch.instrument(
            OpenAI(api_key="sk-test", base_url=fake.base_url),
            feature="extract",
            capture=1.0,
            spool_dir=db_path.with_name(db_path.name + ".spool"),
        )
        for p in ("q1 easy", "q2 hard", "q3 easy"):
            app.chat.completions.create(
                model="gpt-4o",
                messages=[{"role": "user", "content": p}],
                response_format={"type": "json_object"},
            )
        spendwatch.flush()
        samples.drain(con, samples.spool_dir(db_path.with_name(db_path.name + ".spool")))
        plan = runs.Plan(feature="extract", target="gpt-4o-mini", sample=3)
        run = runs.create_run(con, plan, runs.draw(con, "extract", 3), estimated=0, at=store_now())
        runs.run_live(con, run, concurrency=2, now=store_now, client=client)
        sent = [c["body"] for c in fake.calls if c["body"].get("model") == "gpt-4o-mini"]
    # the response format goes with the replay; q2 hard: {"answer": 3} against {"answer": 2} -> loss
    assert len(sent) == 3 and all(b["response_format"] == {"type": "json_object"} for b in sent)
    rows = con.execute(
        "SELECT method, verdict, score FROM replay_results ORDER BY verdict"
    ).fetchall()
    assert rows == [("json", "loss", 0.5), ("json", "tie", 1.0), ("json", "tie", 1.0)]


def store_now():
    from datetime import datetime

    return datetime(2026, 12, 3, 9, 0)
