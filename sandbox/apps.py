"""GitHub Apps the sandbox hosts: their keys, installations, JWTs and installation tokens.

A seeded app with `installations` (sandbox.seed's `hotfix-app`) is a real App host's app:
- an RSA key pair; the private half is written to `<state dir>/apps/<slug>.private-key.pem` (the demo
  and the tests give it to the worker), the public half stays in the state to verify the App's JWTs;
- installations on accounts, for all or some of their repositories; `DELETE /app/installations/{id}`
  (or the sandbox's control) uninstalls, and its tokens stop working at once, as on GitHub;
- a JWT (RS256, `iss` = app id, `exp` at most 10 minutes ahead) authenticates as the App itself
  (`/app...` endpoints); `POST /app/installations/{id}/access_tokens` gives a `ghs_` token for
  `installation_token_seconds` (a sandbox setting, GitHub's hour by default), which acts as the app's
  bot `<slug>[bot]` (type Bot) on the installation's repositories. An expired or revoked token is
  answered 401 "Bad credentials", GitHub's words.
"""

from __future__ import annotations

import secrets
import string
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox import errors
from sandbox.state import Record, Store

DEFAULT_TOKEN_SECONDS = 3600.0
# GitHub refuses a JWT whose `exp` is more than 10 minutes ahead; a little leeway for clock drift.
JWT_MAX_AHEAD = 600
CLOCK_LEEWAY = 30
NOT_DECODED = "A JSON web token could not be decoded"
EXPIRED = (
    "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the "
    "assertion expires"
)
TOO_FAR = "'Expiration time' claim ('exp') is too far in the future"
ISSUED_LATER = (
    "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
)
# RSA keys are slow to make (~0.1 s); every sandbox of one process (the test suite) shares one per slug.
_KEYS: dict[str, rsa.RSAPrivateKey] = {}


def key_path(state_dir: Path, slug: str) -> Path:
    """Where the App's private key is written (PEM), for whoever runs the worker as that App."""
    return Path(state_dir) / "apps" / f"{slug}.private-key.pem"


def seed(store: Store, spec: dict[str, Any], app: Record, now: float) -> None:
    """A hosted App from its seed: key pair, installations, and its bot's grants (Administration)."""
    if spec.get("installations") is None:
        return
    slug = app["slug"]
    key = _KEYS.get(slug)
    if key is None:
        key = _KEYS[slug] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = key_path(store.dir, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    app["hosted"] = True
    app["public_key"] = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    bot = store.user(f"{slug}[bot]")
    if bot is not None and app["permissions"].get("administration"):
        bot["grants"] = {**bot.get("grants", {}), "administration": app["permissions"]["administration"]}
    for installation in spec["installations"]:
        install(store, slug, installation["account"], installation.get("repositories"), now)


def install(
    store: Store, slug: str, account: str, repositories: list[str] | None, now: float | None = None
) -> Record:
    """Install the App on `account`: all its repositories (None) or those named (`name`)."""
    now = time.time() if now is None else now
    record: Record = {
        "id": store.new_id(),
        "app": slug,
        "account": account,
        "repositories": None if repositories is None else [f"{account}/{r}".lower() for r in repositories],
        "created_at": now,
        "updated_at": now,
    }
    store.data.setdefault("installations", {})[str(record["id"])] = record
    store.touch()
    return record


def uninstall(store: Store, installation_id: int | str) -> bool:
    """Remove an installation; its tokens are revoked with it. False when there was none."""
    gone = store.data.get("installations", {}).pop(str(installation_id), None)
    if gone is None:
        return False
    tokens: dict[str, Record] = store.data.get("installation_tokens", {})
    for token in [t for t, r in tokens.items() if r["installation"] == gone["id"]]:
        del tokens[token]
    store.touch()
    return True


def installations(store: Store, slug: str) -> list[Record]:
    return [i for i in store.data.get("installations", {}).values() if i["app"] == slug]


def installation_for(store: Store, slug: str, repo: Record) -> Record | None:
    """The App's installation that covers the repository, or None."""
    for installation in installations(store, slug):
        if installation["account"].lower() != repo["owner"].lower():
            continue
        selected = installation["repositories"]
        if selected is None or repo["full_name"].lower() in selected:
            return installation
    return None


def covers(store: Store, app: Record, repo: Record) -> bool:
    """Whether an app's bot may act on the repository: always, for apps the sandbox does not host
    (their bot's token stands for an installation everywhere); else only where it is installed."""
    return not app.get("hosted") or installation_for(store, app["slug"], repo) is not None


def token_seconds(store: Store) -> float:
    return float(store.settings.get("installation_token_seconds", DEFAULT_TOKEN_SECONDS))


def issue_token(store: Store, installation: Record, now: float | None = None) -> tuple[str, float]:
    """A new `ghs_` installation token and when it expires (earlier ones stay valid until theirs)."""
    now = time.time() if now is None else now
    tokens: dict[str, Record] = store.data.setdefault("installation_tokens", {})
    for old in [t for t, r in tokens.items() if r["expires_at"] <= now]:
        del tokens[old]
    alphabet = string.ascii_letters + string.digits
    token = "ghs_" + "".join(secrets.choice(alphabet) for _ in range(36))
    # Whole seconds, as `expires_at` says: the token is refused from exactly the second it names.
    expires = float(int(now + token_seconds(store)))
    tokens[token] = {"installation": installation["id"], "expires_at": expires}
    store.touch()
    return token, expires


def authenticate(store: Store, credential: str, now: float | None = None) -> Record | None:
    """Who a credential the users' tokens do not know is: the bot of a live installation token, or the
    App itself for a valid JWT (a pseudo user with `jwt_app`). None: unknown (Bad credentials).
    A JWT that fails GitHub's checks raises 401 with GitHub's message."""
    now = time.time() if now is None else now
    tokens: dict[str, Record] = store.data.get("installation_tokens", {})
    given = tokens.get(credential)
    if given is not None:
        installation = store.data.get("installations", {}).get(str(given["installation"]))
        if given["expires_at"] <= now or installation is None:
            return None
        return store.user(f"{installation['app']}[bot]")
    if credential.count(".") == 2 and credential.startswith("eyJ"):
        app = _verify_jwt(store, credential, now)
        return {"login": app["slug"], "id": app["id"], "type": "Bot", "jwt_app": app["slug"]}
    return None


def _verify_jwt(store: Store, token: str, now: float) -> Record:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise errors.Unauthorized(NOT_DECODED) from None
    app = next(
        (
            a
            for a in store.data.get("apps", {}).values()
            if a.get("hosted") and str(a["id"]) == str(claims.get("iss"))
        ),
        None,
    )
    if app is None:
        raise errors.Unauthorized(NOT_DECODED)
    try:
        jwt.decode(
            token,
            app["public_key"],
            algorithms=["RS256"],
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_iss": False,
                "require": ["iat", "exp", "iss"],
            },
        )
    except jwt.PyJWTError:
        raise errors.Unauthorized(NOT_DECODED) from None
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(iat, int) or iat > now + CLOCK_LEEWAY:
        raise errors.Unauthorized(ISSUED_LATER)
    if not isinstance(exp, int) or exp <= now:
        raise errors.Unauthorized(EXPIRED)
    if exp > now + JWT_MAX_AHEAD + CLOCK_LEEWAY:
        raise errors.Unauthorized(TOO_FAR)
    return app


def control(store: Store, method: str, what: str, body: Any) -> tuple[int, Any]:
    """The test-only controls under /_sandbox/apps/ (README: Test-only controls): install an App as
    a person would in GitHub's UI, uninstall it, list its installations."""
    parts = what.strip("/").split("/")
    if method == "DELETE" and len(parts) == 2 and parts[0] == "installations":
        return (204, None) if uninstall(store, parts[1]) else (404, {"message": "Not Found"})
    if len(parts) == 2 and parts[1] == "installations" and parts[0] in store.data.get("apps", {}):
        if method == "POST" and isinstance(body, dict) and body.get("account"):
            return 201, install(store, parts[0], str(body["account"]), body.get("repositories"))
        if method == "GET":
            return 200, installations(store, parts[0])
    return 404, {"message": "Not Found"}
