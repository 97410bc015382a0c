"""The real activities against the sandbox GitHub, on the real dev server, with the humans played
through the GitHub API by the seeded users."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from hotfix.models import AbortSignal, ChangesReadySignal, RetryDeploySignal, Step
from hotfix.outcome import final_result
from local.humans import Humans, play_happy_path, wait_for
from tests.integration.conftest import DISPATCH, REPO, ROOT, prod_deployments, start, writes
from workflows.hotfix import HotfixWorkflow

pytestmark = pytest.mark.integration


# On GHES 3.19 the dispatch refuses return_run_details (422): the worker dispatches again without it
# and finds its run in the runs list, the path real GHES 3.19 servers take every time.
PROFILES = pytest.mark.parametrize("sandbox", ["github.com", "ghes-3.19"], indirect=True)
# The second profile in `make test` on the happy path and the GHES fault path only; `make test-all` runs all.
FIRST_PROFILE_QUICK = pytest.mark.parametrize(
    "sandbox", ["github.com", pytest.param("ghes-3.19", marks=pytest.mark.slow)], indirect=True
)


@PROFILES
async def test_happy_path_end_to_end(
    local_env: WorkflowEnvironment,
    sandbox: Any,
    worker: None,
    task_queue: str,
    unique: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    handle = await start(local_env.client, task_queue, unique)
    final = await play_happy_path(local_env.client, handle.id, Humans(sandbox.api_url, REPO))
    result = await final_result(handle)
    assert final.step == Step.DONE and result.status.step == Step.DONE

    status = result.status
    assert status.base_source == "deployment" and status.base_ref == "main"
    repo = sandbox.github().get_repo(REPO)
    assert status.base_sha == repo.get_branch("main").commit.sha
    assert status.pull_request and status.back_merge_pull_request
    pr = repo.get_pull(status.pull_request.number)
    assert pr.merged and pr.base.ref == status.prod_branch and pr.head.ref == status.work_branch
    back = repo.get_pull(status.back_merge_pull_request.number)
    assert back.merged and back.base.ref == "develop" and back.head.ref == status.prod_branch
    # The new production deployment is the hotfix's prod branch, recorded by the deploy run.
    latest = prod_deployments(sandbox)[0]
    assert latest.ref == status.prod_branch and latest.sha == status.deployed_sha
    assert next(iter(latest.get_statuses())).state == "success"
    dispatches = writes(sandbox, "POST", DISPATCH)
    if sandbox.profile == "ghes-3.19":
        assert [d["status"] for d in dispatches] == [422, 204], "refused with run details, then without"
    else:
        assert [d["status"] for d in dispatches] == [200]
    assert repo.get_workflow("deploy.yml").get_runs().totalCount == 1, "one run"
    # The token lives in the worker only: not in the history, not in the logs.
    history = (await handle.fetch_history()).to_json()
    assert "sandbox-bot-token" not in history and "Authorization" not in history
    logs = capfd.readouterr()
    assert (
        "activity=create_branch" in logs.out + logs.err
        or '"activity": "create_branch"' in logs.out + logs.err
    )
    assert "sandbox-bot-token" not in logs.out + logs.err
    # The bot never approves anything: approvals come from the seeded people.
    bot_reviews = [
        r for r in sandbox.requests() if r["user"] == "hotfix-bot" and r["path"].endswith("/reviews")
    ]
    assert all(r["method"] == "GET" for r in bot_reviews)


@pytest.mark.slow
async def test_writes_survive_502_and_secondary_rate_limits(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    write_paths = [
        ("POST", r"/repos/acme/gaia-gateway/git/refs"),
        ("POST", r"/repos/acme/gaia-gateway/pulls"),
        ("PUT", r"/repos/acme/gaia-gateway/pulls/\d+/merge"),
        ("POST", DISPATCH),
    ]
    for method, path in write_paths:
        sandbox.add_fault(method, path, status=502, body={"message": "Server Error"}, count=1)
        sandbox.add_fault(
            method,
            path,
            status=403,
            body={
                "message": "You have exceeded a secondary rate limit. "
                "Please wait a few minutes before you try again.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            },
            headers={"Retry-After": "1"},
            count=1,
        )
    handle = await start(local_env.client, task_queue, unique)
    final = await play_happy_path(local_env.client, handle.id, Humans(sandbox.api_url, REPO), within=90)
    assert final.step == Step.DONE
    for method, path in write_paths:
        statuses = [r["status"] for r in writes(sandbox, method, path)]
        assert statuses[:2] == [502, 403], (path, statuses)
    # Exactly one of each side effect, however many attempts it took.
    assert len(writes(sandbox, "POST", write_paths[0][1], 201)) == 2  # two branches
    assert len(writes(sandbox, "POST", write_paths[1][1], 201)) == 2  # PR and back-merge PR
    merges = [r for r in writes(sandbox, "PUT", write_paths[2][1], 200) if r["user"] == "hotfix-bot"]
    assert len(merges) == 1  # the back-merge is merged by a person, not the bot
    dispatched = [r for r in writes(sandbox, "POST", write_paths[3][1]) if r["status"] in (200, 204)]
    assert len(dispatched) == 1
    runs = sandbox.github().get_repo(REPO).get_workflow("deploy.yml").get_runs(branch=final.prod_branch)
    assert runs.totalCount == 1


@pytest.fixture
def worker_process_env(
    local_env: WorkflowEnvironment, sandbox: Any, task_queue: str
) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "HOTFIX_TEMPORAL_ADDRESS": local_env.client.service_client.config.target_host,
        "HOTFIX_TASK_QUEUE": task_queue,
        "HOTFIX_GITHUB_URL": sandbox.api_url,
        "HOTFIX_GITHUB_TOKEN": "sandbox-bot-token",
        "HOTFIX_LOG_FORMAT": "json",
    }
    yield env


def spawn_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py")],
        env=env,
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
async def test_worker_killed_during_dispatch_makes_exactly_one_run(
    local_env: WorkflowEnvironment,
    sandbox: Any,
    task_queue: str,
    unique: str,
    worker_process_env: dict[str, str],
    tmp_path: Path,
) -> None:
    dispatch = DISPATCH
    runs_lookup = r"/repos/acme/gaia-gateway/actions/(workflows/[^/]+/)?runs"
    # GHES before 3.21 refuses return_run_details, so the activity dispatches, then looks for its run:
    # the worker dies in that look, after the run exists and before the activity could report it.
    sandbox.add_fault(
        "POST",
        dispatch,
        status=400,
        body={"message": 'Invalid request.\n\n"return_run_details" is not a permitted key.'},
        count=1,
    )
    log = tmp_path / "worker.log"
    first = spawn_worker(worker_process_env, log)
    second: subprocess.Popen[bytes] | None = None
    try:
        handle = await start(local_env.client, task_queue, unique, activity_timeout=timedelta(seconds=4))
        humans = Humans(sandbox.api_url, REPO)
        status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes", within=60)
        await asyncio.to_thread(humans.push_change, status.work_branch)
        await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by="dev-1"))
        status = await wait_for(
            handle, lambda s: s.pull_request is not None and s.step == Step.APPROVAL, "PR"
        )
        assert status.pull_request is not None
        # Arm the trap only now: every look for the run hangs until the worker is dead.
        sandbox.add_fault("GET", runs_lookup, delay=8, count=3)
        await asyncio.to_thread(humans.approve_pull_request, status.pull_request.number)
        deadline = time.monotonic() + 60
        while not writes(sandbox, "POST", dispatch, 204):
            assert time.monotonic() < deadline, "the dispatch never happened"
            await asyncio.sleep(0.05)
        first.kill()
        first.wait()
        sandbox.clear_faults()
        second = spawn_worker(worker_process_env, log)
        status = await wait_for(
            handle, lambda s: s.step == Step.DEPLOY_APPROVAL and s.run_id is not None, "run"
        )
        runs = list(
            sandbox.github().get_repo(REPO).get_workflow("deploy.yml").get_runs(branch=status.prod_branch)
        )
        assert [run.id for run in runs] == [status.run_id]
        assert len(writes(sandbox, "POST", dispatch, 204)) == 1
        await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
        await final_result(handle)
    finally:
        for proc in (first, second):
            if proc and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=15)


@FIRST_PROFILE_QUICK
async def test_a_rejected_deployment_waits_for_retry_deploy_and_the_rerun_deploys(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    handle = await start(local_env.client, task_queue, unique)
    humans = Humans(sandbox.api_url, REPO)
    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes")
    await asyncio.to_thread(humans.push_change, status.work_branch)
    await handle.signal("changes_ready", ChangesReadySignal(by="dev-1"))
    status = await wait_for(handle, lambda s: s.step == Step.APPROVAL and s.pull_request is not None, "PR")
    assert status.pull_request is not None
    await asyncio.to_thread(humans.approve_pull_request, status.pull_request.number)
    status = await wait_for(handle, lambda s: s.step == Step.DEPLOY_APPROVAL and s.run_id is not None, "run")
    assert status.run_id is not None
    rejected_run = status.run_id
    await asyncio.to_thread(humans.approve_deployment, rejected_run, state="rejected")
    status = await wait_for(handle, lambda s: s.step == Step.DEPLOY_FAILED, "deploy_failed")
    # GitHub made a Deployment when the run began to wait; the rejection failed it: nothing ran.
    rejected = prod_deployments(sandbox)[0]
    assert rejected.ref.startswith("prod/hotfix/") and rejected.get_statuses()[0].state == "failure"

    await handle.signal("retry_deploy", RetryDeploySignal(by="dev-1"))
    status = await wait_for(
        handle, lambda s: s.step == Step.DEPLOY_APPROVAL, "the re-run waits for reviewers"
    )
    assert status.run_id == rejected_run, "the same run, a new attempt: no second dispatch"
    await asyncio.to_thread(humans.approve_deployment, rejected_run)
    status = await wait_for(handle, lambda s: s.back_merge_pull_request is not None, "back-merge PR")
    assert status.back_merge_pull_request is not None
    await asyncio.to_thread(humans.merge_pull_request, status.back_merge_pull_request.number)
    result = await final_result(handle)
    assert result.status.step == Step.DONE
    latest = prod_deployments(sandbox)[0]
    assert latest.ref == result.status.prod_branch and next(iter(latest.get_statuses())).state == "success"
    assert len([d for d in writes(sandbox, "POST", DISPATCH) if d["status"] in (200, 204)]) == 1


@pytest.mark.parametrize("sandbox", ["ghes-3.19"], indirect=True)
async def test_on_ghes_a_run_listed_late_is_found_not_dispatched_again(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    # GitHub lists a dispatched run a while after the 204; GHES 3.19 gives no run id, so the worker
    # must look until it shows (its lookups here: 3, 0.2 s apart, then the activity's retry looks again).
    sandbox.set_settings(run_list_lag_seconds=1.5)
    handle = await start(local_env.client, task_queue, unique)
    final = await play_happy_path(local_env.client, handle.id, Humans(sandbox.api_url, REPO))
    assert final.step == Step.DONE
    dispatches = writes(sandbox, "POST", DISPATCH)
    assert [d["status"] for d in dispatches] == [422, 204], "one dispatch, however late its run is listed"
    repo = sandbox.github().get_repo(REPO)
    assert repo.get_workflow("deploy.yml").get_runs().totalCount == 1
    listed_empty = [
        r
        for r in sandbox.requests()
        if r["route"] == "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"
        and r["timestamp"] > dispatches[-1]["timestamp"]
    ]
    assert len(listed_empty) > 1, "the worker looked more than once"
