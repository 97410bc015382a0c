"""The whole hotfix sequence through a second, independent client: githubkit (#10 item 5).

githubkit is generated from GitHub's OpenAPI description and parses every answer into strict pydantic
models (`parsed_data`), so a field of the wrong type, a missing required field or a wrong status
fails here even where PyGithub, which reads what it needs and ignores the rest, would not notice. It
also sends GitHub's newest API version (`X-GitHub-Api-Version: 2026-03-10`), where PyGithub sends
none. The steps are the runbook's, by the people who take them: the bot cuts both branches from what
is deployed, a developer pushes the fix, CI reports, the bot opens the PR, a reviewer approves, the
bot merges the reviewed head, dispatches the deploy, a reviewer approves the environment, the run
succeeds and a deployment records it, the bot comments, opens and merges the back-merge, and cleans up.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from githubkit import GitHub, TokenAuthStrategy

from sandbox import seed

T = TypeVar("T")
OWNER, R = seed.OWNER, seed.REPO_NAME
WORK, PROD = "hotfix/2026-11-23_second-client", "prod/hotfix/2026-11-23_second-client"


def client(sandbox: Any, token: str) -> Any:
    # Answers are parsed strictly; request bodies are not checked against githubkit's models, whose
    # dispatch body lacks GitHub's `return_run_details` (GitHub's OpenAPI has it: 200 with the run's
    # id when true, 204 without).
    return GitHub(
        TokenAuthStrategy(token),
        base_url=sandbox.api_url,
        auto_retry=False,
        http_cache=False,
        rest_api_validate_body=False,
    )


def parsed(response: Any) -> Any:
    """The answer as githubkit's model of it: a ValidationError when GitHub's description forbids it."""
    return response.parsed_data


def until(look: Callable[[], T], ok: Callable[[T], bool], what: str, within: float = 20.0) -> T:
    deadline = time.monotonic() + within
    while True:
        seen = look()
        if ok(seen):
            return seen
        assert time.monotonic() < deadline, f"{what}: still {seen!r}"
        time.sleep(0.1)


@pytest.mark.parametrize("sandbox", ["github.com", "ghes-3.21"], indirect=True)
def test_a_whole_hotfix_through_githubkit_parses_strictly(sandbox: Any) -> None:
    bot, dev = client(sandbox, seed.BOT_TOKEN), client(sandbox, seed.DEV_TOKEN)
    reviewer, approver = client(sandbox, seed.REVIEWER_1_TOKEN), client(sandbox, seed.REVIEWER_2_TOKEN)

    # Preflight and step 1: the repository, its rules, what production runs.
    repo = bot.rest.repos.get(OWNER, R).parsed_data
    assert repo.full_name == seed.REPO
    parsed(bot.rest.repos.get_collaborator_permission_level(OWNER, R, seed.BOT))
    parsed(bot.rest.repos.get_branch_rules(OWNER, R, repo.default_branch))
    parsed(bot.rest.actions.get_workflow(OWNER, R, "deploy.yml"))
    parsed(bot.rest.repos.get_environment(OWNER, R, "prod"))
    deployments = bot.rest.repos.list_deployments(OWNER, R, environment="prod").parsed_data
    base = repo.default_branch
    if deployments:
        parsed(bot.rest.repos.list_deployment_statuses(OWNER, R, deployments[0].id))
    base_sha = bot.rest.git.get_ref(OWNER, R, f"heads/{base}").parsed_data.object_.sha

    # Step 2: both branches.
    for branch in (WORK, PROD):
        made = bot.rest.git.create_ref(
            OWNER, R, data={"ref": f"refs/heads/{branch}", "sha": base_sha}
        ).parsed_data
        assert made.object_.sha == base_sha

    # Step 3: the developer pushes the fix.
    current = dev.rest.repos.get_content(OWNER, R, "app.py", ref=WORK).parsed_data
    pushed = dev.rest.repos.create_or_update_file_contents(
        OWNER,
        R,
        "app.py",
        data={
            "message": "Fix the login loop",
            "content": base64.b64encode(b"fixed = True\n").decode(),
            "branch": WORK,
            "sha": current.sha,
        },
    ).parsed_data
    head = pushed.commit.sha
    assert head is not None

    # Step 4: CI on the head, until every check has completed.
    runs = until(
        lambda: bot.rest.checks.list_for_ref(OWNER, R, head).parsed_data.check_runs,
        lambda runs: bool(runs) and all(r.status == "completed" for r in runs),
        "check runs",
    )
    assert {r.conclusion for r in runs} == {"success"}
    parsed(bot.rest.checks.list_suites_for_ref(OWNER, R, head))
    parsed(bot.rest.repos.get_combined_status_for_ref(OWNER, R, head))

    # Step 5: the PR; step 6: a reviewer approves the head, the bot merges exactly that head.
    pr = bot.rest.pulls.create(
        OWNER, R, data={"head": WORK, "base": PROD, "title": "Hotfix: login loop"}
    ).parsed_data
    parsed(bot.rest.pulls.request_reviewers(OWNER, R, pr.number, data={"reviewers": [seed.REVIEWER_1]}))
    review = reviewer.rest.pulls.create_review(
        OWNER, R, pr.number, data={"event": "APPROVE", "commit_id": head}
    )
    assert review.parsed_data.commit_id == head
    assert [r.state for r in bot.rest.pulls.list_reviews(OWNER, R, pr.number).parsed_data] == ["APPROVED"]
    parsed(bot.rest.pulls.list_commits(OWNER, R, pr.number))
    until(lambda: bot.rest.pulls.get(OWNER, R, pr.number).parsed_data.mergeable, bool, "mergeability")
    merged = bot.rest.pulls.merge(
        OWNER, R, pr.number, data={"sha": head, "merge_method": "merge"}
    ).parsed_data
    assert merged.merged

    # Step 7: the deploy, approved for the environment, succeeds and is recorded.
    dispatched = bot.rest.actions.create_workflow_dispatch(
        OWNER, R, "deploy.yml", data={"ref": PROD, "inputs": {}, "return_run_details": True}
    ).parsed_data
    run_id = dispatched.workflow_run_id
    listed = bot.rest.actions.list_workflow_runs(OWNER, R, "deploy.yml", branch=PROD).parsed_data
    assert [r.id for r in listed.workflow_runs] == [run_id]
    pending = until(
        lambda: bot.rest.actions.get_pending_deployments_for_run(OWNER, R, run_id).parsed_data,
        bool,
        "pending",
    )
    env_ids = [p.environment.id for p in pending if p.environment.id is not None]
    parsed(
        approver.rest.actions.review_pending_deployments_for_run(
            OWNER, R, run_id, data={"environment_ids": env_ids, "state": "approved", "comment": "go"}
        )
    )
    run = until(
        lambda: bot.rest.actions.get_workflow_run(OWNER, R, run_id).parsed_data,
        lambda r: r.status == "completed",
        "the run",
    )
    assert run.conclusion == "success" and run.head_sha == merged.sha
    parsed(bot.rest.actions.list_jobs_for_workflow_run(OWNER, R, run_id))
    assert [a.state for a in bot.rest.actions.get_reviews_for_run(OWNER, R, run_id).parsed_data] == [
        "approved"
    ]
    deployment = bot.rest.repos.list_deployments(OWNER, R, environment="prod").parsed_data[0]
    assert deployment.sha == merged.sha
    # Not parsed: GitHub answers a `waiting` state here (the deployment was made when the run began to
    # wait for its reviewers) that its own description, hence githubkit's model, does not admit.
    statuses = bot.rest.repos.list_deployment_statuses(OWNER, R, deployment.id).json()
    assert [st["state"] for st in statuses] == ["success", "in_progress", "queued", "waiting"]

    # Step 8: the comment, the back-merge, the cleanup.
    parsed(bot.rest.issues.create_comment(OWNER, R, pr.number, data={"body": "Deployed."}))
    assert [c.body for c in bot.rest.issues.list_comments(OWNER, R, pr.number).parsed_data] == ["Deployed."]
    back = bot.rest.pulls.create(
        OWNER, R, data={"head": PROD, "base": base, "title": "Back-merge"}
    ).parsed_data
    parsed(reviewer.rest.pulls.create_review(OWNER, R, back.number, data={"event": "APPROVE"}))
    until(lambda: bot.rest.pulls.get(OWNER, R, back.number).parsed_data.mergeable, bool, "mergeability")
    parsed(dev.rest.pulls.merge(OWNER, R, back.number, data={"merge_method": "merge"}))
    parsed(bot.rest.repos.compare_commits(OWNER, R, f"{merged.sha}...{base}"))
    assert bot.rest.git.delete_ref(OWNER, R, f"heads/{WORK}").status_code == 204


def test_githubkit_refuses_an_answer_of_the_wrong_shape(sandbox: Any) -> None:
    # What makes the test above a check: an answer GitHub's description does not allow fails to parse.
    from pydantic import ValidationError

    sandbox.add_fault("GET", rf"/repos/{seed.REPO}", status=200, body={"id": 1, "full_name": 5})
    bot = client(sandbox, seed.BOT_TOKEN)
    with pytest.raises(ValidationError):
        parsed(bot.rest.repos.get(OWNER, R))
    # The sandbox's contract check at teardown sees the same answer; it was injected, so forget it.
    sandbox.contract_violations()
