"""Shared pieces of the benchmarks: paths, the Temporal environments, the sandbox, RESULTS.md sections.

Each benchmark owns one section of bench/RESULTS.md, delimited by marker comments, so re-running a
script replaces only its own section (bench/sandbox_throughput.py keeps its `## Sandbox throughput`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from temporalio.client import Client, WorkflowHandle  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from hotfix import naming, search_attributes  # noqa: E402
from hotfix.models import HotfixRequest, HotfixResult, HotfixStatus, ProcessSettings  # noqa: E402
from local import stack as devstack  # noqa: E402
from local.environments import dev_server as dev_server  # noqa: E402 (re-exported for the bench scripts)
from local.environments import time_skipping_server as time_skipping_server  # noqa: E402
from workflows.hotfix import HotfixWorkflow  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
REPO = "acme/gaia-gateway"
DAY = date(2026, 11, 23)


def venv_binary(name: str) -> str:
    try:
        return devstack.venv_binary(name)
    except devstack.StackError as err:
        raise SystemExit(str(err)) from None


def process(**overrides: Any) -> ProcessSettings:
    defaults: dict[str, Any] = {"activity_timeout": timedelta(seconds=20)}
    return ProcessSettings(**{**defaults, **overrides})


async def start_hotfix(
    client: Client, task_queue: str, repository: str = REPO, *, label: str | None = None, **overrides: Any
) -> WorkflowHandle[HotfixWorkflow, HotfixResult]:
    unique = label or uuid.uuid4().hex[:8]
    request = HotfixRequest(
        repository=repository,
        description=f"bench {unique}",
        requested_by="dev-1",
        day=DAY,
        settings=process(**overrides),
    )
    workflow_id = f"hotfix/{repository}/bench-{unique}"
    return await client.start_workflow(
        HotfixWorkflow.run,
        request,
        id=workflow_id,
        task_queue=task_queue,
        # As starter.py does: the status is readable (cli/lookup.py) before the first workflow task.
        memo={naming.STATUS_MEMO: naming.initial_status(request, workflow_id)},
        # As starter.py does: listed by repository and step from the start (no upsert for them).
        search_attributes=search_attributes.at_start(request.repository, request.incident),
    )


async def status_of(handle: WorkflowHandle[Any, Any]) -> HotfixStatus:
    status: HotfixStatus = await handle.query("status", result_type=HotfixStatus)
    return status


def median_max(values: Iterable[float]) -> tuple[float, float]:
    data = list(values)
    if not data:
        return float("nan"), float("nan")
    return statistics.median(data), max(data)


def machine_note() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.machine()}, offline (loopback only); load average when written "
        f"{load}"
    )


def command_line() -> str:
    script = Path(sys.argv[0]).resolve()
    try:
        shown = script.relative_to(ROOT)
    except ValueError:
        shown = script
    return " ".join([".venv/bin/python", str(shown), *sys.argv[1:]])


def write_section(key: str, title: str, body: str) -> None:
    """Replace (or append) this benchmark's section: `## title`, then the body between
    `<!-- bench:key -->` and `<!-- /bench:key -->`.

    The heading comes before the start marker because bench/sandbox_throughput.py replaces its own
    section up to the next `## ` line: a marker above a heading would be swallowed by it.
    """
    start, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
    block = f"## {title}\n{start}\n\n{body.strip()}\n{end}\n"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(
        r"(^## [^\n]*\n)?" + re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S | re.M
    )
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text)
    print(f"updated {RESULTS.relative_to(ROOT)} (section {title!r})")


def table(headers: list[str], rows: Iterable[Iterable[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return "\n".join(lines)


@contextlib.asynccontextmanager
async def in_process_worker(env: WorkflowEnvironment, api_url: str, task_queue: str) -> AsyncIterator[None]:
    """The real workflows and real GitHub activities (production defaults, but no 1 s write pacing)."""
    from pydantic import SecretStr

    from activities.github.client import GitHubClient
    from activities.registry import github_activities
    from hotfix.settings import WorkerSettings
    from worker import build_worker

    # An aborted hotfix's poll activity learns of its cancellation only at its next heartbeat, which
    # the SDK throttles to 80% of the heartbeat timeout (up to a minute); the worker's 30 s graceful
    # shutdown would wait for it at the end of every benchmark. Here only: the workflows are over.
    settings = WorkerSettings(
        shutdown_grace=1.0,
        temporal_address=env.client.service_client.config.target_host,
        task_queue=task_queue,
        github_url=api_url,
        github_token=SecretStr("sandbox-bot-token"),
    )
    github = GitHubClient.from_settings(settings.model_copy(update={"github_write_interval": 0.0}))
    activities = github_activities(github)
    try:
        async with build_worker(env.client, settings, github, task_queue, activities=activities):
            yield
    finally:
        github.close()


def new_task_queue() -> str:
    return f"bench-{uuid.uuid4().hex[:8]}"


def quiet_logs() -> None:
    """Warnings only. An aborted hotfix's poll activity is cancelled while it sleeps, which the SDK
    logs as a warning with a traceback ("Completing activity as failed"); that is expected here."""
    import structlog

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    # The activities log every step at INFO through structlog; the benchmarks print their own summary.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def spawn_worker(
    address: str, queue: str, github: str, log: Path, *, health: int | None = None
) -> subprocess.Popen[bytes]:
    """worker.py as a process of its own on the sandbox, its output appended to `log`; `health`: the
    port of its /healthz and /readyz."""
    env = {
        **os.environ,
        "HOTFIX_TEMPORAL_ADDRESS": address,
        "HOTFIX_TASK_QUEUE": queue,
        "HOTFIX_GITHUB_URL": github,
        "HOTFIX_GITHUB_TOKEN": "sandbox-bot-token",
        "HOTFIX_LOG_FORMAT": "json",
    }
    if health:
        env["HOTFIX_HEALTH_PORT"] = str(health)
    command = [sys.executable, str(ROOT / "worker.py")]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
