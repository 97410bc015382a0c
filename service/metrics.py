"""The worker's Prometheus metrics: one scrape target, `GET /metrics` on HOTFIX_METRICS_PORT.

Two sources, one page:

- ours, in `REGISTRY` (prometheus-client): `hotfix_hotfixes{step}` and `hotfix_blocked_now` (running
  hotfixes by step, and those blocked, counted in Temporal's visibility every `REFRESH` seconds;
  every worker reports the namespace's count, so aggregate with `max`, not `sum`),
  `hotfix_github_requests_total{method,route,status}` (every answer GitHub gave this worker, by route
  template: `/repos/{owner}/{repo}/pulls/{pull_number}/merge`),
  `hotfix_github_rate_limit_remaining{resource}` and `..._reset_timestamp_seconds{resource}` (from
  the last answer's `X-RateLimit-*` headers), `hotfix_notifications_total{event,outcome}` (chat
  messages, activities/notify.py);
- the Temporal SDK's (`temporal_*`, and what the workflow records through its replay-safe metric
  meter: `hotfix_step_duration_seconds{step}`, `hotfix_wait_duration_seconds{step,on}`,
  `hotfix_blocked_total{step}`), from the SDK's own exporter, which listens on a private 127.0.0.1
  port and is appended to our page.

The port is bound before the worker connects to anything, so a port in use is one line and exit 2.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics, generate_latest
from temporalio.client import Client

from hotfix import search_attributes
from hotfix.models import Step

# No `*_created` series beside each counter: they double the page and nobody graphs them.
disable_created_metrics()
REGISTRY = CollectorRegistry(auto_describe=True)

HOTFIXES = Gauge(
    "hotfix_hotfixes",
    "Running hotfixes by step, counted in Temporal's visibility (the namespace's count: use max across "
    "workers)",
    ["step"],
    registry=REGISTRY,
)
BLOCKED_NOW = Gauge(
    "hotfix_blocked_now",
    "Running hotfixes blocked now (waiting for a human to fix what GitHub refused), counted in "
    "Temporal's visibility (the namespace's count: use max across workers)",
    registry=REGISTRY,
)
GITHUB_REQUESTS = Counter(
    "hotfix_github_requests",
    "GitHub API answers to this worker by method, route template and status (error: no answer)",
    ["method", "route", "status"],
    registry=REGISTRY,
)
RATE_LIMIT_REMAINING = Gauge(
    "hotfix_github_rate_limit_remaining",
    "GitHub requests left in the current rate-limit window (X-RateLimit-Remaining of the last answer)",
    ["resource"],
    registry=REGISTRY,
)
RATE_LIMIT_RESET = Gauge(
    "hotfix_github_rate_limit_reset_timestamp_seconds",
    "When GitHub's rate-limit window resets, Unix time (X-RateLimit-Reset of the last answer)",
    ["resource"],
    registry=REGISTRY,
)
NOTIFICATIONS = Counter(
    "hotfix_notifications",
    "Chat notifications by event and outcome: sent, already_sent (a retry found it sent), failed (one "
    "attempt at one target), given_up (the last attempt failed; the hotfix goes on)",
    ["event", "outcome"],
    registry=REGISTRY,
)

SDK_SCRAPE_TIMEOUT = 3.0
REFRESH = 15.0
log = structlog.get_logger("metrics")


class MetricsPortBusy(RuntimeError):
    """HOTFIX_METRICS_PORT cannot be bound; the message is one line for a human."""


def github_answer(method: str, route: str, status: int | str, headers: Any = None) -> None:
    """Count one GitHub answer and note its rate-limit headers (activities/github/metered.py)."""
    GITHUB_REQUESTS.labels(method.upper(), route, str(status)).inc()
    if not headers:
        return
    lower = {str(k).lower(): v for k, v in dict(headers).items()}
    resource = str(lower.get("x-ratelimit-resource") or "core")
    for header, gauge in (
        ("x-ratelimit-remaining", RATE_LIMIT_REMAINING),
        ("x-ratelimit-reset", RATE_LIMIT_RESET),
    ):
        try:
            gauge.labels(resource).set(float(str(lower.get(header))))
        except ValueError:
            continue


def private_port() -> int:
    """A free port on 127.0.0.1 for the SDK's exporter (only our server reads it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MetricsServer:
    """`GET /metrics` on `port` (all interfaces): REGISTRY, then the SDK exporter's page at `sdk_port`."""

    def __init__(self, port: int, sdk_port: int | None, host: str = "0.0.0.0") -> None:
        sdk_url = f"http://127.0.0.1:{sdk_port}/metrics" if sdk_port else None

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                body = generate_latest(REGISTRY)
                if sdk_url:
                    try:
                        with urllib.request.urlopen(sdk_url, timeout=SDK_SCRAPE_TIMEOUT) as reply:
                            body += reply.read()
                    except OSError as err:
                        body += f"# the Temporal SDK's metrics are unavailable: {err}\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                return  # no access log

        try:
            self._server = ThreadingHTTPServer((host, port), Handler)
        except OSError as err:
            raise MetricsPortBusy(
                f"HOTFIX_METRICS_PORT {port} cannot be opened ({err.strerror or err}): another process "
                "(another worker on this host?) listens there; set another port or unset HOTFIX_METRICS_PORT"
            ) from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()


async def count_hotfixes(client: Client, *, every: float = REFRESH) -> None:
    """Set HOTFIXES from Temporal's visibility every `every` seconds, until cancelled. One count per
    step that a running hotfix can be at; a failed count keeps the last value and says so once."""
    failing = False
    while True:
        try:
            for step in Step:
                if step.terminal:
                    continue
                query = (
                    f"WorkflowType = 'HotfixWorkflow' AND ExecutionStatus = 'Running' AND "
                    f"{search_attributes.STEP.name} = '{step.value}'"
                )
                HOTFIXES.labels(step.value).set((await client.count_workflows(query)).count)
            blocked = (
                f"WorkflowType = 'HotfixWorkflow' AND ExecutionStatus = 'Running' AND "
                f"{search_attributes.BLOCKED.name} = 'true'"
            )
            BLOCKED_NOW.set((await client.count_workflows(blocked)).count)
            failing = False
        except Exception as err:  # a metric must never stop the worker
            if not failing:
                log.warning("cannot count the hotfixes by step", error=str(err).splitlines()[0][:200])
            failing = True
        await asyncio.sleep(every)
