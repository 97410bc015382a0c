"""What a merge into a branch needs, from classic protection and rulesets together, with GitHub's 405 words.

Classic protection refuses with its first violation's message. Rulesets refuse with every violation,
as "Repository rule violations found\\n\\n<one>\\n\\n<two>\\n\\n". Both apply: a merge must satisfy the
classic rule and every active ruleset that takes in the base branch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.core import Sandbox
from sandbox.models import checks, protection, reviews, rulesets
from sandbox.state import Record

RULE_VIOLATIONS = "Repository rule violations found\n\n"


@dataclass
class Needs:
    """One source's requirements (the classic rule, or all active rulesets merged: strictest wins)."""

    pull_request: bool = False
    approvals: int = 0
    dismiss_stale: bool = False
    code_owners: bool = False
    last_push: bool = False
    strict: bool = False
    checks: list[tuple[str, int | None]] = field(default_factory=list)


def classic_needs(rule: Record | None) -> Needs | None:
    if rule is None:
        return None
    status = rule.get("required_status_checks")
    return Needs(
        pull_request=protection.requires_pull_request(rule),
        approvals=protection.review_count(rule),
        dismiss_stale=bool(rule.get("dismiss_stale_reviews")),
        code_owners=bool(rule.get("require_code_owner_reviews")),
        last_push=bool(rule.get("require_last_push_approval")),
        strict=bool(isinstance(status, dict) and status.get("strict")),
        checks=[(c["context"], c.get("app_id")) for c in protection.required_checks(rule)],
    )


def ruleset_needs(repo: Record, branch: str) -> Needs | None:
    found = rulesets.rules_for(repo, branch)
    if not found:
        return None
    needs = Needs()
    for _, rule in found:
        p = rule.get("parameters") or {}
        if rule["type"] == "pull_request":
            needs.pull_request = True
            needs.approvals = max(needs.approvals, int(p.get("required_approving_review_count", 0)))
            needs.dismiss_stale |= bool(p.get("dismiss_stale_reviews_on_push"))
            needs.code_owners |= bool(p.get("require_code_owner_review"))
            needs.last_push |= bool(p.get("require_last_push_approval"))
        elif rule["type"] == "required_status_checks":
            needs.strict |= bool(p.get("strict_required_status_checks_policy"))
            for c in p.get("required_status_checks") or []:
                if (c["context"], c.get("integration_id")) not in needs.checks:
                    needs.checks.append((c["context"], c.get("integration_id")))
    return needs


def all_needs(repo: Record, branch: str) -> list[Needs]:
    return [n for n in (classic_needs(protection.rule_for(repo, branch)), ruleset_needs(repo, branch)) if n]


def blocks_direct_push(repo: Record, branch: str, *, admin: bool = False) -> bool:
    """Whether classic protection or a ruleset refuses a push that is not a pull request's merge.

    As on GitHub, classic protection lets an admin push past it unless it is enforced for admins
    (`enforce_admins`); a ruleset binds everyone (bypass lists are not modelled).
    """
    rule = protection.rule_for(repo, branch)
    if rule is not None and protection.requires_pull_request(rule):
        if not (admin and not rule.get("enforce_admins")):
            return True
    return any(r["type"] == "pull_request" for _, r in rulesets.rules_for(repo, branch))


def dismisses_stale(repo: Record, branch: str) -> bool:
    return any(n.dismiss_stale for n in all_needs(repo, branch))


def violations(sb: Sandbox, repo: Record, pr: Record, needs: Needs, files: list[str]) -> list[str]:
    out: list[str] = []
    if needs.pull_request:
        approvers = reviews.counted_approvers(
            sb, repo, pr, stale_dismissed=needs.dismiss_stale, last_push=needs.last_push
        )
        if reviews.blocking_changes(sb, repo, pr):
            out.append(
                "Changes must be made through a pull request. Review required: changes were requested."
            )
        if len(approvers) < needs.approvals:
            plural = "review is" if needs.approvals == 1 else "reviews are"
            out.append(
                f"At least {needs.approvals} approving {plural} required by reviewers with write access."
            )
        if needs.last_push and not _approved_by_other_than_pusher(sb, repo, pr, needs):
            out.append("New changes require approval from someone other than the last pusher.")
        if needs.code_owners:
            missing = reviews.missing_code_owners(sb, repo, pr, approvers, files)
            if missing:
                out.append(f"Waiting on code owner review from {', '.join(missing)}.")
    if needs.strict and not sb.store.git(repo).is_ancestor(pr["base_sha"], pr["head_sha"]):
        out.append("Head branch is not up to date with the base branch.")
    if needs.checks:
        states = {c: checks.requirement_state(sb, repo, pr["head_sha"], c, app) for c, app in needs.checks}
        message = checks.checks_message(states)
        if message:
            out.append(message)
    return out


def _approved_by_other_than_pusher(sb: Sandbox, repo: Record, pr: Record, needs: Needs) -> bool:
    # Only asked when some approval is needed at all: a rule asking for 0 approvals asks no one.
    if needs.approvals == 0:
        return True
    return bool(reviews.counted_approvers(sb, repo, pr, stale_dismissed=needs.dismiss_stale, last_push=True))


def merge_block(sb: Sandbox, repo: Record, pr: Record, files: list[str]) -> str | None:
    """GitHub's 405 message when protection or rulesets forbid merging `pr` now, else None."""
    classic = classic_needs(protection.rule_for(repo, pr["base"]))
    if classic is not None:
        found = violations(sb, repo, pr, classic, files)
        if found:
            return found[0]
    ruled = ruleset_needs(repo, pr["base"])
    if ruled is not None:
        found = violations(sb, repo, pr, ruled, files)
        if found:
            return RULE_VIOLATIONS + "".join(f"{v}\n\n" for v in found)
    return None
