"""`rollback`: put back what ran before the current deployment, through the environment's reviewers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import (
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from cli.context import EXIT_USAGE, CliError, Ctx, print_json, process_settings, run
from cli.options import Repository, acting_user, valid_incident, valid_repository, with_ctx
from cli.preflight import wait_for_preflight
from cli.start import DESCRIPTION_MAX, already_ran, ended_early, static_summary
from hotfix import naming, search_attributes
from hotfix.models import RollbackRequest, Step
from hotfix.render import NOT_GIVEN
from hotfix.settings import TemporalSettings
from service.temporal import workflow_url
from workflows.rollback import RollbackWorkflow, as_hotfix


def build_rollback(
    repository: str,
    reason: str,
    *,
    requested_by: str,
    to: int | None,
    ui_url: str,
    namespace: str,
    incident: str | None = None,
    require_incident: bool = False,
    day: Any = None,
) -> RollbackRequest:
    """Validate what a human typed and turn it into the workflow's input (CliError code 2 if bad)."""
    repository = valid_repository(repository)
    reason = " ".join(reason.split())
    if not reason:
        raise CliError("--reason must say why (it titles the rollback and its record)", EXIT_USAGE)
    if len(reason) > DESCRIPTION_MAX:
        raise CliError(f"--reason is {len(reason)} characters; at most {DESCRIPTION_MAX}", EXIT_USAGE)
    try:
        slug = naming.slugify(reason)
    except naming.NamingError as err:
        raise CliError(str(err).replace("description", "--reason"), EXIT_USAGE) from None
    if to is not None and to <= 0:
        raise CliError(f"--to takes a deployment ID (a positive number), got {to}", EXIT_USAGE)
    if not requested_by.strip():
        raise CliError("--requested-by must not be empty", EXIT_USAGE)
    incident = valid_incident(incident, required=require_incident)
    process = process_settings(ui_url, namespace)
    return RollbackRequest(
        repository=repository,
        reason=reason,
        requested_by=requested_by.strip(),
        day=day or datetime.now(UTC).date(),
        slug=slug,
        to_deployment=to,
        incident=incident,
        settings=process,
    )


NEW_ROLLBACK = "give another --reason for a new one"


async def start_rollback(
    client: Client, settings: TemporalSettings, request: RollbackRequest
) -> dict[str, Any]:
    """Start one rollback; refuses a second start of the same one (same repository, day and reason)."""
    workflow_id = naming.rollback_workflow_id(request.repository, request.day, request.slug)
    as_fix = as_hotfix(request)
    ended = await ended_early(client, workflow_id)
    if ended:
        raise already_ran("rollback", workflow_id, ended, NEW_ROLLBACK)
    try:
        handle = await client.start_workflow(
            RollbackWorkflow.run,
            request,
            id=workflow_id,
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=static_summary(
                request.repository, as_fix.description, request.incident, "Rollback"
            ),
            memo={
                naming.STATUS_MEMO: naming.initial_status(as_fix, workflow_id).model_copy(
                    update={"work_branch": ""}
                )
            },
            search_attributes=search_attributes.at_start(request.repository, request.incident),
        )
    except WorkflowAlreadyStartedError:
        existing = await client.get_workflow_handle(workflow_id).describe()
        if existing.status == WorkflowExecutionStatus.RUNNING:
            raise CliError(
                f"rollback {workflow_id} is already running; follow it with `starter.py watch {workflow_id}`"
            ) from None
        state = existing.status.name.lower() if existing.status else "closed"
        raise already_ran("rollback", workflow_id, state, NEW_ROLLBACK) from None
    return {
        "workflow_id": workflow_id,
        "run_id": handle.result_run_id,
        "repository": request.repository,
        "to_deployment": request.to_deployment,
        "ui_url": workflow_url(settings.ui_url, settings.temporal_namespace, workflow_id),
        "step": Step.PREFLIGHT.value,
    }


@with_ctx
def rollback(
    ctx: Ctx,
    repo: Repository,
    reason: Annotated[
        str,
        typer.Option("--reason", metavar="TEXT", help="Why: it names the rollback and goes in its record."),
    ],
    to: Annotated[
        int | None,
        typer.Option(
            "--to",
            metavar="DEPLOYMENT_ID",
            help="The deployment to go back to [default: the one before what the environment runs now].",
        ),
    ] = None,
    incident: Annotated[
        str | None,
        typer.Option("--incident", metavar="URL|KEY", help="The incident it answers (a URL or a key)."),
    ] = None,
    requested_by: Annotated[
        str | None,
        typer.Option(
            "--by",
            "--requested-by",
            metavar="LOGIN",
            help="GitHub login of who asks for it [default: $HOTFIX_USER, then `git config github.user`, "
            "then $USER].",
        ),
    ] = None,
    no_wait: Annotated[
        bool,
        typer.Option("--no-wait", help="Return once started, without waiting for the target to be found."),
    ] = False,
) -> None:
    """Roll the environment back to the deployment before the current one (or --to): in the
    repository's lane, through the environment's reviewers, with its own record. Refuses (exit 1)
    when there is nothing earlier, its ref is gone, or a hotfix has merged and not deployed yet."""
    try:
        request = build_rollback(
            repo,
            reason,
            requested_by=acting_user(requested_by) or NOT_GIVEN,
            to=to,
            ui_url=ctx.settings.ui_url,
            namespace=ctx.namespace,
            incident=incident,
            require_incident=ctx.settings.require_incident,
        )
    except CliError as err:
        ctx.fail(err)

    async def go() -> dict[str, Any]:
        client = await ctx.client()
        started = await start_rollback(client, ctx.settings, request)
        if not no_wait:
            started["step"] = await wait_for_preflight(
                client, started["workflow_id"], ctx.settings.task_queue, kind="rollback"
            )
        return started

    started = run(ctx, go)
    if ctx.json:
        print_json(started)
        return
    out = Console(highlight=False)
    out.print(f"[bold green]Started[/] rollback [bold]{started['workflow_id']}[/]")
    out.print(f"  Temporal UI     {started['ui_url']}", soft_wrap=True)
    if started["step"] != Step.PREFLIGHT.value:
        out.print(f"  target found    now at {started['step']}")
    out.print(
        f"Next: the environment's reviewers approve the deploy run. Follow it with "
        f"`python starter.py watch {started['workflow_id']}`.",
        soft_wrap=True,
    )
