"""One PyGithub client per worker, built from WorkerSettings; the credentials stay inside it.

With a token, one Github over it; as a GitHub App, one Github per installation over PyGithub's
renewing installation auth (auth.py), chosen by the repository each call is about.

PyGithub's own retry is kept short on purpose: Temporal retries activities with backoff and
`next_retry_delay`, so long waits belong there, where they survive a worker restart.
"""

from __future__ import annotations

import copy
import json
import math
import threading
from typing import Any

from github import Auth, Github, GithubRetry
from github.GithubException import GithubException, RateLimitExceededExceedsMaxWait
from github.Repository import Repository
from github.Requester import Requester

from activities.github import conditional, errors
from activities.github.auth import AppCredentials, AppInstallations, credentials
from activities.github.metered import meter
from activities.github.threads import GitHubThreads
from activities.github.writes import WriteGate
from hotfix.settings import WorkerSettings

# Without settings (tests, scripts): a few threads, and the pool holds a connection for each.
DEFAULT_THREADS = 8

# POST and PATCH are left out: a POST whose response was lost (dispatch, create PR, comment) may
# have taken effect, and only the activity, which looks before it creates, may try it again.
_IN_PROCESS_RETRY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class ShortRetry(GithubRetry):
    """GithubRetry that never sleeps longer than `max_rate_limit_wait`, whatever `Retry-After` says.

    urllib3 would honour a `Retry-After` of an hour (on 403, 429 or 503) by sleeping an hour inside
    the request; this raises instead, and errors.py turns it into `next_retry_delay` for Temporal.
    """

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Any:
        if response is not None and self.max_rate_limit_wait is not None:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.max_rate_limit_wait:
                headers = {k.lower(): v for k, v in response.headers.items()}
                try:
                    data = json.loads(self.get_content(response, url or ""))
                except Exception:  # the status and headers are what matter here
                    data = None
                if response.status in (403, 429):
                    raise RateLimitExceededExceedsMaxWait(response.status, data, headers, wait=wait)
                raise GithubException(response.status, data, headers)
        return super().increment(method, url, response, error, _pool, _stacktrace)


def build_github(
    *,
    base_url: str,
    token: str | None = None,
    auth: Auth.Auth | None = None,
    timeout: float = 15.0,
    max_rate_limit_wait: float = 5.0,
    retries: int = 2,
    seconds_between_writes: float | None = None,
    pool_size: int = DEFAULT_THREADS,
) -> Github:
    """PyGithub over one token. `seconds_between_writes` is PyGithub's own spacing, which does not hold
    under concurrency (see writes.py): the worker leaves it None and spaces writes with its WriteGate.
    `pool_size`: connections kept per host; at least the number of GitHub threads, or urllib3 discards
    connections ("Connection pool is full") and opens new ones under load.
    `auth` instead of `token`: e.g. a GitHub App's installation auth (auth.py)."""
    if auth is None:
        assert token, "build_github needs a token or an auth"
        errors.register_secret(token)
        auth = Auth.Token(token)
    return Github(
        auth=auth,
        **github_options(
            base_url=base_url,
            timeout=timeout,
            max_rate_limit_wait=max_rate_limit_wait,
            retries=retries,
            seconds_between_writes=seconds_between_writes,
            pool_size=pool_size,
        ),
    )


def github_options(
    *,
    base_url: str,
    timeout: float = 15.0,
    max_rate_limit_wait: float = 5.0,
    retries: int = 2,
    seconds_between_writes: float | None = None,
    pool_size: int = DEFAULT_THREADS,
) -> dict[str, Any]:
    """What every Github (and the App's GithubIntegration) of the worker is built with, but auth."""
    retry = ShortRetry(
        total=retries,
        backoff_factor=0.5,
        allowed_methods=_IN_PROCESS_RETRY_METHODS,
        # Hand the last 5xx response to PyGithub so the error keeps its status and headers.
        raise_on_status=False,
        max_rate_limit_wait=max_rate_limit_wait,
    )
    return dict(
        base_url=base_url,
        # PyGithub insists on whole seconds.
        timeout=max(1, math.ceil(timeout)),
        retry=retry,
        per_page=100,
        # Reads are not throttled by GitHub per second; writes are (secondary rate limits).
        seconds_between_requests=None,
        seconds_between_writes=seconds_between_writes,
        pool_size=pool_size,
    )


class GitHubClient:
    """The worker's GitHub connection, shared by all activities of the worker (thread-safe).

    It owns the worker's GitHub threads (where every blocking call runs, see threads.py) and the write
    gate (one write at a time, `write_interval` apart, see writes.py). `github` is the Github over a
    token; `app`, instead, the GitHub App's installations (auth.py), one Github per installation.
    """

    def __init__(
        self,
        github: Github | None,
        *,
        threads: int = DEFAULT_THREADS,
        write_interval: float = 0.0,
        app: AppInstallations | None = None,
    ) -> None:
        assert (github is None) != (app is None), "a GitHubClient has a token's Github or an App"
        self.github = github
        self.app = app
        self._local = threading.local()
        self.threads = GitHubThreads(threads)
        self.writes = WriteGate(write_interval)
        # The polls' last answers, for conditional GETs whose 304 costs no rate limit (conditional.py).
        self.bodies = conditional.Bodies()
        self._repos: dict[str, Repository] = {}
        self._login: str | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: WorkerSettings) -> GitHubClient:
        """ValueError (one line) unless exactly one way of credentials is configured (auth.py)."""
        given = credentials(settings)
        options = github_options(
            base_url=settings.github_url,
            timeout=settings.github_timeout,
            max_rate_limit_wait=settings.github_max_rate_limit_wait,
            pool_size=settings.github_threads,
        )
        if isinstance(given, AppCredentials):
            app = AppInstallations(given, lambda auth: meter(Github(auth=auth, **options)), **options)
            return cls(
                None, threads=settings.github_threads, write_interval=settings.github_write_interval, app=app
            )
        errors.register_secret(given)
        # Every answer counted by route and status (metered.py, service/metrics.py).
        return cls(
            meter(Github(auth=Auth.Token(given), **options)),
            threads=settings.github_threads,
            write_interval=settings.github_write_interval,
        )

    @property
    def app_id(self) -> int | None:
        """The GitHub App the worker runs as, or None (a token)."""
        return None if self.app is None else self.app.app.app_id

    def _github_for(self, repository: str | None) -> Github:
        if self.app is None:
            assert self.github is not None
            return self.github
        assert repository, "a GitHub App's calls are made for a repository (its installation)"
        return self.app.github_for(repository)

    def requester_for(self, repository: str | None) -> Requester:
        """This thread's own Requester for calls about `repository` (same credentials, settings and
        retry; its own connection). With an App: over the installation that serves the repository.

        PyGithub's Requester shares one connection object, and a request's verb, URL and body are set
        on it by `request()` and read back by `getresponse()`: two threads on one Requester cross
        their requests. A thousand-hotfix burst sent a create-ref's POST to another hotfix's
        deployment-statuses URL (bench/RESULTS.md, issue #16). A copy gets its own connection; the
        copies share the credentials (an App's token renews once for all of them, auth.py).
        """
        github = self._github_for(repository)
        mine: dict[int, tuple[Github, Requester]] | None = getattr(self._local, "requesters", None)
        if mine is None:
            mine = self._local.requesters = {}
        entry = mine.get(id(github))
        if entry is None or entry[0] is not github:
            if len(mine) > 8:  # Githubs dropped after a refused token (auth.forget)
                mine.clear()
            entry = mine[id(github)] = (github, copy.copy(github.requester))
        return entry[1]

    @property
    def requester(self) -> Requester:
        """This thread's Requester for calls about no repository (token credentials only)."""
        return self.requester_for(None)

    def refused(self, repository: str) -> None:
        """GitHub answered 401 (or refused a new installation token) for `repository`: with an App,
        the next call asks again which installation serves it, with a new token."""
        if self.app is not None:
            self.app.forget(repository)

    def repo(self, full_name: str) -> Repository:
        """The repository, fetched once per worker (its URL is all most calls need)."""
        with self._lock:
            cached = self._repos.get(full_name)
        if cached is not None:
            return cached
        with errors.github_call(full_name, "get repository", permission="metadata:read", app_id=self.app_id):
            repo = self._github_for(full_name).get_repo(full_name)
        with self._lock:
            return self._repos.setdefault(full_name, repo)

    def login(self) -> str | None:
        """Who this client acts as, fetched once: the token's user (`GET /user`), or the App's bot
        (`<slug>[bot]` from `GET /app`); None where it cannot say."""
        if self.app is not None:
            return self.app.login()
        with self._lock:
            if self._login is not None:
                return self._login or None
        try:
            _, data = self.requester.requestJsonAndCheck("GET", "/user")
            login = str((data or {}).get("login") or "")
        except GithubException:
            login = ""
        with self._lock:
            self._login = login
        return login or None

    def close(self) -> None:
        self.threads.shutdown()
        if self.github is not None:
            self.github.close()
        if self.app is not None:
            self.app.close()
