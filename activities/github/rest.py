"""A thin REST layer over PyGithub's Requester: JSON in, JSON out, errors translated.

The activities speak to GitHub through this rather than through PyGithub's lazy objects, so every
request happens where the code says, inside the `github_call` that names it for error messages.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from github.GithubException import GithubException

from activities.github import conditional, errors, threads
from activities.github.client import GitHubClient
from activities.github.threads import GitHubThreads

_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')


def q(segment: str) -> str:
    """One path segment (environment, workflow file, sha): `/` is escaped."""
    return urllib.parse.quote(segment, safe="")


def qref(ref: str) -> str:
    """A multi-segment parameter (branch, ref): GitHub takes its `/` as they are."""
    return urllib.parse.quote(ref, safe="/")


@dataclass
class Reply:
    status: int
    data: Any
    message: str = ""  # GitHub's message when the status is one the caller expected

    @property
    def ok(self) -> bool:
        return self.status < 400


class RepoApi:
    """Requests under `/repos/{owner}/{name}`, each named for the error a human would read."""

    def __init__(self, client: GitHubClient, repository: str) -> None:
        self.client = client
        self.repository = repository
        self.base = f"/repos/{repository}"

    def call(
        self,
        verb: str,
        path: str,
        *,
        what: str,
        permission: str = "contents:read",
        missing: str | None = None,
        params: dict[str, Any] | None = None,
        body: Any = None,
        expect: Collection[int] = (),
        top: bool = False,
    ) -> Reply:
        """One request. Statuses in `expect` come back as a Reply; other errors raise ApplicationError.

        `path` is under the repository, or under the API's root with `top` (e.g. `/orgs/...`).
        """
        url = path if top or path.startswith(("http://", "https://")) else self.base + path
        threads.checkpoint()
        with errors.github_call(
            self.repository, what, permission=permission, missing=missing, app_id=self.client.app_id
        ):
            try:
                if verb.upper() in ("GET", "HEAD"):
                    _, data = self._request(verb, url, parameters=params)
                else:
                    # Writes pass the worker's gate: one at a time, spaced, in arrival order.
                    with self.client.writes.turn(what):
                        _, data = self._request(verb, url, parameters=params, input=body)
            except GithubException as err:
                if err.status in expect:
                    return Reply(err.status, err.data, errors.github_message(err))
                raise
        return Reply(200, data)

    def _request(self, verb: str, url: str, **kwargs: Any) -> tuple[dict[str, Any], Any]:
        look = conditional.current() if verb == "GET" else None
        try:
            if verb == "GET":
                return self._look_get(look, url, kwargs.get("parameters"))
            return self.client.requester_for(self.repository).requestJsonAndCheck(verb, url, **kwargs)
        except GithubException as err:
            if look is not None:
                look.complete = False
            if err.status == 401 or isinstance(err, errors.AppRefused):
                # An App's installation may be gone (uninstalled, installed again): ask again next time.
                self.client.refused(self.repository)
            raise

    def _look_get(
        self, look: conditional.Look | None, url: str, params: dict[str, Any] | None
    ) -> tuple[dict[str, Any], Any]:
        """Every GET (conditional.py): in a poll's look the probe's answer if it had one; else a
        conditional GET when the worker keeps the answer behind an ETag (a 304, which costs no
        rate-limit point, is that answer), else a plain one. A step's reads of what has not changed
        since the worker last read it (rules, protection, the deployments, a run) cost nothing."""
        name = conditional.key(url, params)
        reused = look.reuse.pop(name, None) if look is not None else None
        if look is not None and reused is not None:
            look.record(url, params, reused[0])
            return reused
        requester = self.client.requester_for(self.repository)
        kept = self.client.bodies.get(name)
        asked = {"If-None-Match": kept.etag} if kept is not None else None
        status, headers, text = requester.requestJson("GET", url, params, asked)
        if status == 304 and kept is not None:
            link = str(headers.get("link") or kept.link)  # the 304's own Link, when it has one
            headers = {**headers, "etag": kept.etag, **({"link": link} if link else {})}
            text = kept.text
            if conditional.may_have_grown(url, params, text, link):
                status, headers, text = requester.requestJson("GET", url, params, None)
        data = conditional.structured(text)
        if status >= 400:
            raise requester.createException(status, headers, data)
        if isinstance(data, dict) and "url" not in data:
            data["url"] = url  # as requestJsonAndCheck does for GETs
        if look is not None:
            look.record(url, params, headers)
        if status == 200 and headers.get("etag"):
            kept = conditional.Kept(str(headers["etag"]), text, str(headers.get("link", "")))
            self.client.bodies.put(name, kept)
        return headers, data

    def unchanged(self, look: conditional.Look) -> bool:
        """Whether every GET of the previous look answers 304 to its ETag (conditional.py)."""
        requester = self.client.requester_for(self.repository)
        with errors.github_call(self.repository, "look for changes", app_id=self.client.app_id):
            return conditional.unchanged(look, requester.requestJson, threads.checkpoint)

    def json(self, verb: str, path: str, **kwargs: Any) -> Any:
        return self.call(verb, path, **kwargs).data

    def pages(
        self,
        path: str,
        *,
        what: str,
        key: str | None = None,
        params: dict[str, Any] | None = None,
        permission: str = "contents:read",
        missing: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Any]:
        """Items of a paginated list, following `Link: rel="next"`, at most `limit` of them."""
        url: str | None = self.base + path
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        seen = 0
        while url:
            threads.checkpoint()
            with errors.github_call(
                self.repository, what, permission=permission, missing=missing, app_id=self.client.app_id
            ):
                headers, data = self._request("GET", url, parameters=query)
            items = (data or {}).get(key, []) if key else (data or [])
            for item in items:
                yield item
                seen += 1
                if limit is not None and seen >= limit:
                    return
            match = _NEXT_LINK.search(headers.get("link", "")) if items else None
            url, query = (match.group(1) if match else None), None


def reviewer_names(repository: str, reviewers: Iterable[dict[str, Any]]) -> list[str]:
    """Users by login, teams as `owner/slug` (how GitHub @-mentions a team)."""
    names: set[str] = set()
    for item in reviewers:
        who = item.get("reviewer") or {}
        if item.get("type") == "Team" or "slug" in who:
            if who.get("slug"):
                names.add(f"{repository.split('/', 1)[0]}/{who['slug']}")
        elif who.get("login"):
            names.add(who["login"])
    return sorted(names)


def parse_time(value: str | None) -> datetime | None:
    """GitHub's ISO 8601 timestamps (`...Z`) as aware datetimes."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class OnGitHub:
    """Base of the activity classes: holds the worker's GitHub client, opens a repository's API."""

    def __init__(self, github: GitHubClient) -> None:
        self._github = github

    @property
    def github_threads(self) -> GitHubThreads:
        return self._github.threads

    def _api(self, repository: str) -> RepoApi:
        return RepoApi(self._github, repository)
