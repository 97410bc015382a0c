"""`start`: check what a human typed, turn it into the workflow's input and start one hotfix."""

from __future__ import annotations

from dataclasses import dataclass
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
from temporalio.service import RPCError, RPCStatusCode

from cli import dry_run
from cli.context import EXIT_FAILED, EXIT_USAGE, CliError, Ctx, print_json, process_settings, run
from cli.options import SHA, Repository, acting_user, valid_incident, valid_repository, with_ctx
from cli.preflight import wait_for_preflight
from hotfix import naming, search_attributes
from hotfix.models import DryRunResult, HotfixRequest, Step
from hotfix.outcome import EARLY_END
from hotfix.render import NOT_GIVEN
from hotfix.settings import TemporalSettings
from service.temporal import workflow_url
from workflows.hotfix import HotfixWorkflow

SUMMARY_MAX_BYTES = 400  # the UI's limit for a static summary


@dataclass
class Started:
    workflow_id: str
    run_id: str | None
    repository: str
    description: str
    work_branch: str
    prod_branch: str
    ui_url: str
    step: str = Step.PREFLIGHT.value  # where it is when start returns (past preflight unless --no-wait)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# "Back-merge hotfix DESCRIPTION into BRANCH" must stay within GitHub's 256-character PR titles.
DESCRIPTION_MAX = 180
EARLY_STEPS = {step.value for step in EARLY_END}


def build_request(
    repository: str,
    description: str,
    *,
    requested_by: str,
    base: str | None,
    cherry_picks: list[str],
    ui_url: str,
    namespace: str,
    day: Any = None,
    incident: str | None = None,
    require_incident: bool = False,
) -> HotfixRequest:
    """Validate what a human typed and turn it into the workflow's input (CliError code 2 if bad)."""
    repository = valid_repository(repository)
    # One line: a description names branches and titles a PR, where newlines do not belong.
    description = " ".join(description.split())
    if len(description) > DESCRIPTION_MAX:
        raise CliError(
            f"description is {len(description)} characters; at most {DESCRIPTION_MAX} fit a pull request "
            "title (GitHub caps titles at 256): say the rest in the PR",
            EXIT_USAGE,
        )
    try:
        slug = naming.slugify(description)
    except naming.NamingError as err:
        raise CliError(str(err), EXIT_USAGE) from None
    bad = [sha for sha in cherry_picks if not SHA.match(sha)]
    if bad:
        raise CliError(f"--cherry-pick takes commit SHAs (7 to 40 hex digits), got {bad[0]!r}", EXIT_USAGE)
    if base is not None and not base.strip():
        raise CliError("--base must name a branch, tag or commit", EXIT_USAGE)
    if not requested_by.strip():
        raise CliError("--requested-by must not be empty", EXIT_USAGE)
    incident = valid_incident(incident, required=require_incident)
    process = process_settings(ui_url, namespace)
    return HotfixRequest(
        repository=repository,
        description=description,
        requested_by=requested_by.strip(),
        # Fixed here, once: branch names and the workflow ID must not depend on when code replays.
        day=day or datetime.now(UTC).date(),
        slug=slug,
        base_ref=base.strip() if base else None,
        cherry_picks=list(cherry_picks),
        settings=process,
        incident=incident,
    )


async def ended_early(client: Client, workflow_id: str) -> str | None:
    """ "aborted" or "expired" when the last run under `workflow_id` ended so; its run is Failed
    (hotfix/outcome.py), which the ID reuse policy alone would let start again."""
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    step = description.typed_search_attributes.get(search_attributes.STEP)
    if description.status == WorkflowExecutionStatus.FAILED and step in EARLY_STEPS:
        return step
    return None


# How to start a new one instead of a name that already ran today to an end.
NEW_HOTFIX = "use a different description for a new hotfix"


def already_ran(kind: str, workflow_id: str, ended: str, new_one: str) -> CliError:
    """The refusal of a name that already ran today to an end (done, aborted, expired, failed...),
    whether `ended_early` found it before the start or Temporal refused the start."""
    return CliError(f"{kind} {workflow_id} already ran today and ended {ended}; {new_one}")


def static_summary(
    repository: str, description: str, incident: str | None = None, kind: str = "Hotfix"
) -> str:
    """The workflow's static summary in the Temporal UI, cut to the UI's limit."""
    text = f"{kind} {repository}: {description}" + (f" [incident {incident}]" if incident else "")
    encoded = text.encode()
    if len(encoded) <= SUMMARY_MAX_BYTES:
        return text
    return encoded[: SUMMARY_MAX_BYTES - 3].decode(errors="ignore") + "..."


def static_details(request: HotfixRequest, work: str, prod: str) -> str:
    """The workflow's static details in the Temporal UI (Markdown)."""
    process = request.settings
    return "\n".join(
        [
            f"**Repository:** `{request.repository}`  ",
            f"**Requested by:** {request.requested_by}  ",
            *([f"**Incident:** {request.incident}  "] if request.incident else []),
            f"**Working branch:** `{work}`  ",
            f"**Prod branch:** `{prod}`  ",
            f"**Base:** {f'`{request.base_ref}` (explicit)' if request.base_ref else 'what is deployed to '}"
            + ("" if request.base_ref else f"`{process.environment}`"),
            *(
                [f"**Cherry-picks:** {', '.join(f'`{s}`' for s in request.cherry_picks)}"]
                if request.cherry_picks
                else []
            ),
            "",
            "Signals: `changes_ready`, `recheck`, `retry_deploy`, `abort` (with a reason). Query: `status`.",
        ]
    )


async def start_hotfix(client: Client, settings: TemporalSettings, request: HotfixRequest) -> Started:
    """Start one hotfix; refuses a second start of the same one (same repository, day and slug)."""
    workflow_id = naming.workflow_id(request.repository, request.day, request.description, request.slug)
    process = request.settings
    work = naming.work_branch(process.work_branch_prefix, request.day, request.description, request.slug)
    prod = naming.prod_branch(process.prod_branch_prefix, request.day, request.description, request.slug)
    url = workflow_url(settings.ui_url, settings.temporal_namespace, workflow_id)
    ended = await ended_early(client, workflow_id)
    if ended:
        raise already_ran("hotfix", workflow_id, ended, NEW_HOTFIX)
    try:
        handle = await client.start_workflow(
            HotfixWorkflow.run,
            request,
            id=workflow_id,
            task_queue=settings.task_queue,
            # A hotfix that failed (e.g. preflight, fixed since) may be started again under its name;
            # one that runs or ran to an end may not: that would be a second set of branches and PRs.
            # (An aborted or expired one ends Failed too, hotfix/outcome.py: `ended_early` refuses it.)
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=static_summary(request.repository, request.description, request.incident),
            static_details=static_details(request, work, prod),
            # The status from the start: `status` reads it before a worker has run the first task.
            memo={naming.STATUS_MEMO: naming.initial_status(request, workflow_id)},
            search_attributes=search_attributes.at_start(request.repository, request.incident),
        )
    except WorkflowAlreadyStartedError:
        existing = await client.get_workflow_handle(workflow_id).describe()
        # The same name may come from another description ("Fix login!" and "fix login"): say whose.
        summary = await existing.static_summary() or ""
        theirs = summary.removeprefix(f"Hotfix {request.repository}: ").split(" [incident ", 1)[0]
        same = f" ({theirs!r})" if theirs and theirs != request.description else ""
        if existing.status == WorkflowExecutionStatus.RUNNING:
            raise CliError(
                f"hotfix {workflow_id}{same} is already running; follow it with `starter.py watch "
                f"{workflow_id}` (a different description makes a separate hotfix)"
            ) from None
        state = existing.status.name.lower() if existing.status else "closed"
        raise already_ran("hotfix", workflow_id, state, NEW_HOTFIX) from None
    return Started(
        workflow_id=workflow_id,
        run_id=handle.result_run_id,
        repository=request.repository,
        description=request.description,
        work_branch=work,
        prod_branch=prod,
        ui_url=url,
    )


@with_ctx
def start(
    ctx: Ctx,
    repo: Repository,
    description: Annotated[
        str, typer.Argument(metavar="DESCRIPTION", help="A short description; it names the branches.")
    ],
    base: Annotated[
        str | None,
        typer.Option("--base", help="Base ref instead of what is deployed to prod (use with care)."),
    ] = None,
    cherry_pick: Annotated[
        list[str] | None,
        typer.Option(
            "--cherry-pick",
            metavar="SHA",
            help="Commit SHA to cherry-pick onto the working branch (repeatable).",
        ),
    ] = None,
    requested_by: Annotated[
        str | None,
        typer.Option(
            "--by",
            "--requested-by",
            metavar="LOGIN",
            help="GitHub login of who asks for it, checked by preflight [default: $HOTFIX_USER, then "
            "`git config github.user`, then $USER].",
        ),
    ] = None,
    no_wait: Annotated[
        bool,
        typer.Option(
            "--no-wait",
            help="Return once started, without waiting for preflight (which checks --base and "
            "--cherry-pick on GitHub; a failure then shows only in `status`).",
        ),
    ] = False,
    incident: Annotated[
        str | None,
        typer.Option(
            "--incident",
            metavar="URL|KEY",
            help="The incident it answers: a URL or a ticket key like INC-1234 (in both PR titles, the UI "
            "and `list --incident`; required when HOTFIX_REQUIRE_INCIDENT=true).",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Start nothing: run preflight and find the base on the worker, print the plan (base, "
            "branches, PRs, deploy, who approves, warnings); exit 1 if preflight would stop it.",
        ),
    ] = False,
) -> None:
    """Start a hotfix and wait until it passed preflight (exit 1 with the reason, and nothing
    created, if it failed): prints its workflow ID, both branch names and its Temporal UI page."""
    try:
        request = build_request(
            repo,
            description,
            requested_by=acting_user(requested_by) or NOT_GIVEN,
            base=base,
            cherry_picks=cherry_pick or [],
            ui_url=ctx.settings.ui_url,
            namespace=ctx.namespace,
            incident=incident,
            require_incident=ctx.settings.require_incident,
        )
    except CliError as err:
        ctx.fail(err)

    if dry_run:
        show_dry_run(ctx, request)
        return

    async def go() -> Started:
        client = await ctx.client()
        started = await start_hotfix(client, ctx.settings, request)
        if not no_wait:
            started.step = await wait_for_preflight(client, started.workflow_id, ctx.settings.task_queue)
        return started

    started = run(ctx, go)
    if ctx.json:
        print_json(started.as_dict())
        return
    out = Console(highlight=False)
    out.print(f"[bold green]Started[/] hotfix [bold]{started.workflow_id}[/]")
    out.print(f"  working branch  {started.work_branch}")
    out.print(f"  prod branch     {started.prod_branch}")
    out.print(f"  Temporal UI     {started.ui_url}", soft_wrap=True)
    if started.step != Step.PREFLIGHT.value:
        out.print(f"  preflight       passed; now at {started.step}")
    out.print(
        f"Next: push the fix to {started.work_branch} (or pass --cherry-pick), then "
        f"`python starter.py changes-ready {started.workflow_id}`. Follow it with "
        f"`python starter.py watch {started.workflow_id}`.",
        soft_wrap=True,
    )


def show_dry_run(ctx: Ctx, request: HotfixRequest) -> None:
    """`start --dry-run`: the plan, and exit 1 when the hotfix would stop."""

    async def go() -> DryRunResult:
        return await dry_run.dry_run(await ctx.client(), ctx.settings, request)

    found = dry_run.plan(request, run(ctx, go))
    if ctx.json:
        print_json(found)
    else:
        dry_run.print_plan(found)
    if not found["would_start"]:
        raise typer.Exit(EXIT_FAILED)
