"""starter.py: start, watch, nudge and stop hotfixes from a terminal.

Thin on purpose: parse, one call to Temporal, print. It needs only Temporal, never a GitHub token;
everything that touches GitHub runs on the worker (even `doctor`).

Exit codes: 0 ok, 1 the operation failed, 2 bad usage. Errors are one line on stderr.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.live import Live
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from cli import views
from hotfix import naming, search_attributes
from hotfix.models import (
    AbortSignal,
    ChangesReadySignal,
    HotfixRequest,
    HotfixStatus,
    PreflightInput,
    PreflightResult,
    RecheckSignal,
    RetryDeploySignal,
    Step,
)
from hotfix.settings import ProcessDefaults, TemporalSettings
from service.temporal import TemporalUnavailable, connect, has_pollers, workflow_url
from workflows.doctor import DoctorWorkflow
from workflows.hotfix import HotfixWorkflow

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SUMMARY_MAX_BYTES = 400  # the UI's limit for a static summary
QUERY_TIMEOUT = timedelta(seconds=10)
DOCTOR_TIMEOUT = timedelta(minutes=2)
_SHA = re.compile(r"^[0-9a-fA-F]{7,40}$")

T = TypeVar("T")


class CliError(Exception):
    """An expected failure: printed as one line, exits with `code`."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


app = typer.Typer(
    help="Start, watch, nudge and stop hotfixes: the team's hotfix runbook as a durable Temporal "
    "workflow.\n\nExit codes: 0 ok, 1 the operation failed, 2 bad usage.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts show `[default: $X]` literally, not as Rich markup.
    rich_markup_mode=None,
)

# Options every command takes; unset ones come from HOTFIX_* settings (environment or .env).
Address = Annotated[
    str | None, typer.Option("--address", help="Temporal host:port [default: $HOTFIX_TEMPORAL_ADDRESS]")
]
Namespace = Annotated[
    str | None, typer.Option("--namespace", help="Temporal namespace [default: $HOTFIX_TEMPORAL_NAMESPACE]")
]
TaskQueue = Annotated[
    str | None, typer.Option("--task-queue", help="Worker task queue [default: $HOTFIX_TASK_QUEUE]")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON on stdout, for scripts.")]
WorkflowId = Annotated[
    str, typer.Argument(metavar="ID", help="Workflow ID as `start` printed it (hotfix/OWNER/NAME/DAY_SLUG).")
]


@dataclass
class Ctx:
    settings: TemporalSettings
    json: bool

    @property
    def address(self) -> str:
        return self.settings.temporal_address

    @property
    def namespace(self) -> str:
        return self.settings.temporal_namespace

    def url(self, workflow_id: str) -> str:
        return workflow_url(self.settings.ui_url, self.namespace, workflow_id)

    async def client(self) -> Client:
        return await connect(self.address, self.namespace)


# ---------------------------------------------------------------------------------------------
# Plumbing: settings, errors, output
# ---------------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _settings_error(err: ValidationError) -> CliError:
    first = err.errors()[0]
    field = "HOTFIX_" + "_".join(str(p) for p in first["loc"]).upper()
    return CliError(f"invalid setting {field}: {first['msg']}", EXIT_USAGE)


def _ctx(address: str | None, namespace: str | None, task_queue: str | None, as_json: bool) -> Ctx:
    try:
        settings = TemporalSettings()
    except ValidationError as err:
        _exit(_settings_error(err), as_json)
    overrides = {
        key: value
        for key, value in (
            ("temporal_address", address),
            ("temporal_namespace", namespace),
            ("task_queue", task_queue),
        )
        if value
    }
    return Ctx(settings=settings.model_copy(update=overrides), json=as_json)


def _exit(err: CliError, as_json: bool) -> NoReturn:
    message = _one_line(err.message)
    typer.echo(f"error: {message}", err=True)
    if as_json:
        typer.echo(json.dumps({"ok": False, "error": message, "exit_code": err.code}))
    raise typer.Exit(err.code)


def _run(ctx: Ctx, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one async command, mapping every expected failure to one line and an exit code."""
    try:
        return asyncio.run(make())
    except CliError as err:
        _exit(err, ctx.json)
    except TemporalUnavailable as err:
        _exit(CliError(str(err)), ctx.json)
    except RPCError as err:
        if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            message = f"the Temporal server at {ctx.address} stopped answering ({err.message})"
        else:
            message = f"Temporal refused the request: {err.message}"
        _exit(CliError(message), ctx.json)
    except Exception as err:  # an unexpected bug still gets one line, unless asked for more
        if os.environ.get("HOTFIX_DEBUG"):
            raise
        _exit(
            CliError(f"unexpected {type(err).__name__}: {err} (set HOTFIX_DEBUG=1 for the traceback)"),
            ctx.json,
        )


def _print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _user() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def _repository(value: str) -> str:
    try:
        naming.parse_repository(value)
    except naming.NamingError as err:
        raise CliError(str(err), EXIT_USAGE) from None
    return value.strip()


def _summary(repository: str, description: str) -> str:
    text = f"Hotfix {repository}: {description}"
    encoded = text.encode()
    if len(encoded) <= SUMMARY_MAX_BYTES:
        return text
    return encoded[: SUMMARY_MAX_BYTES - 3].decode(errors="ignore") + "..."


# ---------------------------------------------------------------------------------------------
# Finding a hotfix and reading its status
# ---------------------------------------------------------------------------------------------


async def resolve(
    client: Client, ctx: Ctx, workflow_id: str
) -> tuple[WorkflowHandle[Any, Any], WorkflowExecutionDescription]:
    """The hotfix's handle and description; also accepts the ID without its `hotfix/` prefix."""
    candidates = [workflow_id.strip()]
    if not candidates[0].startswith("hotfix/"):
        candidates.append(f"hotfix/{candidates[0]}")
    for candidate in candidates:
        handle = client.get_workflow_handle_for(HotfixWorkflow.run, candidate)
        try:
            description = await handle.describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                continue
            raise
        if description.workflow_type != "HotfixWorkflow":
            raise CliError(f"workflow {candidate!r} is a {description.workflow_type}, not a hotfix")
        return handle, description
    raise CliError(
        f"no hotfix with workflow ID {workflow_id!r} in namespace {ctx.namespace!r} at {ctx.address}; "
        "`starter.py list` shows the hotfixes"
    )


async def read_status(
    client: Client, handle: WorkflowHandle[Any, Any], description: WorkflowExecutionDescription
) -> HotfixStatus:
    if description.status == WorkflowExecutionStatus.COMPLETED:
        # The result is the final status, readable without a worker.
        result = await handle.result()
        final: HotfixStatus = result.status
        return final
    # A query is answered by a worker; without one it would only time out, so say why instead.
    if not await has_pollers(client, description.task_queue):
        raise CliError(
            f"no worker polls task queue {description.task_queue!r}, so the hotfix cannot answer the status "
            "query; start worker.py (or `make up`)"
        )
    try:
        status: HotfixStatus = await handle.query(HotfixWorkflow.status, rpc_timeout=QUERY_TIMEOUT)
    except WorkflowQueryFailedError as err:
        raise CliError(f"the status query failed: {err}") from None
    except RPCError as err:
        # Pollers are remembered for a while after a worker dies, so a query can still go unanswered.
        if err.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            raise CliError(
                f"no worker answered the status query within {QUERY_TIMEOUT.seconds}s; is worker.py running "
                f"on task queue {description.task_queue!r}?"
            ) from None
        raise
    return status


# ---------------------------------------------------------------------------------------------
# start
# ---------------------------------------------------------------------------------------------


@dataclass
class Started:
    workflow_id: str
    run_id: str | None
    repository: str
    description: str
    work_branch: str
    prod_branch: str
    ui_url: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
) -> HotfixRequest:
    """Validate what a human typed and turn it into the workflow's input (CliError code 2 if bad)."""
    repository = _repository(repository)
    description = description.strip()
    try:
        naming.slugify(description)
    except naming.NamingError as err:
        raise CliError(str(err), EXIT_USAGE) from None
    bad = [sha for sha in cherry_picks if not _SHA.match(sha)]
    if bad:
        raise CliError(f"--cherry-pick takes commit SHAs (7 to 40 hex digits), got {bad[0]!r}", EXIT_USAGE)
    if base is not None and not base.strip():
        raise CliError("--base must name a branch, tag or commit", EXIT_USAGE)
    if not requested_by.strip():
        raise CliError("--requested-by must not be empty", EXIT_USAGE)
    try:
        process = ProcessDefaults().process(ui_base_url=ui_url, namespace=namespace)
    except ValidationError as err:
        raise _settings_error(err) from None
    return HotfixRequest(
        repository=repository,
        description=description,
        requested_by=requested_by.strip(),
        # Fixed here, once: branch names and the workflow ID must not depend on when code replays.
        day=day or datetime.now(UTC).date(),
        base_ref=base.strip() if base else None,
        cherry_picks=list(cherry_picks),
        settings=process,
    )


async def start_hotfix(client: Client, settings: TemporalSettings, request: HotfixRequest) -> Started:
    """Start one hotfix; refuses a second start of the same one (same repository, day and slug)."""
    workflow_id = naming.workflow_id(request.repository, request.day, request.description)
    process = request.settings
    work = naming.work_branch(process.work_branch_prefix, request.day, request.description)
    prod = naming.prod_branch(process.prod_branch_prefix, request.day, request.description)
    url = workflow_url(settings.ui_url, settings.temporal_namespace, workflow_id)
    details = "\n".join(
        [
            f"**Repository:** `{request.repository}`  ",
            f"**Requested by:** {request.requested_by}  ",
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
    try:
        handle = await client.start_workflow(
            HotfixWorkflow.run,
            request,
            id=workflow_id,
            task_queue=settings.task_queue,
            # A hotfix that failed (e.g. preflight, fixed since) may be started again under its name;
            # one that runs or ran to an end may not: that would be a second set of branches and PRs.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=_summary(request.repository, request.description),
            static_details=details,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(search_attributes.REPOSITORY, request.repository),
                    SearchAttributePair(search_attributes.STEP, Step.PREFLIGHT.value),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        existing = await client.get_workflow_handle(workflow_id).describe()
        if existing.status == WorkflowExecutionStatus.RUNNING:
            raise CliError(
                f"hotfix {workflow_id} is already running; follow it with `starter.py watch {workflow_id}` "
                "(a different description makes a separate hotfix)"
            ) from None
        state = existing.status.name.lower() if existing.status else "closed"
        raise CliError(
            f"hotfix {workflow_id} already ran today and ended {state}; use a different description "
            "for a new hotfix"
        ) from None
    return Started(
        workflow_id=workflow_id,
        run_id=handle.result_run_id,
        repository=request.repository,
        description=request.description,
        work_branch=work,
        prod_branch=prod,
        ui_url=url,
    )


@app.command()
def start(
    repo: Annotated[str, typer.Argument(metavar="OWNER/NAME", help="The repository.")],
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
        str | None, typer.Option("--requested-by", help="GitHub login of who asks for it [default: $USER].")
    ] = None,
    address: Address = None,
    namespace: Namespace = None,
    task_queue: TaskQueue = None,
    as_json: Json = False,
) -> None:
    """Start a hotfix: prints its workflow ID, both branch names and its Temporal UI page."""
    ctx = _ctx(address, namespace, task_queue, as_json)
    try:
        request = build_request(
            repo,
            description,
            requested_by=requested_by if requested_by is not None else _user(),
            base=base,
            cherry_picks=cherry_pick or [],
            ui_url=ctx.settings.ui_url,
            namespace=ctx.namespace,
        )
    except CliError as err:
        _exit(err, as_json)

    async def go() -> Started:
        return await start_hotfix(await ctx.client(), ctx.settings, request)

    started = _run(ctx, go)
    if as_json:
        _print_json(started.as_dict())
        return
    out = Console(highlight=False)
    out.print(f"[bold green]Started[/] hotfix [bold]{started.workflow_id}[/]")
    out.print(f"  working branch  {started.work_branch}")
    out.print(f"  prod branch     {started.prod_branch}")
    out.print(f"  Temporal UI     {started.ui_url}", soft_wrap=True)
    out.print(
        f"Next: push the fix to {started.work_branch} (or pass --cherry-pick), then "
        f"`python starter.py changes-ready {started.workflow_id}`. Follow it with "
        f"`python starter.py watch {started.workflow_id}`.",
        soft_wrap=True,
    )


# ---------------------------------------------------------------------------------------------
# status, watch, list
# ---------------------------------------------------------------------------------------------


@app.command()
def status(
    workflow_id: WorkflowId,
    address: Address = None,
    namespace: Namespace = None,
    task_queue: TaskQueue = None,
    as_json: Json = False,
) -> None:
    """Where a hotfix stands: step, what it waits for and from whom, branches, PRs, deploy run."""
    ctx = _ctx(address, namespace, task_queue, as_json)

    async def go() -> tuple[HotfixStatus, WorkflowExecutionDescription]:
        client = await ctx.client()
        handle, description = await resolve(client, ctx, workflow_id)
        return await read_status(client, handle, description), description

    current, description = _run(ctx, go)
    if as_json:
        _print_json(
            {
                **_dump(current),
                "execution_status": description.status.name if description.status else None,
                "ui_url": ctx.url(description.id),
            }
        )
        return
    Console().print(views.status_view(current, url=ctx.url(description.id)))


@app.command()
def watch(
    workflow_id: WorkflowId,
    interval: Annotated[float, typer.Option("--interval", min=0.2, help="Seconds between looks.")] = 1.0,
    address: Address = None,
    namespace: Namespace = None,
    task_queue: TaskQueue = None,
    as_json: Json = False,
) -> None:
    """Follow a hotfix live until it ends (Ctrl-C stops watching, not the hotfix).

    Exits 0 when the hotfix ends done, 1 when it ends aborted, expired or failed. With --json, prints
    one JSON line per change.
    """
    ctx = _ctx(address, namespace, task_queue, as_json)

    async def go() -> HotfixStatus:
        client = await ctx.client()
        handle, description = await resolve(client, ctx, workflow_id)
        url = ctx.url(description.id)
        last: HotfixStatus | None = None
        live = None if as_json else Live(console=Console(), refresh_per_second=4, auto_refresh=True)
        if live:
            live.start()
        try:
            while True:
                current = await read_status(client, handle, description)
                if current != last:
                    if as_json:
                        typer.echo(json.dumps(_dump(current)))
                    last = current
                if live:
                    live.update(views.status_view(current, url=url))
                if description.status != WorkflowExecutionStatus.RUNNING:
                    return current
                await asyncio.sleep(interval)
                description = await handle.describe()
        finally:
            if live:
                live.stop()

    try:
        final = _run(ctx, go)
    except KeyboardInterrupt:
        typer.echo("stopped watching; the hotfix goes on", err=True)
        raise typer.Exit(EXIT_OK) from None
    if final.step != Step.DONE:
        raise typer.Exit(EXIT_FAILED)


@app.command("list")
def list_(
    repository: Annotated[str | None, typer.Option("--repository", help="Only this OWNER/NAME.")] = None,
    step: Annotated[Step | None, typer.Option("--step", help="Only hotfixes at this step.")] = None,
    running: Annotated[bool, typer.Option("--running", help="Only hotfixes still running.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 50,
    address: Address = None,
    namespace: Namespace = None,
    task_queue: TaskQueue = None,
    as_json: Json = False,
) -> None:
    """List hotfixes, filtered through the HotfixRepository and HotfixStep search attributes."""
    ctx = _ctx(address, namespace, task_queue, as_json)
    try:
        repo = _repository(repository) if repository is not None else None
    except CliError as err:
        _exit(err, as_json)
    clauses = ["WorkflowType = 'HotfixWorkflow'"]
    # Both values are validated (repository pattern, Step enum), so quoting them is safe.
    if repo:
        clauses.append(f"{search_attributes.REPOSITORY.name} = '{repo}'")
    if step:
        clauses.append(f"{search_attributes.STEP.name} = '{step.value}'")
    if running:
        clauses.append("ExecutionStatus = 'Running'")
    query = " AND ".join(clauses)

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
                    "status": execution.status.name if execution.status else "UNKNOWN",
                    "started": execution.start_time.strftime("%Y-%m-%d %H:%M:%S UTC"),
                    "ui_url": ctx.url(execution.id),
                }
            )
        return rows

    rows = _run(ctx, go)
    if as_json:
        _print_json(rows)
    else:
        Console().print(views.list_view(rows))


# ---------------------------------------------------------------------------------------------
# Signals: the human decisions
# ---------------------------------------------------------------------------------------------


async def send_signal(ctx: Ctx, workflow_id: str, name: str, payload: BaseModel) -> str:
    client = await ctx.client()
    handle, description = await resolve(client, ctx, workflow_id)
    ended = f"hotfix {description.id} has already ended ({{state}}); signals reach only running hotfixes"
    if description.status != WorkflowExecutionStatus.RUNNING:
        state = description.status.name.lower() if description.status else "closed"
        raise CliError(ended.format(state=state))
    try:
        await handle.signal(name, payload)
    except RPCError as err:
        # It ended between the look and the signal.
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CliError(ended.format(state="just now")) from None
        raise
    return description.id


def _signal_command(ctx: Ctx, workflow_id: str, name: str, payload: BaseModel, what: str) -> None:
    async def go() -> str:
        return await send_signal(ctx, workflow_id, name, payload)

    resolved = _run(ctx, go)
    if ctx.json:
        _print_json({"ok": True, "workflow_id": resolved, "signal": name, "payload": _dump(payload)})
    else:
        typer.echo(f"sent {name} to {resolved}: {what}")


@app.command("changes-ready")
def changes_ready(
    workflow_id: WorkflowId,
    address: Address = None,
    namespace: Namespace = None,
    task_queue: TaskQueue = None,
    as_json: Json = False,
) -> None:
    """Step 3 is done: the changes are on the working branch (the workflow checks that they are)."""
    ctx = _ctx(address, namespace, task_queue, as_json)
    _signal_command(
        ctx, workflow_id, "changes_ready", ChangesReadySignal(by=_user()), "it looks at the branch now"
    )


@app.command()
def recheck(
    workflow_id: WorkflowId,
    address: Address = None,
    namespace: Namespace = None,
    task_queue: TaskQueue = None,
    as_json: Json = False,
) -> None:
    """Look at GitHub again at once (after fixing what blocked the hotfix, or to skip a poll interval)."""
    ctx = _ctx(address, namespace, task_queue, as_json)
    _signal_command(ctx, workflow_id, "recheck", RecheckSignal(by=_user()), "it looks at GitHub again now")


@app.command("retry-deploy")
def retry_deploy(
    workflow_id: WorkflowId,
    address: Address = None,
    namespace: Namespace = None,
    task_queue: TaskQueue = None,
    as_json: Json = False,
) -> None:
    """Re-run the failed jobs of a failed or rejected deploy run."""
    ctx = _ctx(address, namespace, task_queue, as_json)
    _signal_command(
        ctx, workflow_id, "retry_deploy", RetryDeploySignal(by=_user()), "the deploy run is re-run"
    )


@app.command()
def abort(
    workflow_id: WorkflowId,
    reason: Annotated[
        str, typer.Option("--reason", help="Why; it goes into the PR comments and the status.")
    ],
    address: Address = None,
    namespace: Namespace = None,
    task_queue: TaskQueue = None,
    as_json: Json = False,
) -> None:
    """Withdraw a hotfix: closes its PRs and deletes its branches unless something was deployed."""
    ctx = _ctx(address, namespace, task_queue, as_json)
    if not reason.strip():
        _exit(CliError("--reason must say why the hotfix is aborted", EXIT_USAGE), as_json)
    _signal_command(
        ctx,
        workflow_id,
        "abort",
        AbortSignal(reason=reason.strip(), by=_user()),
        "it winds down and cleans up",
    )


# ---------------------------------------------------------------------------------------------
# doctor
# ---------------------------------------------------------------------------------------------


@app.command()
def doctor(
    repo: Annotated[str, typer.Argument(metavar="OWNER/NAME", help="The repository.")],
    address: Address = None,
    namespace: Namespace = None,
    task_queue: TaskQueue = None,
    as_json: Json = False,
) -> None:
    """Run the preflight checks alone, on the worker (which holds the GitHub token); exit 1 if any fail."""
    ctx = _ctx(address, namespace, task_queue, as_json)
    try:
        repository = _repository(repo)
        process = ProcessDefaults().process(ui_base_url=ctx.settings.ui_url, namespace=ctx.namespace)
    except CliError as err:
        _exit(err, as_json)
    except ValidationError as err:
        _exit(_settings_error(err), as_json)
    owner, name = naming.parse_repository(repository)
    today = datetime.now(UTC).date()
    check_input = PreflightInput(
        repository=repository,
        settings=process,
        # A sample name: the checks ask whether the environment would admit a branch like it.
        prod_branch=naming.prod_branch(process.prod_branch_prefix, today, "doctor"),
    )

    async def go() -> PreflightResult:
        client = await ctx.client()
        queue = ctx.settings.task_queue
        if not await has_pollers(client, queue):
            raise CliError(
                f"no worker polls task queue {queue!r}; doctor runs the checks on the worker, which holds "
                "the GitHub token: start worker.py (or `make up`)"
            )
        try:
            return await client.execute_workflow(
                DoctorWorkflow.run,
                check_input,
                id=f"hotfix-doctor/{owner}/{name}/{uuid.uuid4().hex[:8]}",
                task_queue=queue,
                execution_timeout=DOCTOR_TIMEOUT,
                static_summary=f"Preflight checks of {repository}",
            )
        except WorkflowFailureError as err:
            raise CliError(f"the preflight checks did not finish: {err.cause or err}") from None

    result = _run(ctx, go)
    failed = [check for check in result.checks if check.outcome == "fail"]
    if as_json:
        _print_json({"ok": not failed, "repository": repository, **_dump(result)})
    else:
        Console().print(views.doctor_view(repository, result))
        if failed:
            typer.echo(
                f"{len(failed)} check(s) failed: a hotfix on {repository} stops at preflight", err=True
            )
    if failed:
        raise typer.Exit(EXIT_FAILED)


def main() -> None:
    try:
        app()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    # Leave without interpreter finalization: the SDK's native threads may still call back into
    # Python while it shuts down, which can abort the process (exit 134) after the work is done.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
