"""worker.py: settings checked at start, search attributes registered, log context, metrics, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from temporalio import activity, workflow
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import worker
from service.temporal import ensure_search_attributes

ROOT = Path(__file__).resolve().parents[1]
HOTFIX_ENV = [key for key in os.environ if key.startswith("HOTFIX_")]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in HOTFIX_ENV:
        monkeypatch.delenv(key, raising=False)
    # Settings also read ./.env; a developer's own must not change what these tests see.
    monkeypatch.chdir(tmp_path)


def run_worker(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "worker.py")],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_credentials_are_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_worker({}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: no GitHub credentials: set either HOTFIX_GITHUB_TOKEN")


def settings_error(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> str:
    """The line worker.main prints for these settings before it exits 2 (the real script's path, exit
    code and single line are the missing-credentials test's): checked in this process, as an
    interpreter per case costs a second of CPU for nothing more."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(worker.SettingsProblem) as caught:
        worker.load_settings()
    return f"error: {caught.value}\n"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        (
            {
                "HOTFIX_GITHUB_TOKEN": "t0k-secret",
                "HOTFIX_GITHUB_APP_ID": "42",
                "HOTFIX_GITHUB_APP_PRIVATE_KEY_FILE": "k",
            },
            "error: both HOTFIX_GITHUB_TOKEN and a GitHub App",
        ),
        (
            {"HOTFIX_GITHUB_APP_ID": "42", "HOTFIX_GITHUB_APP_PRIVATE_KEY_FILE": "/nonexistent/app.pem"},
            "error: HOTFIX_GITHUB_APP_PRIVATE_KEY_FILE (/nonexistent/app.pem) cannot be read",
        ),
        (
            {
                "HOTFIX_GITHUB_APP_ID": "42",
                "HOTFIX_GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----t0k-secret",
            },
            "error: HOTFIX_GITHUB_APP_PRIVATE_KEY is not an unencrypted PEM private key",
        ),
        (
            {"HOTFIX_GITHUB_APP_ID": "hotfix-app", "HOTFIX_GITHUB_APP_PRIVATE_KEY_FILE": "k"},
            "error: invalid HOTFIX_GITHUB_APP_ID: HOTFIX_GITHUB_APP_ID must be the App's numeric id",
        ),
    ],
    ids=["token-and-app", "unreadable-key", "malformed-key", "app-id-not-a-number"],
)
def test_credentials_other_than_exactly_one_way_are_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], says: str
) -> None:
    said = settings_error(monkeypatch, env)
    assert said.count("\n") == 1 and said.startswith(says)
    assert "t0k-secret" not in said


def test_a_malformed_url_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    said = settings_error(
        monkeypatch, {"HOTFIX_GITHUB_TOKEN": "t", "HOTFIX_GITHUB_URL": "github.example.com"}
    )
    assert said.count("\n") == 1
    assert said.startswith("error: invalid HOTFIX_GITHUB_URL: HOTFIX_GITHUB_URL must be an http(s) URL")
    assert "t" not in said.split("got")[0].split()  # the token is never echoed


def ready(port: int) -> tuple[int, dict[str, Any]]:
    try:
        reply = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
    except httpx.HTTPError:
        return 0, {}
    return reply.status_code, reply.json()


def test_a_worker_started_before_temporal_waits_for_it_then_serves(tmp_path: Path) -> None:
    # A stack coming up in any order: the worker first, Temporal seconds later.
    from tests.cli.support import free_port
    from tests.integration.test_temporal_restart import Server

    server = Server(tmp_path / "temporal.db", tmp_path / "server.log")
    health = free_port()
    log = tmp_path / "worker.log"
    env = {
        "PATH": os.environ["PATH"],
        "HOTFIX_GITHUB_TOKEN": "t",
        "HOTFIX_TEMPORAL_ADDRESS": server.address,
        "HOTFIX_HEALTH_PORT": str(health),
        "HOTFIX_LOG_FORMAT": "json",
    }
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py")],
        cwd=tmp_path,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while log.read_text().count("waiting for Temporal") < 2:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        status, said = ready(health)
        assert status == 503 and said["waiting_for"] == f"Temporal at {server.address}"
        assert httpx.get(f"http://127.0.0.1:{health}/healthz", timeout=2).status_code == 200  # alive
        server.start()
        deadline = time.monotonic() + 40
        while ready(health)[0] != 200:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=40) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        server.stop()
    text = log.read_text()
    # One line per attempt, never a traceback; then the worker started.
    assert "Traceback" not in text and "worker started" in text
    # Every line one JSON object: ours, the watchdog's, the SDK's and its core's alike.
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert sum(r["event"] == "waiting for Temporal" for r in records) >= 2


def test_a_metrics_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_worker(
            # Unreachable Temporal: the port is checked before anything is waited for.
            {
                "HOTFIX_GITHUB_TOKEN": "t",
                "HOTFIX_METRICS_PORT": str(port),
                "HOTFIX_TEMPORAL_ADDRESS": "127.0.0.1:1",
            },
            tmp_path,
        )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(
        f"error: HOTFIX_METRICS_PORT {port} cannot be opened (Address already in use)"
    )


def test_load_settings_keeps_the_token_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTFIX_GITHUB_TOKEN", "ghs_secret")
    monkeypatch.setenv("HOTFIX_GITHUB_URL", "https://ghe.example.com/api/v3/")
    settings = worker.load_settings()
    assert settings.github_url == "https://ghe.example.com/api/v3"
    assert "ghs_secret" not in repr(settings) and "ghs_secret" not in str(settings.model_dump())


def test_with_webhooks_polls_become_a_five_minute_safety_net(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTFIX_GITHUB_TOKEN", "ghs_secret")
    assert worker.load_settings().poll_safety_net is None  # no webhooks: the hotfix's own interval
    monkeypatch.setenv("HOTFIX_WEBHOOKS", "true")
    assert worker.load_settings().poll_safety_net == timedelta(minutes=5)
    monkeypatch.setenv("HOTFIX_WEBHOOK_POLL_INTERVAL", "120")
    assert worker.load_settings().poll_safety_net == timedelta(minutes=2)


def test_notify_urls_are_a_secret_list_checked_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTFIX_GITHUB_TOKEN", "ghs_secret")
    monkeypatch.setenv("HOTFIX_NOTIFY_URLS", "json://127.0.0.1:1/hook-s3cret, slack://TA/TB/TC/#hotfixes")
    settings = worker.load_settings()
    assert settings.notify_targets == ["json://127.0.0.1:1/hook-s3cret", "slack://TA/TB/TC/#hotfixes"]
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())
    # An entry Apprise does not know: one line naming its place and scheme, never the URL itself.
    monkeypatch.setenv("HOTFIX_NOTIFY_URLS", "json://127.0.0.1:1/hook,slak://s3cret")
    with pytest.raises(worker.SettingsProblem, match="entry 2 \\(scheme 'slak'\\)") as problem:
        worker.load_settings()
    assert "s3cret" not in str(problem.value)


async def test_search_attributes_are_registered_once(local_env: WorkflowEnvironment) -> None:
    namespace = f"ns-{uuid.uuid4().hex[:8]}"
    await local_env.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=namespace, workflow_execution_retention_period=_duration(days=1))
    )
    assert await ensure_search_attributes(local_env.client, namespace) == [
        "HotfixRepository",
        "HotfixStep",
        "HotfixIncident",
        "HotfixBlocked",
    ]
    assert await ensure_search_attributes(local_env.client, namespace) == []


def _duration(days: int) -> Any:
    from google.protobuf.duration_pb2 import Duration

    value = Duration()
    value.FromTimedelta(timedelta(days=days))
    return value


# Activity log context: what an activity sees in structlog's context vars, sync and async.


@activity.defn(name="context_sync")
def context_sync() -> dict[str, Any]:
    return dict(structlog.contextvars.get_contextvars())


@activity.defn(name="context_async")
async def context_async() -> dict[str, Any]:
    return dict(structlog.contextvars.get_contextvars())


# Unsandboxed: the sandbox would re-import this test module, and it imports what workflows may not.
@workflow.defn(sandboxed=False)
class LogContextWorkflow:
    @workflow.run
    async def run(self) -> list[dict[str, Any]]:
        return [
            await workflow.execute_activity(name, start_to_close_timeout=timedelta(seconds=30))
            for name in ("context_sync", "context_async")
        ]


async def test_activity_lines_carry_workflow_run_activity_and_attempt(
    local_env: WorkflowEnvironment, task_queue: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as executor:
        async with Worker(
            local_env.client,
            task_queue=task_queue,
            workflows=[LogContextWorkflow],
            activities=[context_sync, context_async],
            activity_executor=executor,
            interceptors=[worker.ActivityLogContext()],
        ):
            wid = f"log-context-{uuid.uuid4()}"
            handle = await local_env.client.start_workflow(
                LogContextWorkflow.run, id=wid, task_queue=task_queue
            )
            seen = await handle.result()
    for context, name in zip(seen, ("context_sync", "context_async"), strict=True):
        assert context == {
            "workflow_id": wid,
            "temporal_run_id": handle.result_run_id,
            "activity": name,
            "attempt": 1,
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_worker_serves_metrics_and_stops_on_sigterm(
    local_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    metrics_port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOTFIX_GITHUB_TOKEN": "sandbox-bot-token",
        "HOTFIX_TEMPORAL_ADDRESS": local_env.client.service_client.config.target_host,
        "HOTFIX_TASK_QUEUE": f"tq-{uuid.uuid4()}",
        "HOTFIX_METRICS_PORT": str(metrics_port),
        "HOTFIX_LOG_FORMAT": "json",
    }
    log = tmp_path / "worker.log"
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], cwd=tmp_path, env=env, stderr=sink)
        try:
            deadline = time.monotonic() + 30
            while '"worker started"' not in log.read_text():
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
            assert "temporal_" in metrics
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=45) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    text = log.read_text()
    assert '"worker stopped"' in text
    assert "sandbox-bot-token" not in text
