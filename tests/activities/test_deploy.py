"""Dispatching the deploy workflow (exactly one run) and re-running failed jobs, against the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.github import errors
from hotfix.models import (
    RunInput,
)
from tests.activities.conftest import (
    PROD,
    Activities,
    branches,
    dispatch_input,
    wait_completed,
)
from tests.activities.helpers import (
    BOT_TOKEN,
    DEV_TOKEN,
    REPO,
    REVIEWER_1_TOKEN,
    count,
    run,
)

SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
# PyGithub dispatches to the workflow's URL, which holds its numeric id.
DISPATCH = r"/repos/acme/gaia-gateway/actions/workflows/[^/]+/dispatches"


def _runs_on(sandbox: Any, branch: str) -> list[Any]:
    workflow = sandbox.github(token=DEV_TOKEN).get_repo(REPO).get_workflow("deploy.yml")
    return [r for r in workflow.get_runs(branch=branch) if r.head_branch == branch]


def test_dispatch_deploy_makes_exactly_one_run(acts: Activities, sandbox: Any) -> None:
    branches(acts, sandbox, PROD)
    arg = dispatch_input()
    first = run(acts.dispatch_deploy, arg)
    again = run(acts.dispatch_deploy, arg, attempt=2)
    assert first.created and not again.created
    assert again.run_id == first.run_id
    assert [r.id for r in _runs_on(sandbox, PROD)] == [first.run_id]


def test_dispatch_after_a_dropped_request_makes_exactly_one_run(acts: Activities, sandbox: Any) -> None:
    branches(acts, sandbox, PROD)
    arg = dispatch_input()
    sandbox.add_fault("POST", DISPATCH, drop=True)
    with pytest.raises(ApplicationError) as caught:
        run(acts.dispatch_deploy, arg)
    assert caught.value.type == errors.UNAVAILABLE and not caught.value.non_retryable
    ref = run(acts.dispatch_deploy, arg, attempt=2)
    assert [r.id for r in _runs_on(sandbox, PROD)] == [ref.run_id]


def test_dispatch_retry_after_a_lost_answer_finds_the_run(acts: Activities, sandbox: Any) -> None:
    # The sandbox cannot process a request and then lose its answer, so the lost attempt's dispatch
    # is made here directly, as the bot, after `not_before`.
    branches(acts, sandbox, PROD)
    arg = dispatch_input()
    workflow = sandbox.github(token=BOT_TOKEN).get_repo(REPO).get_workflow("deploy.yml")
    assert workflow.create_dispatch(PROD, inputs={}, throw=True)
    ref = run(acts.dispatch_deploy, arg, attempt=2)
    assert not ref.created
    assert [r.id for r in _runs_on(sandbox, PROD)] == [ref.run_id]
    assert count(sandbox, "POST", DISPATCH) == 1


def test_dispatch_falls_back_when_run_details_are_refused(acts: Activities, sandbox: Any) -> None:
    branches(acts, sandbox, PROD)
    sandbox.add_fault(
        "POST",
        DISPATCH,
        status=400,
        body={"message": 'Invalid request.\n\n"return_run_details" is not a permitted key.'},
    )
    ref = run(acts.dispatch_deploy, dispatch_input())
    assert ref.created
    assert [r.id for r in _runs_on(sandbox, PROD)] == [ref.run_id]


def test_dispatch_ignores_runs_from_before_not_before(acts: Activities, sandbox: Any) -> None:
    branches(acts, sandbox, PROD)
    old = run(acts.dispatch_deploy, dispatch_input())
    later = run(acts.dispatch_deploy, dispatch_input(datetime.now(UTC) + timedelta(hours=1)))
    assert later.created and later.run_id != old.run_id


def _reject_deployment(sandbox: Any, run_id: int) -> None:
    requester = sandbox.github(token=REVIEWER_1_TOKEN).requester
    _, env = requester.requestJsonAndCheck("GET", f"/repos/{REPO}/environments/prod")
    requester.requestJsonAndCheck(
        "POST",
        f"/repos/{REPO}/actions/runs/{run_id}/pending_deployments",
        input={"environment_ids": [env["id"]], "state": "rejected", "comment": "not now"},
    )


def test_rerun_failed_jobs_once(acts: Activities, sandbox: Any) -> None:
    branches(acts, sandbox, PROD)
    ref = run(acts.dispatch_deploy, dispatch_input())
    not_failed = run(acts.rerun_failed_jobs, RunInput(repository=REPO, run_id=ref.run_id))
    assert not not_failed.rerun
    _reject_deployment(sandbox, ref.run_id)
    assert wait_completed(sandbox, ref.run_id).conclusion != "success"
    first = run(acts.rerun_failed_jobs, RunInput(repository=REPO, run_id=ref.run_id))
    again = run(acts.rerun_failed_jobs, RunInput(repository=REPO, run_id=ref.run_id), attempt=2)
    assert (first.rerun, again.rerun) == (True, False)
    assert (
        count(sandbox, "POST", rf"/repos/acme/gaia-gateway/actions/runs/{ref.run_id}/rerun-failed-jobs") == 1
    )
