"""Replay speed: 200 captured samples replayed on the local OpenAI-format server (tests/fake_openai.py,
deterministic models, keep-alive) at --concurrency 8, through the real `spendwatch replay` command.

    .venv/bin/python bench/replay.py [--samples 200] [--concurrency 8] [--judge]

Prints the wall time of the replay command (a child process, start-up included) and of the replay
itself (from the command's first line to its report). Target: <= 10 s for 200 samples on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openai import OpenAI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import spendwatch  # noqa: E402
from tests.fake_openai import FakeOpenAI, deterministic  # noqa: E402

KINDS = ["easy", "easy", "easy", "hard", "odd", "riddle", "label", "label hard"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument(
        "--judge", action="store_true", help="also judge what the embeddings cannot call"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI(keep_alive=True) as fake:
        deterministic(fake)
        db = Path(tmp) / "bench.duckdb"
        client = spendwatch.instrument(
            OpenAI(api_key="sk-bench", base_url=fake.base_url),
            feature="search",
            capture=1.0,
            spool_dir=db.with_name(db.name + ".spool"),
        )
        for k in range(args.samples):
            client.chat.completions.create(
                model="gpt-4o",
                messages=[
                    {"role": "system", "content": "You answer questions about the catalogue."},
                    {"role": "user", "content": f"q{k} {KINDS[k % len(KINDS)]}"},
                ],
            )
        spendwatch.flush()
        env = {
            **os.environ,
            "OPENAI_API_KEY": "sk-bench",
            "OPENAI_BASE_URL": fake.base_url,
            "SPENDWATCH_DB": str(db),
        }
        subprocess.run(
            [sys.executable, "-m", "spendwatch", "samples", "list"],
            env=env,
            check=True,
            capture_output=True,
        )
        cmd = [
            sys.executable,
            "-m",
            "spendwatch",
            "replay",
            "--feature",
            "search",
            "--to",
            "gpt-4o-mini",
            "--sample",
            str(args.samples),
            "--concurrency",
            str(args.concurrency),
        ]
        if args.judge:
            cmd += ["--judge", "gpt-4o"]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
        first = proc.stdout.readline()
        t1 = time.perf_counter()
        rest = proc.stdout.read()
        proc.wait()
        t2 = time.perf_counter()
        print(first.strip())
        print(rest.split("\n")[0])
        print(f"samples={args.samples} concurrency={args.concurrency} judge={args.judge}")
        from spendwatch import store
        from spendwatch.replay import evidence

        con = store.connect(db, read_only=True)
        evidence.latest(con, "search", "gpt-4o-mini")  # warm
        t3 = time.perf_counter()
        for _ in range(20):
            evidence.lines(con, ["search"], "gpt-4o-mini")
        per = (time.perf_counter() - t3) / 20 * 1000
        con.close()
        print(f"the what-if's evidence sentence (latest replay + its summary): {per:.1f} ms")
        print(
            f"replay command wall time: {t2 - t0:.2f} s (start-up and estimate {t1 - t0:.2f} s, "
            f"replay and report {t2 - t1:.2f} s); target <= 10 s"
        )


if __name__ == "__main__":
    main()
