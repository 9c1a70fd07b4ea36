"""`spendwatch replay` against the deterministic fake models (tests/fake_openai.py): every count,
ratio and dollar below is worked out by hand from the fake's rules and published prices
(per 1M tokens: gpt-4o-mini $0.15 in / $0.60 out; gpt-4o $2.50 / $10.00; text-embedding-3-small $0.02).

The ten captured prompts (original model gpt-4o; tokens are words):
  q1 easy, q2 easy, q3 easy, q4 easy, q10 easy  original "answer k answer k" (4), mini 6 words, cosine 1 -> tie
  q5 hard     original 4 words; mini "I do not know this one" (6): cosine < 0.9 -> judge: original both times -> loss
  q6 odd      original 4; mini "answer 7 answer 7 answer 7" (6): cosine 0.5 -> judge: split (position bias) -> tie
  q7 riddle   original "I do not know this one" (6); mini 6 words with a digit -> judge: mini both times -> win
  q8 label    "positive" (1) both -> exact -> tie
  q9 label hard  "positive" vs mini "negative" (1) -> exact -> loss
win 1, tie 7, loss 2; n = 10.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest
from openai import OpenAI

import spendwatch
from tests.fake_openai import FakeOpenAI, Handler, deterministic, fail_after

PROMPTS = [
    "q1 easy",
    "q2 easy",
    "q3 easy",
    "q4 easy",
    "q5 hard",
    "q6 odd",
    "q7 riddle",
    "q8 label",
    "q9 label hard",
    "q10 easy",
]
M = D(1_000_000)
# Input tokens: nine 2-word prompts and one 3-word prompt = 21 (the same prompts replayed on mini).
# Original output: 5 easy x 4 + hard 4 + odd 4 + riddle 6 + label 1 + label hard 1 = 36.
# Mini output: 5 easy x 6 + hard 6 + odd 6 + riddle 6 + 1 + 1 = 50  -> output ratio 50 / 36 = 1.3889.
REPLAY = (21 * D("0.15") + 50 * D("0.60")) / M  # 0.00003315
JUDGE = (
    6 * 100 * D("2.50") + 6 * 1 * D(10)
) / M  # 3 judged samples x 2 orders, 100 in / 1 out: 0.00156
EMBED = (5 * (4 + 6) + (4 + 6) + (4 + 6) + (6 + 6)) * D("0.02") / M  # 82 words embedded: 0.00000164
# Estimate: replays 21 x 0.15 + 36 x 0.60 = 24.75; embeddings 2 x 36 x 0.02 = 1.44;
# judge 2 x (21 + 2 x 36 + 10 x 60) x 2.50 + 2 x 10 x 1 x 10.00 = 3465 + 200 = 3665 (all per 1M)
ESTIMATE = (D("24.75") + D("1.44") + D(3665)) / M  # 0.00369119
# Wilson 95 % for 8 of 10: centre (0.8 + 1.96^2/20) / (1 + 1.96^2/10) = 0.7167,
# half 1.96 sqrt(0.016 + 1.96^2/400) / 1.3841 = 0.2265 -> 49.0 % .. 94.3 %


def cli_proc(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    """The real command in a child process (exit codes, one-line errors)."""
    r = subprocess.run(
        [sys.executable, "-m", "spendwatch", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert r.returncode == 0, r.stderr
    return r


def cli(*args: str, env: dict, check: bool = True):
    """The same command in this process (the machine is shared: a child costs seconds to start)."""
    from typer.testing import CliRunner

    from spendwatch.cli import app
    from spendwatch.errors import SpendwatchError

    r = CliRunner().invoke(
        app,
        list(args),
        env={k: v for k, v in env.items() if k.startswith(("OPENAI_", "SPENDWATCH_"))},
    )
    if isinstance(r.exception, SpendwatchError):
        r.stderr_text = f"spendwatch: error: {r.exception}"
        r.returncode = 1
    else:
        r.stderr_text, r.returncode = r.stderr, r.exit_code
    if check:
        assert r.returncode == 0, (r.output, r.exception)
    return r


@pytest.fixture
def fake():
    with FakeOpenAI() as f:
        deterministic(f)
        yield f


def capture(fake: FakeOpenAI, db: Path, prompts: list[str], feature: str = "search", **kw) -> None:
    """The team's app: an instrumented client capturing every call (capture=1.0)."""
    client = spendwatch.instrument(
        OpenAI(api_key="sk-test", base_url=fake.base_url),
        feature=feature,
        capture=1.0,
        spool_dir=db.with_name(db.name + ".spool"),
        **kw,
    )
    for p in prompts:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": p}])
    spendwatch.flush()


def env_for(fake: FakeOpenAI, db: Path) -> dict:
    return {
        **os.environ,
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": fake.base_url,
        "SPENDWATCH_DB": str(db),
    }


def replay_json(env: dict, *extra: str) -> dict:
    r = cli(
        "replay",
        "--feature",
        "search",
        "--to",
        "gpt-4o-mini",
        "--judge",
        "gpt-4o",
        "--format",
        "json",
        *extra,
        env=env,
    )
    return json.loads(r.stdout)


def check_figures(out: dict, *, batch: bool = False) -> None:
    assert (out["samples"], out["win"], out["tie"], out["loss"]) == (10, 1, 7, 2)
    assert out["tie_or_better_pct"] == 80.0
    assert (out["ci_low_pct"], out["ci_high_pct"]) == (49.0, 94.3)
    assert out["output_ratio"] == pytest.approx(1.389, abs=0.001)  # 50 / 36
    assert out["original_latency_ms_median"] > 0  # captured with the sample
    assert (out["latency_ms_median"] is None) if batch else (out["latency_ms_median"] > 0)
    replay = REPLAY / 2 if batch else REPLAY
    assert D(str(out["replay_cost_usd"])) == replay + JUDGE + EMBED
    assert sorted(s["prompt"] for s in out["lost_samples"]) == ["q5 hard", "q9 label hard"]
    for key in (
        "samples",
        "win",
        "tie",
        "loss",
        "tie_or_better_pct",
        "ci_low_pct",
        "ci_high_pct",
        "output_ratio",
        "estimated_cost_usd",
        "replay_cost_usd",
        "lost_samples",
    ):
        assert key in out


def test_replay_reports_hand_counted_quality_ratio_and_cost(fake, db_path):
    capture(fake, db_path, PROMPTS)
    env = env_for(fake, db_path)
    out = replay_json(env)
    check_figures(out)
    assert D(str(out["estimated_cost_usd"])) == ESTIMATE
    # replays never count as production spend: only the ten captured calls are requests
    cli("ingest", "--spool", env=env)
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.execute(
        "SELECT count(*), count(*) FILTER (WHERE model = 'gpt-4o') FROM requests"
    ).fetchone() == (10, 10)
    con.close()
    mini = [c for c in fake.calls if c["body"].get("model") == "gpt-4o-mini"]
    assert len(mini) == 10 and all(
        c["headers"].get("x-spendwatch-replay") == out["run_id"] for c in mini
    )
    assert all(c["body"]["messages"][0]["content"] in PROMPTS for c in mini)  # same messages


def test_estimate_dry_run_and_refusal_above_max_usd(fake, db_path):
    capture(fake, db_path, PROMPTS)
    env = env_for(fake, db_path)
    r = cli(
        "replay",
        "--feature",
        "search",
        "--to",
        "gpt-4o-mini",
        "--judge",
        "gpt-4o",
        "--dry-run",
        env=env,
    )
    assert "will cost about $0.0037" in r.stdout  # ESTIMATE = $0.00369119
    r = cli_proc(
        "replay",
        "--feature",
        "search",
        "--to",
        "gpt-4o-mini",
        "--judge",
        "gpt-4o",
        "--max-usd",
        "0.003",
        env=env,
        check=False,
    )
    assert r.returncode == 1
    assert (
        r.stderr.strip().count("\n") == 0
        and "above --max-usd" in r.stderr
        and "Traceback" not in r.stderr
    )
    assert not [
        c for c in fake.calls if c["body"].get("model") == "gpt-4o-mini"
    ]  # nothing was sent
    r = cli(
        "replay",
        "--feature",
        "search",
        "--to",
        "gpt-4o-mini",
        env={**env, "OPENAI_API_KEY": ""},
        check=False,
    )
    assert r.returncode == 1 and "OPENAI_API_KEY" in r.stderr_text


def test_429_in_the_middle_is_retried(fake, db_path):
    capture(fake, db_path, PROMPTS)
    fail_after(
        "gpt-4o-mini", 4, status=429, times=1
    )  # the 5th replay call gets a 429 (retry-after: 0)
    fail_after(
        "gpt-4o", 12, status=500, times=1
    )  # and the 2nd judge call a 500 (10 captured calls before)
    out = replay_json(env_for(fake, db_path), "--concurrency", "1")
    check_figures(out)  # neither error is billed, the figures are as without them
    assert Handler.model_calls["gpt-4o-mini"] == 11  # 10 replays + 1 retry
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.execute("SELECT sum(retries) FROM replay_results").fetchone()[0] == 2
    con.close()


@pytest.mark.integration
def test_killed_halfway_and_resumed_pays_nothing_twice(fake, db_path):
    prompts = [f"q{k} easy" for k in range(1, 21)]
    capture(fake, db_path, prompts)
    Handler.model_delay = {"gpt-4o-mini": 0.15}
    env = env_for(fake, db_path)
    args = [
        sys.executable,
        "-m",
        "spendwatch",
        "replay",
        "--feature",
        "search",
        "--to",
        "gpt-4o-mini",
        "--concurrency",
        "2",
        "--format",
        "json",
    ]
    child = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while Handler.model_calls.get("gpt-4o-mini", 0) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    sent_before = Handler.model_calls["gpt-4o-mini"]
    con = duckdb.connect(str(db_path))
    stored = con.execute("SELECT count(*) FROM replay_results").fetchone()[0]
    assert con.execute("SELECT status FROM replay_runs").fetchall() == [("running",)]
    con.close()
    assert 0 < stored < 20
    Handler.model_delay = {}
    r = cli_proc(
        "replay",
        "--feature",
        "search",
        "--to",
        "gpt-4o-mini",
        "--concurrency",
        "2",
        "--format",
        "json",
        env=env,
    )
    assert "resuming rp_" in r.stderr and f"{stored} of 20 done" in r.stderr
    out = json.loads(r.stdout)
    # the finished samples are not sent again: only the 20 - stored left
    assert Handler.model_calls["gpt-4o-mini"] - sent_before == 20 - stored
    assert (out["samples"], out["tie"], out["output_ratio"]) == (
        20,
        20,
        1.5,
    )  # 6 words for 4, every one
    # 20 replays of 2 in / 6 out on mini, 20 embeddings of 4 + 6 words, whatever was sent twice
    assert (
        D(str(out["replay_cost_usd"]))
        == (20 * 2 * D("0.15") + 20 * 6 * D("0.60") + 20 * 10 * D("0.02")) / M
    )


def test_batch_path_half_price_and_status_resumes(fake, db_path):
    capture(fake, db_path, PROMPTS)
    Handler.batch_polls = 2  # the first status check finds it in progress
    env = env_for(fake, db_path)
    r = cli(
        "replay",
        "--feature",
        "search",
        "--to",
        "gpt-4o-mini",
        "--judge",
        "gpt-4o",
        "--batch",
        env=env,
    )
    assert "submitted batch batch_det" in r.stdout
    # the estimate halves the replays: 24.75 / 2 + 1.44 + 3665 per 1M
    assert "will cost about $0.0037" in r.stdout
    assert not [c for c in fake.calls if c["body"].get("model") == "gpt-4o-mini"]  # nothing live
    upload = [c for c in fake.calls if c["path"].endswith("/files")]
    assert upload and upload[0]["body"]["purpose"] == "batch"
    r = cli("replay", "status", env=env)
    assert "in_progress" in r.stdout
    r = cli("replay", "status", "--format", "json", env=env)
    (out,) = json.loads(r.stdout)
    assert out["mode"] == "batch" and out["status"] == "done"
    check_figures(out, batch=True)
    assert Handler.model_calls["batch:gpt-4o-mini"] == 10
    assert D(str(out["estimated_cost_usd"])) == (D("24.75") / 2 + D("1.44") + D(3665)) / M
    r = cli("replay", "status", "--format", "json", env=env)  # nothing collected twice
    assert (
        Handler.model_calls["batch:gpt-4o-mini"] == 10 and json.loads(r.stdout)[0]["samples"] == 10
    )


def test_redaction_key_and_email_never_reach_the_database(fake, db_path):
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
    prompts = [
        f"q1 easy reach me at jane.doe@example.com with key {secret}",
        "q2 easy Authorization: Bearer abc.def-ghi_jkl123 ticket ACME-4242",
    ]
    capture(fake, db_path, prompts, redact=lambda t: t.replace("ACME-4242", "[REDACTED:ticket]"))
    spool = db_path.with_name(db_path.name + ".spool") / "samples"
    on_disk = "".join(p.read_text() for p in spool.glob("*.json"))
    env = env_for(fake, db_path)
    cli("samples", "list", env=env)  # drains the sample spool into the database
    con = duckdb.connect(str(db_path), read_only=True)
    stored = json.dumps(con.execute("SELECT request, answer FROM samples").fetchall())
    con.close()
    raw = db_path.read_bytes() + (
        db_path.with_name(db_path.name + ".wal").read_bytes()
        if db_path.with_name(db_path.name + ".wal").exists()
        else b""
    )
    for text in (on_disk, stored):
        assert (
            secret not in text
            and "jane.doe@example.com" not in text
            and "abc.def-ghi_jkl123" not in text
        )
        assert "ACME-4242" not in text
        assert (
            "[REDACTED:key]" in text and "[REDACTED:email]" in text and "[REDACTED:ticket]" in text
        )
    assert secret.encode() not in raw and b"jane.doe@example.com" not in raw
