"""JSON shapes of GitHub's resources, built from state; every URL points back at this server."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pygit2

from sandbox.state import Record, Store, iso

GIT_EMAIL_DOMAIN = "users.noreply.sandbox.local"


@dataclass(frozen=True)
class Urls:
    api: str  # http://host:port/api/v3
    web: str  # http://host:port

    def repo(self, repo: Record) -> str:
        return f"{self.api}/repos/{repo['full_name']}"

    def repo_html(self, repo: Record) -> str:
        return f"{self.web}/{repo['full_name']}"


def node_id(kind: str, ident: int | str) -> str:
    return base64.b64encode(f"{kind}:{ident}".encode()).decode().rstrip("=")


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
        }
    )
    return out


def owner_of(store: Store, repo: Record) -> Record:
    owner = store.user(repo["owner"]) or store.data["orgs"].get(repo["owner"])
    assert owner is not None
    return owner


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
            "allow_rebase_merge": True,
            "allow_squash_merge": True,
            "allow_merge_commit": True,
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


# -- git


def git_user(sig: pygit2.Signature) -> Record:
    return {"name": sig.name, "email": sig.email, "date": iso(sig.time)}


def user_for_email(store: Store, email: str) -> Record | None:
    login = email.split("@", 1)[0] if email.endswith("@" + GIT_EMAIL_DOMAIN) else None
    return store.user(login) if login else None


VERIFICATION = {
    "verified": False,
    "reason": "unsigned",
    "signature": None,
    "payload": None,
    "verified_at": None,
}


def git_commit(u: Urls, repo: Record, commit: pygit2.Commit) -> Record:
    base = u.repo(repo)
    return {
        "sha": str(commit.id),
        "node_id": node_id("Commit", str(commit.id)),
        "url": f"{base}/git/commits/{commit.id}",
        "html_url": f"{u.repo_html(repo)}/commit/{commit.id}",
        "author": git_user(commit.author),
        "committer": git_user(commit.committer),
        "message": commit.message,
        "tree": {"sha": str(commit.tree_id), "url": f"{base}/git/trees/{commit.tree_id}"},
        "parents": [
            {
                "sha": str(p),
                "url": f"{base}/git/commits/{p}",
                "html_url": f"{u.repo_html(repo)}/commit/{p}",
            }
            for p in commit.parent_ids
        ],
        "verification": dict(VERIFICATION),
    }


def commit(
    u: Urls, store: Store, repo: Record, c: pygit2.Commit, files: list[Record] | None = None
) -> Record:
    base = u.repo(repo)
    sha = str(c.id)
    out: Record = {
        "url": f"{base}/commits/{sha}",
        "sha": sha,
        "node_id": node_id("Commit", sha),
        "html_url": f"{u.repo_html(repo)}/commit/{sha}",
        "comments_url": f"{base}/commits/{sha}/comments",
        "commit": {
            "url": f"{base}/git/commits/{sha}",
            "author": git_user(c.author),
            "committer": git_user(c.committer),
            "message": c.message,
            "comment_count": 0,
            "tree": {"sha": str(c.tree_id), "url": f"{base}/git/trees/{c.tree_id}"},
            "verification": dict(VERIFICATION),
        },
        # GitHub shows {} (not null) when no account owns the e-mail.
        "author": simple_user(u, user_for_email(store, c.author.email)) or {},
        "committer": simple_user(u, user_for_email(store, c.committer.email)) or {},
        "parents": [
            {"sha": str(p), "url": f"{base}/commits/{p}", "html_url": f"{u.repo_html(repo)}/commit/{p}"}
            for p in c.parent_ids
        ],
    }
    if files is not None:
        additions = sum(f["additions"] for f in files)
        deletions = sum(f["deletions"] for f in files)
        out["stats"] = {"additions": additions, "deletions": deletions, "total": additions + deletions}
        out["files"] = files
    return out


def diff_entry(u: Urls, repo: Record, ref: str, f: Any) -> Record:
    base = u.repo(repo)
    return {
        "sha": f.sha,
        "filename": f.filename,
        "status": f.status,
        "additions": f.additions,
        "deletions": f.deletions,
        "changes": f.additions + f.deletions,
        "blob_url": f"{u.repo_html(repo)}/blob/{ref}/{f.filename}",
        "raw_url": f"{u.repo_html(repo)}/raw/{ref}/{f.filename}",
        "contents_url": f"{base}/contents/{f.filename}?ref={ref}",
        "patch": f.patch,
    }


def git_ref(u: Urls, repo: Record, full_ref: str, sha: str) -> Record:
    return {
        "ref": full_ref,
        "node_id": node_id("Ref", full_ref),
        "url": f"{u.repo(repo)}/git/{full_ref}",
        "object": {"type": "commit", "sha": sha, "url": f"{u.repo(repo)}/git/commits/{sha}"},
    }


def content_file(u: Urls, repo: Record, path: str, ref: str, blob: pygit2.Blob, with_content: bool) -> Record:
    base = u.repo(repo)
    sha = str(blob.id)
    out: Record = {
        "type": "file",
        "encoding": "base64",
        "size": blob.size,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "url": f"{base}/contents/{path}?ref={ref}",
        "git_url": f"{base}/git/blobs/{sha}",
        "html_url": f"{u.repo_html(repo)}/blob/{ref}/{path}",
        "download_url": f"{u.web}/raw/{repo['full_name']}/{ref}/{path}",
        "_links": {
            "self": f"{base}/contents/{path}?ref={ref}",
            "git": f"{base}/git/blobs/{sha}",
            "html": f"{u.repo_html(repo)}/blob/{ref}/{path}",
        },
    }
    if with_content:
        out["content"] = base64.encodebytes(blob.data).decode()
    return out


def content_dir_entry(u: Urls, repo: Record, path: str, ref: str, entry: pygit2.Object, kind: str) -> Record:
    base = u.repo(repo)
    sha = str(entry.id)
    git_url = f"{base}/git/{'trees' if kind == 'dir' else 'blobs'}/{sha}"
    html = f"{u.repo_html(repo)}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{path}"
    return {
        "type": kind,
        "size": 0 if kind == "dir" else entry.size,  # type: ignore[attr-defined]
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "url": f"{base}/contents/{path}?ref={ref}",
        "git_url": git_url,
        "html_url": html,
        "download_url": None if kind == "dir" else f"{u.web}/raw/{repo['full_name']}/{ref}/{path}",
        "_links": {"self": f"{base}/contents/{path}?ref={ref}", "git": git_url, "html": html},
    }


# -- checks and statuses


def check_run(u: Urls, store: Store, repo: Record, cr: Record) -> Record:
    base = u.repo(repo)
    return {
        "id": cr["id"],
        "node_id": node_id("CheckRun", cr["id"]),
        "head_sha": cr["head_sha"],
        "external_id": str(cr["id"]),
        "url": f"{base}/check-runs/{cr['id']}",
        "html_url": f"{u.repo_html(repo)}/runs/{cr['id']}",
        "details_url": f"{u.repo_html(repo)}/runs/{cr['id']}",
        "status": cr["status"],
        "conclusion": cr["conclusion"],
        "started_at": iso(cr["started_at"]),
        "completed_at": iso(cr["completed_at"]),
        "output": {
            "title": cr.get("title"),
            "summary": cr.get("summary"),
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{base}/check-runs/{cr['id']}/annotations",
        },
        "name": cr["name"],
        "check_suite": {"id": cr["id"]},
        "app": None,
        "pull_requests": [],
    }


def status(u: Urls, store: Store, repo: Record, st: Record) -> Record:
    return {
        "url": f"{u.repo(repo)}/statuses/{st['sha']}",
        "avatar_url": None,
        "id": st["id"],
        "node_id": node_id("StatusContext", st["id"]),
        "state": st["state"],
        "description": st.get("description"),
        "target_url": st.get("target_url"),
        "context": st["context"],
        "created_at": iso(st["created_at"]),
        "updated_at": iso(st["created_at"]),
        "creator": simple_user(u, store.user(st["creator"])),
    }


# -- pulls


def pull_request(u: Urls, store: Store, repo: Record, pr: Record, extra: Record | None) -> Record:
    base = u.repo(repo)
    html = f"{u.repo_html(repo)}/pull/{pr['number']}"
    number = pr["number"]
    issue = f"{base}/issues/{number}"
    url = f"{base}/pulls/{number}"

    def side(branch: str, sha: str) -> Record:
        return {
            "label": f"{repo['owner']}:{branch}",
            "ref": branch,
            "sha": sha,
            "user": simple_user(u, owner_of(store, repo)),
            "repo": repository(u, store, repo),
        }

    state_open = pr["state"] == "open"
    out: Record = {
        "url": url,
        "id": pr["id"],
        "node_id": node_id("PullRequest", pr["id"]),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue,
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": f"{base}/pulls/comments{{/number}}",
        "comments_url": f"{issue}/comments",
        "statuses_url": f"{base}/statuses/{pr['head_sha']}",
        "number": number,
        "state": pr["state"],
        "locked": False,
        "title": pr["title"],
        "user": simple_user(u, store.user(pr["user"])),
        "body": pr.get("body"),
        "labels": [],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": iso(pr["created_at"]),
        "updated_at": iso(pr["updated_at"]),
        "closed_at": iso(pr.get("closed_at")),
        "merged_at": iso(pr.get("merged_at")),
        "merge_commit_sha": pr.get("merge_commit_sha"),
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [simple_user(u, store.user(r)) for r in pr.get("requested_reviewers", [])],
        "requested_teams": [],
        "head": side(pr["head"], pr["head_sha"]),
        "base": side(pr["base"], pr["base_sha"]),
        "_links": {
            "self": {"href": url},
            "html": {"href": html},
            "issue": {"href": issue},
            "comments": {"href": f"{issue}/comments"},
            "review_comments": {"href": f"{url}/comments"},
            "review_comment": {"href": f"{base}/pulls/comments{{/number}}"},
            "commits": {"href": f"{url}/commits"},
            "statuses": {"href": f"{base}/statuses/{pr['head_sha']}"},
        },
        "author_association": "MEMBER",
        "auto_merge": None,
        "draft": bool(pr.get("draft", False)),
    }
    if extra is not None:
        out.update(extra)
        out.update(
            {
                "merged": bool(pr.get("merged", False)),
                "merged_by": simple_user(u, store.user(pr["merged_by"])) if pr.get("merged_by") else None,
                "comments": sum(1 for c in repo["comments"] if c["issue"] == number),
                "review_comments": 0,
                "maintainer_can_modify": False,
                "rebaseable": extra.get("mergeable") if state_open else None,
            }
        )
    return out


def review(u: Urls, store: Store, repo: Record, rv: Record) -> Record:
    html = f"{u.repo_html(repo)}/pull/{rv['pull']}#pullrequestreview-{rv['id']}"
    pr_url = f"{u.repo(repo)}/pulls/{rv['pull']}"
    return {
        "id": rv["id"],
        "node_id": node_id("PullRequestReview", rv["id"]),
        "user": simple_user(u, store.user(rv["user"])),
        "body": rv.get("body") or "",
        "state": rv["state"],
        "html_url": html,
        "pull_request_url": pr_url,
        "_links": {"html": {"href": html}, "pull_request": {"href": pr_url}},
        "submitted_at": iso(rv["submitted_at"]),
        "commit_id": rv["commit_id"],
        "author_association": "MEMBER",
    }


def issue_comment(u: Urls, store: Store, repo: Record, c: Record) -> Record:
    return {
        "id": c["id"],
        "node_id": node_id("IssueComment", c["id"]),
        "url": f"{u.repo(repo)}/issues/comments/{c['id']}",
        "html_url": f"{u.repo_html(repo)}/pull/{c['issue']}#issuecomment-{c['id']}",
        "body": c["body"],
        "user": simple_user(u, store.user(c["user"])),
        "created_at": iso(c["created_at"]),
        "updated_at": iso(c["created_at"]),
        "issue_url": f"{u.repo(repo)}/issues/{c['issue']}",
        "author_association": "MEMBER",
    }
