"""Preflight's look at what the person typed: the base and the cherry-picks must exist on GitHub.

Checked before anything is created, so a typo ends the hotfix at once with the reason instead of
blocking it later at a step where no `recheck` can help.
"""

from __future__ import annotations

from activities.github.refs import commit_of
from activities.github.rest import RepoApi
from activities.github.users import is_user
from hotfix.models import PreflightCheck
from hotfix.render import NOT_GIVEN


def requester_check(api: RepoApi, login: str | None) -> list[PreflightCheck]:
    """Whoever the PRs will name as the requester is a GitHub user (a typo would mention a stranger)."""
    if login is None:
        return []
    if login == NOT_GIVEN:
        return [
            PreflightCheck(
                name="requested by",
                outcome="warn",
                detail="nobody said who asks for this hotfix: its PRs say 'not given'",
                fix="pass --by YOUR_GITHUB_LOGIN (or set HOTFIX_USER)",
            )
        ]
    if is_user(api, login):
        return [PreflightCheck(name="requested by", outcome="pass", detail=f"{login} is a GitHub user")]
    return [
        PreflightCheck(
            name="requested by",
            outcome="fail",
            detail=f"--by {login!r} is no GitHub user",
            fix="start again with --by YOUR_GITHUB_LOGIN (or set HOTFIX_USER)",
        )
    ]


def request_checks(api: RepoApi, base_ref: str | None, cherry_picks: list[str]) -> list[PreflightCheck]:
    checks: list[PreflightCheck] = []
    if base_ref:
        sha = commit_of(api, base_ref)
        checks.append(
            PreflightCheck(name="base", outcome="pass", detail=f"--base {base_ref} is {sha[:12]}")
            if sha
            else PreflightCheck(
                name="base",
                outcome="fail",
                detail=f"--base {base_ref!r} is no branch, tag or commit of {api.repository}",
                fix="start again with an existing --base, or without it to start from what is deployed",
            )
        )
    missing = [sha for sha in cherry_picks if commit_of(api, sha) is None]
    if cherry_picks:
        checks.append(
            PreflightCheck(
                name="cherry-picks",
                outcome="fail",
                detail=f"no commit {', '.join(missing)} in {api.repository}",
                fix="start again with the SHAs of commits pushed to GitHub",
            )
            if missing
            else PreflightCheck(
                name="cherry-picks", outcome="pass", detail=f"{len(cherry_picks)} commit(s) found"
            )
        )
    return checks
