"""Which reviews count, as GitHub's protection counts them.

A user's decision is their latest APPROVED or CHANGES_REQUESTED review; COMMENTED decides nothing
and DISMISSED withdraws it. Towards `required_approving_review_count` counts each distinct user
whose decision approves, who is not the PR's author, and who has write access or more (a read-only
user's approval is accepted and shown, and not counted). Bots count like users with their app's
role; GitHub Actions' bot can only approve where the repository allows it
(`can_approve_pull_request_reviews`), and then it counts.
With stale-review dismissal, an approval given on another commit than the head does not count
(pushes dismiss earlier ones: `dismiss`); with last-push approval, neither does the approval of the
user who pushed the head, nor one given before that push.
"""

from __future__ import annotations

from sandbox.core import Sandbox
from sandbox.models import codeowners, permissions
from sandbox.state import Record

DECIDING = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")


def of_pull(repo: Record, pr: Record) -> list[Record]:
    return sorted((r for r in repo["reviews"].values() if r["pull"] == pr["number"]), key=lambda r: r["id"])


def decisions(repo: Record, pr: Record) -> dict[str, Record]:
    latest: dict[str, Record] = {}
    for review in of_pull(repo, pr):
        if review["state"] in DECIDING:
            latest[review["user"]] = review
    return {login: r for login, r in latest.items() if r["state"] != "DISMISSED"}


def last_pusher(repo: Record, pr: Record) -> str | None:
    """Who pushed the PR's head branch last (None for seeded branches nobody pushed here)."""
    push = repo.get("pushes", {}).get(pr["head"]) or {}
    return push.get("pusher")


def counted_approvers(
    sb: Sandbox, repo: Record, pr: Record, *, stale_dismissed: bool, last_push: bool
) -> list[str]:
    pusher = last_pusher(repo, pr) if last_push else None
    out = []
    for login, review in decisions(repo, pr).items():
        if review["state"] != "APPROVED" or login == pr["user"]:
            continue
        if not permissions.at_least(sb.store, repo, login, "write"):
            continue
        if (stale_dismissed or last_push) and review["commit_id"] != pr["head_sha"]:
            continue
        if last_push and login == pusher:
            continue
        out.append(login)
    return sorted(out)


def blocking_changes(sb: Sandbox, repo: Record, pr: Record) -> list[str]:
    """Users with write access whose latest decision requests changes."""
    return sorted(
        login
        for login, r in decisions(repo, pr).items()
        if r["state"] == "CHANGES_REQUESTED" and permissions.at_least(sb.store, repo, login, "write")
    )


def dismiss(sb: Sandbox, repo: Record, pr: Record) -> int:
    """A push to the head dismisses earlier approvals (their state becomes DISMISSED)."""
    n = 0
    for review in of_pull(repo, pr):
        if review["state"] == "APPROVED":
            review["state"] = "DISMISSED"
            n += 1
    if n:
        sb.store.touch()
    return n


def missing_code_owners(
    sb: Sandbox, repo: Record, pr: Record, approvers: list[str], files: list[str]
) -> list[str]:
    """The owners of the first changed file no approver owns ([] when every owned file is approved)."""
    rules = codeowners.read(sb.store, repo, pr["base_sha"])
    if not rules:
        return []
    for path in files:
        owners = codeowners.owners_of(rules, path)
        if not owners:
            continue
        logins = set().union(*(codeowners.owner_logins(sb.store, o) for o in owners))
        if not logins.intersection(approvers):
            return owners
    return []
