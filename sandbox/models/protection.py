"""Branch protection and environment branch policies: GitHub's fnmatch patterns, approvals, checks.

The rules only: what a rule requires, and whether a push or a merge may happen. No HTTP here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sandbox.state import Record


@lru_cache(maxsize=256)
def _pattern(glob: str) -> re.Pattern[str]:
    # GitHub matches like Ruby's File.fnmatch with FNM_PATHNAME: '*' stops at '/', '**' does not.
    out = ""
    i = 0
    while i < len(glob):
        if glob.startswith("**", i):
            out += ".*"
            i += 2
        elif glob[i] == "*":
            out += "[^/]*"
            i += 1
        elif glob[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(glob[i])
            i += 1
    return re.compile(out)


def matches(glob: str, name: str) -> bool:
    return _pattern(glob).fullmatch(name) is not None


def rule_for(repo: Record, branch: str) -> Record | None:
    for rule in repo["protection"]:
        if matches(rule["pattern"], branch):
            return rule
    return None


def review_count(rule: Record) -> int:
    return int(rule.get("required_approving_review_count", 0))


def requires_pull_request(rule: Record) -> bool:
    """Whether merging needs a pull request with reviews (implied by a review count above 0)."""
    return bool(rule.get("required_pull_request", review_count(rule) > 0))


def required_checks(rule: Record) -> list[str]:
    return list(rule.get("required_status_checks") or [])


def blocks_direct_push(repo: Record, branch: str) -> bool:
    """Whether the branch's protection refuses a push that is not a pull request's merge."""
    rule = rule_for(repo, branch)
    return bool(
        rule is not None and rule.get("required_pull_request", rule.get("required_approving_review_count"))
    )


def _latest_decisions(repo: Record, pr: Record) -> dict[str, str]:
    """Each reviewer's latest deciding review state. COMMENT reviews decide nothing."""
    latest: dict[str, str] = {}
    for review in sorted(repo["reviews"].values(), key=lambda r: r["id"]):
        if review["pull"] == pr["number"] and review["state"] in (
            "APPROVED",
            "CHANGES_REQUESTED",
            "DISMISSED",
        ):
            latest[review["user"]] = review["state"]
    return latest


def approvers(repo: Record, pr: Record) -> list[str]:
    """Users whose latest deciding review approves.

    Approvals are not dismissed by later pushes (dismiss_stale_reviews is off, GitHub's default).
    """
    latest = _latest_decisions(repo, pr)
    return [user for user, state in latest.items() if state == "APPROVED" and user != pr["user"]]


def changes_requested(repo: Record, pr: Record) -> bool:
    return "CHANGES_REQUESTED" in _latest_decisions(repo, pr).values()


def checks_state(repo: Record, sha: str, contexts: list[str]) -> str:
    """success | pending | failure over the required contexts (check runs and commit statuses)."""
    states = []
    for context in contexts:
        runs = [cr for cr in repo["check_runs"].values() if cr["head_sha"] == sha and cr["name"] == context]
        statuses = [s for s in repo["statuses"] if s["sha"] == sha and s["context"] == context]
        if runs:
            latest = max(runs, key=lambda r: r["id"])
            if latest["status"] != "completed":
                states.append("pending")
            else:
                ok = latest["conclusion"] in ("success", "neutral", "skipped")
                states.append("success" if ok else "failure")
        elif statuses:
            state = max(statuses, key=lambda s: s["id"])["state"]
            states.append("success" if state == "success" else "pending" if state == "pending" else "failure")
        else:
            states.append("pending")
    if "failure" in states:
        return "failure"
    return "pending" if "pending" in states else "success"


def merge_block(repo: Record, pr: Record) -> str | None:
    """GitHub's 405 message when protection forbids merging, else None."""
    rule = rule_for(repo, pr["base"])
    if rule is None:
        return None
    needed = review_count(rule)
    if requires_pull_request(rule):
        if changes_requested(repo, pr):
            return "Changes must be made through a pull request. Review required: changes were requested."
        if len(approvers(repo, pr)) < needed:
            plural = "review is" if needed == 1 else "reviews are"
            return f"At least {needed} approving {plural} required by reviewers with write access."
    contexts = required_checks(rule)
    if contexts and checks_state(repo, pr["head_sha"], contexts) != "success":
        state = checks_state(repo, pr["head_sha"], contexts)
        return f'Required status check "{contexts[0]}" is {"expected" if state == "pending" else "failing"}.'
    return None


def env_allows(env: Record, branch: str | None) -> bool:
    policies = env.get("branch_policies")
    if not policies:
        return True
    return branch is not None and any(matches(p["name"], branch) for p in policies)
