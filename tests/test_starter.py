"""starter.py: every command's help, the bad inputs each get one clear line and an exit code.

The server-side cases run against the dev server with a worker in this test on a fresh task queue,
using the in-memory GitHub doubles, so they test the CLI and the workflow's interface, not GitHub.
Each test uses its own repository name: a repository's lane is one workflow shared by its hotfixes.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

import starter
from hotfix.models import HotfixStatus, Step
from hotfix.settings import WorkerSettings
from service.temporal import has_pollers
from tests.workflows.fake_github import FakeActivities, FakeGitHub
from worker import build_worker

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["start", "status", "watch", "list", "changes-ready", "recheck", "retry-deploy", "abort", "doctor"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def invoke(args: list[str], env: dict[str, str] | None = None) -> Any:
    # HOTFIX_DEBUG off: the point is the one-line errors users see.
    return CliRunner().invoke(starter.app, args, env={"HOTFIX_DEBUG": "", **(env or {})})


def one_error_line(result: Any) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# ---------------------------------------------------------------------------------------------
# No server needed
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_json(command: str) -> None:
    result = invoke([command, "--help"])
    assert result.exit_code == 0, result.output
    assert "--json" in result.stdout


@pytest.mark.parametrize(
    "repo", ["gaia-gateway", "acme/", "/gaia", "acme/gaia/extra", "ac me/gaia", "acme/x.git"]
)
def test_start_refuses_a_malformed_repository(repo: str) -> None:
    result = invoke(["start", repo, "fix login"])
    assert result.exit_code == 2
    assert "repository must look like OWNER/NAME" in one_error_line(result)


@pytest.mark.parametrize("description", ["", "   ", "!!!", "* / *"])
def test_start_refuses_an_empty_or_all_symbol_description(description: str) -> None:
    result = invoke(["start", "acme/gaia-gateway", description])
    assert result.exit_code == 2
    assert "description must contain at least one letter or digit" in one_error_line(result)


def test_start_refuses_a_cherry_pick_that_is_not_a_sha() -> None:
    result = invoke(["start", "acme/gaia-gateway", "fix login", "--cherry-pick", "main"])
    assert result.exit_code == 2
    assert "--cherry-pick takes commit SHAs" in one_error_line(result)


def test_doctor_and_list_refuse_a_malformed_repository() -> None:
    for args in (["doctor", "not-a-repo"], ["list", "--repository", "not-a-repo"]):
        result = invoke(args)
        assert result.exit_code == 2
        assert "OWNER/NAME" in one_error_line(result)


def test_abort_needs_a_reason() -> None:
    missing = invoke(["abort", "hotfix/acme/x/2025-01-01_a"])
    assert missing.exit_code == 2  # click's own usage error
    blank = invoke(["abort", "hotfix/acme/x/2025-01-01_a", "--reason", "  "])
    assert blank.exit_code == 2
    assert "--reason" in one_error_line(blank)


def test_list_refuses_an_unknown_step() -> None:
    result = invoke(["list", "--step", "lunch"])
    assert result.exit_code == 2


def test_bad_settings_are_bad_usage() -> None:
    result = invoke(["start", "acme/gaia-gateway", "fix login"], env={"HOTFIX_POLL_INTERVAL": "often"})
    assert result.exit_code == 2
    assert "HOTFIX_POLL_INTERVAL" in one_error_line(result)


@pytest.mark.parametrize(
    "args",
    [
        ["start", "acme/gaia-gateway", "fix login"],
        ["status", "hotfix/acme/gaia-gateway/2025-01-01_x"],
        ["changes-ready", "hotfix/acme/gaia-gateway/2025-01-01_x"],
        ["list"],
    ],
)
def test_an_unreachable_server_is_named_with_how_to_start_one(args: list[str]) -> None:
    address = f"127.0.0.1:{free_port()}"
    result = invoke(args, env={"HOTFIX_TEMPORAL_ADDRESS": address})
    assert result.exit_code == 1
    line = one_error_line(result)
    assert address in line
    assert "make up" in line


def test_json_errors_are_json_on_stdout_too() -> None:
    address = f"127.0.0.1:{free_port()}"
    result = invoke(["list", "--json", "--address", address])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"ok": False, "error": one_error_line(result)[7:], "exit_code": 1}


def test_the_real_script_gives_one_line_and_exit_codes() -> None:
    """Through the interpreter, as an operator runs it: no traceback, the documented exit codes."""
    address = f"127.0.0.1:{free_port()}"
    env = {"PATH": "/usr/bin:/bin", "HOTFIX_TEMPORAL_ADDRESS": address}
    bad = subprocess.run(
        [sys.executable, "starter.py", "start", "acme", "fix"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "OWNER/NAME" in bad.stderr
    down = subprocess.run(
        [sys.executable, "starter.py", "status", "hotfix/acme/a/2025-01-01_x"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert down.returncode == 1
    assert down.stderr.strip().count("\n") == 0 and address in down.stderr


def test_build_request_fixes_the_day_and_takes_process_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTFIX_ENVIRONMENT", "production")
    request = starter.build_request(
        " acme/gaia-gateway ",
        "  Fix login redirect ",
        requested_by="dev-1",
        base=None,
        cherry_picks=["abc1234"],
        ui_url="http://ui:8233",
        namespace="hotfixes",
        day=date(2025, 5, 22),
    )
    assert request.repository == "acme/gaia-gateway"
    assert request.description == "Fix login redirect"
    assert request.day == date(2025, 5, 22)
    assert request.settings.environment == "production"
    assert request.settings.ui_base_url == "http://ui:8233"
    assert request.settings.namespace == "hotfixes"


def test_summary_fits_the_ui_limit() -> None:
    summary = starter._summary("acme/gaia-gateway", "ä" * 500)
    assert len(summary.encode()) <= 400
    assert summary.startswith("Hotfix acme/gaia-gateway: ")


# ---------------------------------------------------------------------------------------------
# Against the dev server, with a worker on a fresh task queue
# ---------------------------------------------------------------------------------------------


class Server:
    def __init__(self, env: WorkflowEnvironment, task_queue: str, github: FakeGitHub) -> None:
        self.env = env
        self.github = github
        self.vars = {
            "HOTFIX_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "HOTFIX_TASK_QUEUE": task_queue,
            "HOTFIX_UI_URL": "http://ui.test:8233",
            "USER": "dev-1",
        }

    async def cli(self, *args: str) -> Any:
        # In a thread: the worker runs on this test's event loop, the CLI runs its own.
        return await asyncio.to_thread(invoke, list(args), self.vars)

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


@pytest_asyncio.fixture
async def server(local_env: WorkflowEnvironment, task_queue: str) -> AsyncIterator[Server]:
    github = FakeGitHub()
    worker = build_worker(
        local_env.client,
        WorkerSettings(github_token=SecretStr("unused-by-doubles")),
        task_queue=task_queue,
        activities=FakeActivities(github).all(),
    )
    async with worker:
        # The CLI refuses a task queue nobody polls yet; a worker registers its first poll a moment
        # after it starts.
        for _ in range(200):
            if await has_pollers(local_env.client, task_queue):
                break
            await asyncio.sleep(0.025)
        else:
            raise AssertionError(f"the test worker never polled {task_queue}")
        yield Server(local_env, task_queue, github)


async def start(server: Server, repo: str, description: str) -> dict[str, Any]:
    result = await server.cli("start", repo, description, "--json")
    assert result.exit_code == 0, result.output
    started: dict[str, Any] = json.loads(result.stdout)
    return started


async def test_start_prints_id_branches_and_ui_url(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    result = await server.cli("start", repo, f"Fix login {unique}")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert f"hotfix/{repo}/" in text and f"fix-login-{unique}" in text
    assert "hotfix/20" in text and "prod/hotfix/20" in text
    assert "http://ui.test:8233/namespaces/default/workflows/hotfix%2Facme-" in text


async def test_start_json_then_status_and_search_attributes(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    started = await start(server, repo, f"Fix login {unique}")
    wid = started["workflow_id"]
    assert started["work_branch"].startswith("hotfix/") and started["prod_branch"].startswith("prod/hotfix/")
    assert started["ui_url"].endswith("/workflows/" + wid.replace("/", "%2F"))
    await server.until_step(wid, Step.CHANGES)

    status = await server.cli("status", wid, "--json")
    assert status.exit_code == 0, status.output
    payload = json.loads(status.stdout)
    assert payload["step"] == "changes" and payload["execution_status"] == "RUNNING"
    human = await server.cli("status", wid)
    assert human.exit_code == 0 and "changes" in human.stdout

    description = await server.env.client.get_workflow_handle(wid).describe()
    assert await description.static_summary() == f"Hotfix {repo}: Fix login {unique}"
    assert "changes_ready" in (await description.static_details() or "")
    listed = await server.cli("list", "--repository", repo, "--json")
    assert listed.exit_code == 0, listed.output
    assert [row["workflow_id"] for row in json.loads(listed.stdout)] == [wid]


async def test_a_second_start_of_the_same_hotfix_is_refused(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    started = await start(server, repo, f"Fix login {unique}")
    again = await server.cli("start", repo, f"fix   LOGIN {unique}!")  # same slug, same hotfix
    assert again.exit_code == 1
    line = one_error_line(again)
    assert started["workflow_id"] in line and "already running" in line


async def test_unknown_workflow_id(server: Server, unique: str) -> None:
    for command in (["status"], ["watch"], ["changes-ready"], ["abort", "--reason", "x"]):
        result = await server.cli(command[0], f"hotfix/acme/nothing/2025-01-01_{unique}", *command[1:])
        assert result.exit_code == 1, result.output
        assert "no hotfix with workflow ID" in one_error_line(result)


async def test_a_signal_to_a_finished_hotfix_is_refused(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    wid = (await start(server, repo, f"Fix login {unique}"))["workflow_id"]
    await server.until_step(wid, Step.CHANGES)
    aborted = await server.cli("abort", wid, "--reason", "wrong base", "--json")
    assert aborted.exit_code == 0, aborted.output
    await server.until_closed(wid)

    for command in ("changes-ready", "recheck", "retry-deploy"):
        result = await server.cli(command, wid)
        assert result.exit_code == 1
        line = one_error_line(result)
        assert wid in line and "already ended" in line

    # The final status still reads (from the result, without a query) ...
    status = await server.cli("status", wid, "--json")
    assert json.loads(status.stdout)["step"] == "aborted"
    assert json.loads(status.stdout)["reason"] == "wrong base"
    # ... watching it ends at once, with 1: it did not end done.
    watched = await server.cli("watch", wid, "--json")
    assert watched.exit_code == 1
    assert json.loads(watched.stdout.splitlines()[-1])["step"] == "aborted"
    # ... and the same hotfix cannot be started again under its name.
    again = await server.cli("start", repo, f"Fix login {unique}")
    assert again.exit_code == 1 and "already ran today" in one_error_line(again)


async def test_signals_reach_the_workflow(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    wid = (await start(server, repo, f"Fix login {unique}"))["workflow_id"]
    current = await server.until_step(wid, Step.CHANGES)
    # Nothing pushed yet: the workflow says so and keeps waiting.
    result = await server.cli("changes-ready", wid)
    assert result.exit_code == 0 and "sent changes_ready" in result.stdout
    for _ in range(200):
        current = await server.status(wid)
        if current.message and "no changes yet" in current.message:
            break
        await asyncio.sleep(0.05)
    assert current.message and "no changes yet" in current.message
    server.github.commit(current.work_branch)
    # The ID works without its `hotfix/` prefix too.
    result = await server.cli("changes-ready", wid.removeprefix("hotfix/"))
    assert result.exit_code == 0
    await server.until_step(wid, Step.APPROVAL)
    listed = await server.cli("list", "--repository", repo, "--step", "approval", "--json")
    for _ in range(100):  # visibility is updated just after the step changes
        if json.loads(listed.stdout):
            break
        await asyncio.sleep(0.05)
        listed = await server.cli("list", "--repository", repo, "--step", "approval", "--json")
    assert [row["workflow_id"] for row in json.loads(listed.stdout)] == [wid]


async def test_doctor_runs_preflight_on_the_worker(server: Server, unique: str) -> None:
    ok = await server.cli("doctor", "acme/gaia-gateway")
    assert ok.exit_code == 0, ok.output
    assert "repository" in ok.stdout

    server.github.preflight_failure = "prod does not admit prod/hotfix/*"
    failed = await server.cli("doctor", "acme/gaia-gateway", "--json")
    assert failed.exit_code == 1
    payload = json.loads(failed.stdout)
    assert payload["ok"] is False
    [check] = [c for c in payload["checks"] if c["outcome"] == "fail"]
    assert check["fix"] == "add prod/hotfix/* to the environment's deployment branches"


async def test_doctor_without_a_worker_says_so(local_env: WorkflowEnvironment, task_queue: str) -> None:
    env = {"HOTFIX_TEMPORAL_ADDRESS": local_env.client.service_client.config.target_host}
    result = await asyncio.to_thread(invoke, ["doctor", "acme/gaia-gateway", "--task-queue", task_queue], env)
    assert result.exit_code == 1
    assert f"no worker polls task queue {task_queue!r}" in one_error_line(result)


async def test_status_without_a_worker_says_so(
    local_env: WorkflowEnvironment, task_queue: str, unique: str
) -> None:
    env = {
        "HOTFIX_TEMPORAL_ADDRESS": local_env.client.service_client.config.target_host,
        "HOTFIX_TASK_QUEUE": task_queue,
    }
    started = await asyncio.to_thread(invoke, ["start", f"acme-{unique}/gaia", "fix", "--json"], env)
    assert started.exit_code == 0, started.output
    wid = json.loads(started.stdout)["workflow_id"]
    try:
        result = await asyncio.to_thread(invoke, ["status", wid], env)
        assert result.exit_code == 1
        assert f"no worker polls task queue {task_queue!r}" in one_error_line(result)
    finally:
        await local_env.client.get_workflow_handle(wid).terminate("test over")
