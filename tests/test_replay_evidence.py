"""A stored replay is evidence for the what-if: it sets --output-ratio and --escalate for its feature
and target, and `whatif`, `recommend` and the What-if page show it (or "unverified" + the command).

Traffic (by hand, gpt-4o $2.50 / $10 per 1M, gpt-4o-mini $0.15 / $0.60): one `search` request on
gpt-4o-2024-08-06 on 2026-11-10 with 1M input and 1M output tokens: $12.50.
Replay (deterministic fake, no judge): q1..q4 easy -> tie (cosine 1), q5 hard -> loss (cosine < 0.9).
Output 4 x 6 + 6 = 30 words against 5 x 4 = 20: ratio 1.5; loss rate 1 / 5 = 0.2.
Wilson 95 % for 4 of 5: centre (0.8 + 1.96^2/10) / (1 + 1.96^2/5) = 0.6697,
half 1.96 sqrt(0.032 + 1.96^2/100) / 1.7683 = 0.2941 -> 37.6 % .. 96.4 %.
What-if on gpt-4o-mini with that evidence: 1M x 0.15 + 1.5M x 0.60 + 0.2 x 12.50 = 0.15 + 0.90 + 2.50 = 3.55;
saves 8.95 over the 30 days of November, so $8.95 a month.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from openai import OpenAI
from typer.testing import CliRunner

from spendwatch import ingest, recommend, runtime, store
from spendwatch.cli import app
from spendwatch.replay import evidence, runs
from tests.fake_openai import FakeOpenAI, deterministic
from tests.helpers import chat_record
from tests.test_replay import capture

RUN_AT = datetime(2026, 12, 3, 9, 0)
SENTENCE = (
    "quality: 80 % tie-or-better (38–96 %, n=5, checked by exact, JSON and embedding match on 2026-12-03); "
    "answers 1.50× as long"
)


@pytest.fixture
def replayed(tmp_path) -> Path:
    db = tmp_path / "ev.duckdb"
    with FakeOpenAI() as fake:
        deterministic(fake)
        capture(fake, db, ["q1 easy", "q2 easy", "q3 easy", "q4 easy", "q5 hard"])
        from spendwatch import samples
        from spendwatch.pricing import catalog

        con = store.connect(db)
        catalog.materialise(con)
        samples.drain(con, samples.spool_dir(db.with_name(db.name + ".spool")))
        ingest.ingest_lines(
            con,
            [
                chat_record(
                    "r1",
                    "gpt-4o-2024-08-06",
                    1_000_000,
                    1_000_000,
                    feature="search",
                    ts="2026-11-10T10:00:00Z",
                ),
                chat_record(
                    "r2",
                    "gpt-4o-2024-08-06",
                    1_000,
                    1_000,
                    feature="chat",
                    ts="2026-11-10T10:00:00Z",
                ),
            ],
            source="t",
        )
        plan = runs.Plan(feature="search", target="gpt-4o-mini", sample=5)
        ids = runs.draw(con, "search", 5)
        run = runs.create_run(con, plan, ids, estimated=D(0), at=RUN_AT)
        runs.run_live(
            con,
            run,
            concurrency=2,
            now=lambda: RUN_AT,
            client=OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0),
        )
        con.close()
    return db


def _whatif(db: Path, *extra: str) -> dict:
    r = CliRunner().invoke(
        app,
        [
            "whatif",
            "--to",
            "gpt-4o-mini",
            "--feature",
            "search",
            "--from-date",
            "2026-11-01",
            "--to-date",
            "2026-11-30",
            "--db",
            str(db),
            *extra,
        ],
    )
    assert r.exit_code == 0, r.output
    return r


def test_evidence_sets_output_ratio_and_escalation(replayed):
    con = store.connect(replayed)
    ev = evidence.latest(con, "search", "gpt-4o-mini")
    assert (ev.samples, ev.output_ratio, ev.loss_rate) == (5, D("1.5"), D("0.2"))
    assert ev.sentence() == SENTENCE
    assert evidence.latest(con, "chat", "gpt-4o-mini") is None
    con.close()
    out = json.loads(_whatif(replayed, "--format", "json").stdout)
    assert D(str(out["current_cost_usd"])) == D("12.5")
    assert D(str(out["simulated_cost_usd"])) == D("3.55")
    assert any("from replay rp_" in a and "answer length 1.5x" in a for a in out["assumptions"])
    # typed-in values win over the evidence: 0.15 + 0.60 = 0.75
    out = json.loads(
        _whatif(replayed, "--format", "json", "--output-ratio", "1", "--escalate", "0").stdout
    )
    assert D(str(out["simulated_cost_usd"])) == D("0.75")
    r = _whatif(replayed)
    assert f"search → gpt-4o-mini saves $8.95/month; {SENTENCE}" in r.stdout


def test_whatif_without_a_replay_says_unverified(replayed):
    r = CliRunner().invoke(
        app,
        [
            "whatif",
            "--to",
            "gpt-4o-mini",
            "--feature",
            "chat",
            "--from-date",
            "2026-11-01",
            "--to-date",
            "2026-11-30",
            "--db",
            str(replayed),
        ],
    )
    assert r.exit_code == 0, r.output
    assert (
        "chat → gpt-4o-mini saves" in r.stdout
        and "quality unverified — run "
        "`spendwatch replay --feature chat --to gpt-4o-mini --sample 200`"
        in r.stdout
    )


def test_recommend_shows_the_evidence(replayed):
    con = store.connect(replayed)
    rows = recommend.recommend(
        con, start=datetime(2026, 11, 1), end=datetime(2026, 12, 1), now=RUN_AT
    )
    con.close()
    (search,) = [r for r in rows if r["kind"] == "cheaper model" and r["feature"] == "search"]
    assert search["monthly_savings_usd"] == D(
        "8.95"
    )  # priced with the measured ratio and loss rate
    assert search["quality"] == f"search → gpt-4o-mini saves $8.95/month; {SENTENCE}"
    (chat,) = [r for r in rows if r["kind"] == "cheaper model" and r["feature"] == "chat"]
    assert "quality unverified" in chat["quality"]


def test_whatif_page_shows_the_evidence(replayed, monkeypatch):
    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parents[1] / "dashboard"
    page = next(
        p for p in (root / "views" / "whatif.py", root / "pages" / "whatif.py") if p.exists()
    )
    monkeypatch.setenv("SPENDWATCH_DB", str(replayed))
    runtime.reset()
    harness = (
        "import runpy\nimport streamlit as st\nfrom spendwatch.dashboard import sidebar\nsidebar.render()\n"
        "runpy.run_path(st.session_state['_test_page'], run_name='__main__')\n"
    )
    at = AppTest.from_string(harness, default_timeout=60)
    at.session_state["_test_page"] = str(page)
    at.session_state["sw_range"] = (date(2026, 11, 1), date(2026, 11, 30))
    at.session_state["sw_whatif_features"] = ["search"]
    at.session_state["sw_whatif_target"] = "gpt-4o-mini"
    at.session_state["sw_whatif_recs"] = False
    at.run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.text]
    # the page's sentence prices the move with the measured ratio and loss rate: $8.95 a month (above)
    want = f"search → gpt-4o-mini saves $8.95/month (answer length and escalation as measured); {SENTENCE}"
    assert want in captions, captions
    # the sliders start at the measured values (1.5x, 20 %), so the page's own figure is $3.55 too
    assert at.slider(key="sw_whatif_output").value == 1.5
    assert at.slider(key="sw_whatif_escalate").value == 20
    assert [m.value for m in at.metric if m.label == "Simulated cost"] == ["$3.55"]
    # moving a slider overrides the evidence and stays moved: 1M x 0.15 + 1M x 0.60 = $0.75
    at.slider(key="sw_whatif_output").set_value(1.0)
    at.slider(key="sw_whatif_escalate").set_value(0)
    at.run()
    assert [m.value for m in at.metric if m.label == "Simulated cost"] == ["$0.75"]
    at.session_state["sw_whatif_features"] = []
    at.run()
    assert any("quality on gpt-4o-mini unverified" in c.value for c in at.text)
    runtime.reset()


@pytest.mark.parametrize(
    ("ratio", "loss", "want"),
    [
        (D("1.389"), D("0.2"), {"sw_whatif_output": 1.4, "sw_whatif_escalate": 20}),
        (D("5"), D("0.9"), {"sw_whatif_output": 3.0, "sw_whatif_escalate": 50}),
        (D("0.1"), D("0.004"), {"sw_whatif_output": 0.25, "sw_whatif_escalate": 0}),
        (None, D("0.125"), {"sw_whatif_escalate": 12}),
    ],
)
def test_slider_values_snap_to_the_sliders(ratio, loss, want):
    ev = evidence.Evidence(
        "rp_1", "search", "gpt-4o-mini", None, 5, 80.0, 38.0, 96.0, loss, ratio, RUN_AT
    )
    assert evidence.slider_values(ev) == want
