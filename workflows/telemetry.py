"""What the workflow tells operators as it goes: a log line per step change and the step, wait and
blocked metrics. Both go through the SDK's replay-safe facilities (`workflow.logger`,
`workflow.metric_meter`), which write nothing while a workflow replays and add no command to its
history (no patch needed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hotfix.models import Step, StepEvent
    from hotfix.telemetry import BLOCKED, STEP_DURATION, WAIT_DURATION


def step_changed(previous: Step, step: Step, timeline: list[StepEvent], now: datetime) -> None:
    """Called as `step` begins; the timeline's last entry, if it ended `now`, is the step just left
    (its time goes into the histogram)."""
    workflow.logger.info("step changed", extra={"step": step.value, "previous_step": previous.value})
    left = timeline[-1] if timeline and timeline[-1].ended_at == now else None
    if left is not None:
        workflow.metric_meter().create_histogram_float(
            STEP_DURATION, "Seconds a hotfix spent in a step", "s"
        ).record(max((now - left.started_at).total_seconds(), 0.0), {"step": left.step.value})


@contextmanager
def waiting(step: Step, on: str) -> Iterator[None]:
    """One wait at `step` on `on` ("people" or "github"): its time goes into the histogram as it ends,
    whichever way (met, aborted, expired)."""
    started = workflow.now()
    try:
        yield
    except GeneratorExit:
        raise  # evicted from a worker's cache: the wait goes on, it is not over
    except BaseException:
        _wait_over(step, on, started)
        raise
    _wait_over(step, on, started)


def _wait_over(step: Step, on: str, started: datetime) -> None:
    workflow.metric_meter().create_histogram_float(
        WAIT_DURATION, "Seconds a hotfix spent in one wait, by step and by what it waited on", "s"
    ).record(max((workflow.now() - started).total_seconds(), 0.0), {"step": step.value, "on": on})


def blocked(step: Step) -> None:
    workflow.metric_meter().create_counter(BLOCKED, "Times a hotfix was blocked, by step").add(
        1, {"step": step.value}
    )
