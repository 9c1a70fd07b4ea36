"""The optional dashboard password (SPENDWATCH_DASHBOARD_PASSWORD), checked in constant time."""

from __future__ import annotations

import hmac

from pydantic import SecretStr


def password_required(secret: SecretStr | None) -> bool:
    return secret is not None and secret.get_secret_value() != ""


def password_ok(secret: SecretStr | None, attempt: str | None) -> bool:
    """True when no password is set, or the attempt matches it (hmac.compare_digest: no timing leak)."""
    if not password_required(secret):
        return True
    if attempt is None:
        return False
    return hmac.compare_digest(secret.get_secret_value().encode(), attempt.encode())
