"""`record`: a hotfix's change record (#12 item 1), as GitHub shows what it did.

A hotfix that ended done, aborted or expired carries its record in its result, read without a
worker (an aborted or expired one in its failure's details, hotfix/outcome.py). Any other (running,
failed, or started before the record existed) has it read now by RecordWorkflow on the worker,
which holds the GitHub token; such a record is marked interim.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)

from cli.context import CliError, Ctx, dump, print_json, run
from cli.lookup import Hotfix, read_status, resolve
from cli.options import WorkflowId, with_ctx
from hotfix import search_attributes
from hotfix.models import ChangeRecord, RecordInput
from hotfix.outcome import final_result
from hotfix.record_view import MARKER, record_markdown
from service.temporal import has_pollers
from workflows.record import RecordWorkflow


async def _final(handle: Hotfix, description: WorkflowExecutionDescription) -> ChangeRecord | None:
    if description.status not in (WorkflowExecutionStatus.COMPLETED, WorkflowExecutionStatus.FAILED):
        return None
    try:
        return (await final_result(handle)).record  # aborted or expired: from the failure's details
    except WorkflowFailureError:
        return None  # failed for real: no result


async def read_record(client: Client, ctx: Ctx, workflow_id: str) -> tuple[ChangeRecord, bool]:
    """The record and whether it is final (from the hotfix's result) or read just now."""
    handle, description = await resolve(client, ctx, workflow_id)
    final = await _final(handle, description)
    if final is not None:
        return final, True
    status = await read_status(client, handle, description)
    queue = ctx.settings.task_queue
    if not await has_pollers(client, queue):
        raise CliError(
            f"hotfix {description.id} has no record in its result yet, and no worker polls task queue "
            f"{queue!r} to read one from GitHub: start worker.py (or `make up`)"
        )
    incident = description.typed_search_attributes.get(search_attributes.INCIDENT)
    try:
        made = await client.execute_workflow(
            RecordWorkflow.run,
            RecordInput(status=status, incident=incident, ui_url=ctx.url(description.id)),
            id=f"hotfix-record/{uuid.uuid4().hex[:12]}",
            task_queue=queue,
            static_summary=f"Change record of {description.id}",
        )
    except WorkflowFailureError as err:
        raise CliError(f"the record could not be read from GitHub: {err.cause or err}") from None
    return made.record, False


@with_ctx
def record(
    ctx: Ctx,
    workflow_id: WorkflowId,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the record as the PR comment shows it.")
    ] = False,
) -> None:
    """The change record of a hotfix: request, base, commits, checks, reviews, deployment, back-merge,
    timeline and flags, as GitHub shows them; final once the hotfix ended, else read now (interim)."""

    async def go() -> tuple[ChangeRecord, bool]:
        return await read_record(await ctx.client(), ctx, workflow_id)

    found, final = run(ctx, go)
    if ctx.json:
        print_json({**dump(found), "final": final})
        return
    text = record_markdown(found)
    if not final:
        text = text.replace("## Change record:", "## Change record (interim, read now):", 1)
    if markdown:
        typer.echo(text)
    else:
        Console().print(Markdown(text.replace(f"{MARKER}\n", "", 1)))
