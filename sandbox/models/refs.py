"""Moving branches: every update of a branch is a push, by someone, so CI starts on the new head.

A push to an open pull request's head branch dismisses the PR's approvals when the base's
protection or rulesets dismiss stale reviews, and records who pushed (for last-push approval). A
push that brings an open PR's head into its base (someone merged it by hand, with git) makes the PR
merged, by the pusher, as GitHub does.
"""

from __future__ import annotations

import time

from sandbox import errors
from sandbox.core import Sandbox
from sandbox.gitstore import HEADS
from sandbox.models import ci, events, gate, reviews
from sandbox.state import Record


def set_branch(
    sb: Sandbox, repo: Record, branch: str, sha: str, pusher: str | None = None, merging: int | None = None
) -> None:
    """`merging`: the PR whose merge this push is (it is closed as merged by the merge, not here)."""
    set_ref(sb, repo, HEADS + branch, sha, pusher, merging)


def set_ref(
    sb: Sandbox,
    repo: Record,
    full_ref: str,
    sha: str,
    pusher: str | None = None,
    merging: int | None = None,
) -> None:
    git = sb.store.git(repo)
    before = git.ref_sha(full_ref)
    git.set_ref(full_ref, sha)
    repo["pushed_at"] = time.time()
    sb.store.touch()
    events.push(sb, repo, full_ref, before, sha, pusher)
    if not full_ref.startswith(HEADS):
        return
    branch = full_ref[len(HEADS) :]
    repo.setdefault("pushes", {})[branch] = {"sha": sha, "pusher": pusher, "at": time.time()}
    if before is not None and before != sha:
        _pushed_to_head(sb, repo, branch, sha, pusher)
        _pushed_to_base(sb, repo, branch, sha, pusher, merging)
    ci.start(sb, repo, sha, branch)


def _pushed_to_head(sb: Sandbox, repo: Record, branch: str, sha: str, pusher: str | None) -> None:
    for pr in repo["pulls"].values():
        if pr["state"] == "open" and pr["head"] == branch:
            before = pr["head_sha"]
            pr["head_sha"] = sha
            ci.start(sb, repo, sha, branch, event="pull_request")
            if gate.dismisses_stale(repo, pr["base"]):
                reviews.dismiss(sb, repo, pr)
            events.pull_request(sb, repo, pr, "synchronize", pusher, before=before, after=sha)


def _pushed_to_base(
    sb: Sandbox, repo: Record, branch: str, sha: str, pusher: str | None, merging: int | None
) -> None:
    git = sb.store.git(repo)
    for pr in repo["pulls"].values():
        if pr["state"] != "open" or pr["base"] != branch or pr["number"] == merging:
            continue
        if not git.is_ancestor(pr["head_sha"], sha):
            continue
        now = time.time()
        pr.update(
            state="closed",
            merged=True,
            merged_at=now,
            closed_at=now,
            updated_at=now,
            merged_by=pusher,
            merge_commit_sha=sha,
            base_sha=sha,
        )
        events.pull_request(sb, repo, pr, "closed", pusher)


def delete_ref(sb: Sandbox, repo: Record, full_ref: str, pusher: str | None) -> None:
    """A branch or tag deleted: a push with `deleted: true`."""
    git = sb.store.git(repo)
    before = git.ref_sha(full_ref)
    git.delete_ref(full_ref)
    sb.store.touch()
    events.push(sb, repo, full_ref, before, None, pusher)


def branch_sha(sb: Sandbox, repo: Record, branch: str) -> str:
    sha = sb.store.git(repo).branch_sha(branch)
    if sha is None:
        raise errors.NotFound("Branch not found")
    return sha
