"""Moving branches: every update of a branch is a push, so CI starts on the new head."""

from __future__ import annotations

import time

from sandbox import errors
from sandbox.core import Sandbox
from sandbox.gitstore import HEADS
from sandbox.models import ci
from sandbox.state import Record


def set_branch(sb: Sandbox, repo: Record, branch: str, sha: str) -> None:
    set_ref(sb, repo, HEADS + branch, sha)


def set_ref(sb: Sandbox, repo: Record, full_ref: str, sha: str) -> None:
    sb.store.git(repo).set_ref(full_ref, sha)
    repo["pushed_at"] = time.time()
    sb.store.touch()
    if full_ref.startswith(HEADS):
        ci.start(sb, repo, sha)


def branch_sha(sb: Sandbox, repo: Record, branch: str) -> str:
    sha = sb.store.git(repo).branch_sha(branch)
    if sha is None:
        raise errors.NotFound("Branch not found")
    return sha
