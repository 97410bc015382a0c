"""`start --dry-run`: the plan of a hotfix, read from GitHub on the worker, with nothing created.

The worker runs DryRunWorkflow (preflight, the base, the prod branch's rules: reads only) and the
CLI prints what the hotfix would do. Exit 0 if it would start, 1 if preflight (or the base) stops it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from rich.console import Console
from temporalio.client import Client, WorkflowFailureError

from cli.context import CliError
from hotfix import naming, render
from hotfix.models import DryRunInput, DryRunResult, HotfixRequest, PreflightInput
from hotfix.settings import TemporalSettings
from service.temporal import has_pollers
from workflows.dry_run import DryRunWorkflow

DRY_RUN_TIMEOUT = timedelta(minutes=2)


async def dry_run(client: Client, settings: TemporalSettings, request: HotfixRequest) -> DryRunResult:
    """Run the plan's reads on the worker; the workflow ends with its result, so nothing stays running."""
    queue = settings.task_queue
    if not await has_pollers(client, queue):
        raise CliError(
            f"no worker polls task queue {queue!r}; a dry run reads GitHub on the worker, which holds the "
            "GitHub token: start worker.py (or `make up`)"
        )
    process = request.settings
    owner, name = naming.parse_repository(request.repository)
    prod = naming.prod_branch(process.prod_branch_prefix, request.day, request.description, request.slug)
    try:
        return await client.execute_workflow(
            DryRunWorkflow.run,
            DryRunInput(
                preflight=PreflightInput(
                    repository=request.repository,
                    settings=process,
                    prod_branch=prod,
                    base_ref=request.base_ref,
                    cherry_picks=list(request.cherry_picks),
                    requested_by=request.requested_by,
                ),
                main_branch=process.main_branch,
                environment=process.environment,
            ),
            id=f"hotfix-dry-run/{owner}/{name}/{uuid.uuid4().hex[:8]}",
            task_queue=queue,
            execution_timeout=DRY_RUN_TIMEOUT,
            static_summary=f"Dry run of a hotfix of {request.repository}: {request.description}"[:400],
        )
    except WorkflowFailureError as err:
        raise CliError(f"the dry run did not finish: {err.cause or err}") from None


def plan(request: HotfixRequest, result: DryRunResult) -> dict[str, Any]:
    """What the hotfix would do, as `--json` prints it (and the human view shows)."""
    process = request.settings
    day, description, slug = request.day, request.description, request.slug
    work = naming.work_branch(process.work_branch_prefix, day, description, slug)
    prod = naming.prod_branch(process.prod_branch_prefix, day, description, slug)
    failed = [c for c in result.preflight.checks if c.outcome == "fail"]
    default_branch = process.back_merge_branch or result.preflight.default_branch or None
    rules = result.prod_rules
    base = result.base
    return {
        "would_start": not failed and result.base_problem is None,
        "workflow_id": naming.workflow_id(request.repository, day, description, slug),
        "repository": request.repository,
        "incident": request.incident,
        "base": base.model_dump(exclude_none=True) if base else None,
        "base_problem": result.base_problem,
        "work_branch": work,
        "prod_branch": prod,
        "cherry_picks": list(request.cherry_picks),
        "pull_requests": [
            {"title": render.hotfix_title(request), "head": work, "base": prod},
            {
                "title": render.back_merge_title(request, default_branch or "?"),
                "head": prod,
                "base": default_branch,
            },
        ],
        "deploy": {"workflow": process.deploy_workflow, "ref": prod, "environment": process.environment},
        "approvals": {
            "pull_request": {
                "required": max(1, rules.required_approvals or 1) if rules else None,
                "approvers": list(process.approvers) or "anyone with write access",
                "asked": list(process.pr_reviewers),
                "code_owners": bool(rules and rules.require_code_owner_reviews),
            },
            "deployment": list(result.preflight.reviewers) or "nobody (the environment has no reviewers)",
        },
        "checks": [c.model_dump(exclude_none=True) for c in result.preflight.checks],
        "warnings": [*result.preflight.warnings, *(rules.unreadable if rules else []), *result.notes],
    }


def print_plan(found: dict[str, Any]) -> None:
    out = Console(highlight=False)
    verdict = "[bold green]would start[/]" if found["would_start"] else "[bold red]would stop[/]"
    out.print(f"Dry run of hotfix [bold]{found['workflow_id']}[/]: {verdict}; nothing was created")
    base = found["base"]
    if base is None:
        out.print(f"  base            not found: {found['base_problem'] or 'preflight failed first'}")
    elif base["source"] == "deployment":
        by = f" by {base['deployment_creator']}" if base.get("deployment_creator") else ""
        at = f" at {base['deployment_created_at']}" if base.get("deployment_created_at") else ""
        where = f"{base['ref']} @ {base['sha'][:12]}"
        out.print(f"  base            deployment {base['deployment_id']} ({where}){by}{at}")
    else:
        why = "--base" if base["source"] == "explicit" else "nothing deployed yet"
        out.print(f"  base            {base['ref']} @ {base['sha'][:12]} ({why})")
    out.print(f"  working branch  {found['work_branch']}")
    out.print(f"  prod branch     {found['prod_branch']}")
    for pr in found["pull_requests"]:
        out.print(f"  pull request    {pr['head']} -> {pr['base'] or '?'}: {pr['title']}", soft_wrap=True)
    deploy = found["deploy"]
    out.print(f"  deploy          {deploy['workflow']} on {deploy['ref']} to {deploy['environment']}")
    pr_approval = found["approvals"]["pull_request"]
    who = pr_approval["approvers"]
    out.print(
        f"  PR approval     {pr_approval['required'] or '?'} of "
        f"{', '.join(who) if isinstance(who, list) else who}"
        + (", code owners" if pr_approval["code_owners"] else "")
    )
    deployers = found["approvals"]["deployment"]
    out.print(f"  deploy approval {', '.join(deployers) if isinstance(deployers, list) else deployers}")
    for check in found["checks"]:
        if check["outcome"] != "pass":
            fix = f" (fix: {check['fix']})" if check.get("fix") else ""
            out.print(f"  {check['outcome']:<15} {check['name']}: {check['detail']}{fix}", soft_wrap=True)
    for warning in found["warnings"]:
        out.print(f"  warning         {warning}", soft_wrap=True)
