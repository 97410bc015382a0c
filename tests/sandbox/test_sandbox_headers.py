"""The headers and fields GitHub adds that the product and PyGithub read: request ids, ETags and free
304s, Last-Modified, the permission an operation needs, the API version served; `web-flow` as the
committer of merges, `performed_via_github_app` on deployments, their statuses and comments."""

from __future__ import annotations

import httpx

from sandbox import seed
from sandbox.testing import SandboxHandle
from tests.sandbox.helpers import open_hotfix_pr, wait_for


def _get(sb: SandboxHandle, path: str, **headers: str) -> httpx.Response:
    auth = {"Authorization": f"token {seed.BOT_TOKEN}"}
    return httpx.get(f"{sb.api_url}{path}", headers={**auth, **headers}, timeout=10)


def test_every_answer_has_a_request_id_and_the_version_served(sandbox: SandboxHandle) -> None:
    first, second = _get(sandbox, f"/repos/{seed.REPO}"), _get(sandbox, "/repos/acme/nope")
    assert second.status_code == 404
    ids = {first.headers["X-GitHub-Request-Id"], second.headers["X-GitHub-Request-Id"]}
    assert len(ids) == 2 and all(len(i.split(":")) == 5 for i in ids)
    assert first.headers["X-GitHub-Api-Version-Selected"] == "2022-11-28"
    assert first.headers["X-GitHub-Media-Type"] == "github.v3; format=json"


def test_a_get_has_an_etag_and_a_conditional_get_costs_a_free_304(sandbox: SandboxHandle) -> None:
    path = f"/repos/{seed.REPO}/branches/main"
    first = _get(sandbox, path)
    tag = first.headers["ETag"]
    assert tag.startswith('W/"') and _get(sandbox, path).headers["ETag"] == tag
    again = _get(sandbox, path, **{"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    # Something changed: the same conditional GET gets the new body.
    sandbox.github().get_repo(seed.REPO).create_git_ref("refs/heads/moved", first.json()["commit"]["sha"])
    listing = f"/repos/{seed.REPO}/branches"
    tag = _get(sandbox, listing).headers["ETag"]
    sandbox.github().get_repo(seed.REPO).create_git_ref(
        "refs/heads/moved-again", first.json()["commit"]["sha"]
    )
    assert _get(sandbox, listing, **{"If-None-Match": tag}).status_code == 200
    # PyGithub's update() sends If-None-Match and says False on 304.
    repo = sandbox.github().get_repo(seed.REPO)
    assert repo.etag and repo.update() is False


def test_a_304_costs_no_rate_limit_point_and_a_200_does(sandbox: SandboxHandle) -> None:
    # github.com: "Making a conditional request and receiving a 304 response does not count against
    # your primary rate limit." The 304 still tells the remaining points, unchanged.
    path = f"/repos/{seed.REPO}/pulls"
    first = _get(sandbox, path)
    remaining = int(first.headers["X-RateLimit-Remaining"])
    for _ in range(3):
        unchanged = _get(sandbox, path, **{"If-None-Match": first.headers["ETag"]})
        assert unchanged.status_code == 304
        assert int(unchanged.headers["X-RateLimit-Remaining"]) == remaining
        assert int(unchanged.headers["X-RateLimit-Used"]) == int(first.headers["X-RateLimit-Used"])
    assert int(_get(sandbox, path).headers["X-RateLimit-Remaining"]) == remaining - 1
    assert int(_get(sandbox, path, **{"If-None-Match": '"stale"'}).headers["X-RateLimit-Remaining"]) == (
        remaining - 2
    )


def test_last_modified_follows_updated_at(sandbox: SandboxHandle) -> None:
    answer = _get(sandbox, f"/repos/{seed.REPO}")
    assert answer.headers["Last-Modified"].endswith(" GMT")


def test_each_answer_names_the_permission_it_needs(sandbox: SandboxHandle) -> None:
    assert (
        _get(sandbox, f"/repos/{seed.REPO}/pulls").headers["X-Accepted-GitHub-Permissions"]
        == "pull_requests=read"
    )
    runs = _get(sandbox, f"/repos/{seed.REPO}/actions/runs")
    assert runs.headers["X-Accepted-GitHub-Permissions"] == "actions=read"
    assert _get(sandbox, f"/repos/{seed.REPO}").headers["X-Accepted-GitHub-Permissions"] == "metadata=read"


def test_merges_are_committed_by_web_flow(sandbox: SandboxHandle) -> None:
    pr = open_hotfix_pr(sandbox, "webflow", author_token=seed.DEV_TOKEN)
    reviewer = sandbox.github(seed.REVIEWER_1_TOKEN).get_repo(seed.REPO).get_pull(pr.number)
    reviewer.create_review(event="APPROVE")
    wait_for(
        lambda: sandbox.github().get_repo(seed.REPO).get_pull(pr.number).mergeable_state == "clean", "green"
    )
    merged = sandbox.github().get_repo(seed.REPO).get_pull(pr.number).merge(merge_method="merge")
    commit = sandbox.github().get_repo(seed.REPO).get_commit(merged.sha)
    assert commit.commit.committer.email == "noreply@github.com"
    assert commit.committer.login == "web-flow"


def test_performed_via_github_app_is_null_for_tokens_and_names_the_app_for_runs(
    sandbox: SandboxHandle,
) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    _, made = repo.requester.requestJsonAndCheck(
        "POST", f"{repo.url}/deployments", input={"ref": "main", "environment": "staging"}
    )
    assert made["performed_via_github_app"] is None
    pr = open_hotfix_pr(sandbox, "via", author_token=seed.DEV_TOKEN)
    pr.create_issue_comment("reminder")
    _, comments = repo.requester.requestJsonAndCheck("GET", f"{repo.url}/issues/{pr.number}/comments")
    assert comments[0]["performed_via_github_app"] is None
    run = repo.get_workflow(seed.DEPLOY_WORKFLOW).create_dispatch("main", throw=True, return_run_details=True)
    reviewer = sandbox.github(seed.REVIEWER_2_TOKEN)
    path = f"/repos/{seed.REPO}/actions/runs/{run.id}/pending_deployments"
    _, pending = reviewer.requester.requestJsonAndCheck("GET", path)
    body = {"environment_ids": [pending[0]["environment"]["id"]], "state": "approved", "comment": "ok"}
    _, started = reviewer.requester.requestJsonAndCheck("POST", path, input=body)
    assert started[0]["performed_via_github_app"]["slug"] == "github-actions"
    _, statuses = repo.requester.requestJsonAndCheck(
        "GET", f"{repo.url}/deployments/{started[0]['id']}/statuses"
    )
    assert statuses[0]["performed_via_github_app"]["slug"] == "github-actions"
