"""Nothing a person sends can wedge a hotfix: every signal takes no payload, null, {} and junk.

Before the handlers took `Any = None`, a signal without payload (the UI's empty Data box, the CLI
without --input) failed every workflow task with a TypeError, for good.
"""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import WorkflowHandle

from hotfix.models import Step
from hotfix.outcome import final_result
from tests.workflows.conftest import Harness
from workflows.hotfix import HotfixWorkflow

# What people send by hand: nothing at all, null, an empty object, unknown fields, wrong types.
NOTHING = object()


def shown(payload: Any) -> str:
    """A test id that is the same in every process (an object's repr carries its address)."""
    return "no payload" if payload is NOTHING else repr(payload)


PAYLOADS: list[Any] = [NOTHING, None, {}, {"unknown": 1}, "stop", 42, [1, 2], {"by": 5}]
JUNK = {"stop", 42, (1, 2), 5}


async def _send(handle: WorkflowHandle, name: str, payload: Any) -> None:
    if payload is NOTHING:
        await handle.signal(name)
    else:
        await handle.signal(name, payload)


def _ignored_count(payloads: list[Any]) -> int:
    # `{"unknown": 1}` is read, its unknown field noted as ignored; `{"by": 5}` is not read (wrong type).
    return sum(1 for p in payloads if isinstance(p, str | int | list) or p in ({"by": 5}, {"unknown": 1}))


@pytest.mark.parametrize("payload", PAYLOADS, ids=shown)
async def test_changes_ready_with_any_payload_moves_the_hotfix_on(harness: Harness, payload: Any) -> None:
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    h.gh.commit(status.work_branch)
    await _send(handle, "changes_ready", payload)
    status = await h.reach(handle, Step.APPROVAL)
    assert status.step == Step.APPROVAL
    assert len(status.ignored_inputs) == _ignored_count([payload])
    if payload == {"unknown": 1}:
        assert status.ignored_inputs == ["changes_ready: unknown field(s) unknown ignored"]
    elif status.ignored_inputs:
        assert status.ignored_inputs[0].startswith("changes_ready: payload ")
    # The signal is listed with its sender, "not given" here; unreadable or none: the defaults.
    (line,) = status.signals
    assert line.split(" ", 1)[1].startswith("changes_ready, by not given")
    unread = payload is NOTHING or payload is None or "payload" in "".join(status.ignored_inputs)
    assert line.endswith("(no payload it could read: acted on with the defaults)") == unread


async def test_every_signal_survives_every_payload_and_the_hotfix_still_finishes(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    for name in ("recheck", "retry_deploy", "lane_update"):
        for payload in PAYLOADS:
            await _send(handle, name, payload)
    # Still answering queries and still waiting where it was: no workflow task failed.
    status = await h.reach(handle, Step.CHANGES)
    h.gh.commit(status.work_branch)
    await _send(handle, "changes_ready", NOTHING)
    status = await h.reach(handle, Step.APPROVAL)
    assert status.pull_request is not None
    h.gh.review(status.pull_request.number, "prod-reviewer-1", "APPROVED")
    await _send(handle, "recheck", None)
    status = await h.reach(handle, Step.DEPLOY_APPROVAL, lambda s: s.run_id is not None)
    assert status.run_id is not None
    h.gh.approve_run(status.run_id)
    await _send(handle, "recheck", "junk")
    status = await h.reach(handle, Step.BACK_MERGE, lambda s: s.back_merge_pull_request is not None)
    assert status.back_merge_pull_request is not None
    h.gh.merge_by_hand(status.back_merge_pull_request.number)
    await _send(handle, "recheck", NOTHING)
    result = await final_result(handle)
    assert result.status.step == Step.DONE
    assert any(line.startswith("recheck: payload 'stop' ignored") for line in result.status.ignored_inputs)


@pytest.mark.parametrize("payload", [NOTHING, None, {}, "stop"], ids=shown)
async def test_abort_without_a_reason_aborts_with_a_default_one(harness: Harness, payload: Any) -> None:
    h = harness
    handle = await h.start()
    await h.reach(handle, Step.CHANGES)
    await _send(handle, "abort", payload)
    result = await final_result(handle)
    assert result.status.step == Step.ABORTED
    assert result.status.reason == "aborted without a reason"


async def test_a_typed_abort_keeps_its_reason(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    await h.reach(handle, Step.CHANGES)
    await handle.signal(HotfixWorkflow.abort, {"reason": "wrong fix", "by": "dev-1"})
    result = await final_result(handle)
    assert result.status.reason == "wrong fix" and not result.status.ignored_inputs


async def test_webhook_nudges_are_counted_and_never_push_people_out_of_the_status(harness: Harness) -> None:
    # A busy CI makes the receiver send a recheck per event; listed like people's signals, a dozen
    # of them pushed the last person's signal out of the status's ten lines.
    h = harness
    handle = await h.start()
    await h.reach(handle, Step.CHANGES)
    await handle.signal(HotfixWorkflow.recheck, {"by": "dev-1"})
    for n in range(12):
        await handle.signal(HotfixWorkflow.recheck, {"by": f"webhook check_run delivery-{n}"})
    status = await h.reach(handle, Step.CHANGES, lambda s: s.webhook_nudges == 12)
    assert [line.split(" ", 1)[1] for line in status.signals] == ["recheck, by dev-1"]
    assert status.last_webhook_nudge is not None
    assert status.last_webhook_nudge.endswith("recheck, by webhook check_run delivery-11")
    # Anything but a plain recheck decides something: listed, whoever it names as its sender.
    await handle.signal(HotfixWorkflow.abort, {"reason": "test over", "by": "webhook alice"})
    result = await final_result(handle)
    assert [line.split(" ", 1)[1] for line in result.status.signals] == [
        "recheck, by dev-1",
        "abort, by webhook alice",
    ]
    assert result.status.webhook_nudges == 12
