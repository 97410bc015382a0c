"""worker.py: runs the hotfix workflows and the GitHub activities. The only process that holds the token.

Settings come from HOTFIX_* (environment or .env); see README and .env.example.
Exit codes: 0 stopped cleanly, 1 could not run (e.g. Temporal unreachable), 2 bad settings.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import structlog
from pydantic import ValidationError
from temporalio import activity
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)

from hotfix.settings import WorkerSettings
from service import logs as hotfix_logging
from service.temporal import TemporalUnavailable, connect, ensure_search_attributes
from workflows.doctor import DoctorWorkflow
from workflows.hotfix import HotfixWorkflow
from workflows.lane import LaneWorkflow

WORKFLOWS: list[type] = [HotfixWorkflow, LaneWorkflow, DoctorWorkflow]
# Polling activities live as long as a human takes, so room for many at once.
MAX_CONCURRENT_ACTIVITIES = 200
# Sync activities (PyGithub) run in threads, created only when needed; async polling takes none.
ACTIVITY_THREADS = MAX_CONCURRENT_ACTIVITIES
# On SIGTERM running activities get this long to finish; then they are cancelled and Temporal
# retries them elsewhere (all are idempotent). docker-compose's stop_grace_period is longer.
GRACEFUL_SHUTDOWN = timedelta(seconds=30)
HEARTBEAT_THROTTLE = timedelta(seconds=2)

log = structlog.get_logger("worker")


class SettingsProblem(ValueError):
    """The worker cannot start with these settings; the message is one line for a human."""


def load_settings() -> WorkerSettings:
    try:
        settings = WorkerSettings()
    except ValidationError as err:
        first = err.errors()[0]
        field = "HOTFIX_" + "_".join(str(part) for part in first["loc"]).upper()
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsProblem(f"invalid {field}: {message}") from None
    token = settings.github_token.get_secret_value().strip() if settings.github_token else ""
    if not token:
        raise SettingsProblem(
            "HOTFIX_GITHUB_TOKEN is not set: the worker needs a GitHub App installation token or a machine "
            "user's token (not Actions' GITHUB_TOKEN); see README, 'Token permissions'"
        )
    return settings


def make_github_client(settings: WorkerSettings) -> Any:
    from activities.github.client import GitHubClient

    return GitHubClient.from_settings(settings)


def build_worker(
    client: Client,
    settings: WorkerSettings,
    github_client: Any = None,
    task_queue: str | None = None,
    *,
    activities: Sequence[Any] | None = None,
    activity_executor: Executor | None = None,
) -> Worker:
    """The worker with every workflow and activity; tests and the demo pass their own pieces.

    `activities` replaces the GitHub activities (e.g. test doubles); the lane activity is always
    the real one, since it only talks to Temporal.
    """
    from activities.registry import github_activities, lane_activities

    queue = task_queue or settings.task_queue
    if activities is None:
        github = github_client if github_client is not None else make_github_client(settings)
        activities = github_activities(github)
    lane = lane_activities(client, queue)
    return Worker(
        client,
        task_queue=queue,
        workflows=WORKFLOWS,
        activities=[*activities, *lane],
        activity_executor=activity_executor or ThreadPoolExecutor(ACTIVITY_THREADS, "hotfix-activity"),
        max_concurrent_activities=MAX_CONCURRENT_ACTIVITIES,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        # A poll learns it was cancelled (a nudge, an abort) only when a heartbeat reaches the server;
        # the SDK's default throttle of up to 60 s left cancelled polls calling GitHub that long.
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
        interceptors=[ActivityLogContext()],
    )


class ActivityLogContext(Interceptor):
    """Binds workflow ID, run ID, activity and attempt to every structlog line an activity writes."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _BindActivity(next)


class _BindActivity(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        # Sync activities run in a thread with a copy of this context, so they see the binding too.
        with structlog.contextvars.bound_contextvars(
            workflow_id=info.workflow_id,
            run_id=info.workflow_run_id,
            activity=info.activity_type,
            attempt=info.attempt,
        ):
            return await super().execute_activity(input)


def metrics_runtime(port: int | None) -> Runtime | None:
    """The SDK's Prometheus exporter on `port` (all interfaces, for containers), or none."""
    if not port:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"0.0.0.0:{port}")))


async def serve(settings: WorkerSettings, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop`), then let running activities finish."""
    runtime = metrics_runtime(settings.metrics_port)
    client = await connect(
        settings.temporal_address, settings.temporal_namespace, runtime=runtime, identity=None
    )
    added = await ensure_search_attributes(client)
    if added:
        log.info("registered search attributes", names=added, namespace=settings.temporal_namespace)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    executor = ThreadPoolExecutor(ACTIVITY_THREADS, "hotfix-activity")
    try:
        worker = build_worker(client, settings, activity_executor=executor)
        async with worker:
            log.info(
                "worker started",
                address=settings.temporal_address,
                namespace=settings.temporal_namespace,
                task_queue=settings.task_queue,
                github_url=settings.github_url,
                metrics_port=settings.metrics_port,
            )
            await stop.wait()
            log.info("stopping: running activities get time to finish", seconds=GRACEFUL_SHUTDOWN.seconds)
        log.info("worker stopped")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        executor.shutdown(wait=False, cancel_futures=True)


def main() -> None:
    hotfix_logging.configure()
    try:
        settings = load_settings()
    except SettingsProblem as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    hotfix_logging.configure(settings.log_format)
    code = 0
    try:
        asyncio.run(serve(settings))
    except TemporalUnavailable as err:
        print(f"error: {err}", file=sys.stderr)
        code = 1
    # As in starter.py: skip finalization, which can race the SDK's native threads and abort.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
