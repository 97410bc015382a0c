"""DoctorWorkflow: the preflight checks alone, run on the worker for `starter.py doctor`.

Running them as a workflow keeps the GitHub token in the worker: the CLI only needs Temporal.
No side effects, so a doctor run can be repeated at will.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.preflight import PreflightActivities
    from hotfix.models import PreflightCheck, PreflightInput, PreflightResult

# An operator waits at the terminal: a few quick attempts, then say what went wrong.
DOCTOR_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=5),
    maximum_attempts=3,
)


async def run_preflight(input: PreflightInput) -> PreflightResult:
    """The preflight activity, a GitHub that refuses us reported as a failed check (doctor, dry run)."""
    try:
        return await workflow.execute_activity_method(
            PreflightActivities.preflight,
            input,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=DOCTOR_RETRY,
        )
    except ActivityError as err:
        cause = err.cause
        detail = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
        # A GitHub that refuses us (bad token, no such repository) is itself a failed check.
        return PreflightResult(
            default_branch="",
            checks=[
                PreflightCheck(
                    name="github",
                    outcome="fail",
                    detail=detail,
                    fix="check HOTFIX_GITHUB_URL and the worker's token permissions (see README)",
                )
            ],
        )


@workflow.defn
class DoctorWorkflow:
    @workflow.run
    async def run(self, input: PreflightInput) -> PreflightResult:
        return await run_preflight(input)
