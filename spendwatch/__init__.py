"""spendwatch: what your OpenAI API usage costs, where the money goes, and what it would cost instead.

Everything is the CLI (``spendwatch --help``), the dashboard (``spendwatch serve``) and the core
modules (``spendwatch.report``, ``spendwatch.whatif``, ``spendwatch.forecast``).
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
