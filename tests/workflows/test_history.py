"""What a hotfix writes to its history (LEAN_HISTORY, workflows/versions.py): the events a happy path
costs are a figure of bench/history_events.py; these are the rules that keep them few."""

from __future__ import annotations

import base64
import json
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from hotfix import search_attributes
from hotfix.models import RecheckSignal, Step
from hotfix.outcome import final_result
from tests.workflows.conftest import Harness
from tests.workflows.test_hotfix import drive_to_approval, ship
from workflows import versions
from workflows.hotfix import HotfixWorkflow


async def events(handle: WorkflowHandle) -> list[Any]:
    return list((await handle.fetch_history()).events)


def patch_ids(history: list[Any]) -> list[str]:
    return [
        json.loads(base64.b64decode(payload.data) if isinstance(payload.data, str) else payload.data)["id"]
        for e in history
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_patch"
        for payload in e.marker_recorded_event_attributes.details["patch-data"].payloads
    ]


def upserted(history: list[Any], key: str) -> list[str]:
    """The values of search attribute `key` the workflow upserted, in order."""
    return [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields[
            key
        ].data.decode()
        for e in history
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
        and key in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    ]


async def test_a_new_hotfix_records_one_patch_marker_for_every_patch(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    await ship(h, handle)
    history = await events(handle)

    # Every patch of the hotfix took its new branch (the happy path went through the checks of the
    # PR, the change record...), yet the history carries the one marker that stands for them all.
    assert patch_ids(history) == [versions.LEAN_HISTORY]
    assert len(upserted(history, "TemporalChangeVersion")) == 1
    # The starter listed the hotfix by repository and at preflight: neither is upserted again.
    assert upserted(history, search_attributes.REPOSITORY.name) == []
    steps = upserted(history, search_attributes.STEP.name)
    assert Step.PREFLIGHT.value not in " ".join(steps)
    assert any(Step.DONE.value in s for s in steps)
    assert (await final_result(handle)).status.step == Step.DONE


async def test_the_polls_of_one_wait_share_one_timer(harness: Harness) -> None:
    # Each recheck at approval cancels the poll and starts a new one (a look at once); before
    # LEAN_HISTORY each of them also cancelled the wait's timer and started another.
    h = harness
    handle = await h.start()
    status = await drive_to_approval(h, handle)
    assert status.pull_request is not None
    before = await events(handle)
    for _ in range(3):
        seen = len(await events(handle))
        await handle.signal(HotfixWorkflow.recheck, RecheckSignal(by="dev-1"))
        for _ in range(200):  # until the nudged poll was scheduled again
            now = await events(handle)
            kinds = [e.event_type for e in now[seen:]]
            if EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED in kinds:
                break
            await h.reach(handle, Step.APPROVAL)
    after = await events(handle)
    new = after[len(before) :]
    scheduled = [e for e in new if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    assert len(scheduled) >= 3  # three polls came and went...
    started = [e for e in new if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED]
    cancelled = [e for e in new if e.event_type == EventType.EVENT_TYPE_TIMER_CANCELED]
    # ...under the timer the wait started with.
    assert (len(started), len(cancelled)) == (0, 0), "a timer started or cancelled per poll"

    h.gh.review(status.pull_request.number, "prod-reviewer-1", "APPROVED")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await h.reach(handle, Step.DEPLOY_APPROVAL, lambda s: bool(s.awaiting_who))
