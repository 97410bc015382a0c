"""The headers GitHub puts on every answer, and conditional GETs.

- `X-GitHub-Api-Version-Selected`: the version the request got (`X-GitHub-Api-Version`, checked
  against the profile's, else its default);
- `X-GitHub-Request-Id`: unique per request, in GitHub's shape (five hex groups);
- `X-GitHub-Media-Type: github.v3; format=json`;
- `X-Accepted-GitHub-Permissions`: the fine-grained permission the operation needs;
- on a GET answered 200: `ETag` (weak, a hash of the body, as GitHub's) and, when the resource has an
  `updated_at`, `Last-Modified`; `Cache-Control` and `Vary` as GitHub sends them;
- `If-None-Match` with the current ETag: 304 without a body (on github.com it is not counted against
  the rate limit; the sandbox does not count it either).
"""

from __future__ import annotations

import hashlib
import itertools
import os
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from sandbox import profiles
from sandbox.models import grants
from sandbox.profiles import Profile

_counter = itertools.count(1)
_node = os.getpid() & 0xFFFF


def version_headers(profile: Profile, request_headers: dict[str, str]) -> dict[str, str]:
    version = profiles.api_version(profile, request_headers.get("x-github-api-version"))
    return {"X-GitHub-Api-Version-Selected": version}


def request_id() -> str:
    n = next(_counter)
    return f"{_node:04X}:{n & 0xFFFF:04X}:{n:06X}:{n * 7 & 0xFFFFFF:06X}:{n * 13 & 0xFFFFFFFF:08X}"


def headers(method: str, template: str | None, status: int, payload: Any) -> dict[str, str]:
    out = {"X-GitHub-Request-Id": request_id(), "X-GitHub-Media-Type": "github.v3; format=json"}
    accepted = grants.accepted_header(method, template) if template else None
    if accepted:
        out["X-Accepted-GitHub-Permissions"] = accepted
    if method == "GET" and status == 200:
        out["Cache-Control"] = "private, max-age=60, s-maxage=60"
        out["Vary"] = "Accept, Authorization, Cookie, X-GitHub-OTP"
        updated = payload.get("updated_at") if isinstance(payload, dict) else None
        if isinstance(updated, str):
            try:
                when = datetime.fromisoformat(updated.replace("Z", "+00:00"))
                out["Last-Modified"] = format_datetime(when, usegmt=True)
            except ValueError:
                pass
    return out


def etag(raw: bytes) -> str:
    return f'W/"{hashlib.sha256(raw).hexdigest()}"'


def not_modified(method: str, status: int, request_headers: dict[str, str], tag: str) -> bool:
    """Whether a conditional GET is answered 304: its If-None-Match names the current ETag."""
    if method != "GET" or status != 200:
        return False
    asked = request_headers.get("if-none-match", "")
    return any(part.strip() in (tag, tag[2:], "*") for part in asked.split(",") if part.strip())
