"""Git Data shapes: git commits, refs, blobs and trees, and the author/committer inside commits."""

from __future__ import annotations

import base64
from typing import Any

import pygit2

from sandbox.gitstore import GitRepo
from sandbox.state import Record, iso
from sandbox.views import Urls, node_id


def git_user(sig: pygit2.Signature) -> Record:
    return {"name": sig.name, "email": sig.email, "date": iso(sig.time)}


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


def git_ref(u: Urls, repo: Record, full_ref: str, sha: str) -> Record:
    return {
        "ref": full_ref,
        "node_id": node_id("Ref", full_ref),
        "url": f"{u.repo(repo)}/git/{full_ref}",
        "object": {"type": "commit", "sha": sha, "url": f"{u.repo(repo)}/git/commits/{sha}"},
    }


def blob(u: Urls, repo: Record, obj: Any) -> Record:
    return {
        "sha": str(obj.id),
        "node_id": node_id("Blob", str(obj.id)),
        "size": obj.size,
        "url": f"{u.repo(repo)}/git/blobs/{obj.id}",
        "content": base64.encodebytes(obj.data).decode(),
        "encoding": "base64",
    }


def tree(u: Urls, repo: Record, git: GitRepo, root: Any, recursive: bool) -> Record:
    base = u.repo(repo)
    entries = []

    def walk(t: Any, prefix: str) -> None:
        for e in t:
            path = prefix + e.name
            kind = e.type_str
            item = {"path": path, "mode": f"{e.filemode:06o}", "type": kind, "sha": str(e.id)}
            if kind == "blob":
                item["size"] = git.get(e.id).size
                item["url"] = f"{base}/git/blobs/{e.id}"
            else:
                item["url"] = f"{base}/git/trees/{e.id}"
            entries.append(item)
            if recursive and kind == "tree":
                walk(git.get(e.id), path + "/")

    walk(root, "")
    return {"sha": str(root.id), "url": f"{base}/git/trees/{root.id}", "tree": entries, "truncated": False}
