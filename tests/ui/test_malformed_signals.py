"""The Send a Signal form filled in wrong, as people do: the Data box left empty, `null`, a string, a
number, an empty object, a field the signal does not know.

The design: the signal always counts (changes_ready makes the hotfix look at the branch), a payload
it cannot read is ignored and said so in the status, no payload at all means the defaults; either
way the status lists the signal with its sender ("not given" here) and what was used. No workflow
task ever fails, and the real signal afterwards moves the hotfix on.

Before #9 item 1 (commit 2176ee7 and earlier) the empty Data box failed every workflow task for
good (`changes_ready() missing 1 required positional argument`), and the real signal no longer
moved the hotfix.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hotfix.models import HotfixStatus, Step
from local.humans import Humans, wait_for
from tests.integration.conftest import REPO
from tests.ui.temporal_ui import TemporalUI, failed_workflow_tasks, history, signals_in

pytestmark = pytest.mark.ui

DEFAULTS = "changes_ready, by not given (no payload it could read: acted on with the defaults)"
NOT_GIVEN = "changes_ready, by not given"

# Data box text (None: left empty) → what history records, what the status lists, what it ignored.
CASES: dict[str, tuple[str | None, list[bytes], str, str | None]] = {
    "empty": (None, [], DEFAULTS, None),
    "null": ("null", [b"null"], DEFAULTS, None),
    "string": ('"stop"', [b'"stop"'], DEFAULTS, "changes_ready: payload 'stop' ignored"),
    "number": ("42", [b"42"], DEFAULTS, "changes_ready: payload 42 ignored"),
    "empty object": ("{}", [b"{}"], NOT_GIVEN, None),
    "unknown field": (
        '{"signed_off": true}',
        [b'{"signed_off":true}'],
        NOT_GIVEN,
        "changes_ready: unknown field(s) signed_off ignored",
    ),
}


async def settled(handle: Any, signals: int, *, within: float = 20.0) -> list[Any]:
    """History once `signals` signals are in it and a workflow task ran after the last one."""
    for _ in range(int(within / 0.2)):
        events = await history(handle)
        seen = [i for i, e in enumerate(events) if e.HasField("workflow_execution_signaled_event_attributes")]
        done = [
            i
            for i, e in enumerate(events)
            if e.HasField("workflow_task_completed_event_attributes")
            or e.HasField("workflow_task_failed_event_attributes")
        ]
        if len(seen) >= signals and done and done[-1] > seen[-1]:
            return events
        await asyncio.sleep(0.2)
    raise AssertionError(f"no workflow task ran after signal {signals}")


def looks_at_the_branch(events: list[Any]) -> int:
    """How often the hotfix compared the working branch with the base: once per changes_ready."""
    return sum(
        1
        for e in events
        if e.HasField("activity_task_scheduled_event_attributes")
        and e.activity_task_scheduled_event_attributes.activity_type.name == "compare"
    )


async def test_changes_ready_with_a_wrong_data_box_never_wedges_the_hotfix(
    ui: TemporalUI, unique: str
) -> None:
    humans = Humans(ui.sandbox.api_url, REPO)
    status, handle = await ui.started_at(f"Fix form {unique}", lambda s: s.step == Step.CHANGES, "changes")
    # One hotfix takes every wrong form in turn; the status keeps a line for each.
    listed_so_far: list[str] = []
    ignored_so_far: list[str] = []
    for case, (data, recorded, listed, ignored) in CASES.items():
        events = await history(handle)
        before, looked = len(signals_in(events)), looks_at_the_branch(events)

        await ui.send_signal("changes_ready", data)

        events = await settled(handle, before + 1)
        assert failed_workflow_tasks(events) == [], case
        assert signals_in(events)[before:] == [("changes_ready", recorded)], case
        # The signal counted: the hotfix looked at the branch again (nothing pushed yet, so it waits).
        for _ in range(100):
            if looks_at_the_branch(events) > looked:
                break
            await asyncio.sleep(0.2)
            events = await history(handle)
        assert looks_at_the_branch(events) == looked + 1, case
        listed_so_far.append(listed)
        ignored_so_far += [ignored] if ignored else []
        status = await handle.query("status", result_type=HotfixStatus)
        assert status.step == Step.CHANGES, case
        assert [line.split(" ", 1)[1] for line in status.signals] == listed_so_far, case
        assert [line.split(" (")[0] for line in status.ignored_inputs] == ignored_so_far, case

    # The page says so too (current details, read after a reload; the renderer curls quotes).
    current = (await ui.user_metadata())["current-details"].replace("\u2018", "'").replace("\u2019", "'")
    for case, (_, _, listed, ignored) in CASES.items():
        assert listed in current, case
        assert ignored is None or f"ignored: {ignored}" in current, case

    # The real input afterwards: the hotfix moves on.
    await asyncio.to_thread(humans.push_change, status.work_branch)
    await ui.send_signal("changes_ready", '{"by": "dev-1"}')
    status = await wait_for(handle, lambda s: s.step == Step.APPROVAL and s.pull_request is not None, "PR")
    assert status.signals[-1].endswith("changes_ready, by dev-1")
    assert failed_workflow_tasks(await history(handle)) == []
