"""Who may do what: collaborators and their permission, teams and their members, what Actions may do.

`GET collaborators/{username}/permission` answers `permission` in GitHub's legacy terms (admin,
write, read, none: maintain reads as write, triage as read) and `role_name` exactly; a caller
without push access gets 403 "Must have push access to view collaborator permission.", an unknown
user 404, a known user without access `none`.
"""

from __future__ import annotations

from typing import Any

from sandbox import errors
from sandbox.models import permissions, pulls
from sandbox.routing import Ctx, Reply, route
from sandbox.views.users import collaborator, simple_user

R = "/repos/{owner}/{repo}"


def _with_access(ctx: Ctx) -> list[tuple[Any, str]]:
    found = []
    for login, user in sorted(ctx.store.data["users"].items()):
        role = permissions.role(ctx.store, ctx.repo, login)
        if role != "none" and not user.get("app"):
            found.append((user, role))
    return found


@route("GET", R + "/collaborators")
def list_collaborators(ctx: Ctx) -> Any:
    ctx.require("write")
    found = _with_access(ctx)
    if ctx.query.get("permission"):
        wanted = permissions.rank(ctx.query["permission"].replace("pull", "read").replace("push", "write"))
        found = [(u, r) for u, r in found if permissions.rank(r) >= wanted]
    return [collaborator(ctx.urls, u, r) for u, r in ctx.paginate(found)]


@route("GET", R + "/collaborators/{username}")
def check_collaborator(ctx: Ctx) -> Any:
    ctx.require("write")
    if permissions.role(ctx.store, ctx.repo, ctx.params["username"]) == "none":
        raise errors.NotFound()
    return Reply(204)


@route("GET", R + "/collaborators/{username}/permission")
def collaborator_permission(ctx: Ctx) -> Any:
    repo = ctx.repo
    if not permissions.at_least(ctx.store, repo, ctx.login, "write"):
        raise errors.Forbidden("Must have push access to view collaborator permission.")
    user = ctx.store.user(ctx.params["username"])
    if user is None:
        raise errors.NotFound()
    role = permissions.role(ctx.store, repo, user["login"])
    return {
        "permission": permissions.LEGACY[role],
        "role_name": role,
        "user": collaborator(ctx.urls, user, role),
    }


@route("GET", R + "/actions/permissions/workflow")
def workflow_permissions(ctx: Ctx) -> Any:
    return pulls.actions_settings(ctx.repo)


# -- teams


def _team(ctx: Ctx) -> Any:
    org = ctx.store.data["orgs"].get(ctx.params["org"])
    team = permissions.team(ctx.store, ctx.params["org"], ctx.params["team_slug"])
    # A team is visible to the organisation's members only.
    if org is None or team is None or ctx.login not in [*org.get("members", []), *org.get("owners", [])]:
        raise errors.NotFound()
    return team


@route("GET", "/orgs/{org}/teams/{team_slug}/memberships/{username}")
def team_membership(ctx: Ctx) -> Any:
    team = _team(ctx)
    login = ctx.params["username"]
    if login in team.get("maintainers", []):
        role = "maintainer"
    elif login in team.get("members", []):
        role = "member"
    else:
        raise errors.NotFound()
    url = f"{ctx.urls.api}/organizations/{ctx.store.data['orgs'][team['org']]['id']}/team/{team['id']}"
    return {"url": f"{url}/memberships/{login}", "role": role, "state": "active"}


@route("GET", "/orgs/{org}/teams/{team_slug}/members")
def team_members(ctx: Ctx) -> Any:
    team = _team(ctx)
    wanted = ctx.query.get("role", "all")
    found = [(login, "maintainer") for login in team.get("maintainers", [])]
    found += [(login, "member") for login in team.get("members", [])]
    found = [(login, role) for login, role in found if wanted in ("all", role)]
    out = []
    for login, role in ctx.paginate(found):
        user = simple_user(ctx.urls, ctx.store.user(login))
        if user is not None:
            out.append({**user, "role": role, "inherited": False})
    return out
