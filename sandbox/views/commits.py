"""Commits (with files and stats), diff entries, contents, check runs and commit statuses."""

from __future__ import annotations

import base64
from typing import Any

import pygit2

from sandbox.identity import user_for_email
from sandbox.state import Record, Store
from sandbox.views import Urls, node_id
from sandbox.views.git_data import VERIFICATION, git_user
from sandbox.views.users import simple_user


def commit(
    u: Urls,
    store: Store,
    repo: Record,
    c: pygit2.Commit,
    files: list[Record] | None = None,
    in_list: bool = False,
) -> Record:
    """A commit; `author`/`committer` are the GitHub users their e-mails belong to.

    When no account owns an e-mail GitHub shows null in lists (PR commits, compare, history) and {}
    for a single commit.
    """
    nobody: Record | None = None if in_list else {}
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
        "author": simple_user(u, user_for_email(store, c.author.email)) or nobody,
        "committer": simple_user(u, user_for_email(store, c.committer.email)) or nobody,
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
