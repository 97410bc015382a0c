"""Only people who may approve can approve (#17), each case played as the person who would break it.

GitHub accepts an approving review from anyone who can read the repository, and from bots where the
repository lets Actions approve; the hotfix must not count them. The real activities against the
sandbox GitHub on the dev server.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from hotfix.models import PreflightInput, ProcessSettings
from local.humans import REVIEWER_1, REVIEWER_2, wait_for
from sandbox.seed import ACTIONS_BOT_TOKEN, READER_TOKEN, repo_spec
from tests.integration.conftest import REPO, hotfix_worker, seeded_sandbox, writes
from tests.integration.test_reviewed_only import Scene, at_approval, pull, stop
from workflows.doctor import DoctorWorkflow

pytestmark = pytest.mark.integration

MERGE = r"/repos/acme/gaia-gateway/pulls/\d+/merge"


async def not_merged_after_a_while(sandbox: Any, number: int) -> None:
    await asyncio.sleep(1.0)  # several polls
    assert not pull(sandbox, number).merged
    assert not writes(sandbox, "PUT", MERGE), "the hotfix tried to merge"


async def not_counted(sandbox: Any, scene: Scene, token: str, reason: str) -> None:
    """The approval `token`'s user gives is ignored for `reason`, and nothing is merged on it."""
    handle, humans, _, sha, number = scene
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha, token=token)
    status = await wait_for(handle, lambda s: bool(s.ignored_approvals), "the approval seen")
    assert status.ignored_approvals == [reason]
    await not_merged_after_a_while(sandbox, number)


async def test_a_read_only_users_approval_does_not_count(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    scene = await at_approval(local_env, sandbox, task_queue, unique)
    handle, humans, _, sha, number = scene
    await not_counted(sandbox, scene, READER_TOKEN, "reader-1: read access only, approvals need write access")
    comments = [c.body for c in pull(sandbox, number).get_issue_comments()]
    assert any("Not counted" in body and "reader-1: read access only" in body for body in comments)
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha)
    await wait_for(handle, lambda s: s.merged_sha is not None, "the merge after a writer's approval")
    await stop(handle)


async def test_a_bots_approval_never_counts_even_with_write_access(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    # The repository lets Actions approve pull requests, and the bot may write: GitHub takes its approval.
    sandbox.configure_repo(
        REPO,
        actions_permissions={"can_approve_pull_request_reviews": True},
        collaborators={
            "hotfix-bot": "write",
            "dev-1": "write",
            "prod-reviewer-1": "write",
            "prod-reviewer-2": "write",
            "reader-1": "read",
            "github-actions[bot]": "write",
        },
    )
    scene = await at_approval(local_env, sandbox, task_queue, unique)
    await not_counted(sandbox, scene, ACTIONS_BOT_TOKEN, "github-actions[bot]: a bot, not a person")
    await stop(scene[0])


async def test_a_rule_asking_two_approvals_is_not_met_by_one(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    sandbox.configure_repo(
        REPO,
        protection=[
            {"pattern": "prod/hotfix/*", "required_pull_request": True, "required_approving_review_count": 2}
        ],
    )
    handle, humans, _, sha, number = await at_approval(local_env, sandbox, task_queue, unique)
    # The step is PR approval before the branch's rules are read; the count follows that read.
    await wait_for(handle, lambda s: s.required_approvals == 2, "the rule's two approvals in the status")
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha)
    await not_merged_after_a_while(sandbox, number)
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha, token=REVIEWER_2[1])
    await wait_for(handle, lambda s: s.merged_sha is not None, "the merge after the second approval")
    await stop(handle)


async def test_with_hotfix_approvers_a_writer_outside_the_team_does_not_count(
    local_env: WorkflowEnvironment, task_queue: str, unique: str, tmp_path: Path
) -> None:
    def with_team(seed: dict[str, Any]) -> None:
        seed["teams"] = [{"org": "acme", "slug": "prod-owners", "members": ["prod-reviewer-2"]}]
        repo_spec(seed).setdefault("teams", {})["prod-owners"] = "write"

    with seeded_sandbox(tmp_path, with_team) as sandbox:
        async with hotfix_worker(local_env, sandbox, task_queue):
            scene = await at_approval(local_env, sandbox, task_queue, unique, approvers=["acme/prod-owners"])
            handle, humans, _, sha, number = scene
            outsider = "prod-reviewer-1: not one of HOTFIX_APPROVERS (acme/prod-owners)"
            await not_counted(sandbox, scene, REVIEWER_1[1], outsider)
            await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha, token=REVIEWER_2[1])
            await wait_for(
                handle, lambda s: s.merged_sha is not None, "the merge after a team member's approval"
            )
            await stop(handle)


async def test_doctor_warns_where_the_hotfix_is_the_only_review_and_actions_may_approve(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    sandbox.configure_repo(
        REPO,
        protection=[
            {"pattern": "prod/hotfix/*", "required_pull_request": True, "required_approving_review_count": 0}
        ],
        actions_permissions={"can_approve_pull_request_reviews": True},
    )
    result = await local_env.client.execute_workflow(
        DoctorWorkflow.run,
        PreflightInput(repository=REPO, settings=ProcessSettings(), prod_branch="prod/hotfix/2026-12-01_x"),
        id=f"doctor-{unique}",
        task_queue=task_queue,
    )
    outcomes = {c.name: c.outcome for c in result.checks}
    assert outcomes["required approvals"] == "warn"
    assert outcomes["actions may approve"] == "warn"
    assert outcomes["pull request rule"] == "pass"
