"""Fine-grained permissions: what each operation needs, and what a token or an App may do.

GitHub checks two things for a request on a repository: the caller's role there (read, write, ...:
sandbox/models/permissions.py, 404 for a repository they cannot see, 404 or 403 for a write they may
not make) and, for a fine-grained personal access token or a GitHub App, the token's permissions
(contents, pull_requests, actions, deployments, environments, checks, statuses, metadata, ...). A
token lacking the permission an operation needs gets 403 "Resource not accessible by personal
access token"; an App's token gets 403 "Resource not accessible by integration". Every answer names
what the operation accepts in `X-Accepted-GitHub-Permissions` (e.g. `pull_requests=write`).

The hook for identities: `token_permissions(store, user)` is the permission set a caller's token
carries, or None for a classic token (its role alone decides). Today: a user seeded with
`token_permissions: {...}` (a fine-grained PAT), and an App's bot (the app's `permissions`; an App
always has metadata read). A later App identity (installation tokens) returns its installation's
permissions from here, and is checked the same way.
"""

from __future__ import annotations

import re

from sandbox import errors
from sandbox.state import Record, Store

LEVELS = ("none", "read", "write", "admin")
NOT_ACCESSIBLE_PAT = "Resource not accessible by personal access token"
NOT_ACCESSIBLE_APP = "Resource not accessible by integration"

R = r"/repos/\{owner\}/\{repo\}"
# (method regex, template regex, permission). The first match decides; reads need `read`, writes `write`.
NEEDS: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(t), p)
    for m, t, p in (
        ("PUT", R + r"/pulls/\{pull_number\}/merge", "contents"),
        (".*", R + r"/pulls.*", "pull_requests"),
        (".*", R + r"/issues.*", "issues"),
        (".*", R + r"/labels.*", "issues"),
        ("POST", R + r"/actions/runs/\{run_id\}/pending_deployments", "deployments"),
        (".*", R + r"/actions/permissions.*", "administration"),
        (".*", R + r"/actions.*", "actions"),
        (".*", R + r"/deployments.*", "deployments"),
        (".*", R + r"/environments.*", "environments"),
        (".*", R + r"/(check-runs|check-suites|commits/\{ref:path\}/check-).*", "checks"),
        (".*", R + r"/(statuses|commits/\{ref:path\}/status).*", "statuses"),
        (".*", R + r"/branches/\{branch:path\}/protection", "administration"),
        (".*", R + r"/(rules|rulesets|collaborators).*", "metadata"),
        ("GET", R + r"/branches(/\{branch:path\})?", "metadata"),
        (".*", R + r"/hooks.*", "repository_hooks"),
        (".*", R + r"/(git|contents|merges|commits|compare|branches).*", "contents"),
        ("GET", R, "metadata"),
    )
]


def needed(method: str, template: str) -> tuple[str, str] | None:
    """(permission, level) the operation needs, or None outside a repository."""
    for m, pattern, permission in NEEDS:
        if re.fullmatch(m, method) and pattern.fullmatch(template):
            write = method not in ("GET", "HEAD") and permission != "metadata"
            return permission, "write" if write else "read"
    return None


def accepted_header(method: str, template: str) -> str | None:
    """GitHub's `X-Accepted-GitHub-Permissions` value for the operation."""
    found = needed(method, template)
    return None if found is None else f"{found[0]}={found[1]}"


def token_permissions(store: Store, user: Record | None) -> dict[str, str] | None:
    """The permissions the caller's token carries; None: a classic token, limited by its role only."""
    if not user:
        return None
    if user.get("token_permissions") is not None:
        return {"metadata": "read", **dict(user["token_permissions"])}
    if user.get("app"):
        app = (store.data.get("apps") or {}).get(user["app"]) or {}
        if app.get("permissions") is not None:
            return {"metadata": "read", **dict(app["permissions"])}
    return None


def check(store: Store, user: Record | None, method: str, template: str) -> None:
    """403 as GitHub answers when the token lacks the permission the operation needs."""
    granted = token_permissions(store, user)
    found = needed(method, template)
    if granted is None or found is None:
        return
    permission, level = found
    if LEVELS.index(granted.get(permission, "none")) < LEVELS.index(level):
        message = NOT_ACCESSIBLE_APP if user and user.get("app") else NOT_ACCESSIBLE_PAT
        raise errors.Forbidden(message, headers={"X-Accepted-GitHub-Permissions": f"{permission}={level}"})
