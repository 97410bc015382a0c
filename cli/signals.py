"""The human decisions: `changes-ready`, `recheck`, `retry-deploy` and `abort`.

Each is sent as an update of the same name (workflows/updates.py), so a decision that means nothing
now is refused at once with the reason (exit 1). With no worker polling (an update waits for one) or
a hotfix started before the updates existed, it goes as the signal, which the hotfix acts on when it
can.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from cli.context import EXIT_USAGE, CliError, Ctx, dump, print_json, run
from cli.lookup import resolve
from cli.options import SHA, By, WorkflowId, acting_user, with_ctx
from hotfix.models import AbortSignal, ChangesReadySignal, DecisionResult, RecheckSignal, RetryDeploySignal
from service.temporal import has_pollers
from workflows.hotfix import HotfixWorkflow

S = TypeVar("S", bound=BaseModel)

# A signal of HotfixWorkflow, e.g. HotfixWorkflow.abort; its name is the method's.
Signal = Callable[[HotfixWorkflow, S], None]


# How long the CLI waits for the worker to take or refuse a decision; longer, the update stays
# pending in Temporal and takes effect when a worker gets to it.
UPDATE_PATIENCE = 30.0
# What the SDK's worker answers an update the workflow has no handler for (started on older code).
_NO_HANDLER = "expected but not found"


@dataclass
class Sent:
    workflow_id: str
    how: str  # "update" or "signal"
    result: DecisionResult | None = None


async def send_signal(ctx: Ctx, workflow_id: str, signal: Signal[S], payload: S) -> Sent:
    """Send a person's decision to a running hotfix, as an update when a worker can take it."""
    client = await ctx.client()
    handle, description = await resolve(client, ctx, workflow_id)
    ended = f"hotfix {description.id} has already ended ({{state}}); decisions reach only running hotfixes"
    if description.status != WorkflowExecutionStatus.RUNNING:
        state = description.status.name.lower() if description.status else "closed"
        raise CliError(ended.format(state=state))
    name = signal.__name__
    try:
        if await has_pollers(client, description.task_queue):
            result = await _update(handle, name, payload)
            if result is not None:
                return Sent(description.id, "update", result)
        await handle.signal(signal, payload)
    except RPCError as err:
        # It ended between the look and the decision.
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CliError(ended.format(state="just now")) from None
        raise
    return Sent(description.id, "signal")


async def _update(handle: WorkflowHandle, name: str, payload: BaseModel) -> DecisionResult | None:
    """The hotfix's answer to the decision; None when it has no such update (send the signal)."""
    try:
        return await asyncio.wait_for(
            handle.execute_update(name, payload, result_type=DecisionResult), UPDATE_PATIENCE
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(cause)
        if _NO_HANDLER in message:
            return None
        raise CliError(f"refused: {message}") from None
    except TimeoutError:
        raise CliError(
            f"{name}: no worker answered within {UPDATE_PATIENCE:.0f} s; the decision stays pending "
            "and takes effect when a worker gets to it"
        ) from None


def signal_command(ctx: Ctx, workflow_id: str, signal: Signal[S], payload: S, what: str) -> None:
    """Send the signal and say so: `what` tells the human what happens next."""

    async def go() -> Sent:
        return await send_signal(ctx, workflow_id, signal, payload)

    sent = run(ctx, go)
    name = signal.__name__
    if sent.result is not None:
        what = f"taken at {sent.result.step.value}; {sent.result.message}"
    if ctx.json:
        print_json(
            {
                "ok": True,
                "workflow_id": sent.workflow_id,
                "signal": name,
                "sent_as": sent.how,
                "payload": dump(payload),
                "result": dump(sent.result) if sent.result is not None else None,
            }
        )
    else:
        typer.echo(f"sent {name} to {sent.workflow_id}: {what}")


@with_ctx
def changes_ready(ctx: Ctx, workflow_id: WorkflowId, by: By = None) -> None:
    """Step 3 is done: the changes are on the working branch (the workflow checks that they are)."""
    payload = ChangesReadySignal(by=_by(ctx, by))
    signal_command(ctx, workflow_id, HotfixWorkflow.changes_ready, payload, "it looks at the branch now")


@with_ctx
def recheck(
    ctx: Ctx,
    workflow_id: WorkflowId,
    cherry_pick: Annotated[
        list[str] | None,
        typer.Option(
            "--cherry-pick",
            metavar="SHA",
            help="Replace the cherry-pick list of a hotfix blocked while cherry-picking (repeatable).",
        ),
    ] = None,
    no_cherry_picks: Annotated[
        bool,
        typer.Option(
            "--no-cherry-picks", help="Drop the cherry-picks of a hotfix blocked while cherry-picking."
        ),
    ] = False,
    by: By = None,
) -> None:
    """Look at GitHub again at once (after fixing what blocked the hotfix, or to skip a poll interval)."""
    if cherry_pick and no_cherry_picks:
        ctx.fail(CliError("--cherry-pick and --no-cherry-picks exclude each other", EXIT_USAGE))
    picks: list[str] | None = [] if no_cherry_picks else (cherry_pick or None)
    try:
        payload = RecheckSignal(by=_by(ctx, by), cherry_picks=picks)
    except ValidationError:
        bad = next(s for s in picks or [] if not SHA.match(s.strip()))
        ctx.fail(CliError(f"--cherry-pick takes commit SHAs (7 to 40 hex digits), got {bad!r}", EXIT_USAGE))
    signal_command(ctx, workflow_id, HotfixWorkflow.recheck, payload, "it looks at GitHub again now")


@with_ctx
def retry_deploy(ctx: Ctx, workflow_id: WorkflowId, by: By = None) -> None:
    """Re-run the failed jobs of a failed or rejected deploy run."""
    payload = RetryDeploySignal(by=_by(ctx, by))
    signal_command(ctx, workflow_id, HotfixWorkflow.retry_deploy, payload, "the deploy run is re-run")


@with_ctx
def abort(
    ctx: Ctx,
    workflow_id: WorkflowId,
    reason: Annotated[
        str, typer.Option("--reason", help="Why; it goes into the PR comments and the status.")
    ],
    by: By = None,
) -> None:
    """Withdraw a hotfix: closes its PRs and deletes its branches unless something was deployed."""
    if not reason.strip():
        ctx.fail(CliError("--reason must say why the hotfix is aborted", EXIT_USAGE))
    payload = AbortSignal(reason=reason.strip(), by=_by(ctx, by))
    signal_command(ctx, workflow_id, HotfixWorkflow.abort, payload, "it winds down and cleans up")


def _by(ctx: Ctx, by: str | None) -> str | None:
    try:
        return acting_user(by)
    except CliError as err:
        ctx.fail(err)
