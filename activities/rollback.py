"""RollbackActivities: what the environment runs now, and the deployment a rollback goes back to.

Read-only, so safe to repeat. A rollback that cannot be done (no earlier deployment, its ref gone)
is refused with the reason and what to do, as a non-retryable error: retrying cannot change it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.branches import DEPLOYMENT_SCAN_LIMIT
from activities.github.refs import branch_head, commit_of
from activities.github.rest import OnGitHub, RepoApi
from activities.github.threads import in_github_thread
from activities.log import logger
from hotfix.models import FindRollbackInput, RollbackTarget

REFUSED = "RollbackRefused"


def _log() -> Any:
    return logger("activities.rollback")


def refused(message: str) -> ApplicationError:
    return ApplicationError(f"rollback refused: {message}", type=REFUSED, non_retryable=True)


class RollbackActivities(OnGitHub):
    @activity.defn
    @in_github_thread
    def find_rollback_target(self, input: FindRollbackInput) -> RollbackTarget:
        """The environment's current deployment (the newest whose newest status is success) and the one
        to go back to: `to_deployment`, else the newest earlier one that succeeded at another commit.

        GitHub marks a deployment `inactive` once a newer one succeeds, so "succeeded" means a success
        anywhere in its statuses, not its newest one.
        """
        api = self._api(input.repository)
        env = input.environment
        current: dict[str, Any] | None = None
        target: dict[str, Any] | None = None
        for deployment, states in self._deployments(api, env):
            if current is None:
                if states and states[0] == "success":
                    current = deployment
                continue
            if input.to_deployment is None and "success" in states and deployment["sha"] != current["sha"]:
                target = deployment
                break
        if current is None:
            raise refused(f"nothing runs in {env}: no deployment to it has succeeded, so none to undo")
        if input.to_deployment is not None:
            target = self._given(api, input.to_deployment, env)
            if target["sha"] == current["sha"]:
                raise refused(
                    f"{env} already runs {current['sha'][:12]} (deployment {current['id']}), the commit of "
                    f"deployment {target['id']}"
                )
        if target is None:
            raise refused(
                f"no deployment to {env} before the current one ({current['id']}, {current['sha'][:12]} from "
                f"{current['ref']}) succeeded at another commit: there is nothing to roll back to"
            )
        head = self._ref_head(api, str(target["ref"]), str(target["sha"]))
        _log().info("rollback target", current=current["id"], deployment=target["id"], sha=target["sha"])
        return RollbackTarget(
            current_deployment=int(current["id"]),
            current_sha=str(current["sha"]),
            current_ref=str(current["ref"]),
            deployment=int(target["id"]),
            sha=str(target["sha"]),
            ref=str(target["ref"]),
            ref_head=head,
        )

    @staticmethod
    def _states(api: RepoApi, deployment_id: int) -> list[str]:
        """The deployment's status states, newest first."""
        statuses = api.pages(
            f"/deployments/{deployment_id}/statuses",
            what=f"list statuses of deployment {deployment_id}",
            permission="deployments:read",
        )
        return [str(s.get("state")) for s in statuses]

    def _deployments(self, api: RepoApi, env: str) -> Iterator[tuple[dict[str, Any], list[str]]]:
        deployments = api.pages(
            "/deployments",
            what=f"list deployments to {env}",
            params={"environment": env},
            permission="deployments:read",
            limit=DEPLOYMENT_SCAN_LIMIT,
        )
        for deployment in deployments:
            yield deployment, self._states(api, int(deployment["id"]))

    def _given(self, api: RepoApi, deployment_id: int, env: str) -> dict[str, Any]:
        reply = api.call(
            "GET",
            f"/deployments/{deployment_id}",
            what=f"get deployment {deployment_id}",
            permission="deployments:read",
            expect=(404,),
        )
        if not reply.ok or not isinstance(reply.data, dict):
            raise refused(f"{api.repository} has no deployment {deployment_id}: check --to")
        deployment = reply.data
        if deployment.get("environment") != env:
            raise refused(
                f"deployment {deployment_id} went to {deployment.get('environment')!r}, not to {env}: "
                "check --to"
            )
        if "success" not in self._states(api, deployment_id):
            raise refused(
                f"deployment {deployment_id} never succeeded in {env}: it is not something that ran there"
            )
        return deployment

    @staticmethod
    def _ref_head(api: RepoApi, ref: str, sha: str) -> str:
        """Where the deployment's ref points now; a branch or tag that is gone refuses the rollback."""
        if ref == sha:
            return sha  # deployed by sha: nothing to look up, the rollback makes a branch there
        head = branch_head(api, ref)
        if head is None:
            head = commit_of(api, ref)  # a tag
        if head is None:
            raise refused(
                f"the ref {ref} of that deployment no longer exists on {api.repository}: restore it at "
                f"{sha[:12]} (`git push origin {sha}:refs/heads/{ref}`) and run the rollback again"
            )
        if head != sha and commit_of(api, sha) is None:
            raise refused(f"commit {sha[:12]} of that deployment no longer exists on {api.repository}")
        return head
