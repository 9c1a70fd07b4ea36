"""The replay's API calls, through the real ``openai`` SDK with the user's ``OPENAI_API_KEY``.

The client is never instrumented (replays never reach the ``requests`` table, so they never count
as production spend) and every call carries ``X-Spendwatch-Replay: <run id>``. The SDK's own
retries are off: tenacity retries 429 and 5xx with exponential backoff and jitter, never waiting
less than the server's ``retry-after``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

import openai
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from spendwatch.errors import SpendwatchError
from spendwatch.replay import agreement
from spendwatch.samples import REQUEST_FIELDS, answer_of

EMBED_MODEL = "text-embedding-3-small"
ATTEMPTS = 6
BACKOFF = 0.5  # seconds, doubled per attempt (with jitter), at most MAX_WAIT
MAX_WAIT = 30.0
# What a sample keeps, minus `n`: a replay asks for one answer to compare with the one kept.
REPLAY_FIELDS = tuple(f for f in REQUEST_FIELDS if f != "n")


def client() -> openai.OpenAI:
    """The user's client: ``OPENAI_API_KEY`` (and ``OPENAI_BASE_URL`` if set), retries ours."""
    if not os.environ.get("OPENAI_API_KEY"):
        raise SpendwatchError("replay needs an OpenAI API key: set OPENAI_API_KEY")
    return openai.OpenAI(max_retries=0, timeout=120)


def _retryable(e: BaseException) -> bool:
    if isinstance(e, openai.APIConnectionError | openai.APITimeoutError | openai.RateLimitError):
        return True
    return isinstance(e, openai.APIStatusError) and e.status_code >= 500


def _wait(state: Any) -> float:
    """Exponential backoff with jitter, never shorter than the server's retry-after."""
    base = wait_random_exponential(multiplier=BACKOFF, max=MAX_WAIT)(state)
    exc = state.outcome.exception() if state.outcome else None
    response = getattr(exc, "response", None)
    after = response.headers.get("retry-after") if response is not None else None
    try:
        return max(base, float(after)) if after is not None else base
    except ValueError:
        return base


def call(fn: Any, counter: list[int], **kwargs: Any) -> Any:
    """``fn(**kwargs)`` with retries; ``counter[0]`` counts the retries."""
    for attempt in Retrying(
        retry=retry_if_exception(_retryable),
        wait=_wait,
        stop=stop_after_attempt(ATTEMPTS),
        reraise=True,
    ):
        with attempt:
            if attempt.retry_state.attempt_number > 1:
                counter[0] += 1
            return fn(**kwargs)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class Sample:
    sample_id: str
    request: dict[str, Any]
    answer: str | None
    output_tokens: int


def replay_body(sample: Sample, target: str) -> dict[str, Any]:
    """The original request on the target model: same messages, tools and response format."""
    body = {k: v for k, v in sample.request.items() if k in REPLAY_FIELDS}
    body["model"] = target
    return body


def replay_one(
    c: openai.OpenAI, sample: Sample, *, run_id: str, target: str, judge: str | None
) -> dict[str, Any]:
    """Replay one sample live and check it: the row ``replay_results`` stores."""
    retries = [0]
    started = time.perf_counter()
    headers = {"X-Spendwatch-Replay": run_id}
    try:
        resp = call(
            c.chat.completions.create, retries, extra_headers=headers, **replay_body(sample, target)
        )
    except openai.APIStatusError as e:
        if _retryable(e):
            raise
        return {
            "sample_id": sample.sample_id,
            "answer": None,
            "method": "error",
            "verdict": "loss",
            "score": None,
            "latency_ms": None,
            "retries": retries[0],
            "original_output_tokens": sample.output_tokens,
            "error": f"{e.status_code}",
        }
    latency = (time.perf_counter() - started) * 1000
    usage = resp.usage
    row = {
        "sample_id": sample.sample_id,
        "answer": answer_of(resp),
        "latency_ms": latency,
        "original_output_tokens": sample.output_tokens,
        "input_tokens": getattr(usage, "prompt_tokens", 0) or 0,
        "cached_tokens": getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", 0)
        or 0,
        "output_tokens": getattr(usage, "completion_tokens", 0) or 0,
    }
    row |= check(c, sample, row["answer"], run_id=run_id, judge=judge, retries=retries)
    row["retries"] = retries[0]
    return row


def check(
    c: openai.OpenAI,
    sample: Sample,
    answer: str | None,
    *,
    run_id: str,
    judge: str | None,
    retries: list[int],
) -> dict[str, Any]:
    """The verdict and the tokens spent reaching it (embeddings, judge)."""
    headers = {"X-Spendwatch-Replay": run_id}
    method = agreement.method_for(sample.request, sample.answer)
    out: dict[str, Any] = {
        "judge_input_tokens": 0,
        "judge_output_tokens": 0,
        "embed_tokens": 0,
        "score": None,
    }
    if method == "json":
        equal, share = agreement.json_agreement(sample.answer, answer)
        out["score"] = share
        if equal:
            return out | {"method": "json", "verdict": "tie"}
        if equal is None or judge is None:
            return out | {"method": "json", "verdict": "loss"}
    elif method == "exact":
        same = agreement.exact_agreement(sample.answer, answer)
        return out | {"method": "exact", "verdict": "tie" if same else "loss", "score": float(same)}
    else:
        emb = call(
            c.embeddings.create,
            retries,
            extra_headers=headers,
            model=EMBED_MODEL,
            input=[sample.answer or "", answer or " "],
        )
        out["embed_tokens"] = emb.usage.prompt_tokens
        out["score"] = agreement.cosine(emb.data[0].embedding, emb.data[1].embedding)
        if out["score"] >= agreement.COSINE_TIE:
            return out | {"method": "embedding", "verdict": "tie"}
        if judge is None:
            return out | {"method": "embedding", "verdict": "loss"}
    choices = []
    for first, second in ((sample.answer or "", answer or ""), (answer or "", sample.answer or "")):
        r = call(
            c.chat.completions.create,
            retries,
            extra_headers=headers,
            model=judge,
            messages=agreement.judge_prompt(sample.request, first, second),
            **_judge_limits(judge),
        )
        out["judge_input_tokens"] += r.usage.prompt_tokens
        out["judge_output_tokens"] += r.usage.completion_tokens
        choices.append(agreement.judge_choice(r.choices[0].message.content))
    return out | {"method": "judge", "verdict": agreement.pairwise_verdict(choices[0], choices[1])}


def submit_batch(c: openai.OpenAI, samples: list[Sample], *, run_id: str, target: str) -> str:
    """Upload the replays as a Batch API input file and create the batch; returns its id."""
    lines = [
        json.dumps(
            {
                "custom_id": s.sample_id,
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": replay_body(s, target),
            }
        )
        for s in samples
    ]
    counter = [0]
    f = call(
        c.files.create,
        counter,
        file=(f"spendwatch-replay-{run_id}.jsonl", ("\n".join(lines) + "\n").encode()),
        purpose="batch",
    )
    b = call(
        c.batches.create,
        counter,
        input_file_id=f.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"spendwatch_replay": run_id},
    )
    return b.id


def batch_results(c: openai.OpenAI, batch_id: str) -> tuple[str, dict[str, dict[str, Any]]]:
    """(status, {custom_id: chat completion body}) — the answers only once the batch completed."""
    counter = [0]
    b = call(c.batches.retrieve, counter, batch_id=batch_id)
    if b.status != "completed" or not b.output_file_id:
        return b.status, {}
    text = call(c.files.content, counter, file_id=b.output_file_id).text
    out: dict[str, dict[str, Any]] = {}
    for line in text.split("\n"):
        if line.strip():
            item = json.loads(line)
            resp = item.get("response") or {}
            if resp.get("status_code") == 200:
                out[str(item["custom_id"])] = resp["body"]
    return b.status, out


def from_batch_body(
    c: openai.OpenAI, sample: Sample, body: dict[str, Any] | None, *, run_id: str, judge: str | None
) -> dict[str, Any]:
    """A batch answer checked like a live one (the checks themselves run live)."""
    if body is None:
        return {
            "sample_id": sample.sample_id,
            "answer": None,
            "method": "error",
            "verdict": "loss",
            "original_output_tokens": sample.output_tokens,
            "retries": 0,
        }
    answer = answer_of(body)
    usage = body.get("usage") or {}
    row = {
        "sample_id": sample.sample_id,
        "answer": answer,
        "latency_ms": None,
        "original_output_tokens": sample.output_tokens,
        "input_tokens": usage.get("prompt_tokens", 0),
        "cached_tokens": (usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0),
        "output_tokens": usage.get("completion_tokens", 0),
    }
    retries = [0]
    row |= check(c, sample, answer, run_id=run_id, judge=judge, retries=retries)
    row["retries"] = retries[0]
    return row


def _judge_limits(judge: str) -> dict[str, Any]:
    """One letter from a chat model; reasoning models (o-series, gpt-5) take no temperature and
    need room to think before the letter."""
    if judge.startswith(("o1", "o3", "o4", "gpt-5")):
        return {"max_completion_tokens": 1024}
    return {"temperature": 0, "max_tokens": 1}
