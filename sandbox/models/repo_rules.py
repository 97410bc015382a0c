"""Repository settings that decide who may review a deployment and how a PR may be merged.

- An environment's required reviewers are users (`prod-reviewer-1`) or teams (`acme/prod-approvers`,
  also `@acme/prod-approvers`): any member of a listed team may review, as on GitHub.
- Merge methods: `allow_merge_commit`, `allow_squash_merge`, `allow_rebase_merge` (GitHub's default:
  all allowed). A merge with a method the repository does not allow answers 405 with GitHub's words,
  "Merge commits are not allowed on this repository." (squash: "Squash merges ...", rebase: "Rebase
  merges ...").
"""

from __future__ import annotations

from sandbox import errors
from sandbox.models import permissions
from sandbox.state import Record, Store

MERGE_SETTINGS = {
    "merge": ("allow_merge_commit", "Merge commits are not allowed on this repository."),
    "squash": ("allow_squash_merge", "Squash merges are not allowed on this repository."),
    "rebase": ("allow_rebase_merge", "Rebase merges are not allowed on this repository."),
}


def merge_settings(repo: Record) -> dict[str, bool]:
    given = repo.get("merge_methods") or {}
    return {key: bool(given.get(key, True)) for key, _ in MERGE_SETTINGS.values()}


def refuse_method(repo: Record, method: str) -> None:
    """405 when the repository does not allow merging with `method`."""
    found = MERGE_SETTINGS.get(method)
    if found is not None and not merge_settings(repo)[found[0]]:
        raise errors.MethodNotAllowed(found[1])


def team_of(entry: str) -> tuple[str, str] | None:
    """(org, slug) for a reviewer entry naming a team, else None."""
    name = entry.lstrip("@")
    if "/" not in name:
        return None
    org, slug = name.split("/", 1)
    return org, slug


def is_reviewer(store: Store, env: Record, login: str) -> bool:
    """Whether `login` is one of the environment's required reviewers, directly or through a team."""
    for entry in env.get("reviewers") or []:
        team = team_of(entry)
        if team is None and entry == login:
            return True
        if team is not None and login in permissions.team_members(store, *team):
            return True
    return False
