"""The human decisions as updates: a decision that means nothing now is refused at once, with why.

The same decisions as signals are counted and, when they mean nothing, forgotten; a person at the CLI
never learns it. An update is validated first: refused, it leaves no trace in the history.
"""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from hotfix.models import DecisionResult, Step
from hotfix.outcome import final_result
from tests.workflows.conftest import Harness
from workflows.hotfix import HotfixWorkflow


async def _update(handle: WorkflowHandle, name: str, payload: Any = None) -> DecisionResult:
    result: DecisionResult = await handle.execute_update(name, payload, result_type=DecisionResult)
    return result


async def _refused(handle: WorkflowHandle, name: str, payload: Any = None) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await _update(handle, name, payload)
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.message


async def _update_events(handle: WorkflowHandle) -> int:
    kinds = (EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,)
    return sum(1 for e in (await handle.fetch_history()).events if e.event_type in kinds)


async def test_changes_ready_is_refused_before_the_changes_step_and_taken_there(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    h.gh.commit(status.work_branch)
    taken = await _update(handle, "changes_ready", {"by": "dev-1"})
    assert taken.message == f"it looks at {status.work_branch} now"
    status = await h.reach(handle, Step.APPROVAL)
    # At approval the developer's "ready" means nothing: refused, and said why.
    why = await _refused(handle, "changes_ready", {"by": "dev-1"})
    assert why.startswith("changes_ready: the hotfix is at approval, not waiting for changes (it waits for ")
    assert status.signals[-1].split(" ", 1)[1] == "changes_ready, by dev-1"
    assert (await handle.query(HotfixWorkflow.status)).signals == status.signals
    assert await _update_events(handle) == 1


@pytest.mark.parametrize(
    ("name", "payload", "why"),
    [
        ("changes_ready", {"by": 5}, "changes_ready: by: Input should be a valid string"),
        ("recheck", {"cherry_picks": ["not-a-sha"]}, "recheck: cherry_picks.0: String should match pattern"),
        ("abort", "stop", "abort: payload: Input should be a valid dictionary"),
        ("retry_deploy", [1], "retry_deploy: payload: Input should be a valid dictionary"),
    ],
)
async def test_a_payload_that_is_not_one_is_refused_with_what_is_wrong(
    harness: Harness, name: str, payload: Any, why: str
) -> None:
    h = harness
    handle = await h.start()
    await h.reach(handle, Step.CHANGES)
    assert (await _refused(handle, name, payload)).startswith(why)
    status = await handle.query(HotfixWorkflow.status)
    assert status.step == Step.CHANGES and status.ignored_inputs == [] and status.signals == []


async def test_retry_deploy_is_refused_unless_a_deploy_run_failed(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    await h.reach(handle, Step.CHANGES)
    assert (
        await _refused(handle, "retry_deploy")
        == "retry_deploy: the hotfix is at changes; no deploy run failed"
    )


async def test_a_cherry_pick_list_is_refused_unless_cherry_picking_blocked(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    await h.reach(handle, Step.CHANGES)
    why = await _refused(handle, "recheck", {"cherry_picks": ["abcdef1"]})
    assert why.startswith("recheck: a cherry-pick list replaces the list only of a hotfix blocked while")
    # A plain recheck is a nudge: always taken while the hotfix runs.
    assert (await _update(handle, "recheck")).message == "it looks at GitHub again now"


async def test_abort_is_taken_once_then_refused_with_the_first_reason(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    await h.reach(handle, Step.CHANGES)
    taken = await _update(handle, "abort", {"reason": "wrong fix", "by": "dev-1"})
    assert taken.message == "it winds down and cleans up"
    assert (
        await _refused(handle, "abort", {"reason": "again"})
        == "abort: the hotfix is being aborted (wrong fix)"
    )
    result = await final_result(handle)
    assert result.status.step == Step.ABORTED and result.status.reason == "wrong fix"
