"""Finding a hotfix and reading its status (status, watch and the signals use them).

A hotfix is named by any of: its workflow ID (`hotfix/OWNER/NAME/DAY_slug`, or without `hotfix/`),
its `DAY_slug` alone (with `--repository`, or found among the hotfixes if only one has it), the URL
of its pull request or back-merge pull request, or that PR's number with `--repository`.
"""

from __future__ import annotations

import re
from datetime import timedelta

from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.service import RPCError, RPCStatusCode

from cli.context import EXIT_USAGE, CliError, Ctx
from hotfix import search_attributes
from hotfix.memo import memo_status
from hotfix.models import HotfixResult, HotfixStatus
from service.temporal import has_pollers
from workflows.hotfix import HotfixWorkflow

QUERY_TIMEOUT = timedelta(seconds=10)
# https://HOST/OWNER/NAME/pull/12 (github.com or GHES), with or without a trailing /files, #anchor, ...
_PR_URL = re.compile(r"^https?://[^/\s]+/(?P<repo>[^/\s]+/[^/\s]+)/pulls?/(?P<number>\d+)(?:[/#?].*)?$")
# DAY_slug as naming.hotfix_key makes it.
_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}_[a-z0-9-]+$")
# How many hotfixes, newest first, a lookup by DAY_slug or PR looks through.
SEARCH_LIMIT = 500

Hotfix = WorkflowHandle[HotfixWorkflow, HotfixResult]


async def resolve(client: Client, ctx: Ctx, workflow_id: str) -> tuple[Hotfix, WorkflowExecutionDescription]:
    """The hotfix's handle and description, from any of the names in this module's docstring."""
    text = workflow_id.strip()
    pull = _PR_URL.match(text)
    if pull or text.removeprefix("#").isdigit():
        repository = pull["repo"] if pull else ctx.repository
        if not repository:
            raise CliError(
                f"{text!r} is a pull request number: say whose with --repository OWNER/NAME", EXIT_USAGE
            )
        found = await _by_pull_request(
            client, ctx, repository, int(pull["number"] if pull else text.lstrip("#"))
        )
        return await resolve(client, ctx, found)
    if _KEY.match(text):
        text = f"{ctx.repository}/{text}" if ctx.repository else await _by_key(client, ctx, text)
    candidates = [text]
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
    client: Client, handle: Hotfix, description: WorkflowExecutionDescription
) -> HotfixStatus:
    """The hotfix's status, read from Temporal alone where it can be (no worker needed, no wait).

    A finished hotfix's result is its final status; a hotfix started on STATUS_IN_MEMO keeps its
    status in its memo (workflows/payloads.py), which the description already holds. Only older
    hotfixes (and ones started without the starter's memo, before their first workflow task) are
    asked with the `status` query, which a worker answers.
    """
    if description.status == WorkflowExecutionStatus.COMPLETED:
        # The result is the final status, readable without a worker.
        return (await handle.result()).status
    in_memo = await memo_status(description)
    if in_memo is not None:
        return in_memo
    # A query is answered by a worker; without one it would only time out, so say why instead.
    if not await has_pollers(client, description.task_queue):
        raise CliError(
            f"no worker polls task queue {description.task_queue!r}, so the hotfix cannot answer the status "
            "query; start worker.py (or `make up`)"
        )
    try:
        return await handle.query(HotfixWorkflow.status, rpc_timeout=QUERY_TIMEOUT)
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


async def no_worker_note(client: Client, description: WorkflowExecutionDescription) -> str | None:
    """For a running hotfix whose task queue no worker polls: that it does not move until one does."""
    if description.status != WorkflowExecutionStatus.RUNNING:
        return None
    if await has_pollers(client, description.task_queue):
        return None
    return (
        f"no worker polls task queue {description.task_queue!r}: the hotfix does not move until one does "
        "(start worker.py, or `make up`)"
    )


async def _by_key(client: Client, ctx: Ctx, key: str) -> str:
    """The one hotfix whose ID ends in `/DAY_slug`, among the newest SEARCH_LIMIT."""
    found = [
        execution.id
        async for execution in client.list_workflows("WorkflowType = 'HotfixWorkflow'", limit=SEARCH_LIMIT)
        if execution.id.endswith(f"/{key}")
    ]
    unique = sorted(set(found))
    if len(unique) > 1:
        raise CliError(
            f"{key!r} names hotfixes in {len(unique)} repositories ({', '.join(unique)}); say which with "
            "--repository OWNER/NAME or give the workflow ID",
            EXIT_USAGE,
        )
    if not unique:
        raise CliError(
            f"no hotfix named {key!r} in namespace {ctx.namespace!r} at {ctx.address}; `starter.py list` "
            "shows the hotfixes"
        )
    return unique[0]


async def _by_pull_request(client: Client, ctx: Ctx, repository: str, number: int) -> str:
    """The hotfix whose pull request or back-merge pull request is `repository#number`: its status
    says so (the CLI holds no GitHub token, so the PR itself is never read)."""
    query = (
        f"WorkflowType = 'HotfixWorkflow' AND {search_attributes.REPOSITORY.name} = '{_quoted(repository)}'"
    )
    unanswered: CliError | None = None
    async for execution in client.list_workflows(query, limit=SEARCH_LIMIT):
        handle = client.get_workflow_handle_for(HotfixWorkflow.run, execution.id)
        try:
            status = await read_status(client, handle, await handle.describe())
        except CliError as err:  # e.g. no worker to answer a running one: look at the others
            unanswered = unanswered or err
            continue
        except RPCError:
            continue
        numbers = [pr.number for pr in (status.pull_request, status.back_merge_pull_request) if pr]
        if number in numbers:
            return execution.id
    where = f"no hotfix of {repository} has pull request #{number}"
    if unanswered is not None:
        raise CliError(f"{where} among those that answered; {unanswered.message}")
    raise CliError(f"{where} (namespace {ctx.namespace!r} at {ctx.address})")


def _quoted(value: str) -> str:
    """A value for a visibility query's string literal; a repository never holds a quote anyway."""
    return value.replace("\\", "").replace("'", "")
