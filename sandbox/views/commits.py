"""Commits (with files and stats), diff entries, contents, check runs and commit statuses."""

from __future__ import annotations

import base64
from typing import Any

import pygit2

from sandbox.identity import user_for_email
from sandbox.state import Record, Store, iso
from sandbox.views import Urls, node_id
from sandbox.views.git_data import VERIFICATION, git_user
from sandbox.views.users import simple_user


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
