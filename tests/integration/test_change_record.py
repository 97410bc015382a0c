"""The change record (#12 item 1), built by the real worker from the sandbox GitHub at the end of a
hotfix: each entry is checked against what the sandbox itself holds (its API as a second reader,
its request log), not against what the workflow believed; a self-approval raises its flag."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from hotfix.models import AbortSignal, ChangesReadySignal, HotfixResult, Step
from hotfix.outcome import final_result
from hotfix.record_view import MARKER, record_markdown
from local.humans import DEV, REVIEWER_1, REVIEWER_2, Humans, play_happy_path, wait_for
from tests.cli.support import one_error_line
from tests.integration.conftest import REPO, start, writes
from tests.integration.test_bad_input import cli
from tests.integration.test_reviewed_only import at_approval
from workflows.hotfix import HotfixWorkflow

pytestmark = pytest.mark.integration


async def test_the_record_of_a_whole_hotfix_is_what_github_shows(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    handle = await start(local_env.client, task_queue, unique)
    await play_happy_path(local_env.client, handle.id, Humans(sandbox.api_url, REPO))
    result: HotfixResult = await final_result(handle)
    record, status = result.record, result.status
    assert record is not None and status.pull_request and status.back_merge_pull_request and status.run_id
    repo = sandbox.github().get_repo(REPO)
    pr = repo.get_pull(status.pull_request.number)
    assert (record.pull_request, record.merged_by, record.merge_sha) == (
        pr.number,
        "hotfix-bot",
        pr.merge_commit_sha,
    )
    assert record.merged_head == record.reviewed_head == pr.head.sha
    assert [(r.reviewer, r.state, r.commit_id) for r in record.reviews] == [
        (r.user.login, r.state, r.commit_id) for r in pr.get_reviews()
    ]
    assert (REVIEWER_1[0], "APPROVED") in [(r.reviewer, r.state) for r in record.reviews]
    assert [(c.sha, c.author) for c in record.commits] == [(c.sha, c.author.login) for c in pr.get_commits()]
    assert {c.name: c.conclusion for c in record.checks if c.kind == "check run"} == {
        r.name: r.conclusion for r in repo.get_commit(pr.head.sha).get_check_runs()
    }
    run = repo.get_workflow_run(status.run_id)
    assert (record.run_id, record.run_conclusion, record.run_attempts) == (
        run.id,
        run.conclusion,
        run.run_attempt,
    )
    assert [(a.reviewer, a.state, a.environments) for a in record.approvals] == [
        (REVIEWER_2[0], "approved", ["prod"])
    ]
    deployment = next(d for d in repo.get_deployments(environment="prod") if d.sha == run.head_sha)
    assert [(d.id, d.sha) for d in record.deployments] == [(deployment.id, deployment.sha)]
    assert record.deployments[0].statuses == [s.state for s in deployment.get_statuses()]
    assert record.back_merge_pull_request == status.back_merge_pull_request.number
    assert record.back_merged_by == DEV[0]
    assert record.flags == [] and record.unreadable == []
    assert record.step == Step.DONE.value and record.timeline[0].startswith("preflight: ")

    # Left on the hotfix PR once, as `record --markdown` prints it; the only write the record made.
    ours = [c for c in pr.get_issue_comments() if c.body.startswith(MARKER)]
    assert [c.body for c in ours] == [record_markdown(record)]
    assert len(writes(sandbox, "POST", rf"/repos/{REPO}/issues/{pr.number}/comments", 201)) >= 1
    assert writes(sandbox, "PATCH", r"/repos/.*/issues/comments/\d+") == []


async def test_a_pr_approved_by_the_fixs_author_is_flagged_in_the_record(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    scene = await at_approval(local_env, sandbox, task_queue, unique, require_independent_review=False)
    handle, humans, _, sha, number = scene
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha, token=DEV[1])
    await wait_for(handle, lambda s: s.merged_sha is not None, "the merge")
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="flag seen", by=DEV[0]))
    result: HotfixResult = await final_result(handle)
    assert result.record is not None and result.record.step == Step.ABORTED.value
    assert f"self-approval: {DEV[0]} approved PR #{number} and authored a commit in it" in result.record.flags


@pytest.mark.slow  # make test keeps the record of a whole hotfix and its comment
async def test_the_record_comment_is_edited_in_place_when_read_again(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    """A retried record (an answer lost after the comment was made) edits its comment, never adds one."""
    handle = await start(local_env.client, task_queue, unique)
    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes")
    await asyncio.to_thread(Humans(sandbox.api_url, REPO).push_change, status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by=DEV[0]))
    status = await wait_for(handle, lambda s: s.step == Step.APPROVAL and s.pull_request is not None, "PR")
    assert status.pull_request is not None
    # Both comments' answers are lost (the abort's closing note's, then the record's): each retry must
    # find the comment its attempt made; the record's edits it in place.
    sandbox.add_fault("POST", rf"/repos/{REPO}/issues/\d+/comments", count=2, status=502, applied=True)
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over", by=DEV[0]))
    result: HotfixResult = await final_result(handle)
    assert result.record is not None
    pr = sandbox.github().get_repo(REPO).get_pull(status.pull_request.number)
    ours = [c.body for c in pr.get_issue_comments() if c.body.startswith(MARKER)]
    assert ours == [record_markdown(result.record)]
    assert len(writes(sandbox, "PATCH", rf"/repos/{REPO}/issues/comments/\d+", 200)) == 1


async def test_record_prints_an_interim_record_while_running_and_the_final_one_after(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    handle = await start(local_env.client, task_queue, unique)
    await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes")
    interim = await asyncio.to_thread(cli, local_env, task_queue, "record", handle.id, "--json")
    assert interim.exit_code == 0, interim.output
    lines = interim.stdout.splitlines()
    found = json.loads("\n".join(lines[lines.index("{") :]))
    assert (found["final"], found["step"], found["workflow_id"]) == (False, "changes", handle.id)

    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over", by=DEV[0]))
    result: HotfixResult = await final_result(handle)
    assert result.record is not None
    final = await asyncio.to_thread(cli, local_env, task_queue, "record", handle.id, "--markdown")
    assert final.exit_code == 0, final.output
    assert record_markdown(result.record) in final.stdout

    unknown = await asyncio.to_thread(cli, local_env, task_queue, "record", f"hotfix/{REPO}/no-such-{unique}")
    assert unknown.exit_code == 1
    assert "no hotfix with workflow ID" in one_error_line(unknown)
