"""PyGithub errors as Temporal ApplicationErrors: retryable or not, with a message a human can act on.

Retryable: 5xx, timeouts, lost connections, rate limits (with `next_retry_delay` from the headers).
Non-retryable: 401, 403 without a rate limit, 404, 409, 400/422 and the other 4xx. Their message
names the repository, the call and the fix, because the workflow shows it to a human who must act.

Messages are built from GitHub's `message` and `errors` fields only, never from request headers, and
every registered secret is scrubbed from them: the token must not reach history or logs.
"""

from __future__ import annotations

import email.utils
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import requests
import urllib3.exceptions
from github.GithubException import GithubException, RateLimitExceededExceedsMaxWait
from temporalio.exceptions import ApplicationError

from activities.log import logger

# ApplicationError types, for the workflow, dashboards and tests.
AUTH = "GitHubAuthError"
FORBIDDEN = "GitHubForbidden"
NOT_FOUND = "GitHubNotFound"
VALIDATION = "GitHubValidation"
CONFLICT = "GitHubConflict"
REQUEST_FAILED = "GitHubRequestFailed"
RATE_LIMITED = "GitHubRateLimited"
UNAVAILABLE = "GitHubUnavailable"

TOKEN_SETTING = "HOTFIX_GITHUB_TOKEN"
APP_SETTINGS = "HOTFIX_GITHUB_APP_ID and HOTFIX_GITHUB_APP_PRIVATE_KEY(_FILE)"
# GitHub documents at least a minute for a secondary rate limit without `retry-after`.
SECONDARY_RATE_LIMIT_WAIT = timedelta(seconds=60)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
# Anything shaped like a GitHub token (ghs_ installation, ghp_/github_pat_ personal) or a JWT.
_TOKEN_SHAPES = re.compile(
    r"\b(?:gh[opsur]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{20,}|eyJ[\w-]+\.[\w-]+\.[\w-]+)"
)


class AppRefused(GithubException):
    """GitHub refused the App itself (its JWT): a wrong app id, or a key that is not the App's (now)."""

    def __init__(self, err: GithubException, app_id: int) -> None:
        super().__init__(err.status, err.data, err.headers)
        self.app_id = app_id


class InstallationTokenRefused(AppRefused):
    """GitHub refused a new installation token: the installation is gone or suspended, or the JWT is bad."""

    def __init__(self, err: GithubException, app_id: int, installation_id: int, *, configured: bool) -> None:
        super().__init__(err, app_id)
        self.installation_id = installation_id
        self.configured = configured  # the id came from HOTFIX_GITHUB_APP_INSTALLATION_ID


_NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.RequestException,
    urllib3.exceptions.HTTPError,
    ConnectionError,
    TimeoutError,
)


def register_secret(value: str) -> None:
    """Remember a secret so that no error message built here can carry it."""
    if value:
        with _secrets_lock:
            _secrets.add(value)


def scrub(text: str) -> str:
    with _secrets_lock:
        secrets = list(_secrets)
    for secret in secrets:
        text = text.replace(secret, "***")
    return _TOKEN_SHAPES.sub("***", text)


def github_message(err: GithubException) -> str:
    """GitHub's own words: `message` plus the `errors` details of a 422.

    GitHub gives `errors` in three shapes: a list of {resource, field, code, message} objects, a list
    of strings, or one bare string (e.g. "Validation Failed" for a refused deployment review, the
    reason alone in `errors`).
    """
    data = err.data
    if not isinstance(data, Mapping):
        return str(err.message or "") or (str(data)[:200] if data else "")
    parts = [str(data.get("message") or err.message or "")]
    details = data.get("errors")
    if isinstance(details, str):
        parts.append(details)
    elif isinstance(details, list):
        for item in details:
            if isinstance(item, Mapping):
                text = item.get("message") or " ".join(
                    str(item[k]) for k in ("resource", "field", "code") if item.get(k)
                )
                parts.append(str(text))
            else:
                parts.append(str(item))
    return "; ".join(p for p in parts if p)


def _lower(headers: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


def _retry_after_seconds(value: str) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def rate_limit_delay(
    status: int, headers: Mapping[str, Any] | None, message: str, *, now: float | None = None
) -> timedelta | None:
    """How long GitHub wants us to wait, or None when this is not a rate limit."""
    if status not in (403, 429):
        return None
    h = _lower(headers)
    now = time.time() if now is None else now
    lowered = message.lower()
    if h.get("x-ratelimit-remaining") == "0" and h.get("x-ratelimit-reset", "").isdigit():
        # Plus a second: GitHub does not say when in that second the window resets.
        return timedelta(seconds=max(1.0, int(h["x-ratelimit-reset"]) - now + 1))
    retry_after = _retry_after_seconds(h["retry-after"]) if "retry-after" in h else None
    if retry_after is not None:
        return timedelta(seconds=max(1.0, retry_after))
    if status == 429 or "rate limit" in lowered or "abuse" in lowered:
        return SECONDARY_RATE_LIMIT_WAIT
    return None


def translate(
    err: GithubException,
    repository: str,
    call: str,
    *,
    permission: str = "contents:read",
    missing: str | None = None,
    app_id: int | None = None,
) -> ApplicationError:
    """The ApplicationError for a PyGithub exception raised by `call` on `repository`; `app_id`: the
    worker runs as that GitHub App (the fixes name its settings and installation)."""
    status = err.status
    said = github_message(err)
    what = f"GitHub answered {status} to {call} on {repository}" + (f": {said}" if said else "")
    delay = rate_limit_delay(status, err.headers, said)
    if delay is None and isinstance(err, RateLimitExceededExceedsMaxWait) and err.wait:
        delay = timedelta(seconds=max(1.0, err.wait))
    if delay is not None:
        return _error(
            f"{what}. Rate limited: retrying in {int(delay.total_seconds())} s",
            RATE_LIMITED,
            retryable=True,
            delay=delay,
        )
    if status >= 500:
        after = _lower(err.headers).get("retry-after")
        seconds = _retry_after_seconds(after) if after else None
        return _error(
            f"{what}. GitHub is unavailable; retrying",
            UNAVAILABLE,
            retryable=True,
            delay=timedelta(seconds=max(1.0, seconds)) if seconds is not None else None,
        )
    if isinstance(err, AppRefused) and status in (401, 403, 404):
        return _app_refused(err, what, repository)
    app = app_id is not None
    who = f"the GitHub App {app_id}" if app else TOKEN_SETTING
    if status == 401:
        fix = (
            f"GitHub no longer accepts {who}'s installation token: the App was uninstalled from "
            f"{repository} or lost access to it, or its key was revoked. Install the App on {repository} "
            f"again (or check {APP_SETTINGS} and restart the worker), then recheck"
            if app
            else f"{TOKEN_SETTING} is invalid or expired: give the worker a fresh token and restart it"
        )
        return _error(f"{what}. Fix: {fix}", AUTH)
    if status == 403:
        fix = f"check {who} has {permission} on {repository}" + (
            " (the App's permissions; the installation must accept new ones)" if app else ""
        )
        return _error(f"{what}. Fix: {fix}", FORBIDDEN)
    if status == 404:
        fix = missing or (
            f"check that {repository} exists and {who} can see it ({permission}); "
            "GitHub answers 404 also when the token lacks access"
        )
        return _error(f"{what}. Fix: {fix}", NOT_FOUND)
    if status == 409:
        return _error(f"{what}. Fix: {missing or 'resolve the conflict on GitHub, then recheck'}", CONFLICT)
    if status in (400, 422):
        fix = missing or "check the names in the hotfix settings against the repository"
        return _error(f"{what}. Fix: {fix}", VALIDATION)
    return _error(f"{what}. Fix: {missing or 'see the message from GitHub above'}", REQUEST_FAILED)


def _app_refused(err: AppRefused, what: str, repository: str) -> ApplicationError:
    if isinstance(err, InstallationTokenRefused):
        what += f" (a new token for installation {err.installation_id} of the GitHub App {err.app_id})"
        if err.status == 404:
            fix = (
                f"installation {err.installation_id} is gone (the App was uninstalled): install the App on "
                f"{repository} again, set HOTFIX_GITHUB_APP_INSTALLATION_ID to the new installation (or "
                "unset it) and restart the worker, then recheck"
                if err.configured
                else f"that installation is gone (the App was uninstalled): install the App on {repository} "
                "again, then recheck"
            )
            return _error(f"{what}. Fix: {fix}", AUTH)
        if err.status == 403:
            fix = "the installation is suspended or may not have this token: unsuspend it, then recheck"
            return _error(f"{what}. Fix: {fix}", AUTH)
    fix = (
        f"GitHub refuses the JWT of the GitHub App {err.app_id}: check {APP_SETTINGS} (the app id, and a "
        "private key the App still has), restart the worker, then recheck"
    )
    return _error(f"{what}. Fix: {fix}", AUTH)


def network_error(err: BaseException, repository: str, call: str) -> ApplicationError:
    # The class name is enough for a human; str(err) of requests errors carries URLs and pool details.
    return _error(
        f"no answer from GitHub to {call} on {repository} ({type(err).__name__}); retrying",
        UNAVAILABLE,
        retryable=True,
    )


def delayed(err: ApplicationError, delay: timedelta) -> ApplicationError:
    """The retryable `err` again, asking Temporal for its retry `delay` later (message and type kept)."""
    return ApplicationError(err.message, type=err.type, next_retry_delay=delay)


def _error(
    message: str, type_: str, *, retryable: bool = False, delay: timedelta | None = None
) -> ApplicationError:
    return ApplicationError(scrub(message), type=type_, non_retryable=not retryable, next_retry_delay=delay)


@contextmanager
def github_call(
    repository: str,
    call: str,
    *,
    permission: str = "contents:read",
    missing: str | None = None,
    app_id: int | None = None,
) -> Iterator[None]:
    """Run GitHub calls; what escapes is an ApplicationError that says what to do.

    `call` names the request as a human would ("create ref heads/hotfix/x"), `permission` is the
    fine-grained token permission it needs, `missing` the fix when GitHub says 404 (or 4xx).
    """
    try:
        yield
    except ApplicationError:
        raise
    except GithubException as err:
        app = translate(err, repository, call, permission=permission, missing=missing, app_id=app_id)
        logger("activities.errors").warning(
            "github call failed", repository=repository, call=call, status=err.status, type=app.type
        )
        # `from None`: the PyGithub exception's text (body, headers) must not travel into history.
        raise app from None
    except _NETWORK_ERRORS as err:
        app = network_error(err, repository, call)
        logger("activities.errors").warning(
            "github unreachable", repository=repository, call=call, error=type(err).__name__
        )
        raise app from None
