"""GitHub Apps: the App itself (JWT), its installations, installation access tokens (sandbox/apps.py)."""

from __future__ import annotations

from typing import Any

from sandbox import apps, errors
from sandbox.routing import Ctx, Reply, route
from sandbox.state import Record, iso
from sandbox.views import node_id
from sandbox.views.checks import app as app_view
from sandbox.views.repos import repository
from sandbox.views.users import simple_user


def _app(ctx: Ctx) -> Record:
    """The App the request's JWT authenticates; anything else is GitHub's 401 for these endpoints."""
    slug = ctx.user.get("jwt_app")
    found = ctx.store.data.get("apps", {}).get(slug or "")
    if found is None:
        raise errors.Unauthorized(apps.NOT_DECODED)
    return found


def _installation(ctx: Ctx, app: Record) -> Record:
    found = ctx.store.data.get("installations", {}).get(ctx.params["installation_id"])
    if found is None or found["app"] != app["slug"]:
        raise errors.NotFound()
    return found


def _account(ctx: Ctx, login: str) -> Record | None:
    owner = ctx.store.user(login) or ctx.store.data["orgs"].get(login)
    if owner is None:
        return None
    out = simple_user(
        ctx.urls, {"login": owner["login"], "id": owner["id"], "type": owner.get("type", "User")}
    )
    if out is not None and owner.get("type") == "Organization":
        out["url"] = f"{ctx.urls.api}/orgs/{login}"
        out["repos_url"] = f"{ctx.urls.api}/orgs/{login}/repos"
    return out


def installation_view(ctx: Ctx, app: Record, installation: Record) -> Record:
    account = ctx.store.user(installation["account"]) or ctx.store.data["orgs"].get(installation["account"])
    return {
        "id": installation["id"],
        "account": _account(ctx, installation["account"]),
        "repository_selection": "all" if installation["repositories"] is None else "selected",
        "access_tokens_url": f"{ctx.urls.api}/app/installations/{installation['id']}/access_tokens",
        "repositories_url": f"{ctx.urls.api}/installation/repositories",
        "html_url": f"{ctx.urls.web}/organizations/{installation['account']}/settings/installations/"
        f"{installation['id']}",
        "app_id": app["id"],
        "client_id": f"Iv23.{node_id('App', app['id'])[:16]}",
        "app_slug": app["slug"],
        "target_id": account["id"] if account else 0,
        "target_type": (account or {}).get("type", "Organization"),
        "permissions": dict(app.get("permissions") or {}),
        "events": list(app.get("events") or []),
        "created_at": iso(installation["created_at"]),
        "updated_at": iso(installation["updated_at"]),
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_by": None,
        "suspended_at": None,
    }


@route("GET", "/app")
def get_app(ctx: Ctx) -> Any:
    app = _app(ctx)
    out = app_view(ctx.urls, ctx.store, app["slug"])
    assert out is not None
    out["installations_count"] = len(apps.installations(ctx.store, app["slug"]))
    return out


@route("GET", "/repos/{owner}/{repo}/installation")
def repo_installation(ctx: Ctx) -> Any:
    app = _app(ctx)
    repo = ctx.store.repo(ctx.params["owner"], ctx.params["repo"])
    installation = None if repo is None else apps.installation_for(ctx.store, app["slug"], repo)
    if installation is None:
        raise errors.NotFound()
    return installation_view(ctx, app, installation)


@route("GET", "/app/installations/{installation_id}")
def get_installation(ctx: Ctx) -> Any:
    app = _app(ctx)
    return installation_view(ctx, app, _installation(ctx, app))


@route("DELETE", "/app/installations/{installation_id}")
def delete_installation(ctx: Ctx) -> Any:
    app = _app(ctx)
    apps.uninstall(ctx.store, _installation(ctx, app)["id"])
    return Reply(204)


@route("POST", "/app/installations/{installation_id}/access_tokens")
def create_token(ctx: Ctx) -> Any:
    app = _app(ctx)
    installation = _installation(ctx, app)
    token, expires = apps.issue_token(ctx.store, installation)
    selected = installation["repositories"]
    body: Record = {
        "token": token,
        "expires_at": iso(expires),
        "permissions": dict(app.get("permissions") or {}),
        "repository_selection": "all" if selected is None else "selected",
    }
    if selected is not None:
        repos = [ctx.store.data["repos"].get(name) for name in selected]
        body["repositories"] = [repository(ctx.urls, ctx.store, r) for r in repos if r is not None]
    return Reply(201, body)
