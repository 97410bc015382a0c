"""What every human wait of a hotfix shares: deadlines, reminders, nudges, polls, "blocked".

`HotfixWorkflow` (workflows/hotfix.py) is the runbook; this is the machinery it waits with, kept apart
so a step reads as what happens, not how it waits. Deterministic like any workflow code.

- `_until(condition)`: wait for state that a signal handler sets, an abort, or the deadline, posting
  reminders on the PR meanwhile.
- `_signal_after(name, seen)`: the one way to wait for the next signal of a kind.
- `_act(activity, input)`: one GitHub action, retried by Temporal; one no retry can fix "blocks" the
  hotfix until a human sends `recheck` (or aborts).
- `_poll` / `_watch`: a polling activity raced against nudges; `_watch` loops over what GitHub shows
  and hands each new observation to the step's decision.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal, TypeVar, overload

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

from workflows import telemetry, versions
from workflows.alarm import Alarm
from workflows.reminders import Reminders
from workflows.versions import ABORT_INTERRUPTS_ACTIONS, EVERY_WAIT_NAMED, HEARTBEATS_NOTICE_A_DEAD_WORKER

with workflow.unsafe.imports_passed_through():
    from activities.pulls import PullRequestActivities
    from hotfix import render, search_attributes
    from hotfix.models import (
        AbortSignal,
        CommentInput,
        FindBaseInput,
        HotfixRequest,
        HotfixStatus,
        ProcessSettings,
        ReviewObservation,
        Step,
        StepEvent,
        WaitReviewInput,
    )

I = TypeVar("I")  # noqa: E741 - an activity's input
R = TypeVar("R")  # its result
T = TypeVar("T")
# What a person can send; `nudge` counts every one of them (each makes the hotfix look again).
Signal = Literal["changes_ready", "recheck", "retry_deploy", "nudge"]

# GitHub calls: retried until they succeed; errors that no retry can fix are raised non-retryable
# by the activities and handed to a human (see `_act`).
IO_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=2),
)
# Cherry-picks and dispatch (which may look for its run a few times) take longer than one call.
SLOW = 5
# An action may queue in the worker before it works: for a GitHub thread and for its turn at the
# write gate (one write at a time, a second apart; activities/github/writes.py), which in a burst of
# a thousand hotfixes is a thousand seconds. Its start-to-close timeout allows for that queue (up to
# about 3,000 writes queued at once), and a heartbeat timeout (the worker beats every 2 s while it
# queues or works) notices a dead worker within seconds, so it is retried elsewhere.
QUEUE_ALLOWANCE = timedelta(hours=1)
# Before HEARTBEATS_NOTICE_A_DEAD_WORKER; since, ProcessSettings.heartbeat_timeout (10 s).
ACTION_HEARTBEAT = timedelta(seconds=20)
# One look of a poll: a few GitHub requests, and the wait for a GitHub thread in a burst.
LOOK_TIMEOUT = timedelta(minutes=10)
# After a look's worker died (its heartbeat timed out): look again from another worker at once.
AFTER_A_DEAD_WORKER = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=1.0)


class Stop(Exception):
    """Ends the hotfix early: aborted by a human, or a wait's deadline passed."""

    def __init__(self, step: Step, reason: str) -> None:
        super().__init__(reason)
        self.step = step
        self.reason = reason


class LookAgain:
    """A decision's answer meaning "ask GitHub afresh": forget what was seen last."""


LOOK_AGAIN = LookAgain()


def non_retryable(err: ActivityError) -> ApplicationError | None:
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.non_retryable:
        return cause
    return None


class Waiting(Reminders):
    """The waiting machinery, mixed into HotfixWorkflow; it owns the human-input state."""

    _request: HotfixRequest
    _settings: ProcessSettings
    _status: HotfixStatus

    def _init_waiting(self) -> None:
        # Human input arrives as signals at any time, even before run() starts; keep it as state.
        self._received: Counter[Signal] = Counter()
        self._abort: AbortSignal | None = None
        self._init_reminders()
        self._alarm = Alarm()  # the timer of the wait (LEAN_HISTORY)
        self._init_notifying()

    # ---- status shown to people ---------------------------------------------------------------

    def _await_who(self, what: str, who: list[str], event: str | None = None) -> None:
        self._status.awaiting, self._status.awaiting_who = what, list(who)
        self._announce(event)  # people are told as the wait begins (workflows/notify.py)
        self._publish()

    def _set_step(self, step: Step) -> None:
        now = workflow.now()
        if self._status.timeline and self._status.timeline[-1].ended_at is None:
            self._status.timeline[-1].ended_at = now
        telemetry.step_changed(self._status.step, step, self._status.timeline, now)  # a log line, a metric
        if not step.terminal:
            self._status.timeline.append(StepEvent(step=step, started_at=now))
        else:
            self._status.awaiting, self._status.awaiting_who = None, []
        self._status.step = step
        if step.terminal:
            self._ended(step)
        self._list_as(search_attributes.STEP, step.value)
        self._publish()

    def _list_as(self, key: SearchAttributeKey[str], value: str) -> None:
        """Set a search attribute; since LEAN_HISTORY only when it changes (the starter sets the first)."""
        if self._patched(versions.LEAN_HISTORY) and workflow.info().typed_search_attributes.get(key) == value:
            return
        workflow.upsert_search_attributes([key.value_set(value)])

    @staticmethod
    def _require(value: T | None) -> T:
        if value is None:
            raise ApplicationError(
                "internal: a step ran before the one that sets its input", non_retryable=True
            )
        return value

    # ---- shared by several steps -------------------------------------------------------------

    def _pr_body(self, back_merge: bool = False) -> str:
        link = render.workflow_link(
            self._settings.ui_base_url, self._settings.namespace, self._status.workflow_id
        )
        return render.pr_body(self._request, self._status, link, back_merge=back_merge)

    def _review_input(self, number: int, last: ReviewObservation | None) -> WaitReviewInput:
        return WaitReviewInput(
            repository=self._request.repository,
            number=number,
            poll_interval=self._settings.poll_interval,
            last=last,
            independent=self._settings.require_independent_review,
        )

    def _find_base_input(self, explicit: bool = True) -> FindBaseInput:
        return FindBaseInput(
            repository=self._request.repository,
            environment=self._settings.environment,
            main_branch=self._settings.main_branch,
            base_ref=self._request.base_ref if explicit else None,
        )

    # ---- waiting for people -------------------------------------------------------------------

    async def _until(
        self, condition: Callable[[], bool], *, deadline: datetime | None, what: str = "a human"
    ) -> None:
        """Wait for `condition`, an abort, or the deadline; post reminders on the PR meanwhile."""
        self._wait_begins(deadline)
        self._publish()
        while True:
            if self._abort is not None:
                raise Stop(Step.ABORTED, self._abort.reason)
            if condition():
                return
            now = workflow.now()
            if deadline is not None and now >= deadline:
                raise Stop(Step.EXPIRED, f"no {what} by the deadline, {deadline:%Y-%m-%d %H:%M} UTC")
            wake = [t for t in (deadline, self._next_reminder) if t is not None]
            if self._patched(versions.LEAN_HISTORY):
                alarm = self._alarm.at(min(wake)) if wake else None
                await workflow.wait_condition(partial(self._woken, condition, alarm))
                if alarm is not None and alarm.done():
                    await self._maybe_remind()
                continue
            timeout = max(min(wake) - now, timedelta(seconds=1)) if wake else None
            try:
                await workflow.wait_condition(lambda: condition() or self._abort is not None, timeout=timeout)
            except TimeoutError:
                await self._maybe_remind()

    def _woken(self, condition: Callable[[], bool], alarm: asyncio.Task[None] | None) -> bool:
        return condition() or self._abort is not None or (alarm is not None and alarm.done())

    async def _signal_after(
        self, name: Signal, seen: int, *, deadline: datetime | None = None, what: str = "a human"
    ) -> int:
        """Wait until more than `seen` signals `name` have arrived; returns how many have. Timed as a
        wait for people (a poll's own `_until` is timed as the wait on GitHub it is part of)."""
        with telemetry.waiting(self._status.step, "people"):
            await self._until(partial(self._received_more, name, seen), deadline=deadline, what=what)
        return self._received[name]

    def _received_more(self, name: Signal, seen: int) -> bool:
        return self._received[name] > seen

    def _deadline(self, timeout: timedelta) -> datetime | None:
        """The deadline of a wait that had none before EVERY_WAIT_NAMED (old hotfixes keep none)."""
        return workflow.now() + timeout if self._patched(EVERY_WAIT_NAMED) else None

    async def _maybe_remind(self) -> None:
        if self._next_reminder is None or self._reminder_pr is None or workflow.now() < self._next_reminder:
            return
        self._next_reminder = workflow.now() + self._settings.reminder_interval
        who = " ".join(f"@{login}" for login in self._status.awaiting_who)
        body = f"⏰ Reminder: this hotfix is waiting for {self._status.awaiting}. {who}".strip()
        body += "\n\n" + render.to_markdown(self._status)
        await self._act(
            PullRequestActivities.comment,
            CommentInput(repository=self._request.repository, number=self._reminder_pr, body=body),
        )

    # ---- waiting for GitHub -------------------------------------------------------------------

    async def _watch(
        self,
        method: Callable[[Any, I], Awaitable[R]],
        make_input: Callable[[R | None], I],
        decide: Callable[[R], Awaitable[T | LookAgain | None]],
        *,
        deadline: Callable[[], datetime | None],
        what: str,
    ) -> T:
        """Poll GitHub through `method` and hand each new observation to `decide`.

        `make_input(last)` builds the poll's input from the observation seen last (None: report what
        you see). `decide` returns the wait's result, None to keep waiting, or LOOK_AGAIN to keep
        waiting from a fresh look. `deadline()` is read before each poll, so a decision may move it.
        """
        last: R | None = None
        with telemetry.waiting(self._status.step, "github"):
            while True:
                seen = await self._poll(
                    method, partial(self._watch_input, make_input, last), deadline=deadline(), what=what
                )
                decided = await decide(seen)
                if isinstance(decided, LookAgain):
                    last = None
                elif decided is not None:
                    return decided
                else:
                    last = seen

    @staticmethod
    def _watch_input(make_input: Callable[[R | None], I], last: R | None, fresh: bool) -> I:
        return make_input(None if fresh else last)

    async def _poll(
        self,
        method: Callable[[Any, I], Awaitable[R]],
        make_input: Callable[[bool], I],
        *,
        deadline: datetime | None,
        what: str,
    ) -> R:
        """Run a polling activity until it reports; a nudge (signal) restarts it to look at once.

        `make_input(fresh)`: fresh is True after a nudge, when the poll must report what it sees.
        """
        fresh = False
        while True:
            nudges = self._received["nudge"]
            handle = self._start_poll(method, make_input(fresh))
            try:
                await self._until(partial(self._poll_over, handle, nudges), deadline=deadline, what=what)
            except BaseException:
                handle.cancel()
                raise
            if not handle.done():
                handle.cancel()
                try:
                    await handle
                except (ActivityError, asyncio.CancelledError, CancelledError):
                    pass
                fresh = True
                continue
            try:
                return handle.result()
            except ActivityError as err:
                await self._blocked(err)
                fresh = True

    def _poll_over(self, handle: workflow.ActivityHandle[Any], nudges: int) -> bool:
        return handle.done() or self._received["nudge"] != nudges

    def _start_poll(self, method: Callable[[Any, I], Awaitable[R]], arg: I) -> workflow.ActivityHandle[R]:
        interval = self._settings.poll_interval
        if self._patched(HEARTBEATS_NOTICE_A_DEAD_WORKER):
            # Polling by retry, one look per attempt (activities/waits.py): the activity asks for its
            # next look one poll interval later; AFTER_A_DEAD_WORKER applies only when its worker died.
            return workflow.start_activity_method(
                method,
                arg,
                start_to_close_timeout=LOOK_TIMEOUT,
                heartbeat_timeout=self._settings.heartbeat_timeout,
                retry_policy=AFTER_A_DEAD_WORKER,
            )
        return workflow.start_activity_method(
            method,
            arg,
            start_to_close_timeout=interval + timedelta(minutes=5),
            heartbeat_timeout=interval * 2 + timedelta(minutes=1),
            # Polling by retry: "not yet" is a benign failure retried every poll interval, so nothing
            # stays in the worker or in history while people think.
            retry_policy=RetryPolicy(
                initial_interval=interval, backoff_coefficient=1.0, maximum_interval=interval
            ),
        )

    def _action_heartbeat(self) -> timedelta:
        """How long an action's worker may stay silent before another worker retries the action."""
        if self._patched(HEARTBEATS_NOTICE_A_DEAD_WORKER):
            return self._settings.heartbeat_timeout
        return ACTION_HEARTBEAT

    # ---- acting on GitHub ---------------------------------------------------------------------

    @overload
    async def _act(
        self, method: Callable[[Any, I], Awaitable[R]], given: I | Callable[[], I], *, slow: bool = False
    ) -> R: ...

    @overload
    async def _act(
        self, method: Callable[[Any, I], R], given: I | Callable[[], I], *, slow: bool = False
    ) -> R: ...

    async def _act(
        self, method: Callable[[Any, I], Any], given: I | Callable[[], I], *, slow: bool = False
    ) -> Any:
        """One GitHub action. Transient errors are retried by Temporal; the rest wait for a human.

        `given` is the input, or a function that builds it before each try after a human's fix.
        """
        timeout = self._settings.activity_timeout * (SLOW if slow else 1) + QUEUE_ALLOWANCE
        heartbeat = self._action_heartbeat()
        while True:
            arg: I = given() if callable(given) else given
            try:
                if not self._patched(ABORT_INTERRUPTS_ACTIONS):
                    return await workflow.execute_activity_method(
                        method,
                        arg,
                        start_to_close_timeout=timeout,
                        heartbeat_timeout=heartbeat,
                        retry_policy=IO_RETRY,
                    )
                handle = workflow.start_activity_method(
                    method,
                    arg,
                    start_to_close_timeout=timeout,
                    heartbeat_timeout=heartbeat,
                    retry_policy=IO_RETRY,
                )
                # While GitHub is down an action retries for as long as it takes; an abort must not.
                await workflow.wait_condition(partial(self._action_over, handle))
                if not handle.done():
                    handle.cancel()
                    raise Stop(Step.ABORTED, self._abort.reason if self._abort else "aborted")
                return handle.result()
            except ActivityError as err:
                if self._status.step == Step.PREFLIGHT or non_retryable(err) is None:
                    raise
                await self._blocked(err)

    def _action_over(self, handle: workflow.ActivityHandle[Any]) -> bool:
        return handle.done() or self._abort is not None

    async def _blocked(self, err: ActivityError) -> None:
        """A human must fix what GitHub refused; `recheck` makes the hotfix try again."""
        cause = non_retryable(err)
        if cause is None:
            raise err
        previous = (self._status.awaiting, list(self._status.awaiting_who))
        telemetry.blocked(self._status.step)
        listed = self._patched(versions.BLOCKED_LISTED)
        if listed:
            self._list_as(search_attributes.BLOCKED, "true")
        self._status.message = f"blocked: {cause.message}"
        self._await_who(
            "a human to fix the problem, then the recheck signal", [self._request.requested_by], "blocked"
        )
        try:
            await self._signal_after(
                "nudge",
                self._received["nudge"],
                deadline=self._deadline(self._settings.blocked_timeout),
                what="fix of what blocked the hotfix",
            )
        except (Stop, asyncio.CancelledError, CancelledError):
            # Aborted, expired or cancelled while blocked: it ends, and is blocked no more.
            if listed and self._patched(versions.LEAN_HISTORY):
                self._list_as(search_attributes.BLOCKED, "false")
            raise
        if listed:
            self._list_as(search_attributes.BLOCKED, "false")
        self._status.awaiting, self._status.awaiting_who = previous[0], previous[1]
        self._status.message = "rechecking after a fix"
        self._publish()
