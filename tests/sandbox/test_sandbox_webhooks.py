"""The sandbox delivers webhooks as GitHub does: the App's webhook and repository hooks, GitHub's
headers and signatures, payloads that GitHub's published schemas accept, off the request path,
listed per hook and redelivered on request."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from github import GithubException

from receiver import verify
from sandbox import seed
from sandbox.testing import SandboxHandle
from tests.sandbox.helpers import ci_done, open_hotfix_pr, wait_for
from tests.sandbox.webhook_catcher import Catcher, schema_errors

SECRET = "It's a Secret to Everybody"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _admin(sandbox: SandboxHandle) -> Any:
    return sandbox.github(seed.ADMIN_TOKEN).requester


def _app_hook(sandbox: SandboxHandle, url: str, secret: str = SECRET) -> Any:
    return sandbox.control("POST", f"apps/{seed.APP}/hook", {"url": url, "secret": secret})


def _repo_hook(sandbox: SandboxHandle, url: str, events: list[str], **config: Any) -> dict[str, Any]:
    _, hook = _admin(sandbox).requestJsonAndCheck(
        "POST",
        f"/repos/{seed.REPO}/hooks",
        input={"name": "web", "events": events, "config": {"url": url, "content_type": "json", **config}},
    )
    return hook


def _review_run(sandbox: SandboxHandle, run_id: int, state: str) -> None:
    _, pending = sandbox.github().requester.requestJsonAndCheck(
        "GET", f"/repos/{seed.REPO}/actions/runs/{run_id}/pending_deployments"
    )
    sandbox.github(seed.REVIEWER_1_TOKEN).requester.requestJsonAndCheck(
        "POST",
        f"/repos/{seed.REPO}/actions/runs/{run_id}/pending_deployments",
        input={"environment_ids": [pending[0]["environment"]["id"]], "state": state, "comment": "ok"},
    )


def _hotfix_on_github(sandbox: SandboxHandle) -> None:
    """What a hotfix makes happen: branches pushed, a PR, CI, a review, a merge, a status, a deploy."""
    pr = open_hotfix_pr(sandbox, "hooks")
    ci_done(sandbox, pr.head.sha)
    reviewer = sandbox.github(seed.REVIEWER_1_TOKEN).get_repo(seed.REPO).get_pull(pr.number)
    reviewer.create_review(event="APPROVE")
    sandbox.github(seed.DEV_TOKEN).get_repo(seed.REPO).get_commit(pr.head.sha).create_status(
        "success", context="lint", description="fine"
    )
    merged = sandbox.github().get_repo(seed.REPO).get_pull(pr.number).merge(merge_method="merge")
    ci_done(sandbox, merged.sha)
    repo = sandbox.github().get_repo(seed.REPO)
    run = repo.get_workflow(seed.DEPLOY_WORKFLOW).create_dispatch(
        "prod/hotfix/hooks", throw=True, return_run_details=True
    )
    wait_for(lambda: repo.get_workflow_run(run.id).status == "waiting", "run waits for reviewers")
    _review_run(sandbox, run.id, "approved")
    wait_for(lambda: repo.get_workflow_run(run.id).status == "completed", "run completes")
    repo.get_git_ref("heads/fix/hooks").delete()


def _all_delivered(catcher: Catcher, sandbox: SandboxHandle) -> None:
    wait_for(lambda: sandbox.sandbox.deliverer is None or sandbox.sandbox.deliverer.idle(), "deliveries made")


EVENTS = {
    ("push", None),
    ("pull_request", "opened"),
    ("pull_request", "closed"),
    ("pull_request_review", "submitted"),
    ("check_suite", "completed"),
    ("check_run", "created"),
    ("check_run", "completed"),
    ("status", None),
    ("workflow_run", "requested"),
    ("workflow_run", "in_progress"),
    ("workflow_run", "completed"),
    ("deployment_review", "requested"),
    ("deployment_review", "approved"),
    ("deployment_status", "created"),
}


def test_a_hotfix_seen_through_the_apps_webhook_matches_githubs_schemas(make_sandbox: Any) -> None:
    with Catcher() as catcher, make_sandbox(seed.default_seed()) as sandbox:
        _app_hook(sandbox, catcher.url)
        _hotfix_on_github(sandbox)
        _all_delivered(catcher, sandbox)
    seen = {(d.event, d.payload.get("action")) for d in catcher.deliveries}
    assert EVENTS <= seen, f"missing: {sorted(EVENTS - seen, key=str)}"
    problems = [p for d in catcher.deliveries for p in schema_errors(d.event, d.payload)]
    assert not problems, "\n".join(problems[:60])
    for d in catcher.deliveries:
        assert d.headers["user-agent"].startswith("GitHub-Hookshot/")
        assert GUID.match(d.headers["x-github-delivery"])
        assert d.headers["x-github-hook-installation-target-type"] == "integration"
        assert d.headers["x-github-hook-installation-target-id"] == str(seed.APP_ID)
        assert d.headers["content-type"] == "application/json"
        assert verify.valid(SECRET.encode(), d.body, d.headers["x-hub-signature-256"])
        assert d.payload["installation"]["id"] > 0
        assert d.payload["repository"]["full_name"] == seed.REPO
    assert len({d.headers["x-github-delivery"] for d in catcher.deliveries}) == len(catcher.deliveries)
    pushes = {d.payload["ref"]: d.payload for d in catcher.of("push")}
    assert pushes["refs/heads/fix/hooks"]["deleted"] is True
    assert pushes["refs/heads/prod/hotfix/hooks"]["commits"]  # the merge's push lists its commits


def test_a_repository_hook_gets_a_ping_then_the_events_it_chose(make_sandbox: Any) -> None:
    with Catcher() as catcher, make_sandbox(seed.default_seed()) as sandbox:
        _, hook = _admin(sandbox).requestJsonAndCheck(
            "POST",
            f"/repos/{seed.REPO}/hooks",
            input={"name": "web", "events": ["pull_request"], "config": {"url": catcher.url, "secret": "s"}},
        )
        assert hook["config"]["secret"] == "********"
        open_hotfix_pr(sandbox, "one")
        _all_delivered(catcher, sandbox)
        assert [d.event for d in catcher.deliveries] == ["ping", "pull_request"]
        ping, opened = catcher.deliveries
        assert ping.payload["hook_id"] == hook["id"]
        assert opened.headers["x-github-hook-id"] == str(hook["id"])
        assert opened.headers["x-github-hook-installation-target-type"] == "repository"
        # A hook's default content type is form: `payload=` and the JSON, signed as sent.
        assert opened.headers["content-type"] == "application/x-www-form-urlencoded"
        assert opened.body.startswith(b"payload=")
        assert verify.valid(b"s", opened.body, opened.headers["x-hub-signature-256"])
        assert "installation" not in opened.payload
        _admin(sandbox).requestJsonAndCheck(
            "PATCH", f"/repos/{seed.REPO}/hooks/{hook['id']}", input={"active": False}
        )
        open_hotfix_pr(sandbox, "two")
        _all_delivered(catcher, sandbox)
        assert len(catcher.deliveries) == 2  # an inactive hook is told nothing
        _admin(sandbox).requestJsonAndCheck("DELETE", f"/repos/{seed.REPO}/hooks/{hook['id']}")
        with pytest.raises(GithubException) as err:
            _admin(sandbox).requestJsonAndCheck("GET", f"/repos/{seed.REPO}/hooks/{hook['id']}")
        assert err.value.status == 404


def test_hooks_need_admin(make_sandbox: Any) -> None:
    with make_sandbox(seed.default_seed()) as sandbox:
        with pytest.raises(GithubException) as err:
            sandbox.github(seed.DEV_TOKEN).requester.requestJsonAndCheck("GET", f"/repos/{seed.REPO}/hooks")
        assert err.value.status in (403, 404)


def test_deliveries_are_listed_and_redelivered_with_the_same_guid(make_sandbox: Any) -> None:
    with Catcher() as catcher, make_sandbox(seed.default_seed()) as sandbox:
        catcher.status = 500  # the receiver is broken: GitHub does not retry by itself
        hook = _repo_hook(sandbox, catcher.url, ["pull_request"])
        open_hotfix_pr(sandbox, "one")
        _all_delivered(catcher, sandbox)
        base = f"/repos/{seed.REPO}/hooks/{hook['id']}/deliveries"
        _, listed = _admin(sandbox).requestJsonAndCheck("GET", base)
        assert len(listed) == len(catcher.deliveries)
        failed = next(d for d in listed if d["event"] == "pull_request")
        assert failed["status_code"] == 500 and failed["redelivery"] is False
        _, one = _admin(sandbox).requestJsonAndCheck("GET", f"{base}/{failed['id']}")
        assert one["request"]["payload"]["action"] == "opened"
        assert one["request"]["headers"]["X-GitHub-Event"] == "pull_request"
        catcher.status = 200
        before = len(catcher.deliveries)
        _admin(sandbox).requestJsonAndCheck("POST", f"{base}/{failed['id']}/attempts")
        _all_delivered(catcher, sandbox)
        again = catcher.deliveries[before:]
        assert [d.headers["x-github-delivery"] for d in again] == [failed["guid"]]
        _, listed = _admin(sandbox).requestJsonAndCheck("GET", base)
        assert listed[0]["guid"] == failed["guid"] and listed[0]["redelivery"] is True
        assert listed[0]["status_code"] == 200


def test_the_app_sees_its_own_deliveries_and_hook_config(make_sandbox: Any) -> None:
    with Catcher() as catcher, make_sandbox(seed.default_seed()) as sandbox:
        _app_hook(sandbox, catcher.url)
        app = sandbox.github(seed.BOT_TOKEN)  # not the App: its JWT is needed
        with pytest.raises(GithubException) as err:
            app.requester.requestJsonAndCheck("GET", "/app/hook/config")
        assert err.value.status == 401
        jwt_requester = _jwt_github(sandbox).requester
        _, config = jwt_requester.requestJsonAndCheck("GET", "/app/hook/config")
        assert config == {
            "content_type": "json",
            "insecure_ssl": "0",
            "url": catcher.url,
            "secret": "********",
        }
        open_hotfix_pr(sandbox, "one")
        _all_delivered(catcher, sandbox)
        sandbox.control("POST", f"apps/{seed.APP}/hook", {"active": False})  # CI would go on telling
        _all_delivered(catcher, sandbox)
        _, listed = jwt_requester.requestJsonAndCheck("GET", "/app/hook/deliveries")
        assert {d["guid"] for d in listed} == {d.headers["x-github-delivery"] for d in catcher.deliveries}
        assert all(d["installation_id"] for d in listed)


def _jwt_github(sandbox: SandboxHandle) -> Any:
    import github
    from github import Auth

    from sandbox.apps import key_path

    key = key_path(sandbox.sandbox.store.dir, seed.APP).read_text()
    return github.Github(auth=Auth.AppAuth(seed.APP_ID, key), base_url=sandbox.api_url)


def test_a_slow_receiver_never_holds_up_the_api(make_sandbox: Any) -> None:
    with Catcher() as catcher, make_sandbox(seed.default_seed()) as sandbox:
        _app_hook(sandbox, catcher.url)
        catcher.released.clear()  # the receiver takes every delivery and answers nothing
        repo = sandbox.github().get_repo(seed.REPO)
        main = repo.get_branch("main").commit.sha
        repo.create_git_ref("refs/heads/prod/hotfix/slow", main)
        assert catcher.waiting.wait(10), "the push was delivered"
        # The sandbox answers on while its one delivery is still unanswered.
        repo.create_git_ref("refs/heads/prod/hotfix/slow-2", main)
        assert repo.get_branch("prod/hotfix/slow-2").commit.sha == main
        assert catcher.deliveries == []
        catcher.released.set()
        _all_delivered(catcher, sandbox)
        assert [d.payload["ref"] for d in catcher.of("push")] == [
            "refs/heads/prod/hotfix/slow",
            "refs/heads/prod/hotfix/slow-2",
        ]


def test_nobody_listening_builds_no_payload(make_sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from sandbox import webhooks

    built: list[str] = []
    real = webhooks.repository

    def counted(*args: Any, **kwargs: Any) -> Any:
        built.append("x")
        return real(*args, **kwargs)

    monkeypatch.setattr(webhooks, "repository", counted)
    with make_sandbox(seed.default_seed()) as sandbox:
        open_hotfix_pr(sandbox, "quiet")
        time.sleep(0.1)
    assert built == [] and sandbox.sandbox.deliverer is None
