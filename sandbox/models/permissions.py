"""Who may do what in a repository: collaborator roles, teams, the organisation's base role, apps.

GitHub's repository roles, weakest first: read, triage, write, maintain, admin. A user's role is the
strongest of what they are given directly (`collaborators`), through a team (`team_permissions`),
as an organisation member (the organisation's `base_permission`, GitHub's default `read`) or as an
organisation owner (admin). An app's bot acts with the app's `permission` (`write` by default);
GitHub Actions' bot (`github-actions[bot]`, a workflow's GITHUB_TOKEN) acts with `write`.
A repository seeded without `collaborators` gives every seeded user `write` (the sandbox's old rule).
"""

from __future__ import annotations

from sandbox import apps, errors
from sandbox.state import Record, Store

ROLES = ("none", "read", "triage", "write", "maintain", "admin")
LEGACY = {
    "none": "none",
    "read": "read",
    "triage": "read",
    "write": "write",
    "maintain": "write",
    "admin": "admin",
}

ACTIONS_APP = "github-actions"
ACTIONS_BOT = "github-actions[bot]"
# GitHub Actions' app as GitHub shows it on check runs and suites (app id 15368, owned by `github`).
ACTIONS_APP_RECORD: Record = {
    "id": 15368,
    "slug": ACTIONS_APP,
    "node_id": "MDM6QXBwMTUzNjg=",
    "name": "GitHub Actions",
    "description": "Automate your workflow from idea to production",
    "external_url": "https://help.github.com/en/actions",
    "owner": {"login": "github", "id": 9919, "type": "Organization"},
    "created_at": 1532943017.0,
    "updated_at": 1712781196.0,
    "permissions": {
        "actions": "write",
        "checks": "write",
        "contents": "write",
        "deployments": "write",
        "metadata": "read",
        "pull_requests": "write",
        "statuses": "write",
    },
    "events": ["check_run", "check_suite", "pull_request", "push", "workflow_dispatch", "workflow_run"],
    "permission": "write",
}


def rank(role: str) -> int:
    return ROLES.index(role) if role in ROLES else 0


def _strongest(roles: list[str]) -> str:
    return max(roles, key=rank, default="none")


def team_key(org: str, slug: str) -> str:
    return f"{org}/{slug}".lower()


def team(store: Store, org: str, slug: str) -> Record | None:
    return store.data.get("teams", {}).get(team_key(org, slug))


def team_members(store: Store, org: str, slug: str) -> list[str]:
    t = team(store, org, slug)
    return [] if t is None else [*t.get("maintainers", []), *t.get("members", [])]


def app_of(store: Store, user: Record | None) -> Record | None:
    """The app a bot user acts for (its installation token), else None."""
    if not user or not user.get("app"):
        return None
    apps: dict[str, Record] = store.data.get("apps", {})
    return apps.get(user["app"])


def role(store: Store, repo: Record, login: str | None) -> str:
    """The user's effective role in the repository ("none" when they have no access)."""
    if not login:
        return "none"
    user = store.user(login)
    if user is None:
        return "none"
    app = app_of(store, user)
    if app is not None:
        # A hosted App's bot acts only where the App is installed (sandbox/apps.py).
        return str(app.get("permission", "write")) if apps.covers(store, app, repo) else "none"
    if "collaborators" not in repo:
        return "write"
    roles = [repo["collaborators"].get(login, "none")]
    org = store.data["orgs"].get(repo["owner"])
    if org is not None:
        if login in org.get("owners", []):
            roles.append("admin")
        if login in org.get("members", []) or login in org.get("owners", []):
            roles.append(org.get("base_permission", "read"))
    for slug, team_role in repo.get("team_permissions", {}).items():
        if login in team_members(store, repo["owner"], slug):
            roles.append(team_role)
    return _strongest(roles)


def at_least(store: Store, repo: Record, login: str | None, needed: str) -> bool:
    return rank(role(store, repo, login)) >= rank(needed)


def may_read_administration(store: Store, repo: Record, login: str | None) -> bool:
    """Admins, and tokens granted Administration: read (a GitHub App installation's permission)."""
    user = store.user(login or "") or {}
    granted = (user.get("grants") or {}).get("administration") in ("read", "write")
    return granted or at_least(store, repo, login, "admin")


def require(store: Store, repo: Record, login: str | None, needed: str) -> None:
    """404 Not Found, as GitHub answers a write to a private repository by someone who may only read."""
    if not at_least(store, repo, login, needed):
        raise errors.NotFound()


def can_see(store: Store, repo: Record, login: str | None) -> bool:
    return not repo.get("private", True) or at_least(store, repo, login, "read")


def is_bot(store: Store, login: str | None) -> bool:
    user = store.user(login or "")
    return bool(user and user.get("type") == "Bot")
