"""DryRunWorkflow: what a hotfix would do (`start --dry-run`), found by reading GitHub only.

The preflight checks, then the base the hotfix would start from and the rules GitHub would apply to
its prod branch. Every activity it runs is read-only, so a dry run writes nothing to GitHub and, once
it returns, leaves nothing running: the CLI prints the plan from its result.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.doctor import DOCTOR_RETRY, run_preflight

with workflow.unsafe.imports_passed_through():
    from activities.branches import BranchActivities
    from activities.rules import RulesActivities
    from hotfix.models import BranchRulesInput, DryRunInput, DryRunResult, FindBaseInput

READ_TIMEOUT = timedelta(seconds=60)


def _why(err: ActivityError) -> str:
    cause = err.cause
    return cause.message if isinstance(cause, ApplicationError) else str(cause or err)


@workflow.defn
class DryRunWorkflow:
    @workflow.run
    async def run(self, input: DryRunInput) -> DryRunResult:
        preflight = await run_preflight(input.preflight)
        result = DryRunResult(preflight=preflight)
        if any(check.outcome == "fail" for check in preflight.checks):
            return result  # the hotfix would stop here; where it would start from does not matter
        request = input.preflight
        try:
            result.base = await workflow.execute_activity_method(
                BranchActivities.find_base,
                FindBaseInput(
                    repository=request.repository,
                    environment=input.environment,
                    main_branch=input.main_branch,
                    base_ref=request.base_ref,
                ),
                start_to_close_timeout=READ_TIMEOUT,
                retry_policy=DOCTOR_RETRY,
            )
        except ActivityError as err:
            result.base_problem = _why(err)
        try:
            result.prod_rules = await workflow.execute_activity_method(
                RulesActivities.branch_rules,
                BranchRulesInput(
                    repository=request.repository,
                    branch=request.prod_branch,
                    pattern_prefix=request.settings.prod_branch_prefix,
                ),
                start_to_close_timeout=READ_TIMEOUT,
                retry_policy=DOCTOR_RETRY,
            )
        except ActivityError as err:
            result.notes.append(f"the prod branch's rules could not be read: {_why(err)}")
        return result
