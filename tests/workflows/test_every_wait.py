"""Every human wait has a deadline, reminders where a PR exists, and a name (#8 item 7).

Before, the drift guard, "blocked" and "queued" waited forever and told nobody, and only the PR
approval and the back-merge reminded anyone. Time-skipping: days pass in milliseconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from hotfix import search_attributes
from hotfix.models import AbortSignal, ChangesReadySignal, RecheckSignal, Step
from hotfix.outcome import final_result
from local.environments import time_skipping_server
from tests.workflows.conftest import SETTINGS, Harness
from tests.workflows.test_hotfix import drive_to_deploy_approval
from workflows.hotfix import HotfixWorkflow


@pytest_asyncio.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of each test's own: these tests skip weeks, and time is global to a
    server, so they share none. Under load the test server now and then refuses a workflow task
    ("invalid history builder state for action") and stops skipping time; a server per test keeps
    that from failing the tests after it too."""
    async with time_skipping_server() as env:
        yield env


def reminders(h: Harness, number: int) -> list[str]:
    return [body for n, body in h.gh.comments if n == number and body.startswith("⏰ Reminder")]


async def test_the_deploy_approval_reminds_the_environments_reviewers(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await drive_to_deploy_approval(h, handle)
    assert status.pull_request is not None
    number = status.pull_request.number
    before = len(reminders(h, number))
    await h.env.sleep(SETTINGS.reminder_interval + timedelta(minutes=1))
    await h.reach(handle, Step.DEPLOY_APPROVAL)
    posted = reminders(h, number)[before:]
    assert posted and "@prod-reviewer-1 @prod-reviewer-2" in posted[-1]


async def test_the_pr_is_opened_with_the_reviewers_asked_and_the_wait_names_them(harness: Harness) -> None:
    h = harness
    settings = SETTINGS.model_copy(update={"pr_reviewers": ["prod-reviewer-1", "acme/sre"]})
    handle = await h.start(settings=settings)
    status = await h.reach(handle, Step.CHANGES)
    h.gh.commit(status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by="dev-1"))
    status = await h.reach(handle, Step.APPROVAL, lambda s: bool(s.awaiting_who))
    assert status.pull_request is not None
    assert h.gh.prs[status.pull_request.number].requested == ["prod-reviewer-1", "acme/sre"]
    assert status.awaiting_who == ["prod-reviewer-1", "acme/sre"]
    await h.env.sleep(SETTINGS.reminder_interval + timedelta(minutes=1))
    await h.reach(handle, Step.APPROVAL)
    assert "@prod-reviewer-1 @acme/sre" in reminders(h, status.pull_request.number)[-1]


async def test_a_drift_nobody_resolves_expires_and_reminds_meanwhile(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    h.gh.commit(status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by="dev-1"))
    status = await h.reach(handle, Step.APPROVAL)
    assert status.pull_request is not None
    number = status.pull_request.number
    h.gh.deploy_elsewhere("develop")
    h.gh.review(number, "prod-reviewer-1", "APPROVED")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    status = await h.reach(handle, Step.DEPLOY, lambda s: "drift" in (s.message or ""))
    assert status.awaiting_who == ["dev-1"]
    await h.env.sleep(SETTINGS.reminder_interval + timedelta(minutes=1))
    await h.reach(handle, Step.DEPLOY)
    assert "@dev-1" in reminders(h, number)[-1]
    await h.env.sleep(SETTINGS.drift_timeout)
    result = await final_result(handle)
    assert result.status.step == Step.EXPIRED and "resolution of the drift" in (result.status.reason or "")


async def test_a_blocked_hotfix_expires_instead_of_waiting_forever(harness: Harness) -> None:
    h = harness
    h.gh.refuse.add("create_branch")
    handle = await h.start()
    status = await h.reach(handle, Step.BRANCHES, lambda s: (s.message or "").startswith("blocked:"))
    assert status.awaiting_who == ["dev-1"]
    await h.env.sleep(SETTINGS.blocked_timeout + timedelta(minutes=1))
    result = await final_result(handle)
    assert result.status.step == Step.EXPIRED
    assert "fix of what blocked the hotfix" in (result.status.reason or "")


async def test_a_queued_hotfix_expires_when_the_one_ahead_never_moves(harness: Harness) -> None:
    h = harness
    # The first hotfix may wait for its changes a long time; the second is not kept for ever behind it.
    long_changes = SETTINGS.model_copy(update={"changes_timeout": timedelta(days=30)})
    first = await h.start("first fix", settings=long_changes)
    await h.reach(first, Step.CHANGES)
    second = await h.start("second fix")
    status = await h.reach(second, Step.QUEUED, lambda s: s.queued_behind is not None)
    assert status.awaiting_who == ["dev-1"]
    await h.env.sleep(SETTINGS.queued_timeout + timedelta(minutes=1))
    result = await final_result(second)
    assert result.status.step == Step.EXPIRED
    assert "turn in the repository's lane" in (result.status.reason or "")
    assert (await first.query(HotfixWorkflow.status)).step == Step.CHANGES


async def test_a_blocked_hotfix_is_listed_as_blocked_until_a_recheck_gets_it_going(harness: Harness) -> None:
    # The UI's list (HotfixBlocked = "true") and the worker's hotfix_blocked_now gauge find it.
    h = harness
    h.gh.refuse.add("create_branch")
    handle = await h.start()
    await h.reach(handle, Step.BRANCHES, lambda s: (s.message or "").startswith("blocked:"))
    described = await handle.describe()
    assert described.typed_search_attributes.get(search_attributes.BLOCKED) == "true"
    h.gh.refuse.discard("create_branch")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await h.reach(handle, Step.CHANGES)
    described = await handle.describe()
    assert described.typed_search_attributes.get(search_attributes.BLOCKED) == "false"
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    assert (await final_result(handle)).status.step == Step.ABORTED


async def test_a_hotfix_aborted_while_blocked_is_no_longer_listed_as_blocked(harness: Harness) -> None:
    # It stayed HotfixBlocked = "true" for good: the UI's list and the gauge counted a closed hotfix.
    h = harness
    h.gh.refuse.add("create_branch")
    handle = await h.start()
    await h.reach(handle, Step.BRANCHES, lambda s: (s.message or "").startswith("blocked:"))
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="wrong fix"))
    assert (await final_result(handle)).status.step == Step.ABORTED
    described = await handle.describe()
    assert described.typed_search_attributes.get(search_attributes.BLOCKED) == "false"


@pytest.mark.parametrize("ending", ["aborted", "expired"])
async def test_an_aborted_or_expired_hotfix_ends_failed_not_as_a_success(
    harness: Harness, ending: str
) -> None:
    # The UI's list shows Completed green: a hotfix that shipped nothing must not look like one.
    # (Here, not in test_hotfix.py: the 7-day skip needs a time-skipping server of its own.)
    h = harness
    handle = await h.start()
    await h.reach(handle, Step.CHANGES)
    if ending == "aborted":
        await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="wrong fix", by="dev-1"))
    else:
        await h.env.sleep(timedelta(days=7, hours=1))  # the changes deadline, as in the test above
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    assert (await handle.describe()).status == WorkflowExecutionStatus.FAILED
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.non_retryable
    assert cause.type == ("HotfixAborted" if ending == "aborted" else "HotfixExpired")
    assert cause.message.startswith(f"hotfix {ending}: ")
    # Nothing of the result is lost: it is the failure's details, and the step says which end it was.
    result = await final_result(handle)
    assert result.status.step == Step(ending) and result.record is not None
    described = await handle.describe()
    assert described.typed_search_attributes.get(search_attributes.STEP) == ending
