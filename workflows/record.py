"""The last step of every hotfix that ends done, aborted or expired: its change record (#12 item 1).

Read from GitHub by an activity (activities/record.py), returned in the workflow's result and left
on the hotfix PR. A record that cannot be read (GitHub down for minutes) is a warning, never a
failed hotfix: what the hotfix did is done by then.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.payloads import Payloads
from workflows.versions import CHANGE_RECORD

with workflow.unsafe.imports_passed_through():
    from activities.record import RecordActivities
    from hotfix import render
    from hotfix.models import ChangeRecord, HotfixRequest, ProcessSettings, RecordInput, RecordResult

RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=6,
)
# A few dozen reads and one comment, and the wait for a GitHub thread in a burst.
RECORD_TIMEOUT = timedelta(minutes=10)


class RecordStep(Payloads):
    _request: HotfixRequest
    _settings: ProcessSettings

    async def _change_record(self) -> ChangeRecord | None:
        """The record as GitHub shows it at the end (None for hotfixes started before CHANGE_RECORD)."""
        if not self._patched(CHANGE_RECORD):
            return None
        link = render.workflow_link(
            self._settings.ui_base_url, self._settings.namespace, self._status.workflow_id
        )
        try:
            made: RecordResult = await workflow.execute_activity_method(
                RecordActivities.build_record,
                RecordInput(
                    status=self._status,
                    incident=self._request.incident,
                    ui_url=link if link.startswith("http") else None,
                    environment=self._settings.environment,
                    comment=True,
                ),
                start_to_close_timeout=RECORD_TIMEOUT,
                heartbeat_timeout=self._settings.heartbeat_timeout,
                retry_policy=RECORD_RETRY,
            )
        except ActivityError as err:
            warning = f"the change record could not be read from GitHub: {err.cause or err}"
            self._status.warnings.append(warning)
            return None
        return made.record


@workflow.defn
class RecordWorkflow:
    """`starter.py record` for a hotfix that has no record in its result yet (running, failed, or
    started before CHANGE_RECORD): the same reads, on the worker, which holds the GitHub token."""

    @workflow.run
    async def run(self, input: RecordInput) -> RecordResult:
        made: RecordResult = await workflow.execute_activity_method(
            RecordActivities.build_record,
            input,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=3),
        )
        return made
