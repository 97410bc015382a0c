"""Root, meta, rate limit, the authenticated user."""

from __future__ import annotations

import time
from typing import Any

from sandbox import errors
from sandbox.routing import Ctx, route
from sandbox.views.users import private_user, public_user


@route("GET", "/", public=True)
def root(ctx: Ctx) -> Any:
    api = ctx.urls.api
    return {
        "current_user_url": f"{api}/user",
        "current_user_authorizations_html_url": (
            f"{ctx.urls.web}/settings/connections/applications{{/client_id}}"
        ),
        "authorizations_url": f"{api}/authorizations",
        "code_search_url": f"{api}/search/code?q={{query}}{{&page,per_page,sort,order}}",
        "commit_search_url": f"{api}/search/commits?q={{query}}{{&page,per_page,sort,order}}",
        "emails_url": f"{api}/user/emails",
        "emojis_url": f"{api}/emojis",
        "events_url": f"{api}/events",
        "feeds_url": f"{api}/feeds",
        "followers_url": f"{api}/user/followers",
        "following_url": f"{api}/user/following{{/target}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "hub_url": f"{api}/hub",
        "issue_search_url": f"{api}/search/issues?q={{query}}{{&page,per_page,sort,order}}",
        "issues_url": f"{api}/issues",
        "keys_url": f"{api}/user/keys",
        "label_search_url": (
            f"{api}/search/labels?q={{query}}&repository_id={{repository_id}}{{&page,per_page}}"
        ),
        "notifications_url": f"{api}/notifications",
        "organization_url": f"{api}/orgs/{{org}}",
        "organization_repositories_url": f"{api}/orgs/{{org}}/repos{{?type,page,per_page,sort}}",
        "organization_teams_url": f"{api}/orgs/{{org}}/teams",
        "public_gists_url": f"{api}/gists/public",
        "rate_limit_url": f"{api}/rate_limit",
        "repository_url": f"{api}/repos/{{owner}}/{{repo}}",
        "repository_search_url": f"{api}/search/repositories?q={{query}}{{&page,per_page,sort,order}}",
        "current_user_repositories_url": f"{api}/user/repos{{?type,page,per_page,sort}}",
        "starred_url": f"{api}/user/starred{{/owner}}{{/repo}}",
        "starred_gists_url": f"{api}/gists/starred",
        "user_url": f"{api}/users/{{user}}",
        "user_organizations_url": f"{api}/user/orgs",
        "user_repositories_url": f"{api}/users/{{user}}/repos{{?type,page,per_page,sort}}",
        "user_search_url": f"{api}/search/users?q={{query}}{{&page,per_page,sort,order}}",
    }


@route("GET", "/meta", public=True)
def meta(ctx: Ctx) -> Any:
    profile = ctx.sb.profile
    version = {"installed_version": profile.installed_version} if profile.ghes else {}
    return {
        "verifiable_password_authentication": False,
        **version,
        "hooks": ["127.0.0.1/32"],
        "web": ["127.0.0.1/32"],
        "api": ["127.0.0.1/32"],
        "git": ["127.0.0.1/32"],
        "packages": [],
        "pages": [],
        "importer": [],
        "actions": ["127.0.0.1/32"],
        "dependabot": [],
        "domains": {},
    }


@route("GET", "/rate_limit", public=True)
def rate_limit(ctx: Ctx) -> Any:
    if not ctx.sb.profile.rate_limits:
        # GHES with rate limiting off (its default) says so.
        raise errors.NotFound("Rate limiting is not enabled.")
    now = int(time.time())
    reset = now - now % 3600 + 3600
    # The HTTP layer already counted this request; GitHub does not count /rate_limit itself.
    limit = 5000

    def bucket(n: int = limit) -> dict[str, int]:
        return {"limit": n, "used": 0, "remaining": n, "reset": reset}

    core = bucket()
    resources = {"core": core, "search": bucket(30), "graphql": bucket(), "integration_manifest": bucket()}
    return {"resources": resources, "rate": core}


@route("GET", "/user")
def user(ctx: Ctx) -> Any:
    return private_user(ctx.urls, ctx.user)


@route("GET", "/users/{login}")
def get_user(ctx: Ctx) -> Any:
    user = ctx.store.user(ctx.params["login"])
    if user is None:
        raise errors.NotFound()
    return private_user(ctx.urls, user) if user["login"] == ctx.login else public_user(ctx.urls, user)
