"""Bad input is one line on stderr, never a traceback: exit 2 for usage, 1 for a command that
failed (issue 14 item 10). Each case runs `python -m spendwatch` as a child process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CASES = [
    # (arguments, exit code, a word the line must hold)
    (
        ["alerts", "add", "big", "--budget", "1e30", "--channel", "log"],
        1,
        "budget must be less than",
    ),
    (["alerts", "add", "nan", "--budget", "nan", "--channel", "log"], 1, "finite"),
    (["alerts", "add", "inf", "--budget", "inf", "--channel", "log"], 1, "finite"),
    (["alerts", "add", "neg", "--budget", "-5", "--channel", "log"], 1, "more than 0"),
    (
        ["alerts", "add", "spk", "--kind", "spike", "--spike-factor", "1e308", "--channel", "log"],
        1,
        "spike factor",
    ),
    (
        [
            "alerts",
            "add",
            "old",
            "--kind",
            "sync-stale",
            "--stale-hours",
            "99999999",
            "--channel",
            "log",
        ],
        1,
        "stale",
    ),
    (["quarantine", "--limit", "-1"], 2, "--limit"),
    (["alerts", "events", "--limit", "-1"], 2, "--limit"),
    (["prices", "--config", "nosuch.toml"], 1, "config file not found: nosuch.toml"),
    (["prices", "--config", "bad.toml"], 1, "not valid TOML"),
    (["alerts", "list", "--config", "bad.toml"], 1, "not valid TOML"),
    (
        ["ingest", "out.jsonl", "--format", "openai-batch", "--input", "nosuch.jsonl"],
        1,
        "nosuch.jsonl",
    ),
    (["serve", "--port", "99999"], 2, "--port"),
    (["serve", "--host", "not a host"], 2, "--host"),
    (["demo", "--no-serve", "--port", "0"], 2, "--port"),
    (["nosuchcommand"], 2, "No such command"),
]


@pytest.mark.parametrize("args, code, words", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_one_line_never_a_traceback(tmp_path, args, code, words):
    (tmp_path / "bad.toml").write_text("x = [\n")
    (tmp_path / "out.jsonl").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPENDWATCH_", "OPENAI_"))}
    r = subprocess.run(
        [sys.executable, "-m", "spendwatch", *args, "--db", str(tmp_path / "e.duckdb")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert r.returncode == code, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], r.stderr
    assert lines[0].startswith("spendwatch")
