"""GitHubActivities: one method per GitHub action of the runbook, each idempotent.

INTERFACE FILE: method names and models are the contract with workflows/hotfix.py.

Idempotent means: an attempt may have done its work and lost the answer (a dropped connection, a
worker killed mid-call), so every method first looks for what an earlier attempt made and reports
that instead of making it twice. Errors leave as ApplicationErrors from activities/errors.py.
"""

from __future__ import annotations

import base64
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from github.GithubException import GithubException
from github.WorkflowRun import WorkflowRun
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import errors
from activities.client import GitHubClient
from activities.log import logger
from activities.rest import RepoApi, q, qref, reviewer_names
from hotfix.models import (
    CherryPickInput,
    CherryPickResult,
    CleanupInput,
    CleanupResult,
    CommentInput,
    CommentResult,
    CompareInput,
    CompareResult,
    CreateBranchInput,
    CreateBranchResult,
    DispatchInput,
    FindBaseInput,
    FindBaseResult,
    MergeInput,
    MergeResult,
    OpenPullRequestInput,
    PreflightCheck,
    PreflightInput,
    PreflightResult,
    PullRequestRef,
    RerunResult,
    RunInput,
    RunRef,
)

CHERRY_PICK_TRAILER = "(cherry picked from commit {sha})"
_TRAILER_RE = re.compile(r"\(cherry picked from commit ([0-9a-f]{40})\)")
# Where the cherry-pick recipe parks its scratch commits; one per target branch, reused by retries.
TEMP_BRANCH_PREFIX = "hotfix-cherry-pick-tmp/"
# How far back a retried cherry-pick looks for picks an earlier attempt made.
PICK_HISTORY_DEPTH = 100
# Deployments scanned for the last successful one; older ones are history, not what runs.
DEPLOYMENT_SCAN_LIMIT = 100


def _log() -> Any:
    return logger("activities.github")


def _run_details_refused(err: GithubException) -> bool:
    message = errors.github_message(err)
    return err.status == 400 or (err.status == 422 and "return_run_details" in message)


def _repo_owner(repository: str) -> str:
    return repository.split("/", 1)[0]


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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


class GitHubActivities:
    def __init__(
        self,
        github: GitHubClient,
        *,
        dispatch_lookup_attempts: int = 10,
        dispatch_lookup_interval: float = 2.0,
        clock_skew: timedelta = timedelta(minutes=2),
        comment_lookback: timedelta = timedelta(minutes=30),
    ) -> None:
        """The keyword options exist for tests; production uses the defaults.

        `dispatch_lookup_*`: how long to look for a run GitHub has not listed yet (it creates runs
        of a dispatch asynchronously). `clock_skew`: tolerated difference between workflow time and
        GitHub's clock when deciding whether a run is ours. `comment_lookback`: how far back a
        retried comment looks for its own earlier post.
        """
        self._github = github
        self._dispatch_lookup_attempts = dispatch_lookup_attempts
        self._dispatch_lookup_interval = dispatch_lookup_interval
        self._clock_skew = clock_skew
        self._comment_lookback = comment_lookback

    def _api(self, repository: str) -> RepoApi:
        return RepoApi(self._github, repository)

    # -----------------------------------------------------------------------------------------
    # 0. Preflight
    # -----------------------------------------------------------------------------------------

    @activity.defn
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
            checks.append(self._branch_policy_check(api, input, env.data))
            for rule in env.data.get("protection_rules") or []:
                if rule.get("type") == "required_reviewers":
                    reviewers = reviewer_names(input.repository, rule.get("reviewers") or [])
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

        checks.extend(self._workflow_checks(api, input))
        checks.append(self._pull_request_rule_check(api, input))
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
            default_branch=default_branch, checks=checks, reviewers=reviewers, warnings=warnings
        )

    def _branch_policy_check(
        self, api: RepoApi, input: PreflightInput, env: dict[str, Any]
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
            rules = self._pull_request_rule_check(api, input)
            if rules.outcome == "pass":
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

    def _pull_request_rule_check(self, api: RepoApi, input: PreflightInput) -> PreflightCheck:
        name = "pull request rule"
        pattern = f"{input.settings.prod_branch_prefix}*"
        # The rules endpoint answers for branches that do not exist yet, like the prod branch now.
        try:
            reply = api.call(
                "GET",
                f"/rules/branches/{qref(input.prod_branch)}",
                what=f"get rules for branch {input.prod_branch}",
                permission="metadata:read",
                expect=(404,),
            )
        except ApplicationError as err:
            if err.non_retryable:
                reply = None
            else:
                raise
        rules = reply.data if reply is not None and reply.ok and isinstance(reply.data, list) else []
        for rule in rules:
            if rule.get("type") == "pull_request":
                count = (rule.get("parameters") or {}).get("required_approving_review_count")
                detail = f"{input.prod_branch} requires a pull request"
                if count:
                    detail += f" with {count} approval(s)"
                return PreflightCheck(name=name, outcome="pass", detail=detail)
        return PreflightCheck(
            name=name,
            outcome="warn",
            detail=f"no rule requiring pull requests found for {pattern}: a push could skip review",
            fix=f"add a branch ruleset or protection rule for {pattern} that requires pull requests",
        )

    def _branch_exists_check(self, api: RepoApi, branch: str, name: str, setting: str) -> PreflightCheck:
        reply = api.call(
            "GET", f"/git/ref/heads/{qref(branch)}", what=f"get ref heads/{branch}", expect=(404,)
        )
        if reply.ok:
            return PreflightCheck(name=name, outcome="pass", detail=f"branch {branch} exists")
        return PreflightCheck(
            name=name,
            outcome="warn",
            detail=f"branch {branch} does not exist",
            fix=f"set {setting} to the branch that holds releases",
        )

    # -----------------------------------------------------------------------------------------
    # 1-2. Base and branches
    # -----------------------------------------------------------------------------------------

    @activity.defn
    def find_base(self, input: FindBaseInput) -> FindBaseResult:
        api = self._api(input.repository)
        if input.base_ref:
            sha = self._resolve(api, input.base_ref, what=f"resolve base ref {input.base_ref}")
            return FindBaseResult(sha=sha, ref=input.base_ref, source="explicit")
        deployments = api.pages(
            "/deployments",
            what=f"list deployments to {input.environment}",
            params={"environment": input.environment},
            permission="deployments:read",
            limit=DEPLOYMENT_SCAN_LIMIT,
        )
        for deployment in deployments:
            latest = next(
                api.pages(
                    f"/deployments/{deployment['id']}/statuses",
                    what=f"list statuses of deployment {deployment['id']}",
                    permission="deployments:read",
                    limit=1,
                ),
                None,
            )
            # The newest deployment whose newest status is success is what runs in the environment.
            if latest is not None and latest.get("state") == "success":
                _log().info("base from deployment", deployment=deployment["id"], sha=deployment["sha"])
                return FindBaseResult(sha=deployment["sha"], ref=deployment["ref"], source="deployment")
        sha = self._branch_sha(
            api, input.main_branch, missing=f"set HOTFIX_MAIN_BRANCH (now {input.main_branch!r})"
        )
        return FindBaseResult(sha=sha, ref=input.main_branch, source="main")

    def _resolve(self, api: RepoApi, ref: str, *, what: str) -> str:
        commit = api.json(
            "GET",
            f"/commits/{q(ref)}",
            what=what,
            missing=f"{ref!r} is no branch, tag or commit of {api.repository}: fix the base ref",
        )
        return str(commit["sha"])

    def _branch_sha(self, api: RepoApi, branch: str, *, missing: str | None = None) -> str:
        ref = api.json(
            "GET", f"/git/ref/heads/{qref(branch)}", what=f"get ref heads/{branch}", missing=missing
        )
        return str(ref["object"]["sha"])

    @activity.defn
    def create_branch(self, input: CreateBranchInput) -> CreateBranchResult:
        api = self._api(input.repository)
        what = f"create ref heads/{input.branch}"
        made = api.call(
            "POST",
            "/git/refs",
            what=what,
            permission="contents:write",
            body={"ref": f"refs/heads/{input.branch}", "sha": input.sha},
            expect=(422,),
        )
        if made.ok:
            _log().info("branch created", branch=input.branch, sha=input.sha)
            return CreateBranchResult(branch=input.branch, sha=input.sha, created=True)
        existing = api.call(
            "GET", f"/git/ref/heads/{qref(input.branch)}", what=f"get ref heads/{input.branch}", expect=(404,)
        )
        if not existing.ok or not isinstance(existing.data, dict):
            # The 422 was about something else (a bad name or sha): say so.
            raise errors.translate(
                GithubException(422, {"message": made.message}),
                input.repository,
                what,
                missing=f"check the branch name {input.branch!r} and the sha {input.sha}",
            )
        sha = existing.data["object"]["sha"]
        if sha == input.sha:
            return CreateBranchResult(branch=input.branch, sha=sha, created=False)
        raise ApplicationError(
            f"branch {input.branch} already exists on {input.repository} at {sha[:12]}, not at the base "
            f"{input.sha[:12]}: it belongs to something else. Fix: delete or rename that branch, or use "
            "another description for the hotfix",
            type=errors.CONFLICT,
            non_retryable=True,
        )

    # -----------------------------------------------------------------------------------------
    # 3. Cherry-picks
    # -----------------------------------------------------------------------------------------

    @activity.defn
    def cherry_pick(self, input: CherryPickInput) -> CherryPickResult:
        """Git Data API cherry-pick (there is no endpoint for it).

        For each commit C with parent P onto head H: a scratch commit with H's tree and parent P;
        `POST /merges` of C into it (a three-way merge with base P: exactly a cherry-pick); a commit
        with the merged tree on H; fast-forward the branch. Each new commit carries git's
        "(cherry picked from commit C)" line, which is how a retry knows what is already done.
        A merge commit is picked against its first parent, as `git cherry-pick -m 1` does.
        """
        api = self._api(input.repository)
        result = CherryPickResult(head_sha=self._branch_sha(api, input.branch))
        if not input.shas:
            return result
        done, history = self._picked_before(api, input.branch)
        temp = f"{TEMP_BRANCH_PREFIX}{input.branch}"
        temp_made = False
        try:
            for requested in input.shas:
                activity.heartbeat(requested)
                commit = api.json(
                    "GET",
                    f"/commits/{q(requested)}",
                    what=f"get commit {requested}",
                    missing=f"{requested} is not a commit of {input.repository}: fix the cherry-pick list",
                )
                sha = str(commit["sha"])
                if sha in done:
                    result.applied.append(sha)
                    continue
                if sha in history:
                    result.skipped_empty.append(sha)
                    continue
                parents = commit.get("parents") or []
                if not parents:
                    raise ApplicationError(
                        f"cannot cherry-pick {sha[:12]} onto {input.branch}: it is a root commit",
                        type=errors.VALIDATION,
                        non_retryable=True,
                    )
                parent = str(parents[0]["sha"])
                head = result.head_sha
                head_tree = api.json("GET", f"/git/commits/{head}", what=f"get git commit {head}")["tree"][
                    "sha"
                ]
                scratch = api.json(
                    "POST",
                    "/git/commits",
                    what="create scratch commit for cherry-pick",
                    permission="contents:write",
                    body={
                        "message": f"hotfix cherry-pick scratch for {sha}",
                        "tree": head_tree,
                        "parents": [parent],
                    },
                )["sha"]
                self._point_temp_branch(api, temp, scratch)
                temp_made = True
                merged = api.call(
                    "POST",
                    "/merges",
                    what=f"merge {sha[:12]} into {temp}",
                    permission="contents:write",
                    body={"base": temp, "head": sha, "commit_message": f"cherry-pick {sha}"},
                    expect=(409,),
                )
                if merged.status == 409:
                    result.conflict_sha = sha
                    result.conflict_files = self._conflict_files(api, commit, parent, head)
                    _log().info("cherry-pick conflict", sha=sha, files=result.conflict_files)
                    return result
                merged_tree = (
                    (merged.data or {}).get("commit", {}).get("tree", {}).get("sha") if merged.data else None
                )
                if merged_tree is None or merged_tree == head_tree:
                    result.skipped_empty.append(sha)
                    continue
                author = commit.get("commit", {}).get("author")
                message = str(commit.get("commit", {}).get("message") or f"cherry-pick {sha}").rstrip()
                body: dict[str, Any] = {
                    "message": f"{message}\n\n{CHERRY_PICK_TRAILER.format(sha=sha)}",
                    "tree": merged_tree,
                    "parents": [head],
                }
                if author and author.get("name") and author.get("email"):
                    body["author"] = {k: author[k] for k in ("name", "email", "date") if author.get(k)}
                picked = api.json(
                    "POST",
                    "/git/commits",
                    what=f"create commit for {sha[:12]}",
                    permission="contents:write",
                    body=body,
                )["sha"]
                moved = api.call(
                    "PATCH",
                    f"/git/refs/heads/{qref(input.branch)}",
                    what=f"update ref heads/{input.branch}",
                    permission="contents:write",
                    body={"sha": picked, "force": False},
                    expect=(422,),
                )
                if not moved.ok:
                    # Someone pushed meanwhile; a retry starts again from the new head.
                    raise ApplicationError(
                        f"{input.branch} moved while cherry-picking {sha[:12]} ({moved.message}); retrying",
                        type=errors.CONFLICT,
                    )
                result.head_sha = picked
                result.applied.append(sha)
                _log().info("cherry-picked", sha=sha, head=picked, branch=input.branch)
        finally:
            if temp_made:
                try:
                    self._delete_branch(api, temp)
                except ApplicationError as err:
                    # A scratch branch left behind is harmless; the next pick onto this branch reuses it.
                    _log().warning("could not delete scratch branch", branch=temp, error=err.message)
        return result

    def _picked_before(self, api: RepoApi, branch: str) -> tuple[set[str], set[str]]:
        """Picks recorded on the branch's recent history, and the recent history's shas."""
        done: set[str] = set()
        history: set[str] = set()
        for item in api.pages(
            "/commits",
            what=f"list commits of {branch}",
            params={"sha": branch},
            limit=PICK_HISTORY_DEPTH,
        ):
            history.add(str(item["sha"]))
            done.update(_TRAILER_RE.findall(str(item.get("commit", {}).get("message") or "")))
        return done, history

    def _point_temp_branch(self, api: RepoApi, temp: str, sha: str) -> None:
        made = api.call(
            "POST",
            "/git/refs",
            what=f"create ref heads/{temp}",
            permission="contents:write",
            body={"ref": f"refs/heads/{temp}", "sha": sha},
            expect=(422,),
        )
        if not made.ok:
            # Left over by an attempt that died; it is scratch, so take it over.
            api.json(
                "PATCH",
                f"/git/refs/heads/{qref(temp)}",
                what=f"update ref heads/{temp}",
                permission="contents:write",
                body={"sha": sha, "force": True},
            )

    def _conflict_files(self, api: RepoApi, commit: dict[str, Any], parent: str, head: str) -> list[str]:
        """Files the pick touches whose content on the branch differs from the pick's parent."""
        touched: set[str] = set()
        for f in commit.get("files") or []:
            touched.add(str(f["filename"]))
            if f.get("previous_filename"):
                touched.add(str(f["previous_filename"]))
        try:
            before = self._tree_blobs(api, parent)
            ours = self._tree_blobs(api, head)
        except ApplicationError as err:
            if not err.non_retryable:
                raise
            before = ours = None
        if before is None or ours is None:
            return sorted(touched)
        both = sorted(path for path in touched if before.get(path) != ours.get(path))
        return both or sorted(touched)

    def _tree_blobs(self, api: RepoApi, commit_sha: str) -> dict[str, str] | None:
        tree_sha = api.json("GET", f"/git/commits/{commit_sha}", what=f"get git commit {commit_sha}")["tree"][
            "sha"
        ]
        tree = api.json("GET", f"/git/trees/{tree_sha}", what=f"get tree {tree_sha}", params={"recursive": 1})
        if tree.get("truncated"):
            return None
        return {str(e["path"]): str(e["sha"]) for e in tree.get("tree", []) if e.get("type") == "blob"}

    def _delete_branch(self, api: RepoApi, branch: str) -> bool:
        """True when this call deleted it; a branch already gone is fine."""
        reply = api.call(
            "DELETE",
            f"/git/refs/heads/{qref(branch)}",
            what=f"delete ref heads/{branch}",
            permission="contents:write",
            expect=(404, 422),
        )
        return reply.ok

    # -----------------------------------------------------------------------------------------
    # Compare
    # -----------------------------------------------------------------------------------------

    @activity.defn
    def compare(self, input: CompareInput) -> CompareResult:
        api = self._api(input.repository)
        # Pin the head first, so the counts and the sha describe the same commit.
        head = self._resolve(api, input.head, what=f"resolve {input.head}")
        diff = api.json(
            "GET",
            f"/compare/{qref(input.base)}...{head}",
            what=f"compare {input.base}...{input.head}",
            params={"per_page": 1},
        )
        return CompareResult(
            status=str(diff["status"]),
            ahead_by=int(diff["ahead_by"]),
            behind_by=int(diff["behind_by"]),
            head_sha=head,
        )

    # -----------------------------------------------------------------------------------------
    # 5-6. Pull requests
    # -----------------------------------------------------------------------------------------

    @activity.defn
    def open_pull_request(self, input: OpenPullRequestInput) -> PullRequestRef:
        api = self._api(input.repository)
        existing = self._find_open_pull(api, input.head, input.base)
        if existing is not None:
            return existing
        made = api.call(
            "POST",
            "/pulls",
            what=f"create pull request {input.head} -> {input.base}",
            permission="pull_requests:write",
            body={"title": input.title, "head": input.head, "base": input.base, "body": input.body},
            expect=(422,),
        )
        if made.ok:
            _log().info("pull request opened", number=made.data["number"], head=input.head, base=input.base)
            return PullRequestRef(
                number=int(made.data["number"]), url=str(made.data["html_url"]), created=True
            )
        if "already exists" in made.message.lower():
            found = self._find_open_pull(api, input.head, input.base)
            if found is not None:
                return found
        raise errors.translate(
            GithubException(422, {"message": made.message}),
            input.repository,
            f"create pull request {input.head} -> {input.base}",
            missing=f"check that {input.head} has commits that {input.base} lacks",
        )

    def _find_open_pull(self, api: RepoApi, head: str, base: str) -> PullRequestRef | None:
        for pull in api.pages(
            "/pulls",
            what=f"list pull requests {head} -> {base}",
            params={"state": "open", "head": f"{_repo_owner(api.repository)}:{head}", "base": base},
            permission="pull_requests:read",
        ):
            # Filter again: a server that ignores `head` must not hand us someone else's PR.
            if pull.get("head", {}).get("ref") == head and pull.get("base", {}).get("ref") == base:
                return PullRequestRef(number=int(pull["number"]), url=str(pull["html_url"]), created=False)
        return None

    @activity.defn
    def merge_pull_request(self, input: MergeInput) -> MergeResult:
        api = self._api(input.repository)
        path = f"/pulls/{input.number}"
        pull = api.json(
            "GET", path, what=f"get pull request #{input.number}", permission="pull_requests:read"
        )
        if pull.get("merged"):
            return MergeResult(merged=True, sha=pull.get("merge_commit_sha"))
        if pull.get("state") == "closed":
            return MergeResult(merged=False, message=f"PR #{input.number} is closed")
        refusal = ""
        # The repository may allow only some merge methods; a merge commit keeps history best.
        for method in ("merge", "squash", "rebase"):
            reply = api.call(
                "PUT",
                f"{path}/merge",
                what=f"merge pull request #{input.number}",
                permission="contents:write",
                body={"sha": input.sha, "commit_title": input.title, "merge_method": method},
                expect=(405, 409),
            )
            if reply.ok:
                _log().info(
                    "pull request merged", number=input.number, sha=reply.data.get("sha"), method=method
                )
                return MergeResult(merged=True, sha=reply.data.get("sha"))
            refusal = reply.message or f"GitHub answered {reply.status}"
            if not (reply.status == 405 and "not allowed" in refusal.lower()):
                break
        # The answer to an earlier (or in-process retried) merge may have been lost: look again.
        pull = api.json(
            "GET", path, what=f"get pull request #{input.number}", permission="pull_requests:read"
        )
        if pull.get("merged"):
            return MergeResult(merged=True, sha=pull.get("merge_commit_sha"))
        return MergeResult(merged=False, message=refusal)

    # -----------------------------------------------------------------------------------------
    # 7-8. Deploy
    # -----------------------------------------------------------------------------------------

    @activity.defn
    def dispatch_deploy(self, input: DispatchInput) -> RunRef:
        """Exactly one run per hotfix: find the run an earlier attempt made, else dispatch."""
        api = self._api(input.repository)
        since = _aware(input.not_before) - self._clock_skew
        # A retry may follow a dispatch whose answer was lost and whose run GitHub lists only later.
        lookups = self._dispatch_lookup_attempts if activity.info().attempt > 1 else 1
        found = self._wait_for_run(api, input, since, lookups)
        if found is not None:
            return found
        what = f"dispatch workflow {input.workflow} on {input.ref}"
        missing = (
            f"check workflow {input.workflow} exists on the default branch with a workflow_dispatch "
            f"trigger, and that branch {input.ref} exists"
        )
        with errors.github_call(input.repository, what, permission="actions:write", missing=missing):
            workflow = self._github.repo(input.repository).get_workflow(input.workflow)
            run: WorkflowRun | bool
            try:
                run = workflow.create_dispatch(input.ref, inputs={}, throw=True, return_run_details=True)
            except GithubException as err:
                if not _run_details_refused(err):
                    raise
                # GHES before 3.21 refuses the key and makes no run; dispatch the old way.
                _log().info("return_run_details refused, dispatching without it", ref=input.ref)
                run = workflow.create_dispatch(input.ref, inputs={}, throw=True)
        if not isinstance(run, bool):
            _log().info("deploy dispatched", run_id=run.id, ref=input.ref)
            return RunRef(run_id=int(run.id), url=str(run.html_url), created=True)
        found = self._wait_for_run(api, input, since, self._dispatch_lookup_attempts)
        if found is not None:
            return RunRef(run_id=found.run_id, url=found.url, created=True)
        # Dispatched but not listed yet: the retry's lookup finds it, it does not dispatch again.
        raise ApplicationError(
            f"dispatched {input.workflow} on {input.ref}, but GitHub lists no run yet; looking again",
            type="RunNotListedYet",
        )

    def _wait_for_run(
        self, api: RepoApi, input: DispatchInput, since: datetime, attempts: int
    ) -> RunRef | None:
        for attempt in range(max(1, attempts)):
            if attempt:
                activity.heartbeat(f"looking for the run of {input.ref}")
                time.sleep(self._dispatch_lookup_interval)
            found = self._find_run(api, input, since)
            if found is not None:
                return found
        return None

    def _find_run(self, api: RepoApi, input: DispatchInput, since: datetime) -> RunRef | None:
        """The oldest workflow_dispatch run of the workflow on the branch created since `since`."""
        ours: list[tuple[datetime, dict[str, Any]]] = []
        for run in api.pages(
            f"/actions/workflows/{q(input.workflow)}/runs",
            what=f"list runs of {input.workflow} on {input.ref}",
            key="workflow_runs",
            params={
                "branch": input.ref,
                "event": "workflow_dispatch",
                "created": f">={since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
            },
            permission="actions:read",
        ):
            created = _parse_time(run.get("created_at"))
            if created is None:
                continue
            if created < since:
                # Runs come newest first: everything further is older still.
                break
            if run.get("head_branch") == input.ref and run.get("event") == "workflow_dispatch":
                ours.append((created, run))
        if not ours:
            return None
        run = min(ours, key=lambda pair: (pair[0], pair[1]["id"]))[1]
        return RunRef(run_id=int(run["id"]), url=str(run["html_url"]), created=False)

    @activity.defn
    def rerun_failed_jobs(self, input: RunInput) -> RerunResult:
        api = self._api(input.repository)
        path = f"/actions/runs/{input.run_id}"
        run = api.json("GET", path, what=f"get run {input.run_id}", permission="actions:read")
        # Not completed: an earlier attempt's re-run is already under way (or waiting for approval).
        if run.get("status") != "completed" or run.get("conclusion") == "success":
            return RerunResult(run_id=input.run_id, rerun=False)
        api.call(
            "POST",
            f"{path}/rerun-failed-jobs",
            what=f"re-run failed jobs of run {input.run_id}",
            permission="actions:write",
            missing="GitHub re-runs only runs younger than 30 days: dispatch a new run instead",
        )
        _log().info("re-run requested", run_id=input.run_id)
        return RerunResult(run_id=input.run_id, rerun=True)

    # -----------------------------------------------------------------------------------------
    # Comments and cleanup
    # -----------------------------------------------------------------------------------------

    @activity.defn
    def comment(self, input: CommentInput) -> CommentResult:
        """Post a comment. A retry first looks for the same text posted lately by an earlier attempt.

        Two different reminders a few hours apart are different texts, so both are posted; the
        look-back only catches an attempt whose answer was lost.
        """
        api = self._api(input.repository)
        if activity.info().attempt > 1:
            earlier = self._recent_comment(api, input.number, input.body)
            if earlier is not None:
                return CommentResult(comment_id=earlier)
        made = api.json(
            "POST",
            f"/issues/{input.number}/comments",
            what=f"comment on #{input.number}",
            permission="pull_requests:write",
            body={"body": input.body},
        )
        return CommentResult(comment_id=int(made["id"]))

    def _recent_comment(self, api: RepoApi, number: int, body: str) -> int | None:
        since = datetime.now(UTC) - self._comment_lookback
        for item in api.pages(
            f"/issues/{number}/comments",
            what=f"list comments on #{number}",
            params={"since": since.strftime("%Y-%m-%dT%H:%M:%SZ")},
            permission="pull_requests:read",
        ):
            created = _parse_time(item.get("created_at"))
            # Filtered here too: `since` is about updates, and not every server honours it.
            if created is not None and created < since:
                continue
            if str(item.get("body") or "").strip() == body.strip():
                return int(item["id"])
        return None

    @activity.defn
    def cleanup(self, input: CleanupInput) -> CleanupResult:
        """Withdraw a hotfix: cancel its waiting run, close its PRs with a comment, delete its branches.

        Safe to repeat: closed PRs, finished runs and deleted branches are what it wants anyway.
        """
        api = self._api(input.repository)
        result = CleanupResult()
        if input.cancel_run_id is not None:
            run = api.call(
                "GET",
                f"/actions/runs/{input.cancel_run_id}",
                what=f"get run {input.cancel_run_id}",
                permission="actions:read",
                expect=(404,),
            )
            if run.ok and run.data.get("status") != "completed":
                api.call(
                    "POST",
                    f"/actions/runs/{input.cancel_run_id}/cancel",
                    what=f"cancel run {input.cancel_run_id}",
                    permission="actions:write",
                    expect=(409,),
                )
        for number in input.pull_requests:
            pull = api.call(
                "GET",
                f"/pulls/{number}",
                what=f"get pull request #{number}",
                permission="pull_requests:read",
                expect=(404,),
            )
            if not pull.ok:
                # Nothing to close; failing here would leave the branches behind.
                _log().warning("pull request to close not found", number=number)
                continue
            if pull.data.get("state") != "closed":
                if self._recent_comment(api, number, input.comment) is None:
                    api.call(
                        "POST",
                        f"/issues/{number}/comments",
                        what=f"comment on #{number}",
                        permission="pull_requests:write",
                        body={"body": input.comment},
                    )
                api.call(
                    "PATCH",
                    f"/pulls/{number}",
                    what=f"close pull request #{number}",
                    permission="pull_requests:write",
                    body={"state": "closed"},
                )
            result.closed_pull_requests.append(number)
        for branch in input.branches:
            self._delete_branch(api, branch)
            result.deleted_branches.append(branch)
        _log().info("cleaned up", pulls=result.closed_pull_requests, branches=result.deleted_branches)
        return result
