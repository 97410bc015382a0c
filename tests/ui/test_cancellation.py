"""Request Cancellation → Confirm: the hotfix cleans up as an abort does, then ends cancelled (the
README: "the status says `aborted`, reason `workflow cancelled`")."""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus

from hotfix.models import HotfixStatus, Step
from tests.integration.conftest import REPO
from tests.ui.temporal_ui import TemporalUI, history

pytestmark = pytest.mark.ui


async def test_request_cancellation_cleans_up_like_abort_and_ends_cancelled(
    ui: TemporalUI, unique: str
) -> None:
    status, handle = await ui.started_at(f"Fix cancel {unique}", lambda s: s.step == Step.CHANGES, "changes")

    await ui.request_cancellation()

    await ui.page.get_by_text("Canceled", exact=True).first.wait_for()
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    events = await history(handle)
    assert events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED
    cleanups = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert cleanups[-1] == "cleanup"
    final = await handle.query("status", result_type=HotfixStatus)
    assert (final.step, final.reason) == (Step.ABORTED, "workflow cancelled")
    branches = {b.name for b in ui.sandbox.github().get_repo(REPO).get_branches()}
    assert not {status.work_branch, status.prod_branch} & branches
