"""Users and organisations as GitHub shows them: the simple user inside other resources, the full one."""

from __future__ import annotations

from sandbox.state import Record, Store, iso
from sandbox.views import Urls, node_id


def simple_user(u: Urls, user: Record | None) -> Record | None:
    if user is None:
        return None
    login = user["login"]
    base = f"{u.api}/users/{login}"
    return {
        "login": login,
        "id": user["id"],
        "node_id": node_id("User", user["id"]),
        "avatar_url": f"{u.web}/avatars/{login}",
        "gravatar_id": "",
        "url": base,
        "html_url": f"{u.web}/{login}",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": user.get("type", "User"),
        "site_admin": bool(user.get("site_admin", False)),
        "user_view_type": "public",
    }


def private_user(u: Urls, user: Record) -> Record:
    out = simple_user(u, user)
    assert out is not None
    created = iso(user.get("created_at"))
    out.update(
        {
            "name": user.get("name"),
            "company": None,
            "blog": "",
            "location": None,
            "email": user.get("email"),
            "hireable": None,
            "bio": None,
            "public_repos": 0,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": created,
            "updated_at": created,
            "private_gists": 0,
            "total_private_repos": 0,
            "owned_private_repos": 0,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": False,
            # The authenticated user sees their private view; the discriminator in GitHub's description.
            "user_view_type": "private",
        }
    )
    return out


PRIVATE_ONLY = (
    "private_gists",
    "total_private_repos",
    "owned_private_repos",
    "disk_usage",
    "collaborators",
    "two_factor_authentication",
)


def public_user(u: Urls, user: Record) -> Record:
    """Another user, as GET /users/{login} shows them: no private counts."""
    out = {k: v for k, v in private_user(u, user).items() if k not in PRIVATE_ONLY}
    out["user_view_type"] = "public"
    return out


def owner_of(store: Store, repo: Record) -> Record:
    owner = store.user(repo["owner"]) or store.data["orgs"].get(repo["owner"])
    assert owner is not None
    return owner


def collaborator(u: Urls, user: Record, role: str) -> Record:
    """A user with their permissions in a repository (collaborator lists, the permission answer)."""
    from sandbox.models.permissions import rank

    out = simple_user(u, user)
    assert out is not None
    out["permissions"] = {
        "pull": rank(role) >= rank("read"),
        "triage": rank(role) >= rank("triage"),
        "push": rank(role) >= rank("write"),
        "maintain": rank(role) >= rank("maintain"),
        "admin": rank(role) >= rank("admin"),
    }
    out["role_name"] = role
    return out


def team(u: Urls, t: Record) -> Record:
    """A team as it appears inside other resources (e.g. a PR's `requested_teams`)."""
    base = f"{u.api}/orgs/{t['org']}/teams/{t['slug']}"
    return {
        "id": t["id"],
        "node_id": node_id("Team", t["id"]),
        "url": base,
        "html_url": f"{u.web}/orgs/{t['org']}/teams/{t['slug']}",
        "name": t.get("name", t["slug"]),
        "slug": t["slug"],
        "description": None,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "members_url": f"{base}/members{{/member}}",
        "repositories_url": f"{base}/repos",
        "parent": None,
        "type": "organization",
    }
