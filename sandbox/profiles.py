"""Which GitHub the sandbox is: github.com, or a GitHub Enterprise Server release.

A profile decides what differs between the products as the hotfix sees them:
- where the API lives (github.com at the host's root, GHES under `/api/v3`) and the docs it links;
- the version `/meta` reports (GHES only: github.com has no `installed_version`);
- the REST API versions `X-GitHub-Api-Version` may ask for (400 otherwise);
- whether the workflow dispatch knows `return_run_details` (github.com since 2026-02-19, GHES from
  3.21; older servers refuse the key as unknown, 422 `"return_run_details" is not a permitted key.`);
- rate limits: on at github.com, off by default on GHES (no `X-RateLimit-*` headers, and
  `GET /rate_limit` answers 404 "Rate limiting is not enabled.").

`python -m sandbox serve --profile ghes-3.19`, `running_sandbox(..., profile="ghes-3.19")`, or
`POST /_sandbox/settings {"profile": "ghes-3.21"}` on a running sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox import errors

DEFAULT_VERSION = "2022-11-28"


@dataclass(frozen=True)
class Profile:
    name: str
    api_prefix: str  # the path the API lives under: "" (github.com) or "/api/v3" (GHES)
    installed_version: str | None  # what GHES's /meta reports; None on github.com
    api_versions: tuple[str, ...]  # X-GitHub-Api-Version values accepted; the first is the default
    run_details: bool  # the dispatch accepts return_run_details
    rate_limits: bool
    docs: str  # documentation_url base of error bodies

    @property
    def ghes(self) -> bool:
        return self.installed_version is not None


PROFILES = {
    p.name: p
    for p in (
        Profile(
            "github.com",
            "",
            None,
            (DEFAULT_VERSION, "2026-03-10"),
            run_details=True,
            rate_limits=True,
            docs="https://docs.github.com/rest",
        ),
        Profile(
            "ghes-3.19",
            "/api/v3",
            "3.19.0",
            (DEFAULT_VERSION,),
            run_details=False,
            rate_limits=False,
            docs="https://docs.github.com/enterprise-server@3.19/rest",
        ),
        Profile(
            "ghes-3.21",
            "/api/v3",
            "3.21.0",
            (DEFAULT_VERSION, "2026-03-10"),
            run_details=True,
            rate_limits=False,
            docs="https://docs.github.com/enterprise-server@3.21/rest",
        ),
    )
}
DEFAULT = "github.com"


def get(name: str | None) -> Profile:
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}: one of {', '.join(PROFILES)}")
    return PROFILES[str(name)]


def api_version(profile: Profile, asked: str | None) -> str:
    """The API version a request gets; 400 for one this product does not serve."""
    if asked is None or not asked.strip():
        return profile.api_versions[0]
    asked = asked.strip()
    if asked not in profile.api_versions:
        # GitHub documents the 400; its exact words are not verified.
        raise errors.BadRequest(
            f"Unsupported 'X-GitHub-Api-Version' header value: {asked}. "
            f"Supported values: {', '.join(profile.api_versions)}",
            documentation_url=f"{profile.docs}/about-the-rest-api/api-versions",
        )
    return asked


def docs_url(profile: Profile, url: str) -> str:
    """An error's documentation_url on this product's docs."""
    return profile.docs + url[len(errors.DOCS) :] if url.startswith(errors.DOCS) else url


NOT_PERMITTED = 'Invalid request.\n\n"{key}" is not a permitted key.'


def refuse_unknown_key(key: str) -> errors.ApiError:
    """GitHub's answer to a body key its schema for the operation does not have."""
    return errors.Unprocessable(NOT_PERMITTED.format(key=key))
