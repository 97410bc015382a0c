"""Chat notifications at each human wait and at the end: the workflow's side (activities/notify.py
sends them). Deterministic like any workflow code; a part of HotfixWorkflow through `Waiting`.

- Only when the worker's preflight said it has chat targets (PreflightResult.notify) and then behind
  NOTIFY_AT_WAITS: a hotfix without notifications schedules nothing and records no marker, so its
  history is the same as before.
- Never blocking: each message is an activity started and not waited for; the wait goes on at once.
  Before the workflow ends it waits for the messages still on their way (bounded by NOTIFY_WITHIN),
  so the last one ("done", "failed") is not dropped with the workflow; a failure is only logged.
- Once per wait: `_await_who` announces a wait (its event: the step, or "blocked"); the message goes
  out when the wait begins (`_until`, which knows the deadline), once per step entry and event; every
  block is a wait of its own. Its key (workflow ID, event, occurrence) is the same on every retry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.payloads import Payloads
from workflows.versions import NOTIFY_AT_WAITS

with workflow.unsafe.imports_passed_through():
    from activities.notify import NOTIFY_ATTEMPT_TIMEOUT, NOTIFY_ATTEMPTS, NOTIFY_WITHIN, NotifyActivities
    from hotfix import render
    from hotfix.models import (
        HotfixRequest,
        HotfixStatus,
        NotifyInput,
        NotifyResult,
        PreflightResult,
        ProcessSettings,
        Step,
    )

# The waits people are told about: the steps that wait for a person, and a block.
BLOCKED = "blocked"
WAITS = {
    *(step.value for step in (Step.CHANGES, Step.APPROVAL, Step.DEPLOY_APPROVAL, Step.DEPLOY_FAILED)),
    Step.BACK_MERGE.value,
    BLOCKED,
}
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_attempts=NOTIFY_ATTEMPTS
)


class Notifying(Payloads):
    _request: HotfixRequest
    _settings: ProcessSettings
    _status: HotfixStatus
    _preflight: PreflightResult | None

    def _init_notifying(self) -> None:
        self._notify_next: str | None = None  # the event of the wait announced, sent when it begins
        self._notified: set[tuple[int, str]] = set()  # (step entry, event) already told
        self._notifications: list[workflow.ActivityHandle[NotifyResult]] = []

    def _notifying(self) -> bool:
        # `patched` only for a hotfix that notifies: one that does not records no marker.
        preflight = getattr(self, "_preflight", None)
        return bool(preflight and preflight.notify) and self._patched(NOTIFY_AT_WAITS)

    def _announce(self, event: str | None) -> None:
        """A wait was named (`_await_who`): tell people when it begins, if it is one they are told of."""
        event = event or self._status.step.value
        self._notify_next = event if event in WAITS else None

    def _wait_begins(self, deadline: datetime | None) -> None:
        """Called as a wait begins: send the message its announcement asked for, once."""
        event, self._notify_next = self._notify_next, None
        if event is None:
            return
        entry = (len(self._status.timeline), event)
        if event != BLOCKED and entry in self._notified:
            return
        self._notified.add(entry)
        self._notify(event, deadline)

    def _ended(self, step: Step) -> None:
        """The hotfix reached a terminal step: tell people how it ended."""
        self._notify_next = None
        self._notify(step.value, None)

    def _notify(self, event: str, deadline: datetime | None) -> None:
        if not self._notifying():
            return
        status = self._status
        links: dict[str, str] = {}
        if status.pull_request:
            links["Pull request"] = status.pull_request.url
        if status.run_url:
            links["Deploy run"] = status.run_url
        if status.back_merge_pull_request:
            links["Back-merge"] = status.back_merge_pull_request.url
        if self._settings.ui_base_url:
            links["Temporal"] = render.workflow_url(
                self._settings.ui_base_url, self._settings.namespace, status.workflow_id
            )
        terminal = event in (Step.DONE, Step.FAILED, Step.EXPIRED, Step.ABORTED)
        self._notifications.append(
            workflow.start_activity_method(
                NotifyActivities.notify,
                NotifyInput(
                    key=f"{status.workflow_id}#{len(self._notifications) + 1}:{event}",
                    event=event,
                    repository=self._request.repository,
                    description=self._request.description,
                    awaiting=None if terminal else status.awaiting,
                    who=[] if terminal else self._awaited(event),
                    deadline=deadline,
                    note=status.reason if terminal else status.message,
                    links=links,
                ),
                start_to_close_timeout=NOTIFY_ATTEMPT_TIMEOUT,
                schedule_to_close_timeout=NOTIFY_WITHIN,
                retry_policy=NOTIFY_RETRY,
                summary=f"notify: {event}",
            )
        )

    def _awaited(self, event: str) -> list[str]:
        """Who the wait is for; the reviewers who may answer when the wait names nobody in particular."""
        if self._status.awaiting_who:
            return list(self._status.awaiting_who)
        if event == Step.APPROVAL:
            return [*self._settings.approvers, *self._settings.pr_reviewers]
        if event == Step.DEPLOY_APPROVAL and self._preflight is not None:
            return list(self._preflight.reviewers)
        return []

    async def _notifications_sent(self) -> None:
        """Before the workflow ends: the messages still on their way arrive (or are given up)."""
        for handle in self._notifications:
            try:
                await handle
            except ActivityError as err:
                workflow.logger.warning("notification not sent: %s", err.cause or err)
