"""spendwatch: what your OpenAI API usage costs, where the money goes, and what it would cost instead.

``client = spendwatch.instrument(OpenAI())`` records every request into the spool; everything
else is the CLI (``spendwatch --help``) and the dashboard (``spendwatch serve``).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "instrument", "tag", "tagged", "flush"]

_LAZY = {"instrument", "tag", "tagged", "flush"}


def __getattr__(name: str) -> Any:
    # The instrumentation imports the spool writer; load it only when asked, so the CLI starts fast.
    if name in _LAZY:
        from spendwatch.collectors import instrument as _instrument

        return getattr(_instrument, name)
    raise AttributeError(f"module 'spendwatch' has no attribute {name!r}")
