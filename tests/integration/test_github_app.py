"""The worker as a GitHub App (issue #11): a whole hotfix on installation tokens that expire while it
runs, acting as `hotfix-app[bot]`; the App uninstalled mid-hotfix blocks it until it is installed again.

The real worker (activities, PyGithub's App auth) on the dev server against the sandbox as App host.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import github
import pytest
from temporalio.testing import WorkflowEnvironment

from hotfix.models import RecheckSignal, Step
from hotfix.outcome import final_result
from local.humans import Humans, play_happy_path, wait_for
from sandbox import apps
from sandbox.seed import APP, APP_BOT
from sandbox.state import parse_iso
from tests.integration.conftest import DISPATCH, REPO, as_the_app, hotfix_worker, start, writes

pytestmark = pytest.mark.integration

# Tokens of 2 s, which PyGithub renews 0.5 s before their `expires_at` (its margin is 20 s, for
# GitHub's hour; shortened here so that tokens really expire on the server while the hotfix runs).
TOKEN_SECONDS = 2
RENEW_BEFORE = timedelta(seconds=0.5)


def issued_tokens(sandbox: Any) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["path"].endswith("/access_tokens") and r["status"] == 201]


async def test_a_hotfix_completes_as_the_app_on_tokens_that_expire_while_it_runs(
    local_env: WorkflowEnvironment,
    sandbox: Any,
    task_queue: str,
    unique: str,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(github.Auth, "TOKEN_REFRESH_THRESHOLD_TIMEDELTA", RENEW_BEFORE)
    sandbox.set_settings(installation_token_seconds=TOKEN_SECONDS, record_bodies=True)
    async with hotfix_worker(local_env, sandbox, task_queue, **as_the_app(sandbox)):
        handle = await start(local_env.client, task_queue, unique)
        final = await play_happy_path(local_env.client, handle.id, Humans(sandbox.api_url, REPO))
        result = await final_result(handle)
    assert final.step == Step.DONE and result.status.step == Step.DONE

    log = sandbox.requests()
    # Tokens expired on the server several times during the hotfix, were renewed each time, and
    # GitHub never refused one.
    issued = [r["response"] for r in issued_tokens(sandbox)]
    tokens = [i["token"] for i in issued]
    last_call = max(r["timestamp"] for r in log if r["user"] == APP_BOT)
    expired_meanwhile = [i for i in issued if parse_iso(i["expires_at"]) < last_call]
    assert len(expired_meanwhile) >= 2, (len(issued), len(expired_meanwhile))
    assert not [r for r in log if r["status"] == 401]
    # The worker acted as the App's bot: every repository call, the PR, the dispatch.
    worker_calls = [r for r in log if r["user"] in (APP, APP_BOT)]
    as_app = {r["path"] for r in worker_calls if r["user"] == APP}  # the App itself, with its JWT
    assert all(
        p == "/app" or p.startswith("/app/installations/") or p == f"/repos/{REPO}/installation"
        for p in as_app
    )
    assert {r["user"] for r in worker_calls if r["path"] not in as_app} == {APP_BOT}
    assert len(writes(sandbox, "POST", DISPATCH)) == 1
    assert result.status.pull_request is not None
    pr = sandbox.github().get_repo(REPO).get_pull(result.status.pull_request.number)
    assert pr.user.login == APP_BOT and pr.user.type == "Bot"
    run = sandbox.github().get_repo(REPO).get_workflow_run(result.status.run_id)
    assert run.actor.login == APP_BOT

    # The key and every token stay in the worker: not in the history, not in the logs.
    key = apps.key_path(sandbox.sandbox.store.dir, APP).read_text()
    key_body = key.splitlines()[1]
    history = (await handle.fetch_history()).to_json()
    output = capfd.readouterr()
    for text in (history, output.out + output.err):
        assert key_body not in text
        assert not [token for token in tokens if token in text]
        assert "ghs_" not in text
    assert "installation token renewed" in output.out + output.err


@pytest.mark.slow  # make test keeps the App hotfix with expiring tokens
async def test_the_app_uninstalled_mid_hotfix_blocks_it_until_installed_again_and_rechecked(
    local_env: WorkflowEnvironment, sandbox: Any, task_queue: str, unique: str
) -> None:
    humans = Humans(sandbox.api_url, REPO)
    async with hotfix_worker(local_env, sandbox, task_queue, **as_the_app(sandbox)):
        handle = await start(local_env.client, task_queue, unique)
        status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes")
        await asyncio.to_thread(humans.push_change, status.work_branch)
        await handle.signal("changes_ready")
        status = await wait_for(
            handle, lambda s: s.step == Step.APPROVAL and s.pull_request is not None, "PR approval"
        )

        (installation,) = sandbox.control("GET", f"apps/{APP}/installations")
        sandbox.control("DELETE", f"apps/installations/{installation['id']}")
        blocked = await wait_for(handle, lambda s: (s.message or "").startswith("blocked:"), "blocked")
        assert blocked.step == Step.APPROVAL
        assert blocked.message is not None
        assert "401" in blocked.message and f"Install the App on {REPO} again" in blocked.message
        # Blocked is a wait for a human, not a loop of refused calls.
        await asyncio.sleep(1.0)
        refused = [r for r in sandbox.requests() if r["status"] == 401]
        assert len(refused) <= 2, len(refused)

        sandbox.control(
            "POST", f"apps/{APP}/installations", {"account": "acme", "repositories": ["gaia-gateway"]}
        )
        await handle.signal("recheck", RecheckSignal(by="dev-1"))
        status = await wait_for(handle, lambda s: not (s.message or "").startswith("blocked:"), "unblocked")
        assert status.pull_request is not None
        await asyncio.to_thread(humans.approve_pull_request, status.pull_request.number)
        status = await wait_for(
            handle, lambda s: s.step == Step.DEPLOY_APPROVAL and s.run_id is not None, "deploy approval"
        )
        assert status.run_id is not None
        await asyncio.to_thread(humans.approve_deployment, status.run_id)
        status = await wait_for(
            handle,
            lambda s: s.step == Step.BACK_MERGE and s.back_merge_pull_request is not None,
            "back-merge",
        )
        assert status.back_merge_pull_request is not None
        await asyncio.to_thread(humans.merge_pull_request, status.back_merge_pull_request.number)
        result = await final_result(handle)
    assert result.status.step == Step.DONE
    # The worker found the new installation by itself (no restart, no setting changed).
    lookups = [
        r for r in sandbox.requests() if r["path"] == f"/repos/{REPO}/installation" and r["status"] == 200
    ]
    assert len(lookups) >= 2
