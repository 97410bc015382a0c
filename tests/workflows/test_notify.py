"""Chat notifications (workflows/notify.py): each human wait and the end are told once, with who is
awaited, the links and the deadline; a chat that fails never holds the hotfix; without chat targets
nothing is scheduled at all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from hotfix.models import ChangesReadySignal, RecheckSignal, Step
from hotfix.outcome import final_result
from local.environments import time_skipping_server
from tests.workflows.conftest import SETTINGS, Harness
from tests.workflows.test_hotfix import drive_to_deploy_approval, finish_back_merge
from workflows.hotfix import HotfixWorkflow
from workflows.versions import NOTIFY_AT_WAITS


@pytest_asyncio.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of each test's own, as tests/workflows/test_every_wait.py has: these
    tests skip days with notifications still retrying, and under load the shared server then stopped
    skipping time for the tests after them (test_lane timed out)."""
    async with time_skipping_server() as env:
        yield env


async def happy_path(h: Harness, description: str = "login returns 500") -> WorkflowHandle:
    handle = await h.start(description)
    status = await drive_to_deploy_approval(h, handle)
    assert status.run_id is not None
    h.gh.approve_run(status.run_id)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    result = await finish_back_merge(h, handle)
    assert result.status.step == Step.DONE
    return handle


async def scheduled_activities(handle: WorkflowHandle) -> list[str]:
    history = await handle.fetch_history()
    return [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]


async def test_each_wait_and_the_end_are_told_once_with_who_links_and_deadline(harness: Harness) -> None:
    h = harness
    h.gh.notify = True
    handle = await happy_path(h)
    sent = h.gh.notifications
    assert [n.event for n in sent] == ["changes", "approval", "deploy_approval", "back_merge", "done"]
    # One key per message: a retry would carry the same one, two messages never do.
    assert len({n.key for n in sent}) == len(sent) and all(n.key.startswith(handle.id) for n in sent)
    changes, approval, deploy, back_merge, done = sent
    assert changes.who == ["dev-1"] and "changes_ready" in (changes.awaiting or "")
    # The wait's own deadline: changes_timeout after the step began.
    assert changes.deadline is not None and deploy.deadline is not None and done.deadline is None
    assert approval.deadline is not None and approval.deadline - changes.deadline < SETTINGS.approval_timeout
    assert deploy.who == ["prod-reviewer-1", "prod-reviewer-2"]  # the environment's reviewers
    assert "Pull request" in approval.links and "Deploy run" in deploy.links
    assert "Back-merge" in back_merge.links and back_merge.who == ["dev-1"]
    ui = f"{SETTINGS.ui_base_url}/namespaces/default/workflows/"
    assert all(n.links["Temporal"].startswith(ui) for n in sent)
    assert done.awaiting is None and done.who == []
    assert set(await scheduled_activities(handle)).issuperset({"notify"})


async def test_without_chat_targets_nothing_is_scheduled_and_no_marker_recorded(harness: Harness) -> None:
    h = harness
    handle = await happy_path(h)
    assert h.gh.notifications == []
    assert "notify" not in await scheduled_activities(handle)
    history = await handle.fetch_history()
    markers = [e for e in history.events if e.HasField("marker_recorded_event_attributes")]
    assert not any(NOTIFY_AT_WAITS.encode() in e.SerializeToString() for e in markers)


async def test_a_chat_that_always_fails_never_holds_the_hotfix(harness: Harness) -> None:
    h = harness
    h.gh.notify = True
    h.gh.notify_failures = 1_000
    await happy_path(h, "chat down")
    # Bounded: four attempts per message (activities.notify.NOTIFY_ATTEMPTS), and the hotfix went on.
    events = [n.event for n in h.gh.notifications]
    assert {e: events.count(e) for e in set(events)} == {
        "changes": 4,
        "approval": 4,
        "deploy_approval": 4,
        "back_merge": 4,
        "done": 4,
    }


async def test_a_block_and_an_expiry_are_told(harness: Harness) -> None:
    h = harness
    h.gh.notify = True
    h.gh.refuse.add("open_pull_request")
    short = SETTINGS.model_copy(update={"blocked_timeout": timedelta(hours=2)})
    handle = await h.start("blocked then expired", settings=short)
    status = await h.reach(handle, Step.CHANGES)
    h.gh.commit(status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by="dev-1"))
    await h.reach(handle, Step.PULL_REQUEST, lambda s: (s.message or "").startswith("blocked:"))
    await h.env.sleep(timedelta(hours=3))
    result = await final_result(handle)
    assert result.status.step == Step.EXPIRED
    events = [n.event for n in h.gh.notifications]
    assert events == ["changes", "blocked", "expired"]
    blocked, expired = h.gh.notifications[1:]
    assert blocked.who == ["dev-1"] and (blocked.note or "").startswith("blocked: GitHub refused")
    assert blocked.deadline is not None
    assert "fix of what blocked the hotfix" in (expired.note or "")


async def test_a_failed_hotfix_is_told_before_the_workflow_fails(harness: Harness) -> None:
    h = harness
    h.gh.notify = True
    h.gh.preflight_failure = "prod/hotfix/* may not deploy to prod"
    handle = await h.start("preflight fails")
    with pytest.raises(WorkflowFailureError):
        await final_result(handle)
    # The failure's message was sent while the workflow still ran, not dropped with it.
    assert [n.event for n in h.gh.notifications] == ["failed"]
    assert "may not deploy" in (h.gh.notifications[0].note or "")
    assert "notify" in await scheduled_activities(handle)
    history = await handle.fetch_history()
    completed = [e for e in history.events if e.HasField("activity_task_completed_event_attributes")]
    assert len(completed) == 2  # preflight, then the notification, before the workflow failed


async def test_a_hotfix_cancelled_from_the_ui_is_told_as_aborted(harness: Harness) -> None:
    h = harness
    h.gh.notify = True
    handle = await h.start("cancelled")
    await h.reach(handle, Step.CHANGES)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await final_result(handle)
    assert [n.event for n in h.gh.notifications] == ["changes", "aborted"]
    assert h.gh.notifications[1].note == "workflow cancelled"


async def test_a_wait_named_just_before_a_block_is_still_told_after_it(harness: Harness) -> None:
    h = harness
    h.gh.notify = True
    # The approval wait is named, then reading the prod branch's rules is refused: the hotfix blocks
    # before the wait begins. Once fixed, the approval wait is told all the same.
    handle = await h.start("blocked before the approval wait")
    status = await h.reach(handle, Step.CHANGES)
    sha = h.gh.commit(status.work_branch)
    h.gh.checks[sha] = "pending"  # step 4 has read the rules and waits
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by="dev-1"))
    await h.reach(handle, Step.TESTS)
    h.gh.refuse.add("branch_rules")  # the approval step's read of them is refused
    del h.gh.checks[sha]
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await h.reach(handle, Step.APPROVAL, lambda s: (s.message or "").startswith("blocked:"))
    h.gh.refuse.clear()
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await h.reach(handle, Step.APPROVAL, lambda s: s.message == "rechecking after a fix")
    for _ in range(100):
        if len(h.gh.notifications) == 3:
            break
        await asyncio.sleep(0.05)
    assert [n.event for n in h.gh.notifications] == ["changes", "blocked", "approval"]
