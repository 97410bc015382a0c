"""structlog loggers bound to the running activity: workflow, run, activity type and attempt."""

from __future__ import annotations

from typing import Any

from temporalio import activity

from service.logs import get_logger


def logger(name: str, **bound: Any) -> Any:
    """A logger for this moment; built per call so it follows `service.logs.configure`."""
    if activity.in_activity():
        info = activity.info()
        bound = {
            "workflow_id": info.workflow_id,
            "temporal_run_id": info.workflow_run_id,
            "activity": info.activity_type,
            "attempt": info.attempt,
            **bound,
        }
    return get_logger(name, **bound)
