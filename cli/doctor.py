"""`doctor`: the preflight checks alone, run on the worker (which holds the GitHub token)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import typer
from rich.console import Console
from temporalio.client import WorkflowFailureError

from cli import views
from cli.context import EXIT_FAILED, CliError, Ctx, dump, print_json, process_settings, run
from cli.options import Repository, valid_repository, with_ctx
from hotfix import naming
from hotfix.models import PreflightInput, PreflightResult
from service.temporal import has_pollers
from workflows.doctor import DoctorWorkflow

DOCTOR_TIMEOUT = timedelta(minutes=2)


@with_ctx
def doctor(ctx: Ctx, repo: Repository) -> None:
    """Run the preflight checks alone, on the worker (which holds the GitHub token); exit 1 if any fail."""
    try:
        repository = valid_repository(repo)
        process = process_settings(ctx.settings.ui_url, ctx.namespace)
    except CliError as err:
        ctx.fail(err)
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

    result = run(ctx, go)
    failed = [check for check in result.checks if check.outcome == "fail"]
    if ctx.json:
        print_json({"ok": not failed, "repository": repository, **dump(result)})
    else:
        Console().print(views.doctor_view(repository, result))
        if failed:
            typer.echo(
                f"{len(failed)} check(s) failed: a hotfix on {repository} stops at preflight", err=True
            )
    if failed:
        raise typer.Exit(EXIT_FAILED)
