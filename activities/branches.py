"""BranchActivities: what production runs, the hotfix's branches, comparing them, and withdrawing them.

Each method is idempotent: a retry finds what an earlier attempt made and reports it.
"""

from __future__ import annotations

from typing import Any

from github.GithubException import GithubException
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.github import errors
from activities.github.comments import CommentsOnGitHub
from activities.github.refs import branch_head, branch_sha, branches_under, delete_branch, resolve
from activities.github.rest import RepoApi, qref
from activities.github.threads import in_github_thread
from activities.log import logger
from hotfix.models import (
    CleanupInput,
    CleanupResult,
    CompareInput,
    CompareResult,
    CreateBranchInput,
    CreateBranchResult,
    FindBaseInput,
    FindBaseResult,
)


def _log() -> Any:
    return logger("activities.branches")


# Deployments scanned for the last successful one; older ones are history, not what runs.
DEPLOYMENT_SCAN_LIMIT = 100


class BranchActivities(CommentsOnGitHub):
    @activity.defn
    @in_github_thread
    def find_base(self, input: FindBaseInput) -> FindBaseResult:
        """What production runs: the newest deployment to the environment whose newest status is success,
        else the main branch; an explicit `base_ref` wins. Read-only, so safe to repeat."""
        api = self._api(input.repository)
        if input.base_ref:
            sha = resolve(api, input.base_ref, what=f"resolve base ref {input.base_ref}")
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
                return FindBaseResult(
                    sha=deployment["sha"],
                    ref=deployment["ref"],
                    source="deployment",
                    deployment_id=deployment["id"],
                    deployment_creator=(deployment.get("creator") or {}).get("login"),
                    deployment_created_at=deployment.get("created_at"),
                )
        sha = branch_sha(
            api, input.main_branch, missing=f"set HOTFIX_MAIN_BRANCH (now {input.main_branch!r})"
        )
        return FindBaseResult(sha=sha, ref=input.main_branch, source="main")

    @activity.defn
    @in_github_thread
    def create_branch(self, input: CreateBranchInput) -> CreateBranchResult:
        """Create `branch` at `sha`. Idempotent: a branch already at `sha` is what an earlier attempt made
        (`created=False`); one at another commit belongs to someone else and blocks the hotfix."""
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
        sha = branch_head(api, input.branch)
        if sha is None:
            # The 422 was about something else (a bad name or sha): say so.
            raise errors.translate(
                GithubException(422, {"message": made.message}),
                input.repository,
                what,
                missing=f"check the branch name {input.branch!r} and the sha {input.sha}",
            )
        if sha == input.sha:
            return CreateBranchResult(branch=input.branch, sha=sha, created=False)
        raise ApplicationError(
            f"branch {input.branch} already exists on {input.repository} at {sha[:12]}, not at the base "
            f"{input.sha[:12]}: it belongs to something else. Fix: delete or rename that branch, or use "
            "another description for the hotfix",
            type=errors.CONFLICT,
            non_retryable=True,
        )

    @activity.defn
    @in_github_thread
    def compare(self, input: CompareInput) -> CompareResult:
        """`base...head` as GitHub compares them, with the head pinned first. Read-only."""
        api = self._api(input.repository)
        # Pin the head first, so the counts and the sha describe the same commit.
        head = resolve(api, input.head, what=f"resolve {input.head}")
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

    @activity.defn
    @in_github_thread
    def cleanup(self, input: CleanupInput) -> CleanupResult:
        """Withdraw a hotfix: cancel its waiting run, close its PRs with a comment, delete its branches.

        People's work is never deleted: a branch with commits beyond `base_sha` is renamed to
        `{kept_prefix}{branch}-{sha7}` (the same name for the same commits, so a retry finds it), and
        the comment names it. Safe to repeat: closed PRs, finished runs, deleted and kept branches are
        what it wants anyway.
        """
        api = self._api(input.repository)
        result = CleanupResult()
        keep = self._branches_to_keep(api, input)
        comment = input.comment
        if keep:
            comment += "\n\n" + "\n".join(
                f"Kept `{branch}` as `{kept}`: it holds commits beyond the base."
                for branch, kept in keep.items()
            )
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
                self._comment_once(api, number, comment, look=True)
                api.call(
                    "PATCH",
                    f"/pulls/{number}",
                    what=f"close pull request #{number}",
                    permission="pull_requests:write",
                    body={"state": "closed"},
                )
            result.closed_pull_requests.append(number)
        for branch in input.branches:
            if branch in keep:
                self._rename(api, branch, keep[branch])
                result.kept_branches[branch] = keep[branch]
                continue
            delete_branch(api, branch)
            result.deleted_branches.append(branch)
        _log().info(
            "cleaned up",
            pulls=result.closed_pull_requests,
            branches=result.deleted_branches,
            kept=result.kept_branches,
        )
        return result

    def _branches_to_keep(self, api: RepoApi, input: CleanupInput) -> dict[str, str]:
        """Branch -> the name it is kept under, for each branch that holds commits beyond the base."""
        if not input.base_sha:
            return {}
        keep: dict[str, str] = {}
        for branch in input.branches:
            sha = branch_head(api, branch)
            if sha is None:
                kept = self._kept_earlier(api, input, branch)
                if kept:
                    keep[branch] = kept
                continue
            if sha == input.base_sha:
                continue
            diff = api.json(
                "GET",
                f"/compare/{input.base_sha}...{sha}",
                what=f"compare {input.base_sha[:12]}...{branch}",
                params={"per_page": 1},
            )
            if int(diff.get("ahead_by") or 0) > 0:
                keep[branch] = f"{input.kept_prefix}{branch}-{sha[:7]}"
        return keep

    def _kept_earlier(self, api: RepoApi, input: CleanupInput, branch: str) -> str | None:
        """A retry after the rename: the branch is gone and its kept copy exists."""
        names = branches_under(api, f"{input.kept_prefix}{branch}-")
        return names[0] if len(names) == 1 else None

    def _rename(self, api: RepoApi, branch: str, kept: str) -> None:
        """Copy the branch to `kept`, then delete it; each step is safe to repeat."""
        sha = branch_head(api, branch)
        if sha is not None:
            api.call(
                "POST",
                "/git/refs",
                what=f"create ref heads/{kept}",
                permission="contents:write",
                body={"ref": f"refs/heads/{kept}", "sha": sha},
                expect=(422,),
            )
        delete_branch(api, branch)
