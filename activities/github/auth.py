"""The worker's GitHub credentials: a token, or a GitHub App through PyGithub's own App auth.

`credentials(settings)` checks that exactly one way is configured and reads the App's private key;
anything else is one line for a human (worker.py prints it and exits 2).

For an App, PyGithub does the work: `Auth.AppAuth(app_id, key)` signs the App's JWT and
`get_installation_auth(installation_id)` renews the installation token shortly before its
`expires_at` (GitHub's tokens live an hour). What is ours:
- which installation serves a repository: HOTFIX_GITHUB_APP_INSTALLATION_ID, else
  `GET /repos/{owner}/{repo}/installation` once per repository, kept until GitHub refuses it
  (the App uninstalled and installed again has a new installation id);
- a lock around the renewal: every GitHub thread has its own copy of the Requester (client.py),
  but they all share the one installation auth, which asks for new tokens through a single
  `GithubIntegration` Requester of its own; two threads renewing at once would cross their
  requests on it (bench/RESULTS.md, the crossed-requests bug).
The key and every token are secrets: registered with errors.scrub, never logged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, Github, GithubIntegration
from github.GithubException import GithubException

from activities.github import errors
from activities.github.errors import AppRefused, InstallationTokenRefused
from activities.log import logger
from hotfix.settings import WorkerSettings

APP_ID = "HOTFIX_GITHUB_APP_ID"
APP_KEY = "HOTFIX_GITHUB_APP_PRIVATE_KEY"
APP_KEY_FILE = "HOTFIX_GITHUB_APP_PRIVATE_KEY_FILE"
APP_INSTALLATION = "HOTFIX_GITHUB_APP_INSTALLATION_ID"
HOW = (
    f"set either {errors.TOKEN_SETTING} (a machine user's token) or a GitHub App's {APP_ID} with "
    f"{APP_KEY} or {APP_KEY_FILE}; see README, 'Running as a GitHub App'"
)


@dataclass(frozen=True)
class AppCredentials:
    app_id: int
    private_key: str = field(repr=False)
    installation_id: int | None = None


def credentials(settings: WorkerSettings) -> str | AppCredentials:
    """The token, or the App's credentials. ValueError with one line when not exactly one way is set,
    or the key cannot be read or is not an RSA private key in PEM."""
    token = settings.github_token.get_secret_value().strip() if settings.github_token else ""
    secret = settings.github_app_private_key
    key = secret.get_secret_value().strip() if secret else ""
    path = settings.github_app_private_key_file
    app_given = [
        name
        for name, value in (
            (APP_ID, settings.github_app_id),
            (APP_KEY, key),
            (APP_KEY_FILE, path),
            (APP_INSTALLATION, settings.github_app_installation_id),
        )
        if value
    ]
    if token and app_given:
        raise ValueError(
            f"both {errors.TOKEN_SETTING} and a GitHub App ({', '.join(app_given)}) are set: the worker "
            "takes exactly one way of credentials; unset one"
        )
    if token:
        return token
    if not app_given:
        raise ValueError(f"no GitHub credentials: {HOW}")
    if not settings.github_app_id:
        raise ValueError(f"{', '.join(app_given)} set without {APP_ID}: {HOW}")
    if key and path:
        raise ValueError(f"both {APP_KEY} and {APP_KEY_FILE} are set: give the App's private key one way")
    if not key and not path:
        raise ValueError(f"{APP_ID} is set but the App's private key is not: set {APP_KEY} or {APP_KEY_FILE}")
    where = APP_KEY
    if path is not None:
        where = f"{APP_KEY_FILE} ({path})"
        try:
            key = path.read_text().strip()
        except (OSError, UnicodeDecodeError) as err:
            reason = getattr(err, "strerror", None) or type(err).__name__
            raise ValueError(f"{where} cannot be read: {reason}") from None
    elif "\\n" in key and "\n" not in key:
        key = key.replace("\\n", "\n")  # a PEM pasted into one line of a .env
    _check_pem(key, where)
    errors.register_secret(key)
    return AppCredentials(int(settings.github_app_id), key, settings.github_app_installation_id)


def _check_pem(key: str, where: str) -> None:
    try:
        loaded = serialization.load_pem_private_key(key.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError(
            f"{where} is not an unencrypted PEM private key (the .pem file GitHub generates for the App, "
            "'-----BEGIN RSA PRIVATE KEY-----')"
        ) from None
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError(f"{where} is not an RSA key: GitHub Apps sign their JWT with RS256")


class LockedInstallationAuth(Auth.AppInstallationAuth):
    """PyGithub's installation auth, renewing one thread at a time (see the module's docstring)."""

    def __init__(self, app_auth: Auth.AppAuth, installation_id: int, *, configured: bool) -> None:
        super().__init__(app_auth, installation_id)
        self._renewal = threading.Lock()
        self._configured = configured
        self.renewals = 0

    @property
    def token(self) -> str:
        with self._renewal:
            before = self._AppInstallationAuth__installation_authorization  # type: ignore[attr-defined]
            try:
                token: str = Auth.AppInstallationAuth.token.fget(self)  # type: ignore[attr-defined]
            except GithubException as err:
                raise InstallationTokenRefused(
                    err, int(self.app_id), self.installation_id, configured=self._configured
                ) from None
            after = self._AppInstallationAuth__installation_authorization  # type: ignore[attr-defined]
            if after is not before:
                self.renewals += 1
                errors.register_secret(token)
                logger("activities.github").info(
                    "installation token renewed",
                    installation_id=self.installation_id,
                    expires_at=after.expires_at.isoformat() if after.expires_at else None,
                )
        return token


class AppInstallations:
    """Which installation of the App serves a repository, and a Github client over its token.

    `make_github(auth)` builds a Github like the worker's token one (same retry, timeout, pool).
    """

    def __init__(
        self, app: AppCredentials, make_github: Callable[[Auth.Auth], Github], **integration: Any
    ) -> None:
        self.app = app
        self.app_auth = Auth.AppAuth(app.app_id, app.private_key)
        self._make_github = make_github
        self._integration = GithubIntegration(auth=self.app_auth, **integration)
        self._by_repo: dict[str, int] = {}
        self._githubs: dict[int, Github] = {}
        self._login: str | None = None
        # Lookups are rare; one at a time, since the integration has a single Requester.
        self._lock = threading.Lock()

    def github_for(self, repository: str) -> Github:
        with self._lock:
            installation = self.app.installation_id or self._by_repo.get(repository.lower())
            if installation is None:
                installation = self._look_up(repository)
                self._by_repo[repository.lower()] = installation
            github = self._githubs.get(installation)
            if github is None:
                auth = LockedInstallationAuth(
                    self.app_auth, installation, configured=self.app.installation_id is not None
                )
                github = self._githubs[installation] = self._make_github(auth)
            return github

    def _look_up(self, repository: str) -> int:
        owner, _, name = repository.partition("/")
        missing = (
            f"the GitHub App {self.app.app_id} is not installed on {repository}: install it there (the App's "
            "page, 'Install App', with access to this repository), then recheck"
        )
        with errors.github_call(
            repository, "find the GitHub App's installation", missing=missing, app_id=self.app.app_id
        ):
            try:
                found = self._integration.get_repo_installation(owner, name)
            except GithubException as err:
                if err.status == 401:
                    raise AppRefused(err, self.app.app_id) from None
                raise
            installation = int(found.id)
        logger("activities.github").info(
            "github app installation found", repository=repository, installation_id=installation
        )
        return installation

    def forget(self, repository: str) -> None:
        """GitHub refused the installation's token for `repository`: look again at the next call."""
        with self._lock:
            installation = self.app.installation_id or self._by_repo.pop(repository.lower(), None)
            if installation is not None:
                # A new auth asks for a new token; the old Github's thread copies are dropped with it.
                self._githubs.pop(installation, None)

    def renewals(self) -> int:
        with self._lock:
            return sum(getattr(g.requester.auth, "renewals", 0) for g in self._githubs.values())

    def login(self) -> str | None:
        """The App's bot (`<slug>[bot]`, who its installation tokens act as), from `GET /app`."""
        with self._lock:
            if self._login is None:
                try:
                    self._login = f"{self._integration.get_app().slug}[bot]"
                except GithubException:
                    return None
            return self._login

    def close(self) -> None:
        with self._lock:
            for github in self._githubs.values():
                github.close()
            self._githubs.clear()
            self._integration.close()
