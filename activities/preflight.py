"""PreflightActivities: read-only checks that a repository can run a hotfix; `doctor` shows them."""

from __future__ import annotations

import base64
import re
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.github.refs import branch_head
from activities.github.rest import OnGitHub, RepoApi, q, qref, reviewer_names
from activities.github.threads import in_github_thread
from activities.log import logger
from activities.request_checks import request_checks, requester_check
from activities.rules import read_rules
from hotfix.models import (
    BranchRules,
    PreflightCheck,
    PreflightInput,
    PreflightResult,
)


def _log() -> Any:
    return logger("activities.preflight")


def glob_match(pattern: str, name: str) -> bool:
    """GitHub's branch-name patterns (File.fnmatch): `*` stops at `/`, `**` does not."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.fullmatch("".join(out), name) is not None


class PreflightActivities(OnGitHub):
    def __init__(self, github: Any, *, notify: bool = False) -> None:
        super().__init__(github)
        # Whether this worker has chat targets (HOTFIX_NOTIFY_URLS): the hotfix learns it here, once.
        self._notify = notify

    @activity.defn
    @in_github_thread
    def preflight(self, input: PreflightInput) -> PreflightResult:
        """Read-only checks. A missing or unreadable repository raises; every other finding is a check.

        Failed checks are returned, not raised, so `doctor` can list them all; the workflow fails
        with type PreflightFailed when any check failed.
        """
        api = self._api(input.repository)
        s = input.settings
        repo = api.json("GET", "", what="get repository", permission="metadata:read")
        default_branch = str(repo["default_branch"])
        checks = [PreflightCheck(name="repository", outcome="pass", detail=f"{input.repository} exists")]
        reviewers: list[str] = []
        prevent_self_review = False

        rules = self._rules(api, input)
        env = api.call(
            "GET",
            f"/environments/{q(s.environment)}",
            what=f"get environment {s.environment}",
            permission="environments:read",
            expect=(404,),
        )
        if not env.ok:
            checks.append(
                PreflightCheck(
                    name="environment",
                    outcome="fail",
                    detail=f"{input.repository} has no environment {s.environment!r} (or "
                    "HOTFIX_GITHUB_TOKEN cannot read environments, which GitHub also answers with 404)",
                    fix=f"create it under Settings > Environments, or set HOTFIX_ENVIRONMENT "
                    f"(now {s.environment!r})",
                )
            )
        else:
            checks.append(
                PreflightCheck(
                    name="environment", outcome="pass", detail=f"environment {s.environment} exists"
                )
            )
            checks.append(self._branch_policy_check(api, input, env.data, rules))
            for rule in env.data.get("protection_rules") or []:
                if rule.get("type") == "required_reviewers":
                    reviewers = reviewer_names(input.repository, rule.get("reviewers") or [])
                    prevent_self_review = bool(rule.get("prevent_self_review"))
            checks.append(
                PreflightCheck(
                    name="required reviewers",
                    outcome="pass" if reviewers else "warn",
                    detail=(
                        f"deploys to {s.environment} wait for one of: {', '.join(reviewers)}"
                        if reviewers
                        else f"environment {s.environment} has no required reviewers: deploys start "
                        "without approval"
                    ),
                    fix=None if reviewers else f"add required reviewers to environment {s.environment}",
                )
            )

        checks.extend(request_checks(api, input.base_ref, input.cherry_picks))
        checks.extend(requester_check(api, input.requested_by))
        checks.extend(self._workflow_checks(api, input))
        checks.append(self._pull_request_rule_check(input, rules))
        checks.extend(self._review_gate_checks(api, input, rules))
        checks.append(self._branch_exists_check(api, s.main_branch, "main branch", "HOTFIX_MAIN_BRANCH"))
        if s.back_merge_branch:
            checks.append(
                self._branch_exists_check(
                    api, s.back_merge_branch, "back-merge branch", "HOTFIX_BACK_MERGE_BRANCH"
                )
            )

        warnings = [
            f"{c.name}: {c.detail}" + (f" (fix: {c.fix})" if c.fix else "")
            for c in checks
            if c.outcome == "warn"
        ]
        _log().info(
            "preflight",
            repository=input.repository,
            failed=[c.name for c in checks if c.outcome == "fail"],
            warnings=len(warnings),
        )
        return PreflightResult(
            default_branch=default_branch,
            checks=checks,
            reviewers=reviewers,
            warnings=warnings,
            prevent_self_review=prevent_self_review,
            notify=self._notify,
        )

    def _branch_policy_check(
        self, api: RepoApi, input: PreflightInput, env: dict[str, Any], rules: BranchRules
    ) -> PreflightCheck:
        s = input.settings
        name = "deployment branch policy"
        pattern = f"{s.prod_branch_prefix}*"
        setting = f"Settings > Environments > {s.environment} > Deployment branches and tags"
        policy = env.get("deployment_branch_policy")
        if not policy:
            return PreflightCheck(
                name=name, outcome="pass", detail=f"any branch may deploy to {s.environment}"
            )
        if policy.get("protected_branches"):
            if self._pull_request_rule_check(input, rules).outcome == "pass":
                return PreflightCheck(
                    name=name,
                    outcome="pass",
                    detail=f"{input.prod_branch} will be protected, so it may deploy",
                )
            return PreflightCheck(
                name=name,
                outcome="fail",
                detail=f"only protected branches may deploy to {s.environment}, and {input.prod_branch} "
                "would not be protected",
                fix=f"protect {pattern}, or add {pattern} under {setting}",
            )
        names = [
            str(p.get("name"))
            for p in api.pages(
                f"/environments/{q(s.environment)}/deployment-branch-policies",
                what=f"list deployment branch policies of {s.environment}",
                key="branch_policies",
                permission="environments:read",
            )
            if p.get("type", "branch") == "branch"
        ]
        matching = [n for n in names if glob_match(n, input.prod_branch)]
        if matching:
            return PreflightCheck(
                name=name, outcome="pass", detail=f"{input.prod_branch} may deploy (policy {matching[0]!r})"
            )
        return PreflightCheck(
            name=name,
            outcome="fail",
            detail=f"environment {s.environment} admits only {', '.join(names) or 'no branches'}; "
            f"{input.prod_branch} could never deploy",
            fix=f"add {pattern} under {setting}",
        )

    def _workflow_checks(self, api: RepoApi, input: PreflightInput) -> list[PreflightCheck]:
        s = input.settings
        wf = api.call(
            "GET",
            f"/actions/workflows/{q(s.deploy_workflow)}",
            what=f"get workflow {s.deploy_workflow}",
            permission="actions:read",
            expect=(404,),
        )
        if not wf.ok:
            return [
                PreflightCheck(
                    name="deploy workflow",
                    outcome="fail",
                    detail=f"{input.repository} has no workflow {s.deploy_workflow!r}",
                    fix=f"add .github/workflows/{s.deploy_workflow} on the default branch, "
                    "or set HOTFIX_DEPLOY_WORKFLOW",
                )
            ]
        state = wf.data.get("state", "active")
        if state != "active":
            return [
                PreflightCheck(
                    name="deploy workflow",
                    outcome="fail",
                    detail=f"workflow {s.deploy_workflow} is {state}",
                    fix=f"enable {s.deploy_workflow} under Actions",
                )
            ]
        checks = [
            PreflightCheck(name="deploy workflow", outcome="pass", detail=f"{s.deploy_workflow} is active")
        ]
        path = wf.data.get("path") or f".github/workflows/{s.deploy_workflow}"
        text = self._file_text(api, path)
        if text is None:
            checks.append(
                PreflightCheck(
                    name="workflow_dispatch trigger",
                    outcome="warn",
                    detail=f"could not read {path} to check it has a workflow_dispatch trigger",
                )
            )
        elif "workflow_dispatch" not in text:
            checks.append(
                PreflightCheck(
                    name="workflow_dispatch trigger",
                    outcome="fail",
                    detail=f"{path} has no workflow_dispatch trigger, so it cannot be dispatched",
                    fix=f"add `on: workflow_dispatch` to {path}",
                )
            )
        else:
            checks.append(
                PreflightCheck(
                    name="workflow_dispatch trigger", outcome="pass", detail=f"{path} can be dispatched"
                )
            )
        return checks

    def _file_text(self, api: RepoApi, path: str) -> str | None:
        try:
            reply = api.call("GET", f"/contents/{qref(path)}", what=f"get contents {path}", expect=(404,))
        except ApplicationError as err:
            if err.non_retryable:
                return None
            raise
        if not reply.ok or not isinstance(reply.data, dict) or "content" not in reply.data:
            return None
        try:
            return base64.b64decode(reply.data["content"]).decode("utf-8", errors="replace")
        except ValueError:
            return None

    def _rules(self, api: RepoApi, input: PreflightInput) -> BranchRules:
        try:
            return read_rules(api, input.prod_branch, input.settings.prod_branch_prefix)
        except ApplicationError as err:
            if not err.non_retryable:
                raise
            return BranchRules(unreadable=[f"the branch rules ({err.message})"])

    def _pull_request_rule_check(self, input: PreflightInput, rules: BranchRules) -> PreflightCheck:
        """Rulesets and classic protection both count; what could not be read is named, not guessed."""
        name = "pull request rule"
        pattern = f"{input.settings.prod_branch_prefix}*"
        where = "; ".join(rules.sources)
        if rules.requires_pull_request:
            count = rules.required_approvals or 0
            detail = f"{input.prod_branch} requires a pull request" + (
                f" with {count} approval(s)" if count else " (with no required approval)"
            )
            return PreflightCheck(name=name, outcome="pass", detail=f"{detail}, from {where}")
        unread = "; ".join(rules.unreadable)
        if rules.sources:
            return PreflightCheck(
                name=name,
                outcome="warn",
                detail=f"{pattern} is protected ({where}), but whether it requires pull requests is unknown: "
                f"could not read {unread}",
                fix="give the token admin rights or the GitHub App permission Administration: read",
            )
        return PreflightCheck(
            name=name,
            outcome="warn",
            detail=f"no rule requiring pull requests found for {pattern}: a push could skip review"
            + (f" (not read: {unread})" if unread else ""),
            fix=f"add a branch ruleset or protection rule for {pattern} that requires pull requests",
        )

    def _review_gate_checks(
        self, api: RepoApi, input: PreflightInput, rules: BranchRules
    ) -> list[PreflightCheck]:
        """Where GitHub's own review gate is weak, the hotfix's approval gate is the only review."""
        checks: list[PreflightCheck] = []
        if rules.requires_pull_request and rules.required_approvals == 0:
            checks.append(
                PreflightCheck(
                    name="required approvals",
                    outcome="warn",
                    detail=f"the rule for {input.prod_branch} requires no approving review: the hotfix's own "
                    "approval gate is the only code review",
                    fix="require at least one approving review in the branch rule",
                )
            )
        workflow = api.call(
            "GET",
            "/actions/permissions/workflow",
            what="get the Actions workflow permissions",
            permission="administration:read",
            expect=(403, 404),
        )
        if (
            workflow.ok
            and isinstance(workflow.data, dict)
            and workflow.data.get("can_approve_pull_request_reviews")
        ):
            checks.append(
                PreflightCheck(
                    name="actions may approve",
                    outcome="warn",
                    detail="GitHub Actions may approve pull requests in this repository: a workflow could "
                    "approve a hotfix with GITHUB_TOKEN (the hotfix never counts a bot's approval, GitHub's "
                    "own rule may)",
                    fix="turn off 'Allow GitHub Actions to create and approve pull requests' under "
                    "Settings > Actions > General",
                )
            )
        return checks

    def _branch_exists_check(self, api: RepoApi, branch: str, name: str, setting: str) -> PreflightCheck:
        if branch_head(api, branch) is not None:
            return PreflightCheck(name=name, outcome="pass", detail=f"branch {branch} exists")
        return PreflightCheck(
            name=name,
            outcome="warn",
            detail=f"branch {branch} does not exist",
            fix=f"set {setting} to the branch that holds releases",
        )
