"""The human decisions as Temporal updates too: a person learns at once whether the hotfix took them.

A part of HotfixWorkflow (workflows/hotfix.py). Each update carries the same name and payload as its
signal and does exactly what the signal does, but a validator first checks that the decision means
something now, so `starter.py changes-ready` on a hotfix at PR approval is refused with the reason
instead of being counted and forgotten. A refused update leaves no trace in the history. The signals
stay (the Temporal UI and older starters send them; they accept anything, workflows/payloads.py).

Validators run before the update is written to history: deterministic, and they change nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ValidationError

    from hotfix.models import (
        AbortSignal,
        ChangesReadySignal,
        DecisionResult,
        HotfixStatus,
        RecheckSignal,
        RetryDeploySignal,
        Step,
    )

P = TypeVar("P", bound=BaseModel)


def payload_of(model: type[P], raw: object, name: str) -> P:
    """The update's payload as `model`; a payload that is not one is refused (ValueError, one line)."""
    if raw is None:
        return model()
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        problems = err.errors()
        if not problems:
            raise ValueError(f"{name}: payload not readable") from None
        where = ".".join(str(part) for part in problems[0]["loc"]) or "payload"
        raise ValueError(f"{name}: {where}: {problems[0]['msg']}") from None


class HumanUpdates:
    _status: HotfixStatus
    _abort: AbortSignal | None
    _picking: bool

    if TYPE_CHECKING:
        # The signals of HotfixWorkflow, which the updates apply.
        def changes_ready(self, signal: Any = None) -> None: ...
        def recheck(self, signal: Any = None) -> None: ...
        def retry_deploy(self, signal: Any = None) -> None: ...
        def abort(self, signal: Any = None) -> None: ...

    def _decided(self, what: str) -> DecisionResult:
        return DecisionResult(step=self._status.step, awaiting=self._status.awaiting, message=what)

    def _refuse_if_ending(self, name: str) -> None:
        if self._abort is not None:
            raise ValueError(f"{name}: the hotfix is being aborted ({self._abort.reason})")
        if self._status.step.terminal:
            raise ValueError(f"{name}: the hotfix has ended ({self._status.step.value})")

    @workflow.update(name="changes_ready")
    def changes_ready_update(self, update: Any = None) -> DecisionResult:
        """As the changes_ready signal, refused unless the hotfix waits for changes."""
        self.changes_ready(payload_of(ChangesReadySignal, update, "changes_ready"))
        return self._decided(f"it looks at {self._status.work_branch} now")

    @changes_ready_update.validator
    def _may_mark_changes_ready(self, update: Any = None) -> None:
        payload_of(ChangesReadySignal, update, "changes_ready")
        self._refuse_if_ending("changes_ready")
        if self._status.step != Step.CHANGES:
            raise ValueError(
                f"changes_ready: the hotfix is at {self._status.step.value}, not waiting for changes"
                + (f" (it waits for {self._status.awaiting})" if self._status.awaiting else "")
            )

    @workflow.update(name="recheck")
    def recheck_update(self, update: Any = None) -> DecisionResult:
        """As the recheck signal; a cherry-pick list is refused unless cherry-picking is what blocked."""
        self.recheck(payload_of(RecheckSignal, update, "recheck"))
        return self._decided("it looks at GitHub again now")

    @recheck_update.validator
    def _may_recheck(self, update: Any = None) -> None:
        payload = payload_of(RecheckSignal, update, "recheck")
        self._refuse_if_ending("recheck")
        if payload.cherry_picks is not None and not (self._status.step == Step.CHANGES and self._picking):
            raise ValueError(
                f"recheck: a cherry-pick list replaces the list only of a hotfix blocked while "
                f"cherry-picking; this one is at {self._status.step.value}"
            )

    @workflow.update(name="retry_deploy")
    def retry_deploy_update(self, update: Any = None) -> DecisionResult:
        """As the retry_deploy signal, refused unless the deploy run failed or was rejected."""
        self.retry_deploy(payload_of(RetryDeploySignal, update, "retry_deploy"))
        return self._decided("the deploy run's failed jobs are re-run")

    @retry_deploy_update.validator
    def _may_retry_deploy(self, update: Any = None) -> None:
        payload_of(RetryDeploySignal, update, "retry_deploy")
        self._refuse_if_ending("retry_deploy")
        if self._status.step != Step.DEPLOY_FAILED:
            raise ValueError(
                f"retry_deploy: the hotfix is at {self._status.step.value}; no deploy run failed"
            )

    @workflow.update(name="abort")
    def abort_update(self, update: Any = None) -> DecisionResult:
        """As the abort signal, refused once the hotfix is being aborted or has ended."""
        self.abort(payload_of(AbortSignal, update, "abort"))
        return self._decided("it winds down and cleans up")

    @abort_update.validator
    def _may_abort(self, update: Any = None) -> None:
        payload_of(AbortSignal, update, "abort")
        self._refuse_if_ending("abort")
