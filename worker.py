"""worker.py: runs the hotfix workflows and the GitHub activities; the only process with GitHub credentials.

Settings come from HOTFIX_* (environment or .env); see README and .env.example.
Exit codes: 0 stopped cleanly, 1 could not run (an unexpected Temporal error; an unreachable Temporal is
waited for, one line per attempt), 2 bad settings, 3 stuck past the grace period (service/health.py).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import sys
import threading
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
    FixedSizeSlotSupplier,
    Interceptor,
    Worker,
    WorkerTuner,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from hotfix.settings import WorkerSettings
from hotfix.telemetry import STEP_DURATION, STEP_DURATION_BUCKETS, WAIT_DURATION
from service import logs as hotfix_logging
from service import metrics
from service.backpressure import Backlog, GitHubBackpressure
from service.health import Watchdog
from service.observe import HumanActions
from service.security import Security, SecurityProblem
from service.temporal import TemporalUnavailable, connect_patiently, ensure_search_attributes
from workflows.doctor import DoctorWorkflow
from workflows.dry_run import DryRunWorkflow
from workflows.hotfix import HotfixWorkflow
from workflows.lane import LaneWorkflow
from workflows.record import RecordWorkflow
from workflows.rollback import RollbackWorkflow

WORKFLOWS: list[type] = [
    HotfixWorkflow,
    RollbackWorkflow,
    LaneWorkflow,
    DoctorWorkflow,
    DryRunWorkflow,
    RecordWorkflow,
]
# The sandbox re-imports a workflow's modules (workflows/*.py) for every workflow it caches: ~330 KiB
# of code per hotfix and its lane (bench/worker_memory.py). They keep no mutable module-level state, so
# they are imported once, outside the sandbox. The sandbox's checks on what their code calls
# (datetime.now, random) then stop there; builtins (open, ...) stay checked, and tests/workflows, which
# run them under the SDK's default sandbox, keep every check.
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows")
)
# Every GitHub activity is async (activities/github/threads.py): its blocking calls run in the GitHub
# client's own threads, so the SDK never raises a cancellation inside a library. Only test doubles
# may still be sync; they get this many threads.
SYNC_ACTIVITY_THREADS = 32
# On SIGTERM running activities get this long to finish (HOTFIX_SHUTDOWN_GRACE); then they are
# cancelled and Temporal retries them elsewhere (all are idempotent). A few seconds later the
# watchdog ends the process, frozen or not. docker-compose's stop_grace_period is longer than both.
GRACEFUL_SHUTDOWN = timedelta(seconds=WorkerSettings.model_fields["shutdown_grace"].default)
FORCED_EXIT_MARGIN = 5.0
HEARTBEAT_THROTTLE = timedelta(seconds=2)
# Workflow task (and local activity, Nexus) slots: the SDK's own default.
SDK_DEFAULT_SLOTS = 100

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
    from activities.github.auth import credentials

    try:
        # Exactly one way: a machine user's token, or a GitHub App's id and private key (read here).
        credentials(settings)
        _check_notify_urls(settings)
        # The Temporal TLS files and API key, checked now so a bad path is exit 2, not a retry loop.
        Security.from_settings(settings)
    except (ValueError, SecurityProblem) as err:
        raise SettingsProblem(str(err)) from None
    return settings


def _check_notify_urls(settings: WorkerSettings) -> None:
    """Each HOTFIX_NOTIFY_URLS entry must be an Apprise URL; the message names its place and scheme
    only (the rest carries tokens)."""
    from activities.notify import accepted

    for place, url in enumerate(settings.notify_targets, start=1):
        if not accepted(url):
            scheme = url.split("://", 1)[0] if "://" in url else "none"
            raise ValueError(
                f"HOTFIX_NOTIFY_URLS entry {place} (scheme {scheme!r}) is not a URL Apprise knows: see "
                "https://github.com/caronc/apprise/wiki for the services and their URLs"
            )


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
    notifier: Any = None,
) -> Worker:
    """The worker with every workflow and activity; tests and the demo pass their own pieces.

    `activities` replaces the GitHub activities (e.g. test doubles); the lane activity is always
    the real one, since it only talks to Temporal, and so is the notify activity (`notifier`: a
    NotifyActivities; None: one over HOTFIX_NOTIFY_URLS).
    """
    from activities.notify import NotifyActivities
    from activities.registry import github_activities, lane_activities, notify_activities

    queue = task_queue or settings.task_queue
    notifier = notifier if notifier is not None else NotifyActivities(settings.notify_targets)
    if activities is None:
        github_client = github_client if github_client is not None else make_github_client(settings)
        activities = github_activities(
            github_client, safety_net=settings.poll_safety_net, notify=notifier.enabled
        )
    lane = lane_activities(client, queue)
    if "notify" not in {getattr(fn, "__name__", None) for fn in activities}:  # a test's double replaces it
        lane += notify_activities(notifier)
    if activity_executor is None and not all(inspect.iscoroutinefunction(fn) for fn in activities):
        activity_executor = ThreadPoolExecutor(SYNC_ACTIVITY_THREADS, "sync-activity")
    return Worker(
        client,
        task_queue=queue,
        workflows=WORKFLOWS,
        workflow_runner=WORKFLOW_RUNNER,
        activities=[*activities, *lane],
        activity_executor=activity_executor,
        tuner=tuner(settings, getattr(github_client, "threads", None)),
        max_cached_workflows=settings.max_cached_workflows,
        graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_grace),
        # A poll learns it was cancelled (a nudge, an abort) only when a heartbeat reaches the server;
        # the SDK's default throttle of up to 60 s left cancelled polls calling GitHub that long.
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
        interceptors=[ActivityLogContext()],
    )


def tuner(settings: WorkerSettings, threads: Backlog | None) -> WorkerTuner:
    """The worker's slots: activities under GitHub backpressure (service/backpressure.py) when it has
    GitHub threads, `max_concurrent_activities` of them at most; the SDK's defaults for the rest."""
    activities: FixedSizeSlotSupplier | GitHubBackpressure = (
        FixedSizeSlotSupplier(settings.max_concurrent_activities)
        if threads is None
        else GitHubBackpressure(settings.max_concurrent_activities, threads, settings.github_backlog)
    )
    return WorkerTuner.create_composite(
        workflow_supplier=FixedSizeSlotSupplier(SDK_DEFAULT_SLOTS),
        activity_supplier=activities,
        local_activity_supplier=FixedSizeSlotSupplier(SDK_DEFAULT_SLOTS),
        nexus_supplier=FixedSizeSlotSupplier(SDK_DEFAULT_SLOTS),
    )


class ActivityLogContext(Interceptor):
    """Binds workflow ID, Temporal run ID, activity and attempt to every structlog line an activity
    writes; logs each human action a hotfix receives (service/observe.py)."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _BindActivity(next)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return HumanActions


class _BindActivity(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        # Sync activities run in a thread with a copy of this context, so they see the binding too.
        with structlog.contextvars.bound_contextvars(
            workflow_id=info.workflow_id,
            # `temporal_run_id`: a GitHub Actions run is `github_run_id` (service/logs.py).
            temporal_run_id=info.workflow_run_id,
            activity=info.activity_type,
            attempt=info.attempt,
        ):
            return await super().execute_activity(input)


def metrics_runtime(port: int | None, host: str = "127.0.0.1") -> Runtime:
    """The SDK's runtime: its core's logs forwarded to ours (JSON lines, service/logs.py), and its
    Prometheus exporter on `host:port` when set: a private port that service/metrics.py's server
    appends to its own page, so HOTFIX_METRICS_PORT serves both."""
    exported = (
        PrometheusConfig(
            bind_address=f"{host}:{port}",
            histogram_bucket_overrides={
                STEP_DURATION: list(STEP_DURATION_BUCKETS),
                WAIT_DURATION: list(STEP_DURATION_BUCKETS),
            },
        )
        if port
        else None
    )
    return Runtime(telemetry=TelemetryConfig(logging=hotfix_logging.core_log_forwarding(), metrics=exported))


async def serve(settings: WorkerSettings, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop`), then let running activities finish. Temporal unreachable
    (a cluster restart, a stack coming up in any order) is waited for, one line per attempt."""
    # Bound first: a port in use is one line and exit 2 (main), before anything else starts.
    sdk_port = metrics.private_port() if settings.metrics_port else None
    exporter = metrics.MetricsServer(settings.metrics_port, sdk_port) if settings.metrics_port else None
    runtime = metrics_runtime(sdk_port)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    github = make_github_client(settings)
    # Liveness and SIGTERM live in a thread that needs neither the loop nor logging (service/health.py).
    watchdog = Watchdog(
        loop,
        stuck_after=settings.stuck_after,
        threads=github.threads,
        # PyGithub makes up to 3 attempts of `github_timeout` each, with backoff between them.
        threads_stuck_after=max(settings.stuck_after, 4 * settings.github_timeout),
        on_stop=stop.set,
        exit_after=settings.shutdown_grace + FORCED_EXIT_MARGIN,
        exit_when_stuck=settings.exit_when_stuck,
    )
    watchdog.start(port=settings.health_port, signals=threading.current_thread() is threading.main_thread())
    watchdog.waiting_for = f"Temporal at {settings.temporal_address}"
    counting: asyncio.Task[None] | None = None
    security = Security.from_settings(settings)

    def waiting(attempt: int, seconds: float, why: str) -> None:
        log.warning("waiting for Temporal", attempt=attempt, retry_in_seconds=seconds, error=why)

    try:
        client = await connect_patiently(
            settings.temporal_address,
            settings.temporal_namespace,
            stop=stop,
            on_retry=waiting,
            runtime=runtime,
            identity=None,
            security=security,
        )
        if client is None:
            log.info("stopped before Temporal could be reached")
            return
        if exporter is not None:
            exporter.start()
            counting = asyncio.create_task(metrics.count_hotfixes(client, every=settings.metrics_refresh))
        added = await ensure_search_attributes(client)
        if added:
            log.info("registered search attributes", names=added, namespace=settings.temporal_namespace)
        worker = build_worker(client, settings, github)
        async with worker:
            watchdog.waiting_for = None
            log.info(
                "worker started",
                address=settings.temporal_address,
                namespace=settings.temporal_namespace,
                temporal_security=security.describe(),
                task_queue=settings.task_queue,
                github_url=settings.github_url,
                metrics_port=settings.metrics_port,
                health_port=settings.health_port,
                github_threads=settings.github_threads,
                max_concurrent_activities=settings.max_concurrent_activities,
                github_backlog=settings.github_backlog,
                notify_targets=len(settings.notify_targets),
            )
            await stop.wait()
            watchdog.waiting_for = "nothing: the worker is stopping"
            log.info("stopping: running activities get time to finish", seconds=settings.shutdown_grace)
        log.info("worker stopped")
    finally:
        if exporter is not None:
            if counting is not None:
                counting.cancel()
            exporter.stop()
        watchdog.stop()
        github.close()


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
    except metrics.MetricsPortBusy as err:
        print(f"error: {err}", file=sys.stderr)
        code = 2
    # As in starter.py: skip finalization, which can race the SDK's native threads and abort.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
