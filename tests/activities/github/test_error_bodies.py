"""GitHub's error bodies through the worker's REST layer, against the sandbox: the reason a human
must read survives whatever field GitHub put it in."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.github import errors
from activities.github.rest import RepoApi
from tests.activities.helpers import DEV_TOKEN, REPO, client_for


def test_a_refused_deployment_review_says_why(sandbox: Any) -> None:
    bot = sandbox.github()
    run = (
        bot.get_repo(REPO)
        .get_workflow("deploy.yml")
        .create_dispatch("main", throw=True, return_run_details=True)
    )
    path = f"/actions/runs/{run.id}/pending_deployments"
    _, pending = bot.requester.requestJsonAndCheck("GET", f"/repos/{REPO}{path}")
    api = RepoApi(client_for(sandbox, token=DEV_TOKEN), REPO)  # dev-1 is not one of prod's reviewers
    body = {"environment_ids": [pending[0]["environment"]["id"]], "state": "approved", "comment": "me"}
    with pytest.raises(ApplicationError) as caught:
        api.call("POST", path, what=f"approve run {run.id}", permission="deployments:write", body=body)
    assert caught.value.type == errors.VALIDATION
    assert "No pending deployment requests to approve or reject" in caught.value.message
    reply = api.call("POST", path, what=f"approve run {run.id}", body=body, expect=(422,))
    assert reply.message == "Validation Failed; No pending deployment requests to approve or reject"
