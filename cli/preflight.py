"""`start` waits for preflight's verdict, so a typo in what a person typed fails the command itself.

Preflight reads only: a hotfix that fails it has created nothing. While it retries (GitHub
unreachable, say), the person is told why, once, from the pending activity's last failure.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
)

from cli.context import CliError, one_line
from hotfix import search_attributes
from hotfix.models import NOT_YET, HotfixResult, Step
from service.temporal import has_pollers
from workflows.hotfix import HotfixWorkflow

PREFLIGHT_WAIT = timedelta(minutes=2)
_EVERY = 0.25


def retrying(description: WorkflowExecutionDescription) -> str | None:
    """Why an activity of the hotfix is being retried, from its last failure ("preflight, attempt 3: ...")."""
    for pending in description.raw_description.pending_activities:
        if pending.last_failure.application_failure_info.type == NOT_YET:
            continue  # a poll between two looks: waiting, not failing
        if pending.attempt > 1 and pending.last_failure.message:
            message = one_line(pending.last_failure.message)
            return f"{pending.activity_type.name}, attempt {pending.attempt}: {message}"
    return None


async def wait_for_preflight(
    client: Client,
    workflow_id: str,
    task_queue: str,
    patience: timedelta = PREFLIGHT_WAIT,
    kind: str = "hotfix",
) -> str:
    """The step the hotfix reached after passing preflight; CliError when it failed or took too long.

    Without a worker nothing can run yet: say so and do not wait (the hotfix starts when one comes).
    """
    if not await has_pollers(client, task_queue):
        print(
            f"warning: no worker polls task queue {task_queue!r} yet: preflight runs once worker.py does",
            file=sys.stderr,
        )
        return Step.PREFLIGHT.value
    handle = client.get_workflow_handle_for(HotfixWorkflow.run, workflow_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience.total_seconds()
    told: str | None = None
    while True:
        description = await handle.describe()
        if description.status == WorkflowExecutionStatus.FAILED:
            reason = await _reason(handle)
            # A refused rollback says so once: "rollback ID refused, nothing was created: the ref ...".
            verb = "refused" if reason.startswith(f"{kind} refused: ") else "stopped"
            reason = reason.removeprefix(f"{kind} refused: ")
            raise CliError(f"{kind} {workflow_id} {verb}, nothing was created: {reason}")
        if description.status != WorkflowExecutionStatus.RUNNING:
            state = description.status.name.lower() if description.status else "closed"
            raise CliError(f"{kind} {workflow_id} ended {state} during preflight")
        step = description.typed_search_attributes.get(search_attributes.STEP)
        if step and step != Step.PREFLIGHT.value:
            return step
        why = retrying(description)
        if why and why != told:
            print(f"preflight is retrying ({why})", file=sys.stderr)
            told = why
        if loop.time() > deadline:
            raise CliError(
                f"{kind} {workflow_id} is still in preflight after {int(patience.total_seconds())}s"
                + (f" ({told})" if told else "")
                + f"; it keeps trying: follow it with `starter.py watch {workflow_id}`, or abort it"
            )
        await asyncio.sleep(_EVERY)


async def _reason(handle: WorkflowHandle[HotfixWorkflow, HotfixResult]) -> str:
    """The failure's own words: the workflow fails with the status's reason as its message."""
    try:
        await handle.result()
    except WorkflowFailureError as err:
        message = one_line(str(err.cause or err))
        return message.removeprefix("hotfix failed: ").removeprefix("rollback failed: ")
    return "no reason given"
