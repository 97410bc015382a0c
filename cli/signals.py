"""The human decisions, sent as signals: `changes-ready`, `recheck`, `retry-deploy` and `abort`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from cli.context import EXIT_USAGE, CliError, Ctx, dump, print_json, run
from cli.lookup import resolve
from cli.options import SHA, WorkflowId, current_user, with_ctx
from hotfix.models import AbortSignal, ChangesReadySignal, RecheckSignal, RetryDeploySignal
from workflows.hotfix import HotfixWorkflow

S = TypeVar("S", bound=BaseModel)

# A signal of HotfixWorkflow, e.g. HotfixWorkflow.abort; its name is the method's.
Signal = Callable[[HotfixWorkflow, S], None]


async def send_signal(ctx: Ctx, workflow_id: str, signal: Signal[S], payload: S) -> str:
    """Signal a running hotfix; returns its full workflow ID."""
    client = await ctx.client()
    handle, description = await resolve(client, ctx, workflow_id)
    ended = f"hotfix {description.id} has already ended ({{state}}); signals reach only running hotfixes"
    if description.status != WorkflowExecutionStatus.RUNNING:
        state = description.status.name.lower() if description.status else "closed"
        raise CliError(ended.format(state=state))
    try:
        await handle.signal(signal, payload)
    except RPCError as err:
        # It ended between the look and the signal.
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CliError(ended.format(state="just now")) from None
        raise
    return description.id


def signal_command(ctx: Ctx, workflow_id: str, signal: Signal[S], payload: S, what: str) -> None:
    """Send the signal and say so: `what` tells the human what happens next."""

    async def go() -> str:
        return await send_signal(ctx, workflow_id, signal, payload)

    resolved = run(ctx, go)
    name = signal.__name__
    if ctx.json:
        print_json({"ok": True, "workflow_id": resolved, "signal": name, "payload": dump(payload)})
    else:
        typer.echo(f"sent {name} to {resolved}: {what}")


@with_ctx
def changes_ready(ctx: Ctx, workflow_id: WorkflowId) -> None:
    """Step 3 is done: the changes are on the working branch (the workflow checks that they are)."""
    payload = ChangesReadySignal(by=current_user())
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
) -> None:
    """Look at GitHub again at once (after fixing what blocked the hotfix, or to skip a poll interval)."""
    if cherry_pick and no_cherry_picks:
        ctx.fail(CliError("--cherry-pick and --no-cherry-picks exclude each other", EXIT_USAGE))
    picks: list[str] | None = [] if no_cherry_picks else (cherry_pick or None)
    try:
        payload = RecheckSignal(by=current_user(), cherry_picks=picks)
    except ValidationError:
        bad = next(s for s in picks or [] if not SHA.match(s.strip()))
        ctx.fail(CliError(f"--cherry-pick takes commit SHAs (7 to 40 hex digits), got {bad!r}", EXIT_USAGE))
    signal_command(ctx, workflow_id, HotfixWorkflow.recheck, payload, "it looks at GitHub again now")


@with_ctx
def retry_deploy(ctx: Ctx, workflow_id: WorkflowId) -> None:
    """Re-run the failed jobs of a failed or rejected deploy run."""
    payload = RetryDeploySignal(by=current_user())
    signal_command(ctx, workflow_id, HotfixWorkflow.retry_deploy, payload, "the deploy run is re-run")


@with_ctx
def abort(
    ctx: Ctx,
    workflow_id: WorkflowId,
    reason: Annotated[
        str, typer.Option("--reason", help="Why; it goes into the PR comments and the status.")
    ],
) -> None:
    """Withdraw a hotfix: closes its PRs and deletes its branches unless something was deployed."""
    if not reason.strip():
        ctx.fail(CliError("--reason must say why the hotfix is aborted", EXIT_USAGE))
    payload = AbortSignal(reason=reason.strip(), by=current_user())
    signal_command(ctx, workflow_id, HotfixWorkflow.abort, payload, "it winds down and cleans up")
