"""Finding what a rollback goes back to (activities/rollback.py), against the sandbox."""

from __future__ import annotations

from typing import Any

from hotfix.models import FindRollbackInput
from tests.activities.conftest import Activities
from tests.activities.helpers import DEV_TOKEN, REPO, count, run


def _deployed(sandbox: Any, ref: str) -> int:
    """A deployment of `ref` to prod that succeeded, as another tool would make it."""
    repo = sandbox.github(token=DEV_TOKEN).get_repo(REPO)
    deployment = repo.create_deployment(ref=ref, environment="prod", auto_merge=False, required_contexts=[])
    deployment.create_status("success")
    return int(deployment.id)


def test_a_deployment_made_by_sha_is_gone_back_to_at_that_sha_without_looking_for_a_branch(
    acts: Activities, sandbox: Any
) -> None:
    repo = sandbox.github(token=DEV_TOKEN).get_repo(REPO)
    old = repo.get_branch("develop").commit.sha
    earlier = _deployed(sandbox, old)  # `ref` is the sha itself
    _deployed(sandbox, "main")
    sandbox.clear_requests()
    target = run(acts.find_rollback_target, FindRollbackInput(repository=REPO, environment="prod"))
    assert (target.deployment, target.sha, target.ref, target.ref_head) == (earlier, old, old, old)
    # A sha is no branch or tag name: no 404 asked for to find that out.
    assert count(sandbox, "GET", rf"(/api/v3)?/repos/{REPO}/(branches|git/ref)/.*") == 0
