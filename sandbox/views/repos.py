"""Repositories, branches (with the protection summary anyone may read), webhooks."""

from __future__ import annotations

from sandbox.models import protection, repo_rules
from sandbox.state import Record, Store, iso
from sandbox.views import Urls, node_id
from sandbox.views.users import owner_of, simple_user


def repository(u: Urls, store: Store, repo: Record, full: bool = True) -> Record:
    base = u.repo(repo)
    html = u.repo_html(repo)
    created = iso(repo["created_at"])
    out: Record = {
        "id": repo["id"],
        "node_id": node_id("Repository", repo["id"]),
        "name": repo["name"],
        "full_name": repo["full_name"],
        "owner": simple_user(u, owner_of(store, repo)),
        "private": bool(repo.get("private", True)),
        "html_url": html,
        "description": repo.get("description"),
        "fork": False,
        "url": base,
    }
    for key, suffix in {
        "archive_url": "/{archive_format}{/ref}",
        "assignees_url": "/assignees{/user}",
        "blobs_url": "/git/blobs{/sha}",
        "branches_url": "/branches{/branch}",
        "collaborators_url": "/collaborators{/collaborator}",
        "comments_url": "/comments{/number}",
        "commits_url": "/commits{/sha}",
        "compare_url": "/compare/{base}...{head}",
        "contents_url": "/contents/{+path}",
        "contributors_url": "/contributors",
        "deployments_url": "/deployments",
        "downloads_url": "/downloads",
        "events_url": "/events",
        "forks_url": "/forks",
        "git_commits_url": "/git/commits{/sha}",
        "git_refs_url": "/git/refs{/sha}",
        "git_tags_url": "/git/tags{/sha}",
        "hooks_url": "/hooks",
        "issue_comment_url": "/issues/comments{/number}",
        "issue_events_url": "/issues/events{/number}",
        "issues_url": "/issues{/number}",
        "keys_url": "/keys{/key_id}",
        "labels_url": "/labels{/name}",
        "languages_url": "/languages",
        "merges_url": "/merges",
        "milestones_url": "/milestones{/number}",
        "notifications_url": "/notifications{?since,all,participating}",
        "pulls_url": "/pulls{/number}",
        "releases_url": "/releases{/id}",
        "stargazers_url": "/stargazers",
        "statuses_url": "/statuses/{sha}",
        "subscribers_url": "/subscribers",
        "subscription_url": "/subscription",
        "tags_url": "/tags",
        "teams_url": "/teams",
        "trees_url": "/git/trees{/sha}",
    }.items():
        out[key] = base + suffix
    if not full:
        return out
    host = u.web.split("://", 1)[1]
    out.update(
        {
            "git_url": f"git://{host}/{repo['full_name']}.git",
            "ssh_url": f"git@{host}:{repo['full_name']}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "mirror_url": None,
            "homepage": None,
            "language": "Python",
            "forks_count": 0,
            "forks": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "size": 1,
            "default_branch": repo["default_branch"],
            "open_issues_count": _open_pulls(repo),
            "open_issues": _open_pulls(repo),
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.get("private", True) else "public",
            "pushed_at": iso(repo.get("pushed_at", repo["created_at"])),
            "created_at": created,
            "updated_at": created,
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
            **repo_rules.merge_settings(repo),
            "allow_auto_merge": False,
            "delete_branch_on_merge": False,
            "license": None,
            "network_count": 0,
            "subscribers_count": 0,
        }
    )
    return out


def _open_pulls(repo: Record) -> int:
    return sum(1 for p in repo["pulls"].values() if p["state"] == "open")


# -- branches (their protection is in sandbox.views.rules)


def _protection_summary(u: Urls, repo: Record, rule: Record | None) -> Record:
    """The `protection` a branch shows to anyone who can read it: enabled, and its required checks."""
    if rule is None:
        return {
            "enabled": False,
            "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
        }
    required = protection.required_checks(rule)
    return {
        "enabled": True,
        "required_status_checks": {
            "enforcement_level": ("everyone" if rule.get("enforce_admins") else "non_admins")
            if required
            else "off",
            "contexts": [c["context"] for c in required],
            "checks": [{"context": c["context"], "app_id": c["app_id"]} for c in required],
        },
    }


def short_branch(u: Urls, repo: Record, name: str, sha: str, rule: Record | None) -> Record:
    """A branch in the branch list."""
    return {
        "name": name,
        "commit": {"sha": sha, "url": f"{u.repo(repo)}/commits/{sha}"},
        "protected": rule is not None,
        "protection": _protection_summary(u, repo, rule),
        "protection_url": f"{u.repo(repo)}/branches/{name}/protection",
    }


def branch(u: Urls, repo: Record, name: str, commit: Record, rule: Record | None) -> Record:
    """One branch, with its head commit (already rendered); `protected` counts classic protection only."""
    base = u.repo(repo)
    return {
        "name": name,
        "commit": commit,
        "_links": {"self": f"{base}/branches/{name}", "html": f"{u.repo_html(repo)}/tree/{name}"},
        "protected": rule is not None,
        "protection": _protection_summary(u, repo, rule),
        "protection_url": f"{base}/branches/{name}/protection",
    }


# -- webhooks


def hook(u: Urls, repo: Record, record: Record) -> Record:
    url = f"{u.repo(repo)}/hooks/{record['id']}"
    return {
        "type": "Repository",
        "id": record["id"],
        "name": "web",
        "active": record["active"],
        "events": record["events"],
        "config": record["config"],
        "updated_at": iso(record["created_at"]),
        "created_at": iso(record["created_at"]),
        "url": url,
        "test_url": f"{url}/test",
        "ping_url": f"{url}/pings",
        "deliveries_url": f"{url}/deliveries",
        "last_response": {"code": None, "status": "unused", "message": None},
    }
