"""CODEOWNERS as GitHub reads it: the first of .github/, the root and docs/, on the base branch.

Each line is a pattern and its owners (`@user`, `@org/team`, or an e-mail); `#` starts a comment.
The last matching line wins, and a line without owners leaves its files without an owner.
Patterns follow gitignore's rules as GitHub documents them for CODEOWNERS: a leading `/` anchors at
the root, a pattern with an inner `/` is anchored too, a trailing `/` means everything below, `*`
stays within a path segment, `**` crosses them, and `docs/*` owns docs' own files but not deeper ones.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sandbox import identity
from sandbox.models import globs, permissions
from sandbox.state import Record, Store

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    directory = pattern.endswith("/")
    body = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in body
    out = globs.translate(body, gitignore=True)
    prefix = "" if anchored else "(?:.*/)?"
    if directory:
        suffix = "/.*"
    elif body.endswith("/*"):
        suffix = ""
    else:
        suffix = "(?:/.*)?"
    return re.compile(prefix + out + suffix)


def parse(text: str) -> list[tuple[str, list[str]]]:
    rules = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        pattern, *owners = line.split()
        rules.append((pattern, owners))
    return rules


def owners_of(rules: list[tuple[str, list[str]]], path: str) -> list[str]:
    found: list[str] = []
    for pattern, owners in rules:
        if _regex(pattern).fullmatch(path):
            found = owners
    return found


def read(store: Store, repo: Record, sha: str) -> list[tuple[str, list[str]]] | None:
    """The CODEOWNERS rules at a commit, or None when the repository has no CODEOWNERS file."""
    git = store.git(repo)
    for location in LOCATIONS:
        blob = git.read_path(sha, location)
        if blob is not None and blob.type_str == "blob":
            return parse(blob.data.decode("utf-8", errors="replace"))
    return None


def owner_logins(store: Store, owner: str) -> set[str]:
    """The users an owner entry names: a user, every member of a team, or the user of an e-mail."""
    if owner.startswith("@") and "/" in owner:
        org, slug = owner[1:].split("/", 1)
        return set(permissions.team_members(store, org, slug))
    if owner.startswith("@"):
        return {owner[1:]}
    user = identity.user_for_email(store, owner)
    return {user["login"]} if user else set()
