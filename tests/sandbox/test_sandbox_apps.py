"""The sandbox as a GitHub App host: the App's JWT checked as GitHub checks it, installations,
installation tokens that expire and are revoked, and requests made with them acting as the App's bot.
Every answer is checked against GitHub's OpenAPI description (the `sandbox` / `make_sandbox` fixtures)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox import apps, seed
from tests.sandbox.conftest import MakeSandbox


def app_key(sandbox: Any) -> str:
    return apps.key_path(sandbox.sandbox.store.dir, seed.APP).read_text()


def app_jwt(key: str, *, iat: float | None = None, exp: float | None = None, iss: Any = seed.APP_ID) -> str:
    now = int(time.time())
    claims = {
        "iat": int(iat if iat is not None else now - 60),
        "exp": int(exp if exp is not None else now + 300),
        "iss": str(iss),
    }
    return jwt.encode(claims, key, algorithm="RS256")


def call(sandbox: Any, method: str, path: str, credential: str, body: Any = None) -> httpx.Response:
    return httpx.request(
        method,
        f"{sandbox.api_url}{path}",
        headers={"Authorization": f"Bearer {credential}", "Accept": "application/vnd.github+json"},
        json=body,
        timeout=10,
    )


def installation_id(sandbox: Any) -> int:
    reply = call(sandbox, "GET", f"/repos/{seed.REPO}/installation", app_jwt(app_key(sandbox)))
    assert reply.status_code == 200, reply.text
    return int(reply.json()["id"])


def new_token(sandbox: Any) -> dict[str, Any]:
    reply = call(
        sandbox,
        "POST",
        f"/app/installations/{installation_id(sandbox)}/access_tokens",
        app_jwt(app_key(sandbox)),
        {},
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_the_private_key_is_in_the_state_dir_for_whoever_runs_the_app(sandbox: Any) -> None:
    path = apps.key_path(sandbox.sandbox.store.dir, seed.APP)
    assert path.read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert path.stat().st_mode & 0o077 == 0


def test_the_app_with_its_jwt_sees_itself_and_its_installation(sandbox: Any) -> None:
    token = app_jwt(app_key(sandbox))
    me = call(sandbox, "GET", "/app", token).json()
    assert me["slug"] == seed.APP and me["id"] == seed.APP_ID and "pull_requests" in me["permissions"]
    installation = call(sandbox, "GET", f"/repos/{seed.REPO}/installation", token).json()
    assert installation["app_id"] == seed.APP_ID and installation["account"]["login"] == seed.OWNER
    again = call(sandbox, "GET", f"/app/installations/{installation['id']}", token).json()
    assert again["id"] == installation["id"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda key: "not-a-jwt", "Bad credentials"),
        (lambda key: "eyJhbGciOiJSUzI1NiJ9.bm9wZQ.bm9wZQ", apps.NOT_DECODED),
        (lambda key: app_jwt(other_key()), apps.NOT_DECODED),
        (lambda key: app_jwt(key, iss=999), apps.NOT_DECODED),
        (lambda key: app_jwt(key, iat=time.time() - 700, exp=time.time() - 60), apps.EXPIRED),
        (lambda key: app_jwt(key, exp=time.time() + 3600), apps.TOO_FAR),
        (lambda key: app_jwt(key, iat=time.time() + 600, exp=time.time() + 590), apps.ISSUED_LATER),
        (lambda key: seed.BOT_TOKEN, apps.NOT_DECODED),
    ],
    ids=[
        "garbage",
        "undecodable",
        "other-key",
        "unknown-app",
        "expired",
        "too-far",
        "issued-later",
        "a-user-token",
    ],
)
def test_get_app_refuses_what_github_refuses_with_its_words(sandbox: Any, make: Any, message: str) -> None:
    reply = call(sandbox, "GET", "/app", make(app_key(sandbox)))
    assert reply.status_code == 401
    assert reply.json()["message"] == message


_OTHER: list[str] = []


def other_key() -> str:
    if not _OTHER:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _OTHER.append(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
        )
    return _OTHER[0]


def test_an_installation_token_acts_as_the_apps_bot(sandbox: Any) -> None:
    given = new_token(sandbox)
    assert given["token"].startswith("ghs_") and given["repository_selection"] == "selected"
    assert [r["full_name"] for r in given["repositories"]] == [seed.REPO]
    branches = call(sandbox, "GET", f"/repos/{seed.REPO}/branches", given["token"])
    assert branches.status_code == 200
    ref = call(
        sandbox,
        "POST",
        f"/repos/{seed.REPO}/git/refs",
        given["token"],
        {"ref": "refs/heads/app-made", "sha": branches.json()[0]["commit"]["sha"]},
    )
    assert ref.status_code == 201
    log = [r for r in sandbox.requests() if r["path"].startswith(f"/repos/{seed.REPO}/")]
    assert {r["user"] for r in log if r["path"] != f"/repos/{seed.REPO}/installation"} == {seed.APP_BOT}
    user = call(sandbox, "GET", f"/users/{seed.APP_BOT}", given["token"]).json()
    assert user["type"] == "Bot"


def test_an_expired_token_is_bad_credentials(sandbox: Any) -> None:
    sandbox.set_settings(installation_token_seconds=1)
    given = new_token(sandbox)
    assert call(sandbox, "GET", f"/repos/{seed.REPO}", given["token"]).status_code in (200, 401)
    time.sleep(1.1)
    reply = call(sandbox, "GET", f"/repos/{seed.REPO}", given["token"])
    assert reply.status_code == 401 and reply.json()["message"] == "Bad credentials"


def test_uninstalling_revokes_the_tokens_and_the_installation(sandbox: Any) -> None:
    given = new_token(sandbox)
    token = app_jwt(app_key(sandbox))
    gone = call(sandbox, "DELETE", f"/app/installations/{installation_id(sandbox)}", token)
    assert gone.status_code == 204
    assert call(sandbox, "GET", f"/repos/{seed.REPO}", given["token"]).status_code == 401
    assert call(sandbox, "GET", f"/repos/{seed.REPO}/installation", token).status_code == 404


def test_the_bot_sees_only_repositories_the_app_is_installed_on(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    spec = seed.default_seed()
    spec["repos"].append(
        {
            "owner": seed.OWNER,
            "name": "elsewhere",
            "branches": [
                {"name": "main", "commits": [{"message": "init", "author": seed.DEV, "files": {"a": "1\n"}}]}
            ],
        }
    )
    with make_sandbox(spec) as sandbox:
        given = new_token(sandbox)
        assert call(sandbox, "GET", f"/repos/{seed.REPO}", given["token"]).status_code == 200
        assert call(sandbox, "GET", f"/repos/{seed.OWNER}/elsewhere", given["token"]).status_code == 404
        token = app_jwt(app_key(sandbox))
        assert call(sandbox, "GET", f"/repos/{seed.OWNER}/elsewhere/installation", token).status_code == 404
