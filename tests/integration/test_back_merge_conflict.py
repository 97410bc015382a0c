"""A back-merge that conflicts (#12 item 5), on the dev server with the real worker and the sandbox.

The default branch changes the lines the fix changed before the back-merge: GitHub shows the
back-merge PR `mergeable: false` (`dirty`). The hotfix says so, comments once with the file, labels
the PR, asks its requester to review, and waits without touching a branch; a human resolves it on
GitHub (merging the prod branch into the default branch by hand, which GitHub counts as merging the
PR) and the hotfix finishes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from hotfix.models import RecheckSignal, Step
from hotfix.outcome import final_result
from local.humans import DEV, FIX_CONTENT, FIX_PATH, wait_for
from tests.integration.conftest import REPO, writes
from tests.integration.test_reviewed_only import at_approval, pull
from workflows.hotfix import HotfixWorkflow

pytestmark = pytest.mark.integration

DEVELOPS_OWN = FIX_CONTENT.replace('"redirect": "/"', '"redirect": "/home"')
BOTH = FIX_CONTENT + "# develop's redirect to /home comes with the next release\n"


async def test_a_conflicting_back_merge_is_reported_once_and_waits_for_a_human(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    handle, humans, status, sha, number = await at_approval(local_env, sandbox, task_queue, unique)
    # Meanwhile develop changes the same lines of the same file.
    await asyncio.to_thread(humans.push_change, "develop", content=DEVELOPS_OWN)
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha)
    status = await wait_for(handle, lambda s: s.step == Step.DEPLOY_APPROVAL and s.run_id is not None, "run")
    assert status.run_id is not None
    await asyncio.to_thread(humans.approve_deployment, status.run_id)
    status = await wait_for(
        handle, lambda s: s.step == Step.BACK_MERGE and "conflicts" in (s.awaiting or ""), "the conflict"
    )
    assert status.back_merge_pull_request is not None
    back = status.back_merge_pull_request.number
    assert status.awaiting_who == [DEV[0]] and FIX_PATH in (status.message or "")

    # Nudged and polled a while longer, the hotfix reports nothing twice and resolves nothing.
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await asyncio.sleep(0.6)  # a few polls (0.2 s apart)
    pr = pull(sandbox, back)
    comments = [c.body for c in pr.get_issue_comments() if "cannot be merged" in c.body]
    assert len(comments) == 1 and f"- `{FIX_PATH}`" in comments[0] and f"@{DEV[0]}" in comments[0]
    assert [label.name for label in pr.labels] == ["hotfix-conflict"]
    assert DEV[0] in [user.login for user in pr.requested_reviewers]
    assert pr.mergeable is False and pr.state == "open"
    # Nobody has merged or committed anything through the API yet: the hotfix resolved nothing.
    assert not writes(sandbox, "POST", rf"/repos/{REPO}/(merges|git/commits|git/trees)")
    assert not writes(sandbox, "PUT", rf"/repos/{REPO}/pulls/{back}/merge")
    assert not writes(sandbox, "PUT", rf"/repos/{REPO}/pulls/{back}/update-branch")
    assert (await handle.query(HotfixWorkflow.status)).step == Step.BACK_MERGE

    # A human merges the prod branch into develop by hand, keeping both changes: GitHub shows the
    # back-merge PR as merged, and the hotfix is done.
    await asyncio.to_thread(humans.resolve_by_hand, "develop", status.prod_branch, FIX_PATH, BOTH)
    result = await asyncio.wait_for(final_result(handle), timeout=30)
    assert result.status.step == Step.DONE
    assert len([c for c in pull(sandbox, back).get_issue_comments() if "cannot be merged" in c.body]) == 1
