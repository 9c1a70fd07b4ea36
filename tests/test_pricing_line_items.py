"""Costs API line items parse into (model, part, tier); names from shared/openai/FACTS-2026.md."""

import pytest

from spendwatch.pricing.line_items import PARTS, parse_line_item, split_long_context

CASES = [
    ("gpt-4o-2024-08-06, input", ("gpt-4o-2024-08-06", "input", "standard")),
    ("gpt-4o-2024-08-06, output", ("gpt-4o-2024-08-06", "output", "standard")),
    ("gpt-4o-2024-08-06, cached input", ("gpt-4o-2024-08-06", "cached_input", "standard")),
    ("gpt-5.6, cache writes", ("gpt-5.6", "cache_write", "standard")),
    ("priority | gpt-5, output", ("gpt-5", "output", "priority")),
    ("priority | o3-2025-04-16, cached input", ("o3-2025-04-16", "cached_input", "priority")),
    ("flex | o3-2025-04-16, input", ("o3-2025-04-16", "input", "flex")),
    ("batch | gpt-4o-mini-2024-07-18, input", ("gpt-4o-mini-2024-07-18", "input", "batch")),
    ("gpt-5.4, input, long context", ("gpt-5.4", "input_long_context", "standard")),
    ("priority | gpt-5.4, output, long context", ("gpt-5.4", "output_long_context", "priority")),
    ("gpt-audio audio, input", ("gpt-audio", "audio_input", "standard")),
    ("gpt-audio audio, output", ("gpt-audio", "audio_output", "standard")),
    (
        "gpt-4o-realtime-preview audio, cached input",
        ("gpt-4o-realtime-preview", "cached_audio_input", "standard"),
    ),
    ("gpt-image-1 image, output", ("gpt-image-1", "image_output", "standard")),
    ("gpt-image-1, image input", ("gpt-image-1", "image_input", "standard")),
    (
        "ft:gpt-4o-mini-2024-07-18:acme::abc, cached input",
        ("ft:gpt-4o-mini-2024-07-18:acme::abc", "cached_input", "standard"),
    ),
    ("whisper-1, minutes", ("whisper-1", "audio_seconds", "standard")),
    ("web search tool calls", ("", "web_search", "standard")),
    (
        "gpt-4o-mini-search-preview, web search tool calls",
        ("gpt-4o-mini-search-preview", "search_preview", "standard"),
    ),
    ("file search tool calls", ("", "file_search", "standard")),
    ("Code interpreter sessions", ("", "code_interpreter", "standard")),
    ("Vector storage", ("", "vector_storage", "standard")),
    ("Fine-tuning training", ("", "fine_tuning_training", "standard")),
    (
        "gpt-4o-mini-2024-07-18, training",
        ("gpt-4o-mini-2024-07-18", "fine_tuning_training", "standard"),
    ),
    ("something new", ("", "unrecognised", "standard")),
    ("gpt-9, telepathy", ("gpt-9", "unrecognised", "standard")),
    ("", ("", "unrecognised", "standard")),
    (None, ("", "unrecognised", "standard")),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_parse_line_item(text, expected):
    got = parse_line_item(text)
    assert tuple(got) == expected
    assert split_long_context(got.part)[0] in PARTS


def test_split_long_context():
    assert split_long_context("input_long_context") == ("input", True)
    assert split_long_context("cached_input") == ("cached_input", False)
