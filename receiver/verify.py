"""GitHub's webhook signature: `X-Hub-Signature-256: sha256=HMAC_SHA256(secret, raw body)`."""

from __future__ import annotations

import hashlib
import hmac


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether `header` signs `body` with `secret`; compared in constant time, before any parsing."""
    if not header or not secret:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.strip().encode())
