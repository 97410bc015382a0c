"""`status`, `watch` and `list`: reading hotfixes, never changing them."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.live import Live
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import WorkflowExecutionDescription, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from cli import views
from cli.context import EXIT_FAILED, EXIT_OK, CliError, Ctx, dump, print_json, run
from cli.lookup import no_worker_note, read_status, resolve
from cli.options import WorkflowId, valid_incident, valid_repository, with_ctx
from cli.preflight import retrying
from hotfix import search_attributes
from hotfix.models import HotfixStatus, Step

T = TypeVar("T")

# An activity ready this long with no worker taking it gets a note in `status`.
QUEUED_NOTE = 5.0


@with_ctx
def status(ctx: Ctx, workflow_id: WorkflowId) -> None:
    """Where a hotfix stands: step, what it waits for and from whom, branches, PRs, deploy run."""

    async def go() -> tuple[HotfixStatus, WorkflowExecutionDescription, str | None]:
        client = await ctx.client()
        handle, description = await resolve(client, ctx, workflow_id)
        current = await read_status(client, handle, description)
        return current, description, await no_worker_note(client, description)

    current, description, no_worker = run(ctx, go)
    worker = ([no_worker] if no_worker else []) + worker_notes(description)
    if ctx.json:
        print_json(
            {
                **dump(current),
                "execution_status": description.status.name if description.status else None,
                "ui_url": ctx.url(description.id),
                "worker": worker,
                "retrying": retrying(description),
            }
        )
        return
    Console().print(
        views.status_view(current, url=ctx.url(description.id), worker=worker, retrying=retrying(description))
    )


def worker_notes(description: WorkflowExecutionDescription, now: datetime | None = None) -> list[str]:
    """What the hotfix's pending activities wait for: what the worker says (their last heartbeat), e.g.
    "open_pull_request: waiting for GitHub write capacity: create pull request ..., 12 ahead" during a
    burst, or, for one no worker has taken yet, how long it has queued in Temporal (a worker takes no
    activity while its GitHub threads are behind: service/backpressure.py)."""
    now = now or datetime.now(UTC)
    notes = []
    for pending in description.raw_description.pending_activities:
        queued = _queued_seconds(pending, now)
        if queued is not None:
            notes.append(
                f"{pending.activity_type.name}: waiting for GitHub write capacity: queued in Temporal for "
                f"{queued:.0f} s until a worker has room (its GitHub threads and write gate are behind)"
            )
            continue
        payloads = pending.heartbeat_details.payloads
        if not payloads:
            continue
        try:
            said = json.loads(payloads[0].data)
        except ValueError:
            continue
        if isinstance(said, str) and said.startswith("waiting for"):
            notes.append(f"{pending.activity_type.name}: {said}")
    return notes


def _queued_seconds(pending: PendingActivityInfo, now: datetime) -> float | None:
    """Seconds an activity has been ready to run with no worker taking it, if more than QUEUED_NOTE."""
    if pending.state != PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED or not pending.HasField(
        "scheduled_time"
    ):
        return None
    since = pending.scheduled_time.ToDatetime(UTC)
    if pending.HasField("next_attempt_schedule_time"):
        # A retry waiting out its backoff (a poll between looks) is not queued before then.
        since = max(since, pending.next_attempt_schedule_time.ToDatetime(UTC))
    queued = (now - since).total_seconds()
    return queued if queued >= QUEUED_NOTE else None


@with_ctx
def watch(
    ctx: Ctx,
    workflow_id: WorkflowId,
    interval: Annotated[float, typer.Option("--interval", min=0.2, help="Seconds between looks.")] = 1.0,
) -> None:
    """Follow a hotfix live until it ends (Ctrl-C stops watching, not the hotfix).

    Exits 0 when the hotfix ends done, 1 when it ends aborted, expired or failed. With --json, prints
    one JSON line per change.
    """

    async def go() -> HotfixStatus:
        client = await ctx.client()
        handle, description = await resolve(client, ctx, workflow_id)
        url = ctx.url(description.id)
        last: HotfixStatus | None = None
        # On a terminal, a live panel; piped, a line per change as it happens (and --json: JSON lines).
        piped = not sys.stdout.isatty()
        live = None if ctx.json or piped else Live(console=Console(), refresh_per_second=4, auto_refresh=True)
        if live:
            live.start()
        outage = Outage(ctx.address)
        try:
            while True:
                try:
                    current = await read_status(client, handle, description)
                except (RPCError, CliError) as err:
                    # The server restarting (or its worker not answering meanwhile): wait it out. A
                    # hotfix never read (no worker at all, say) fails at once, as `status` does.
                    if last is None and isinstance(err, CliError):
                        raise
                    await outage.wait(err)
                    description = await outage.retry(handle.describe)
                    continue
                outage.over()
                if current != last:
                    if ctx.json:
                        typer.echo(json.dumps(dump(current)))
                    elif piped:
                        typer.echo(views.status_line(current, datetime.now(UTC)))
                    last = current
                if live:
                    live.update(views.status_view(current, url=url))
                if description.status != WorkflowExecutionStatus.RUNNING:
                    return current
                await asyncio.sleep(interval)
                description = await outage.retry(handle.describe)
        finally:
            if live:
                live.stop()

    try:
        final = run(ctx, go)
    except KeyboardInterrupt:
        typer.echo("stopped watching; the hotfix goes on", err=True)
        raise typer.Exit(EXIT_OK) from None
    if final.step != Step.DONE:
        raise typer.Exit(EXIT_FAILED)


class Outage:
    """`watch` through a Temporal restart: one line when the server stops answering, one when it is
    back, and a clean exit 1 (one line) if it stays away longer than PATIENCE."""

    PATIENCE = 120.0

    def __init__(self, address: str) -> None:
        self.address = address
        self.since: float | None = None

    async def wait(self, err: Exception) -> None:
        if isinstance(err, RPCError) and err.status not in (
            RPCStatusCode.UNAVAILABLE,
            RPCStatusCode.DEADLINE_EXCEEDED,
            RPCStatusCode.CANCELLED,
        ):
            raise err
        now = asyncio.get_running_loop().time()
        if self.since is None:
            self.since = now
            typer.echo(f"Temporal at {self.address} is not answering; watching again once it is", err=True)
        elif now - self.since > self.PATIENCE:
            raise CliError(
                f"the Temporal server at {self.address} did not come back within {self.PATIENCE:.0f}s"
            )
        await asyncio.sleep(1.0)

    async def retry(self, call: Callable[[], Awaitable[T]]) -> T:
        while True:
            try:
                return await call()
            except RPCError as err:
                await self.wait(err)

    def over(self) -> None:
        if self.since is not None:
            typer.echo(f"Temporal at {self.address} answers again", err=True)
            self.since = None


def list_query(repository: str | None, step: Step | None, running: bool, incident: str | None = None) -> str:
    """The visibility query for `list`, through the HotfixRepository, HotfixStep and HotfixIncident
    search attributes."""
    clauses = ["WorkflowType = 'HotfixWorkflow'"]
    # Both values are validated (repository pattern, Step enum), so quoting them is safe.
    if repository:
        clauses.append(f"{search_attributes.REPOSITORY.name} = '{repository}'")
    if step:
        clauses.append(f"{search_attributes.STEP.name} = '{step.value}'")
    if incident:
        clauses.append(f"{search_attributes.INCIDENT.name} = '{incident}'")
    if running:
        clauses.append("ExecutionStatus = 'Running'")
    return " AND ".join(clauses)


@with_ctx
def list_(
    ctx: Ctx,
    repository: Annotated[str | None, typer.Option("--repository", help="Only this OWNER/NAME.")] = None,
    step: Annotated[Step | None, typer.Option("--step", help="Only hotfixes at this step.")] = None,
    running: Annotated[bool, typer.Option("--running", help="Only hotfixes still running.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 50,
    incident: Annotated[
        str | None, typer.Option("--incident", metavar="URL|KEY", help="Only hotfixes of this incident.")
    ] = None,
) -> None:
    """List hotfixes, filtered by the HotfixRepository, HotfixStep and HotfixIncident search attributes."""
    try:
        repo = valid_repository(repository) if repository is not None else None
        # Validated as `start` validates it, so it holds no quote that could change the query.
        wanted = valid_incident(incident, required=False)
    except CliError as err:
        ctx.fail(err)
    query = list_query(repo, step, running, wanted)

    async def go() -> list[dict[str, Any]]:
        client = await ctx.client()
        rows = []
        async for execution in client.list_workflows(query, limit=limit):
            attrs = execution.typed_search_attributes
            rows.append(
                {
                    "workflow_id": execution.id,
                    "run_id": execution.run_id,
                    "repository": attrs.get(search_attributes.REPOSITORY),
                    "step": attrs.get(search_attributes.STEP),
                    "incident": attrs.get(search_attributes.INCIDENT),
                    "status": execution.status.name if execution.status else "UNKNOWN",
                    # ISO 8601 in UTC, as every time in the JSON output.
                    "started": views.iso(execution.start_time),
                    "ui_url": ctx.url(execution.id),
                }
            )
        return rows

    rows = run(ctx, go)
    if ctx.json:
        print_json(rows)
    elif not sys.stdout.isatty():
        # Piped (`| grep`, `| cut -f1`): one tab-separated row per hotfix, no header, never wrapped, as gh.
        for row in rows:
            typer.echo("\t".join(str(row[key] or "") for key in ("workflow_id", "step", "status", "started")))
    else:
        Console().print(views.list_view(rows))
