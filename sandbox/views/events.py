"""Webhook payloads' own parts, in GitHub's shapes (`@octokit/webhooks-schemas`); sandbox/webhooks.py
adds `action`, `repository`, `organization`, `sender` and `installation`.

Most events carry the REST representation of their object (a pull request, a check run, a run);
a push carries its commits in the push shape (`id`, `tree_id`, `distinct`, `added`/`removed`/
`modified`, ...) and the pusher as a git identity.
"""

from __future__ import annotations

import pygit2

from sandbox.gitstore import GitRepo
from sandbox.identity import user_for_email
from sandbox.state import Record, iso
from sandbox.views import Urls

ZERO = "0" * 40
# GitHub lists at most this many commits in a push payload (and at most 2048).
PUSH_COMMITS = 20


def _person(sig: pygit2.Signature, login: str | None) -> Record:
    out: Record = {"name": sig.name, "email": sig.email, "date": iso(sig.time)}
    if login:
        out["username"] = login
    return out


def push_commit(u: Urls, store: object, repo: Record, git: GitRepo, commit: pygit2.Commit) -> Record:
    parent = str(commit.parent_ids[0]) if commit.parent_ids else None
    changes = git.diff(parent, str(commit.id))
    author = user_for_email(store, commit.author.email)  # type: ignore[arg-type]
    committer = user_for_email(store, commit.committer.email)  # type: ignore[arg-type]
    return {
        "id": str(commit.id),
        "tree_id": str(commit.tree_id),
        "distinct": True,
        "message": commit.message,
        "timestamp": iso(commit.committer.time),
        "url": f"{u.repo_html(repo)}/commit/{commit.id}",
        "author": _person(commit.author, (author or {}).get("login")),
        "committer": _person(commit.committer, (committer or {}).get("login")),
        "added": [c.filename for c in changes if c.status == "added"],
        "removed": [c.filename for c in changes if c.status in ("deleted", "removed")],
        "modified": [c.filename for c in changes if c.status in ("modified", "renamed")],
    }


def push(
    u: Urls,
    store: object,
    repo: Record,
    git: GitRepo,
    full_ref: str,
    before: str | None,
    after: str | None,
    pusher: Record | None,
) -> Record:
    """A push: a branch created, moved (fast-forward or forced) or deleted."""
    created, deleted = before is None, after is None
    forced = not created and not deleted and not git.is_ancestor(str(before), str(after))
    commits: list[Record] = []
    head = None
    if after is not None:
        listed = (
            git.commits_between(before, after) if before is not None and not forced else [git.commit(after)]
        )
        listed = [c for c in listed if c is not None][-PUSH_COMMITS:]
        commits = [push_commit(u, store, repo, git, c) for c in listed]
        head_commit = git.commit(after)
        head = push_commit(u, store, repo, git, head_commit) if head_commit is not None else None
    name = (pusher or {}).get("login") or "github"
    return {
        "ref": full_ref,
        "before": before or ZERO,
        "after": after or ZERO,
        "created": created,
        "deleted": deleted,
        "forced": forced,
        "base_ref": None,
        "compare": f"{u.repo_html(repo)}/compare/{(before or ZERO)[:12]}...{(after or ZERO)[:12]}",
        "commits": commits,
        "head_commit": head,
        "pusher": {"name": name, "email": f"{name}@users.noreply.sandbox.local"},
    }
