"""Logging: every line one JSON object when not on a terminal, readable console output on one.

One handler on the root logger renders everything through structlog's `ProcessorFormatter`: our
structlog loggers, the standard library's loggers (the Temporal SDK's warnings and tracebacks,
`workflow.logger`, PyGithub, urllib3) and, forwarded by `core_log_forwarding()`, the SDK's Rust core.
A traceback is a field (`exception`: a list of frames and messages), never lines of its own.

Keys that mean one thing each: `workflow_id` (the hotfix, or its lane), `temporal_run_id` (the
Temporal run of that workflow), `github_run_id` (a GitHub Actions run), `activity`, `attempt`. The
SDK's `temporal_workflow`/`temporal_activity` extras are flattened into them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from temporalio import activity, workflow
from temporalio.runtime import LogForwardingConfig, LoggingConfig, TelemetryFilter

_SECRET_KEYS = ("token", "authorization", "password", "secret", "api_key", "private_key")
# The SDK's context extras, flattened into our keys.
_TEMPORAL_KEYS = {"workflow_id": "workflow_id", "run_id": "temporal_run_id", "workflow_type": "workflow_type"}
_ACTIVITY_KEYS = {**_TEMPORAL_KEYS, "activity_type": "activity", "attempt": "attempt"}
# The core's own logs arrive on this logger (and its children, one per Rust target).
CORE_LOGGER = "temporalio.core"


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    # Belt and braces: nothing should log a secret, but a stray kwarg must not leak one.
    for key in list(event_dict):
        if any(s in key.lower() for s in _SECRET_KEYS):
            event_dict[key] = "***"
    return event_dict


def _temporal_context(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """`temporal_workflow` / `temporal_activity` (the SDK's loggers' extras) as flat keys."""
    for extra, keys in (("temporal_workflow", _TEMPORAL_KEYS), ("temporal_activity", _ACTIVITY_KEYS)):
        details = event_dict.pop(extra, None)
        if isinstance(details, dict):
            for theirs, ours in keys.items():
                if theirs in details:
                    event_dict.setdefault(ours, details[theirs])
    event_dict.pop("temporal_log", None)  # the core's raw record; its message is the event
    return event_dict


_TRACEBACK_AS_FIELD = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
)


def _shared(json_output: bool) -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _temporal_context,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
        # Tracebacks as a field: frames and messages, never the frames' locals (they may hold secrets).
        *([_TRACEBACK_AS_FIELD] if json_output else []),
    ]


def configure(fmt: str = "auto", level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Everything to `stream` (stderr), JSON unless on a terminal (or `fmt` says)."""
    stream = stream or sys.stderr
    json_output = fmt == "json" or (fmt == "auto" and not stream.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer(default=str) if json_output else structlog.dev.ConsoleRenderer()
    )
    shared = _shared(json_output)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        # Lines from the standard library's loggers get the same processors as ours.
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # The SDK appends its context to the message as a dict's repr; we have it as keys already.
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
    # urllib3 logs request URLs at DEBUG only; keep third-party noise at WARNING.
    for noisy in ("urllib3", "github", "httpx", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def core_log_forwarding(level: str = "WARN") -> LoggingConfig:
    """The SDK core's (Rust) logs into the standard library's `temporalio.core` logger, so they are
    JSON lines too; without it the core prints its own format on stderr."""
    return LoggingConfig(
        filter=TelemetryFilter(core_level=level, other_level="ERROR"),
        forwarding=LogForwardingConfig(
            logger=logging.getLogger(CORE_LOGGER), prepend_target_on_message=False
        ),
    )


def get_logger(name: str | None = None, **bound: Any) -> Any:
    return structlog.get_logger(name).bind(**bound)
