"""Injected faults, each observed through PyGithub, and the request log."""

from __future__ import annotations

import time

import pytest
import requests
from github import GithubException, GithubRetry, RateLimitExceededException

from sandbox import seed
from sandbox.testing import SandboxHandle

REPO_PATH = "/repos/acme/gaia-gateway"


@pytest.mark.parametrize("status", [500, 502])
def test_server_errors(sandbox: SandboxHandle, status: int) -> None:
    sandbox.add_fault("GET", REPO_PATH, status=status, body={"message": "Server Error"})
    gh = sandbox.github()
    with pytest.raises(GithubException) as err:
        gh.get_repo(seed.REPO)
    assert err.value.status == status
    assert gh.get_repo(seed.REPO).full_name == seed.REPO  # count=1: the next call is served


def test_server_error_is_retried_by_githubretry(sandbox: SandboxHandle) -> None:
    sandbox.add_fault("GET", REPO_PATH, status=502, count=2)
    gh = sandbox.github(retry=GithubRetry(total=3, backoff_factor=0.01))
    assert gh.get_repo(seed.REPO).full_name == seed.REPO
    statuses = [r["status"] for r in sandbox.requests() if r["path"] == REPO_PATH]
    assert statuses == [502, 502, 200]


def test_secondary_rate_limit_with_retry_after(sandbox: SandboxHandle) -> None:
    sandbox.add_fault(
        "GET",
        REPO_PATH,
        status=403,
        headers={"Retry-After": "1"},
        body={
            "message": "You have exceeded a secondary rate limit. "
            "Please wait a few minutes before you try again."
        },
    )
    with pytest.raises(RateLimitExceededException) as err:
        sandbox.github().get_repo(seed.REPO)
    assert err.value.status == 403
    assert err.value.headers is not None and err.value.headers.get("retry-after") == "1"


@pytest.mark.parametrize("status", [403, 429])
def test_primary_rate_limit(sandbox: SandboxHandle, status: int) -> None:
    reset = int(time.time()) + 30
    sandbox.add_fault(
        "GET",
        REPO_PATH,
        status=status,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "5000", "X-RateLimit-Reset": str(reset)},
        body={"message": "API rate limit exceeded for user ID 1."},
    )
    with pytest.raises(GithubException) as err:
        sandbox.github().get_repo(seed.REPO)
    assert err.value.status == status
    # PyGithub types only a 403 as RateLimitExceededException; a 429 stays a GithubException.
    assert isinstance(err.value, RateLimitExceededException) == (status == 403)
    assert err.value.headers is not None
    assert err.value.headers.get("x-ratelimit-remaining") == "0"
    assert err.value.headers.get("x-ratelimit-reset") == str(reset)


def test_delay_then_normal_answer(sandbox: SandboxHandle) -> None:
    sandbox.add_fault("GET", REPO_PATH, delay=1.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        sandbox.github(timeout=1).get_repo(seed.REPO)  # PyGithub takes whole seconds only
    sandbox.add_fault("GET", REPO_PATH, delay=0.05)
    assert sandbox.github().get_repo(seed.REPO).full_name == seed.REPO
    delayed = [r for r in sandbox.requests() if r.get("fault")]
    assert len(delayed) == 2


def test_dropped_connection(sandbox: SandboxHandle) -> None:
    sandbox.add_fault("POST", REPO_PATH + "/git/refs", drop=True)
    repo = sandbox.github().get_repo(seed.REPO)
    sha = repo.get_branch("main").commit.sha
    with pytest.raises(requests.exceptions.ConnectionError):
        repo.create_git_ref("refs/heads/dropped", sha)
    # The dropped request never reached the handler: the ref does not exist, a retry creates it.
    assert repo.create_git_ref("refs/heads/dropped", sha).ref == "refs/heads/dropped"


@pytest.mark.parametrize("lost", [{"drop": True}, {"status": 502}])
def test_a_write_applied_whose_answer_is_lost(sandbox: SandboxHandle, lost: dict[str, object]) -> None:
    sandbox.add_fault("POST", REPO_PATH + "/git/refs", applied=True, **lost)  # type: ignore[arg-type]
    repo = sandbox.github().get_repo(seed.REPO)
    sha = repo.get_branch("main").commit.sha
    with pytest.raises((requests.exceptions.ConnectionError, GithubException)):
        repo.create_git_ref("refs/heads/applied", sha)
    # GitHub made the ref: a blind retry is told it exists.
    assert repo.get_branch("applied").commit.sha == sha
    with pytest.raises(GithubException) as err:
        repo.create_git_ref("refs/heads/applied", sha)
    assert err.value.status == 422
    logged = [r for r in sandbox.requests() if r["method"] == "POST" and r.get("fault")]
    assert logged[0]["applied_status"] == 201


def test_a_delayed_write_is_applied_as_sent_after_the_client_gave_up(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    sha = repo.get_branch("main").commit.sha
    sandbox.add_fault("POST", REPO_PATH + "/git/refs", delay=1.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        sandbox.github(timeout=1).get_repo(seed.REPO).create_git_ref("refs/heads/late", sha)
    # The body was read before the delay: the ref is made with what the client sent.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if "late" in {b.name for b in repo.get_branches()}:
            break
        time.sleep(0.05)
    assert repo.get_branch("late").commit.sha == sha


def test_fault_path_is_a_regex_and_method_must_match(sandbox: SandboxHandle) -> None:
    sandbox.add_fault("POST", REPO_PATH + r"/git/refs", status=500)
    repo = sandbox.github().get_repo(seed.REPO)  # a GET: not matched
    sandbox.add_fault("GET", r"/repos/[^/]+/[^/]+/branches/.*", status=502, count=2)
    with pytest.raises(GithubException):
        repo.get_branch("main")
    with pytest.raises(GithubException):
        repo.get_branch("prod/hotfix/none")
    assert repo.get_branch("main").name == "main"
    sandbox.clear_faults()
    assert repo.create_git_ref("refs/heads/after-clear", repo.get_branch("main").commit.sha)


def test_request_log_records_every_api_call(sandbox: SandboxHandle) -> None:
    sandbox.clear_requests()
    dev = sandbox.github(seed.DEV_TOKEN)
    dev.get_repo(seed.REPO).get_branches().totalCount  # noqa: B018
    with pytest.raises(GithubException):
        sandbox.github("bad").get_repo(seed.REPO)
    log = sandbox.requests()
    assert [(r["method"], r["path"], r["status"], r["user"]) for r in log] == [
        ("GET", REPO_PATH, 200, seed.DEV),
        ("GET", REPO_PATH + "/branches", 200, seed.DEV),
        ("GET", REPO_PATH, 401, None),
    ]
    assert "per_page=1" in log[1]["query"]
    assert all(isinstance(r["timestamp"], float) for r in log)
    sandbox.clear_requests()
    assert sandbox.requests() == []


def test_rate_limit_headers_on_every_response(sandbox: SandboxHandle) -> None:
    gh = sandbox.github()
    gh.get_repo(seed.REPO)
    remaining, limit = gh.rate_limiting
    assert limit == 5000 and remaining < 5000
    assert gh.get_rate_limit().resources.core.limit == 5000
