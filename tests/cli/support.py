"""The CLI as tests drive it: `invoke` runs a command in this process (as Typer's CliRunner does),
`one_error_line` checks the one-line error every failure gives, and `Server` is a dev server with a
worker on a fresh task queue, using the in-memory GitHub doubles, so the tests exercise the CLI and
the workflow's interface, not GitHub. Each test uses its own repository name: a repository's lane is
one workflow shared by its hotfixes.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from cli.app import app
from hotfix.models import HotfixStatus, Step
from tests.workflows.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]


COMMANDS = [
    "start",
    "status",
    "watch",
    "list",
    "changes-ready",
    "recheck",
    "retry-deploy",
    "abort",
    "doctor",
    "record",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def invoke(args: list[str], env: dict[str, str] | None = None) -> Any:
    # HOTFIX_DEBUG off: the point is the one-line errors users see.
    return CliRunner().invoke(app, args, env={"HOTFIX_DEBUG": "", **(env or {})})


def one_error_line(result: Any) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


class Server:
    def __init__(self, env: WorkflowEnvironment, task_queue: str, github: FakeGitHub) -> None:
        self.env = env
        self.github = github
        self.vars = {
            "HOTFIX_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "HOTFIX_TASK_QUEUE": task_queue,
            "HOTFIX_UI_URL": "http://ui.test:8233",
            "USER": "dev-1",
            "HOTFIX_USER": "dev-1",  # before the machine's own `git config github.user`
        }

    async def cli(self, *args: str, env: dict[str, str] | None = None) -> Any:
        # In a thread: the worker runs on this test's event loop, the CLI runs its own.
        return await asyncio.to_thread(invoke, list(args), {**self.vars, **(env or {})})

    async def status(self, workflow_id: str) -> HotfixStatus:
        handle = self.env.client.get_workflow_handle(workflow_id)
        result: HotfixStatus = await handle.query("status", result_type=HotfixStatus)
        return result

    async def until_step(self, workflow_id: str, step: Step) -> HotfixStatus:
        for _ in range(600):
            current = await self.status(workflow_id)
            if current.step == step:
                return current
            await asyncio.sleep(0.05)
        raise AssertionError(f"{workflow_id} never reached {step}, is at {current.step}")

    async def until_closed(self, workflow_id: str) -> None:
        handle = self.env.client.get_workflow_handle(workflow_id)
        for _ in range(600):
            if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{workflow_id} still running")


async def start(server: Server, repo: str, description: str) -> dict[str, Any]:
    result = await server.cli("start", repo, description, "--json")
    assert result.exit_code == 0, result.output
    started: dict[str, Any] = json.loads(result.stdout)
    return started
