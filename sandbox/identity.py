"""Who a git commit is by: seeded users get a stable noreply e-mail so commits map back to them."""

from __future__ import annotations

import pygit2

from sandbox.gitstore import signature
from sandbox.state import Record, Store, parse_iso

GIT_EMAIL_DOMAIN = "users.noreply.sandbox.local"
GITHUB_EMAIL = "noreply@github.com"
# The account GitHub shows as the committer of what it commits itself (merges, web edits).
WEB_FLOW: Record = {"login": "web-flow", "id": 19864447, "type": "User"}


def email(user: Record) -> str:
    return f"{user['login']}@{GIT_EMAIL_DOMAIN}"


def user_for_email(store: Store, email: str) -> Record | None:
    if email == GITHUB_EMAIL:
        return WEB_FLOW
    login = email.split("@", 1)[0] if email.endswith("@" + GIT_EMAIL_DOMAIN) else None
    return store.user(login) if login else None


def sig(user: Record, when: float | None = None) -> pygit2.Signature:
    return signature(user.get("name") or user["login"], email(user), when)


def github_sig(when: float | None = None) -> pygit2.Signature:
    # GitHub commits merges made in its UI/API as "GitHub <noreply@github.com>".
    return signature("GitHub", GITHUB_EMAIL, when)


def from_body(data: Record | None, fallback: pygit2.Signature) -> pygit2.Signature:
    """An author/committer object from a request body ({name, email, date}), else the fallback."""
    if not data or not data.get("name") or not data.get("email"):
        return fallback
    when = parse_iso(data["date"]) if data.get("date") else None
    return signature(str(data["name"]), str(data["email"]), when)
