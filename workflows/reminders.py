"""Reminders on the hotfix's PR while people are waited for: which PR, and when the next is due.

A part of HotfixWorkflow through `Waiting` (workflows/waiting.py), which posts them (`_maybe_remind`)
as its waits wake. Deterministic like any workflow code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from temporalio import workflow

from workflows.notify import Notifying
from workflows.versions import EVERY_WAIT_NAMED

with workflow.unsafe.imports_passed_through():
    from hotfix.models import HotfixStatus, ProcessSettings, PullRequestRef


class Reminders(Notifying):
    _settings: ProcessSettings
    _status: HotfixStatus

    def _init_reminders(self) -> None:
        self._reminder_pr: int | None = None
        self._next_reminder: datetime | None = None
        # The PR reminded on by every wait once it exists (EVERY_WAIT_NAMED); None before it.
        self._standing_pr: int | None = None

    @contextmanager
    def _reminders(self, pr_number: int) -> Iterator[None]:
        """Remind on PR `pr_number` every reminder interval while the block runs."""
        self._reminder_pr = pr_number
        self._next_reminder = workflow.now() + self._settings.reminder_interval
        try:
            yield
        except GeneratorExit:
            # The worker is evicting this run from its cache: its coroutine is closed outside the
            # workflow's event loop (workflow.now() raises there) and its state is thrown away.
            raise
        except BaseException:
            self._stop_reminders()
            raise
        else:
            self._stop_reminders()

    def _stop_reminders(self) -> None:
        """Back to the standing reminders on the hotfix's PR, or none before there is one."""
        self._reminder_pr = self._standing_pr
        self._next_reminder = (
            workflow.now() + self._settings.reminder_interval if self._standing_pr is not None else None
        )

    def _adopt(self, closed: PullRequestRef, successor: PullRequestRef) -> PullRequestRef:
        """PR `successor`, opened from the same branch after `closed` was closed, is the one from now on."""
        self._status.message = (
            f"PR #{closed.number} was closed on GitHub; PR #{successor.number}, opened from the same "
            "branch, takes its place"
        )
        if self._standing_pr == closed.number:
            self._standing_pr = successor.number
        if self._reminder_pr == closed.number:
            self._reminder_pr = successor.number
        self._publish()
        return successor

    def _remind_on(self, pr_number: int | None) -> None:
        """From now on every wait reminds on PR `pr_number` (None: no more reminders at all)."""
        self._standing_pr = pr_number if self._patched(EVERY_WAIT_NAMED) else None
        self._stop_reminders()
