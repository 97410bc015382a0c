"""What the workflow tells operators as it goes: a log line per step change and the step/blocked
metrics. Both go through the SDK's replay-safe facilities (`workflow.logger`, `workflow.metric_meter`),
which write nothing while a workflow replays and add no command to its history (no patch needed)."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hotfix.models import Step, StepEvent
    from hotfix.telemetry import BLOCKED, STEP_DURATION


def step_changed(previous: Step, step: Step, timeline: list[StepEvent], now: datetime) -> None:
    """Called as `step` begins; the timeline's last entry, if it ended `now`, is the step just left
    (its time goes into the histogram)."""
    workflow.logger.info("step changed", extra={"step": step.value, "previous_step": previous.value})
    left = timeline[-1] if timeline and timeline[-1].ended_at == now else None
    if left is not None:
        workflow.metric_meter().create_histogram_float(
            STEP_DURATION, "Seconds a hotfix spent in a step", "s"
        ).record(max((now - left.started_at).total_seconds(), 0.0), {"step": left.step.value})


def blocked(step: Step) -> None:
    workflow.metric_meter().create_counter(BLOCKED, "Times a hotfix was blocked, by step").add(
        1, {"step": step.value}
    )
