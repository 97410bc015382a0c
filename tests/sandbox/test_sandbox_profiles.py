"""Profiles: the sandbox is github.com, GHES 3.19 or GHES 3.21, and behaves as that product does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from github import GithubException

from sandbox import seed
from sandbox.__main__ import main
from sandbox.testing import SandboxHandle
from tests.sandbox.conftest import MakeSandbox

DISPATCH = f"/repos/{seed.REPO}/actions/workflows/deploy.yml/dispatches"


def _get(sb: SandboxHandle, path: str, **headers: str) -> httpx.Response:
    auth = {"Authorization": f"token {seed.BOT_TOKEN}"}
    return httpx.get(f"{sb.api_url}{path}", headers={**auth, **headers}, timeout=10)


def _dispatch(sb: SandboxHandle, body: dict[str, Any]) -> Any:
    gh = sb.github()
    return gh.requester.requestJsonAndCheck("POST", DISPATCH, input=body)


def _runs(sb: SandboxHandle) -> int:
    return int(sb.github().get_repo(seed.REPO).get_workflow_runs().totalCount)


def test_github_com_serves_the_api_at_the_root_with_rate_limits(sandbox: SandboxHandle) -> None:
    assert sandbox.profile == "github.com" and sandbox.api_url == sandbox.url
    answer = _get(sandbox, f"/repos/{seed.REPO}")
    assert answer.status_code == 200 and answer.json()["url"] == f"{sandbox.url}/repos/{seed.REPO}"
    assert answer.headers["X-RateLimit-Limit"] == "5000"
    assert httpx.get(f"{sandbox.url}/api/v3/repos/{seed.REPO}", timeout=10).status_code == 404
    meta = _get(sandbox, "/meta").json()
    assert "installed_version" not in meta
    assert _get(sandbox, "/rate_limit").json()["resources"]["core"]["limit"] == 5000


def test_github_com_dispatch_returns_the_run(sandbox: SandboxHandle) -> None:
    _, data = _dispatch(sandbox, {"ref": "main", "inputs": {}, "return_run_details": True})
    assert data["workflow_run_id"] and data["html_url"].endswith(f"/actions/runs/{data['workflow_run_id']}")


def test_ghes_3_19_lives_under_api_v3_without_rate_limits(make_sandbox: MakeSandbox) -> None:
    with make_sandbox(seed.default_seed(), profile="ghes-3.19") as sb:
        assert sb.api_url == f"{sb.url}/api/v3"
        answer = _get(sb, f"/repos/{seed.REPO}")
        assert answer.status_code == 200 and answer.json()["url"] == f"{sb.url}/api/v3/repos/{seed.REPO}"
        assert not [h for h in answer.headers if h.lower().startswith("x-ratelimit")]
        assert httpx.get(f"{sb.url}/repos/{seed.REPO}", timeout=10).status_code == 404
        assert _get(sb, "/meta").json()["installed_version"] == "3.19.0"
        limit = _get(sb, "/rate_limit")
        assert limit.status_code == 404 and limit.json()["message"] == "Rate limiting is not enabled."
        assert "enterprise-server@3.19" in limit.json()["documentation_url"]


def test_ghes_3_19_refuses_return_run_details_as_an_unknown_key_and_makes_no_run(
    make_sandbox: MakeSandbox,
) -> None:
    with make_sandbox(seed.default_seed(), profile="ghes-3.19") as sb:
        before = _runs(sb)
        for value in (True, False):  # the key is unknown, whatever its value
            with pytest.raises(GithubException) as err:
                _dispatch(sb, {"ref": "main", "inputs": {}, "return_run_details": value})
            assert err.value.status == 422
            assert (
                err.value.data["message"]
                == 'Invalid request.\n\n"return_run_details" is not a permitted key.'
            )
        assert _runs(sb) == before
        status, _, _ = sb.github().requester.requestJson(
            "POST", DISPATCH, input={"ref": "main", "inputs": {}}
        )
        assert status == 204 and _runs(sb) == before + 1


def test_ghes_3_21_knows_return_run_details(make_sandbox: MakeSandbox) -> None:
    with make_sandbox(seed.default_seed(), profile="ghes-3.21") as sb:
        assert _get(sb, "/meta").json()["installed_version"] == "3.21.0"
        _, data = _dispatch(sb, {"ref": "main", "inputs": {}, "return_run_details": True})
        assert data["workflow_run_id"]


def test_api_versions_are_those_of_the_product(sandbox: SandboxHandle, make_sandbox: MakeSandbox) -> None:
    newer = _get(sandbox, "/user", **{"X-GitHub-Api-Version": "2026-03-10"})
    assert newer.status_code == 200 and newer.headers["X-GitHub-Api-Version-Selected"] == "2026-03-10"
    assert _get(sandbox, "/user").headers["X-GitHub-Api-Version-Selected"] == "2022-11-28"
    bogus = _get(sandbox, "/user", **{"X-GitHub-Api-Version": "2021-01-01"})
    assert bogus.status_code == 400 and "X-GitHub-Api-Version" in bogus.json()["message"]
    with make_sandbox(seed.default_seed(), profile="ghes-3.19") as sb:
        old = _get(sb, "/user", **{"X-GitHub-Api-Version": "2026-03-10"})
        assert old.status_code == 400 and "2022-11-28" in old.json()["message"]


def test_the_profile_can_be_switched_on_a_running_sandbox(sandbox: SandboxHandle) -> None:
    sandbox.set_settings(profile="ghes-3.19")
    assert sandbox.api_url.endswith("/api/v3")
    assert _get(sandbox, "/meta").json()["installed_version"] == "3.19.0"
    with pytest.raises(GithubException):
        _dispatch(sandbox, {"ref": "main", "return_run_details": True})
    refused = httpx.post(f"{sandbox.url}/_sandbox/settings", json={"profile": "ghes-2.0"}, timeout=10)
    assert refused.status_code == 400 and "github.com" in refused.json()["message"]
    sandbox.set_settings(profile="github.com")
    assert sandbox.api_url == sandbox.url


def test_the_cli_offers_the_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--profile", "ghes-2.0"])
    assert "ghes-3.19" in capsys.readouterr().err
