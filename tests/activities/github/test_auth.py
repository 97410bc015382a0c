"""The worker as a GitHub App: exactly one way of credentials, PyGithub's renewing installation auth
shared by every GitHub thread, and GitHub refusing the App named with its fix."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr, ValidationError
from temporalio.exceptions import ApplicationError

from activities.github import errors
from activities.github.auth import AppCredentials, credentials
from activities.github.client import GitHubClient
from activities.github.rest import RepoApi
from hotfix.settings import WorkerSettings
from sandbox import apps, seed

REPO = seed.REPO


def settings(**fields: Any) -> WorkerSettings:
    # Not from the environment or a .env: only what the test gives.
    return WorkerSettings.model_validate(fields)


def key_of(sandbox: Any) -> Path:
    return apps.key_path(sandbox.sandbox.store.dir, seed.APP)


def app_settings(sandbox: Any, **fields: Any) -> WorkerSettings:
    return settings(
        github_url=sandbox.api_url,
        github_app_id=str(seed.APP_ID),
        github_app_private_key_file=key_of(sandbox),
        github_write_interval=0.0,
        **fields,
    )


def app_client(sandbox: Any, **fields: Any) -> GitHubClient:
    return GitHubClient.from_settings(app_settings(sandbox, **fields))


# ---- exactly one way ---------------------------------------------------------------------------


def rsa_pem(tmp_path: Path) -> Path:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "app.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return path


def problem(**fields: Any) -> str:
    with pytest.raises(ValueError) as caught:
        credentials(settings(**fields))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_token_alone_is_the_token() -> None:
    assert credentials(settings(github_token=SecretStr("t0k"))) == "t0k"


def test_an_app_id_and_key_file_are_the_app(tmp_path: Path) -> None:
    pem = rsa_pem(tmp_path)
    given = credentials(settings(github_app_id="42", github_app_private_key_file=pem))
    assert isinstance(given, AppCredentials) and given.app_id == 42 and given.installation_id is None
    assert "BEGIN RSA PRIVATE KEY" not in repr(given)


def test_a_key_pasted_into_one_line_of_a_dotenv_is_read(tmp_path: Path) -> None:
    one_line = rsa_pem(tmp_path).read_text().strip().replace("\n", "\\n")
    given = credentials(
        settings(github_app_id="42", github_app_private_key=SecretStr(one_line), github_app_installation_id=7)
    )
    assert isinstance(given, AppCredentials) and given.installation_id == 7


def test_no_credentials_names_both_ways() -> None:
    message = problem()
    assert message.startswith("no GitHub credentials")
    assert "HOTFIX_GITHUB_TOKEN" in message and "HOTFIX_GITHUB_APP_ID" in message


def test_a_token_and_an_app_are_refused(tmp_path: Path) -> None:
    message = problem(
        github_token=SecretStr("t0k"), github_app_id="42", github_app_private_key_file=rsa_pem(tmp_path)
    )
    assert message.startswith("both HOTFIX_GITHUB_TOKEN and a GitHub App")
    assert "t0k" not in message


def test_a_key_without_an_app_id_is_refused(tmp_path: Path) -> None:
    assert "without HOTFIX_GITHUB_APP_ID" in problem(github_app_private_key_file=rsa_pem(tmp_path))


def test_an_app_id_without_a_key_is_refused() -> None:
    assert "private key is not" in problem(github_app_id="42")


def test_an_unreadable_key_file_is_refused(tmp_path: Path) -> None:
    message = problem(github_app_id="42", github_app_private_key_file=tmp_path / "missing.pem")
    where = f"HOTFIX_GITHUB_APP_PRIVATE_KEY_FILE ({tmp_path / 'missing.pem'})"
    assert message == f"{where} cannot be read: No such file or directory"


def test_a_malformed_key_is_refused_without_echoing_it() -> None:
    message = problem(
        github_app_id="42", github_app_private_key=SecretStr("-----BEGIN RSA PRIVATE KEY-----\nnope")
    )
    assert message.startswith("HOTFIX_GITHUB_APP_PRIVATE_KEY is not an unencrypted PEM private key")
    assert "nope" not in message


def test_a_key_that_is_not_rsa_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    assert "is not an RSA key" in problem(github_app_id="42", github_app_private_key_file=path)


def test_an_app_id_that_is_not_a_number_is_a_settings_error() -> None:
    with pytest.raises(ValidationError) as caught:
        settings(github_app_id="hotfix-app")
    assert "HOTFIX_GITHUB_APP_ID must be the App's numeric id" in str(caught.value)


# ---- against the sandbox as App host ------------------------------------------------------------


def token_requests(sandbox: Any) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["path"].endswith("/access_tokens")]


def test_the_app_finds_its_installation_once_and_acts_as_its_bot(sandbox: Any) -> None:
    client = app_client(sandbox)
    api = RepoApi(client, REPO)
    assert api.json("GET", "", what="get repository")["full_name"] == REPO
    api.json("GET", "/branches", what="list branches")
    assert client.login() == seed.APP_BOT
    log = sandbox.requests()
    lookups = [r for r in log if r["path"] == f"/repos/{REPO}/installation"]
    assert len(lookups) == 1 and lookups[0]["user"] == seed.APP
    assert len(token_requests(sandbox)) == 1
    assert {r["user"] for r in log if r["path"].startswith(f"/repos/{REPO}") and r not in lookups} == {
        seed.APP_BOT
    }
    client.close()


def test_tokens_renew_before_they_expire_and_no_call_fails(sandbox: Any) -> None:
    # PyGithub renews 20 s before `expires_at`: a 21 s token is renewed after about a second.
    sandbox.set_settings(installation_token_seconds=21)
    client = app_client(sandbox)
    api = RepoApi(client, REPO)
    statuses = []
    for _ in range(4):
        statuses.append(api.call("GET", "/branches", what="list branches").status)
        time.sleep(1.2)
    assert statuses == [200] * 4
    assert len(token_requests(sandbox)) >= 3
    assert client.app is not None and client.app.renewals() >= 3
    assert not [r for r in sandbox.requests() if r["status"] == 401]
    client.close()


def test_threads_that_need_a_token_at_once_ask_for_one(sandbox: Any) -> None:
    # Every GitHub thread has its own Requester copy, all sharing the one installation auth: without
    # the lock around its renewal, each thread asked for a token (and they crossed on one Requester).
    client = app_client(sandbox)
    client.app.github_for(REPO) if client.app else None  # the installation is known; no token yet
    start = threading.Barrier(12)
    failures: list[BaseException] = []

    def call() -> None:
        start.wait()
        try:
            RepoApi(client, REPO).json("GET", "/branches", what="list branches")
        except BaseException as err:
            failures.append(err)

    threads = [threading.Thread(target=call) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not failures
    assert len(token_requests(sandbox)) == 1
    client.close()


def test_an_uninstalled_app_is_refused_with_the_fix_and_found_again_once_reinstalled(sandbox: Any) -> None:
    client = app_client(sandbox)
    api = RepoApi(client, REPO)
    api.json("GET", "/branches", what="list branches")
    (installation,) = sandbox.control("GET", f"apps/{seed.APP}/installations")
    sandbox.control("DELETE", f"apps/installations/{installation['id']}")

    with pytest.raises(ApplicationError) as caught:
        api.json("GET", "/branches", what="list branches")
    refused = caught.value
    assert refused.type == errors.AUTH and refused.non_retryable
    assert "Bad credentials" in refused.message and f"Install the App on {REPO}" in refused.message
    # Still not installed: the next try looks the installation up and says it is missing.
    with pytest.raises(ApplicationError) as caught:
        api.json("GET", "/branches", what="list branches")
    assert f"is not installed on {REPO}" in caught.value.message

    sandbox.control(
        "POST", f"apps/{seed.APP}/installations", {"account": "acme", "repositories": ["gaia-gateway"]}
    )
    assert api.call("GET", "/branches", what="list branches").status == 200
    issued = {r for r in sandbox.sandbox.store.data.get("installation_tokens", {})}
    for message in (refused.message, caught.value.message):
        assert not any(token in message for token in issued) and "ghs_" not in message
    client.close()


def test_a_configured_installation_that_is_gone_says_which_setting_to_change(sandbox: Any) -> None:
    client = app_client(sandbox, github_app_installation_id=999999)
    with pytest.raises(ApplicationError) as caught:
        RepoApi(client, REPO).json("GET", "/branches", what="list branches")
    assert caught.value.type == errors.AUTH
    assert "installation 999999" in caught.value.message
    assert "HOTFIX_GITHUB_APP_INSTALLATION_ID" in caught.value.message
    client.close()


def test_a_key_that_is_not_the_apps_is_refused_as_the_apps_jwt(sandbox: Any, tmp_path: Path) -> None:
    client = GitHubClient.from_settings(
        settings(
            github_url=sandbox.api_url,
            github_app_id=str(seed.APP_ID),
            github_app_private_key_file=rsa_pem(tmp_path),
        )
    )
    with pytest.raises(ApplicationError) as caught:
        RepoApi(client, REPO).json("GET", "/branches", what="list branches")
    assert caught.value.type == errors.AUTH
    assert "A JSON web token could not be decoded" in caught.value.message
    assert "HOTFIX_GITHUB_APP_ID and HOTFIX_GITHUB_APP_PRIVATE_KEY" in caught.value.message
    client.close()
