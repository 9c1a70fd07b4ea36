"""Property tests: mutated request-log lines never crash an ingest, and every line is accounted for:
ingested + duplicates + quarantined == lines read. Text carries the characters that broke readers or
outputs before (issue 14): U+2028, U+2029, U+0085 (line breaks to str.splitlines), ESC (terminal
control), a raw CR, and Slack's ``<!channel>`` / ``<url|label>`` markup; half the batches go through
the bytes reader (the spool's), which must split on ``\\n`` only."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spendwatch import ingest, store
from spendwatch.pricing import catalog
from tests.helpers import chat_record

BASE = json.loads(chat_record("x", "gpt-4o", 1200, 150, cached=1024))
ODD = ["\u2028", "\u2029", "\u0085", "\x1b", "\x1b[2J", "\r", "<!channel>", "<!here>",
       "<http://evil.example/login|Billing locked>", "[/oops]", "=cmd|' /C calc'!A0"]
odd_text = st.lists(st.sampled_from(ODD) | st.text(max_size=4), max_size=4).map("".join)
junk = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20) | odd_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
KEYS = ["request_id", "ts", "model", "feature", "batch", "usage", "input_tokens", "cached_tokens", "output_tokens",
        "service_tier", "status", "latency_ms", "tags", "ratelimit"]


@st.composite
def mutated_line(draw) -> str:
    rec = json.loads(json.dumps(BASE))
    rec["request_id"] = draw(st.text(min_size=1, max_size=6))
    for _ in range(draw(st.integers(0, 3))):
        rec[draw(st.sampled_from(KEYS))] = draw(junk)
    if draw(st.booleans()):
        rec["usage"] = {draw(st.sampled_from(["prompt_tokens", "completion_tokens", "prompt_tokens_details",
                                               "input_tokens", "output_tokens"])): draw(junk)}
    if draw(st.booleans()):
        rec[draw(st.sampled_from(["feature", "model", "user_id", "error_type"]))] = draw(odd_text)
    # ensure_ascii=False: U+2028/2029/0085 written raw, as pydantic-core (the spool writer) does
    text = json.dumps(rec, allow_nan=True, ensure_ascii=draw(st.booleans()))
    how = draw(st.sampled_from(["keep", "truncate", "dupkey", "unicode", "garbage", "nan", "rawchar"]))
    if how == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif how == "dupkey":
        text = text[:-1] + ', "model": ' + json.dumps(draw(st.text(max_size=5))) + "}"
    elif how == "unicode":
        text = text.replace("gpt-4o", draw(st.text(min_size=1, max_size=5)))
    elif how == "garbage":
        text = draw(st.text(max_size=60))
    elif how == "nan":
        text = text.replace("1200", draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "1.5", "\"12\""])))
    elif how == "rawchar":  # an odd character anywhere in the line, raw (a CR inside a string is broken JSON)
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(ODD)) + text[at:]
    return text.replace("\n", " ")


_CON = []
LINES_SEEN = [0]


def _con():
    if not _CON:
        c = store.connect(":memory:")
        catalog.materialise(c)
        _CON.append(c)
    return _CON[0]


def _counts(con) -> tuple[int, int]:
    return con.execute("SELECT (SELECT count(*) FROM requests), (SELECT count(*) FROM quarantine)").fetchall()[0]


@pytest.mark.timeout(900)  # 400 batches (10,000+ lines) take ~5 min on a shared 2-core machine
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.lists(mutated_line(), min_size=26, max_size=32), st.booleans())
def test_every_line_is_accounted_for(lines, via_bytes):
    con = _con()
    before = _counts(con)
    source = f"fuzz-{LINES_SEEN[0]}"
    if via_bytes:  # the spool's reader: one blob, split on \n only
        data = "\n".join(lines).encode() + b"\n"
        r = ingest.ingest_bytes(con, data, source=source, kind="spool", unit_key=source)
    else:
        r = ingest.ingest_lines(con, lines, source=source)
    LINES_SEEN[0] += len(lines)
    assert r.lines_read == sum(1 for line in lines if line.strip())
    assert r.ingested + r.duplicates + r.quarantined == r.lines_read
    after = _counts(con)
    assert (after[0] - before[0], after[1] - before[1]) == (r.ingested, r.quarantined)
    con.execute("SELECT sum(cost_usd) FROM requests_priced").fetchall()  # pricing never fails on stored rows


def test_fuzz_volume():
    """Runs after the property test in this module: it saw at least 10,000 mutated lines."""
    assert LINES_SEEN[0] >= 10_000
