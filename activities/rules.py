"""RulesActivities: what the repository's own rules ask of a branch, from classic protection and rulesets.

GitHub keeps the two apart: `GET /rules/branches/{b}` lists rulesets only (and answers for branches
that do not exist yet); classic protection is `GET /branches/{b}/protection`, only for an existing
branch and only with admin rights or Administration: read. What cannot be read is said, not guessed.
"""

from __future__ import annotations

from typing import Any

from temporalio import activity

from activities.github.refs import branch_head, branches_under
from activities.github.rest import OnGitHub, RepoApi, qref
from activities.github.threads import in_github_thread
from hotfix.models import BranchRules, BranchRulesInput, RequiredCheck


def read_rules(api: RepoApi, branch: str, pattern_prefix: str | None = None) -> BranchRules:
    """The strictest of the active rulesets for `branch` and the classic protection that covers it."""
    rules = BranchRules()
    _add_rulesets(api, branch, rules)
    target = branch if branch_head(api, branch) is not None else _existing_under(api, pattern_prefix)
    if target is None:
        rules.unreadable.append(
            f"classic protection of {branch}: GitHub shows it only on an existing branch, and no "
            f"{pattern_prefix or branch}* branch exists yet"
        )
    else:
        _add_classic(api, target, rules)
    return rules


def _add_rulesets(api: RepoApi, branch: str, rules: BranchRules) -> None:
    reply = api.call(
        "GET",
        f"/rules/branches/{qref(branch)}",
        what=f"get rules for branch {branch}",
        permission="metadata:read",
        expect=(404,),
    )
    for rule in reply.data if reply.ok and isinstance(reply.data, list) else []:
        params: dict[str, Any] = rule.get("parameters") or {}
        source = f"ruleset {rule.get('ruleset_id')}"
        if rule.get("type") == "pull_request":
            rules.requires_pull_request = True
            _at_least(rules, int(params.get("required_approving_review_count") or 0))
            rules.dismiss_stale_reviews |= bool(params.get("dismiss_stale_reviews_on_push"))
            rules.require_last_push_approval |= bool(params.get("require_last_push_approval"))
            rules.require_code_owner_reviews |= bool(params.get("require_code_owner_review"))
        elif rule.get("type") == "required_status_checks":
            for check in params.get("required_status_checks") or []:
                _require_check(rules, str(check.get("context")), check.get("integration_id"))
            rules.strict |= bool(params.get("strict_required_status_checks_policy"))
        else:
            continue
        if source not in rules.sources:
            rules.sources.append(source)


def _add_classic(api: RepoApi, branch: str, rules: BranchRules) -> None:
    summary = api.json("GET", f"/branches/{qref(branch)}", what=f"get branch {branch}")
    if not summary.get("protected"):
        return
    rules.sources.append(f"classic protection (seen on {branch})")
    checks = ((summary.get("protection") or {}).get("required_status_checks")) or {}
    for context in checks.get("contexts") or []:
        _require_check(rules, str(context), None)
    reply = api.call(
        "GET",
        f"/branches/{qref(branch)}/protection",
        what=f"get protection of {branch}",
        permission="administration:read",
        expect=(403, 404),
    )
    if not reply.ok or not isinstance(reply.data, dict):
        rules.unreadable.append(
            f"the review settings of the classic protection of {branch}: reading them needs admin rights "
            "or the GitHub App permission Administration: read"
        )
        if rules.required_approvals == 0:
            rules.required_approvals = None
        return
    reviews = reply.data.get("required_pull_request_reviews")
    if reviews is not None:
        rules.requires_pull_request = True
        _at_least(rules, int(reviews.get("required_approving_review_count") or 0))
        rules.dismiss_stale_reviews |= bool(reviews.get("dismiss_stale_reviews"))
        rules.require_last_push_approval |= bool(reviews.get("require_last_push_approval"))
        rules.require_code_owner_reviews |= bool(reviews.get("require_code_owner_reviews"))
    status_checks = reply.data.get("required_status_checks") or {}
    for check in status_checks.get("checks") or []:
        _require_check(rules, str(check.get("context")), check.get("app_id"))
    for context in status_checks.get("contexts") or []:
        _require_check(rules, str(context), None)
    rules.strict |= bool(status_checks.get("strict"))


def _at_least(rules: BranchRules, approvals: int) -> None:
    rules.required_approvals = max(rules.required_approvals or 0, approvals)


def _require_check(rules: BranchRules, context: str, app_id: Any) -> None:
    wanted = RequiredCheck(context=context, app_id=int(app_id) if app_id not in (None, -1) else None)
    same = [c for c in rules.required_checks if c.context == context]
    if not same:
        rules.required_checks.append(wanted)
    elif wanted.app_id is not None and same[0].app_id is None:
        same[0].app_id = wanted.app_id


def _existing_under(api: RepoApi, prefix: str | None) -> str | None:
    """The newest-named existing branch under `prefix` (earlier hotfixes' prod branches), if any."""
    names = branches_under(api, prefix) if prefix else []
    return names[-1] if names else None


class RulesActivities(OnGitHub):
    @activity.defn
    @in_github_thread
    def branch_rules(self, input: BranchRulesInput) -> BranchRules:
        """Read-only, so safe to repeat: the rules GitHub applies to `branch` (see `read_rules`)."""
        return read_rules(self._api(input.repository), input.branch, input.pattern_prefix)
