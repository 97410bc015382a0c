"""What a running worker tells an operator about a hotfix (#13 items 4 and 5): its log, every line a
JSON object (the SDK's lines and tracebacks included), with a line per step change and per human
action; and its metrics, scraped from the worker while the hotfix runs.

worker.py runs as a process of its own, output piped to a file, against the sandbox GitHub.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution
from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest
from temporalio.testing import WorkflowEnvironment

from hotfix.models import Step
from hotfix.outcome import final_result
from local.humans import DEV, Humans, play_happy_path
from tests.cli.support import free_port
from tests.integration.conftest import REPO, start
from tests.integration.test_hotfix_dev_server import spawn_worker, worker_process_env

pytestmark = pytest.mark.integration
__all__ = ["worker_process_env"]  # the fixture


async def _until(log: Path, text: str, proc: Any, within: float = 40) -> None:
    deadline = time.monotonic() + within
    while text not in (seen := await asyncio.to_thread(log.read_text)):
        assert proc.poll() is None, seen
        assert time.monotonic() < deadline, seen
        await asyncio.sleep(0.1)


async def _undecodable_signal(env: WorkflowEnvironment, workflow_id: str) -> None:
    """A signal whose payload no converter reads: the SDK drops it with a traceback (logger.exception)."""
    await env.client.workflow_service.signal_workflow_execution(
        SignalWorkflowExecutionRequest(
            namespace=env.client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            signal_name="recheck",
            input=Payloads(payloads=[Payload(metadata={"encoding": b"binary/unknown"}, data=b"\x00")]),
            identity="test",
        )
    )


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The worker's metrics page, parsed: (name, labels) -> value."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def at_changes(port: int, more_than: float) -> float:
    deadline = time.monotonic() + 15
    while (seen := value(scrape(port), "hotfix_hotfixes", step="changes")) <= more_than:
        assert time.monotonic() < deadline, f"hotfix_hotfixes{{step=changes}} stayed {seen}"
        time.sleep(0.1)
    return seen


@pytest.mark.slow  # a worker process through a whole hotfix; make test keeps the blocked-hotfix metric
async def test_the_worker_log_tells_the_hotfix_in_json_lines(
    local_env: WorkflowEnvironment,
    sandbox: Any,
    task_queue: str,
    unique: str,
    worker_process_env: dict[str, str],
    tmp_path: Path,
) -> None:
    log = tmp_path / "worker.log"
    metrics_port = free_port()
    env = {**worker_process_env, "HOTFIX_METRICS_PORT": str(metrics_port), "HOTFIX_METRICS_REFRESH": "0.2"}
    proc = spawn_worker(env, log)
    during: list[float] = []
    try:
        await _until(log, '"worker started"', proc)
        await asyncio.sleep(0.5)  # a first count of the hotfixes by step
        before = value(await asyncio.to_thread(scrape, metrics_port), "hotfix_hotfixes", step="changes")
        handle = await start(local_env.client, task_queue, unique)
        await _undecodable_signal(local_env, handle.id)
        await handle.signal("recheck")  # as the UI sends it: no payload, so no `by`

        def acted(what: str) -> None:
            if "pushed" in what:  # the hotfix waits at `changes` for changes_ready, sent next
                during.append(at_changes(metrics_port, before))

        final = await play_happy_path(
            local_env.client, handle.id, Humans(sandbox.api_url, REPO), on_act=acted
        )
        assert final.step == Step.DONE
        await _until(log, '"step": "done"', proc)
        samples = await asyncio.to_thread(scrape, metrics_port)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=45)
    text = log.read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    records = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"line {number} of the worker's output is not JSON: {line[:300]}")
    assert all(isinstance(r, dict) and "event" in r and "level" in r for r in records)

    mine = [r for r in records if r.get("workflow_id") == handle.id]
    steps = [r["step"] for r in mine if r["event"] == "step changed"]
    assert steps[:3] == ["preflight", "queued", "branches"] or steps[:2] == ["preflight", "branches"], steps
    for step in (
        "changes",
        "tests",
        "pull_request",
        "approval",
        "deploy",
        "deploy_approval",
        "back_merge",
        "done",
    ):
        assert step in steps, (step, steps)
    assert all(r["level"] == "info" and r["temporal_run_id"] for r in mine if r["event"] == "step changed")

    actions = [r for r in mine if r["event"] == "human action seen"]
    assert [(a["action"], a["by"]) for a in actions] == [("recheck", "not given"), ("changes_ready", DEV[0])]

    # The SDK's own line (a standard library logger), its traceback a field, not lines of its own.
    dropped = next(r for r in records if "Failed deserializing signal input" in r["event"])
    assert dropped["logger"].startswith("temporalio") and dropped["workflow_id"] == handle.id
    assert isinstance(dropped["exception"], list) and dropped["exception"][0]["exc_type"]

    # A Temporal run and a GitHub run are told apart.
    dispatched = next(r for r in mine if r["event"] == "deploy dispatched")
    assert dispatched["github_run_id"] == final.run_id
    assert dispatched["temporal_run_id"] == handle.result_run_id
    assert not any("run_id" in r for r in records), "a bare run_id is ambiguous"
    assert "sandbox-bot-token" not in text

    # Metrics, scraped from the running worker: the hotfix was counted at its step while it waited,
    assert during and during[0] >= before + 1
    # the GitHub answers it caused, by route template and status (never a branch name in a label),
    requests = "hotfix_github_requests_total"
    assert value(samples, requests, method="POST", route="/repos/{owner}/{repo}/pulls", status="201") == 2
    assert value(samples, requests, method="POST", route="/repos/{owner}/{repo}/git/refs", status="201") >= 2
    assert (
        value(
            samples,
            requests,
            method="PUT",
            route="/repos/{owner}/{repo}/pulls/{pull_number}/merge",
            status="200",
        )
        >= 1
    )
    assert not any("hotfix/" in dict(labels).get("route", "") for _, labels in samples)
    # the rate limit GitHub reported (the sandbox: 5,000 an hour), the time per step (from the workflow,
    # through the SDK's exporter on the same page), and the SDK's own metrics.
    assert 0 < value(samples, "hotfix_github_rate_limit_remaining", resource="core") <= 5000
    assert (
        value(samples, "hotfix_github_rate_limit_reset_timestamp_seconds", resource="core")
        > time.time() - 3600
    )
    durations = {
        dict(labels)["step"]: v
        for (name, labels), v in samples.items()
        if name == "hotfix_step_duration_seconds_count"
    }
    assert durations.get("approval", 0) >= 1 and durations.get("changes", 0) >= 1, durations
    # and the time per wait: for people (changes ready) and on GitHub (the checks, the review).
    waits = {
        (dict(labels)["step"], dict(labels)["on"]): v
        for (name, labels), v in samples.items()
        if name == "hotfix_wait_duration_seconds_count"
    }
    assert waits.get(("changes", "people"), 0) >= 1 and waits.get(("approval", "github"), 0) >= 1, waits
    # A poll is one wait on GitHub, not also a wait for people: nobody was asked for a signal there.
    assert ("approval", "people") not in waits and ("tests", "people") not in waits, waits
    assert any(name.startswith("temporal_") for name, _ in samples)
    # The SDK's series the Grafana dashboard graphs are on the page (a failure counter only once
    # something failed, so that one is not required here).
    from tests.deploy.test_grafana_dashboard import dashboard_metrics

    shown = {name for name, _ in samples}
    graphed = {name for name in dashboard_metrics() if name.startswith("temporal_")}
    expected = graphed - {"temporal_workflow_task_execution_failed_total"}
    assert graphed and expected <= shown, expected - shown


async def test_a_blocked_hotfix_is_counted(
    local_env: WorkflowEnvironment,
    sandbox: Any,
    task_queue: str,
    unique: str,
    worker_process_env: dict[str, str],
    tmp_path: Path,
) -> None:
    # GitHub refuses the branch (a permission the token lacks): the hotfix is blocked until recheck.
    sandbox.add_fault(
        "POST",
        r"/repos/acme/gaia-gateway/git/refs",
        status=403,
        body={"message": "Resource not accessible by integration"},
        count=1,
    )
    log = tmp_path / "worker.log"
    metrics_port = free_port()
    env = {**worker_process_env, "HOTFIX_METRICS_PORT": str(metrics_port), "HOTFIX_METRICS_REFRESH": "0.2"}
    proc = spawn_worker(env, log)
    try:
        await _until(log, '"worker started"', proc)
        before = value(await asyncio.to_thread(scrape, metrics_port), "hotfix_blocked_now")
        handle = await start(local_env.client, task_queue, unique)
        await _until(log, "Resource not accessible", proc)
        deadline = time.monotonic() + 15
        while (
            value(
                samples := await asyncio.to_thread(scrape, metrics_port),
                "hotfix_blocked_total",
                **_sdk(task_queue, step="branches"),
            )
            < 1
        ):
            assert time.monotonic() < deadline, [k for k in samples if k[0].startswith("hotfix_blocked")]
            await asyncio.sleep(0.2)
        refused = value(
            samples,
            "hotfix_github_requests_total",
            method="POST",
            route="/repos/{owner}/{repo}/git/refs",
            status="403",
        )
        assert refused == 1
        # and it is counted among those blocked now (the namespace's count, other tests' included).
        deadline = time.monotonic() + 15
        while value(await asyncio.to_thread(scrape, metrics_port), "hotfix_blocked_now") < before + 1:
            assert time.monotonic() < deadline, "hotfix_blocked_now never counted the blocked hotfix"
            await asyncio.sleep(0.2)
        await handle.signal("abort", {"reason": "test over"})
        await final_result(handle)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=45)


def _sdk(task_queue: str, **labels: str) -> dict[str, str]:
    """The labels the SDK's exporter puts on what the workflow records."""
    return {
        "namespace": "default",
        "service_name": "temporal-core-sdk",
        "task_queue": task_queue,
        "workflow_type": "HotfixWorkflow",
        **labels,
    }
