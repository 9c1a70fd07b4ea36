"""Does the target's answer agree with the original? The cheapest check that fits, then statistics.

- ``json``: the request asked for structured output (``response_format``) or used tools: both
  answers parsed, equal field by field (tool-call arguments parsed too) is a tie; a target answer
  that is not JSON is a loss.
- ``exact``: a classification-like original (at most 3 words, 40 characters): equal after
  trimming and case-folding is a tie, anything else a loss.
- ``embedding``: free text; cosine of ``text-embedding-3-small`` vectors >= ``COSINE_TIE`` is a tie.
- ``judge``: what the cheaper checks could not call goes to a pairwise LLM judge, shown the two
  answers in both orders; the target wins only if it is preferred both times, loses only if the
  original is preferred both times; a split verdict (position bias) is a tie.
Without a judge, an undecided sample is a loss (agreement was not shown).
"""

from __future__ import annotations

import json
import math
from typing import Any

COSINE_TIE = 0.9
EXACT_MAX_WORDS = 3
EXACT_MAX_CHARS = 40
Z95 = 1.959963984540054

JUDGE_SYSTEM = (
    "spendwatch-judge. You compare two answers to the same request. Reply with exactly one letter: "
    "A if Answer A is the better answer, B if Answer B is."
)


def method_for(request: dict[str, Any], original: str | None) -> str:
    """Which check fits this sample (``json``, ``exact`` or ``embedding``)."""
    fmt = request.get("response_format")
    structured = bool(request.get("tools")) or (isinstance(fmt, dict) and fmt.get("type") != "text")
    if structured and _parse(original) is not None:
        return "json"
    text = (original or "").strip()
    if len(text.split()) <= EXACT_MAX_WORDS and len(text) <= EXACT_MAX_CHARS:
        return "exact"
    return "embedding"


def _parse(text: str | None) -> Any:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return _normalise(value)


def _normalise(value: Any) -> Any:
    """Tool calls' ``arguments`` strings parsed, so key order and spacing do not matter."""
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "arguments" and isinstance(v, str):
                try:
                    v = json.loads(v)
                except ValueError:
                    pass
            out[k] = _normalise(v)
        return out
    return value


def json_agreement(original: str | None, target: str | None) -> tuple[bool | None, float]:
    """(equal field by field, share of equal fields); None when the target is not JSON."""
    a, b = _parse(original), _parse(target)
    if b is None:
        return None, 0.0
    if isinstance(a, dict) and isinstance(b, dict):
        keys = set(a) | set(b)
        same = sum(1 for k in keys if a.get(k) == b.get(k))
        return same == len(keys), same / len(keys) if keys else 1.0
    return a == b, 1.0 if a == b else 0.0


def exact_agreement(original: str | None, target: str | None) -> bool:
    return (original or "").strip().casefold() == (target or "").strip().casefold()


def cosine(u: list[float], v: list[float]) -> float:
    dot = sum(a * b for a, b in zip(u, v, strict=True))
    nu, nv = math.sqrt(sum(a * a for a in u)), math.sqrt(sum(b * b for b in v))
    return dot / (nu * nv) if nu and nv else 0.0


def judge_prompt(request: dict[str, Any], first: str, second: str) -> list[dict[str, str]]:
    """The judge's messages: the request's last user turn, then the two answers as A and B."""
    user = ""
    for m in request.get("messages") or []:
        if m.get("role") == "user":
            c = m.get("content")
            user = c if isinstance(c, str) else json.dumps(c)
    body = f"[Request]\n{user}\n[Answer A]\n{first}\n[Answer B]\n{second}"
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": body}]


def judge_choice(content: str | None) -> str | None:
    c = (content or "").strip().upper()[:1]
    return c if c in ("A", "B") else None


def pairwise_verdict(original_first: str | None, target_first: str | None) -> str:
    """Combine the two orders: (original shown as A) and (target shown as A)."""
    target_wins_1 = original_first == "B"
    target_wins_2 = target_first == "A"
    orig_wins_1 = original_first == "A"
    orig_wins_2 = target_first == "B"
    if target_wins_1 and target_wins_2:
        return "win"
    if orig_wins_1 and orig_wins_2:
        return "loss"
    return "tie"


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (behaves at 0 %, 100 % and small n)."""
    if n == 0:
        return 0.0, 0.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def ratio_interval(
    ratio: float | None, resid_var: float | None, n: int, mean_x: float
) -> tuple[float, float] | None:
    """95 % interval of a ratio of sums (delta method): R +- z * sqrt(var(y - R x) / n) / mean(x)."""
    if ratio is None or not mean_x:
        return None
    if not resid_var or n < 2:
        return ratio, ratio
    half = Z95 * math.sqrt(resid_var / n) / mean_x
    return max(0.0, ratio - half), ratio + half
