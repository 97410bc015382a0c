"""A PR's mergeability comes from git, as GitHub's does: unknown while GitHub computes it after either
branch moved, `dirty` when both sides changed the same lines since their merge base, `clean` again
once someone merges the base into the head; and a push that brings the head into the base (a merge
by hand) makes the PR merged. Labels, which the hotfix puts on a PR that conflicts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from github import GithubException, InputGitTreeElement

from sandbox import seed
from sandbox.testing import SandboxHandle

COMPUTING = 0.3


def eventually(read: Callable[[], Any], wanted: Callable[[Any], bool], what: str) -> Any:
    deadline = time.monotonic() + 5
    while True:
        seen = read()
        if wanted(seen):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: last seen {seen}")
        time.sleep(0.05)


def edit(repo: Any, branch: str, text: str, path: str = "README.md") -> str:
    current = repo.get_contents(path, ref=branch)
    return str(repo.update_file(path, f"{branch}: {text}", text, current.sha, branch=branch)["commit"].sha)


def state(repo: Any, number: int) -> tuple[bool | None, str]:
    pull = repo.get_pull(number)
    return pull.mergeable, pull.mergeable_state


def two_branches(repo: Any) -> None:
    sha = repo.get_branch("main").commit.sha
    for branch in ("target", "side"):
        repo.create_git_ref(f"refs/heads/{branch}", sha)


def test_mergeability_is_computed_from_git_unknown_dirty_then_clean(sandbox: SandboxHandle) -> None:
    sandbox.set_settings(mergeability_seconds=COMPUTING)
    repo = sandbox.github().get_repo(seed.REPO)
    two_branches(repo)
    edit(repo, "side", "# the side's README\n")
    number = repo.create_pull(base="target", head="side", title="Side").number
    # The first read after the PR appeared: GitHub has only started computing.
    assert state(repo, number) == (None, "unknown")
    eventually(lambda: state(repo, number), lambda s: s == (True, "clean"), "clean once computed")

    # The base gets its own change to the same line: unknown for a moment, then a conflict.
    target_sha = edit(repo, "target", "# the target's README\n")
    assert state(repo, number) == (None, "unknown")
    eventually(lambda: state(repo, number), lambda s: s == (False, "dirty"), "dirty once computed")
    with pytest.raises(GithubException) as refused:
        repo.get_pull(number).merge()
    assert refused.value.status == 405 and refused.value.data["message"] == "Pull Request is not mergeable"

    # Someone resolves it: a merge of the target into the side branch, with both changes kept.
    side = repo.get_branch("side").commit
    tree = repo.create_git_tree(
        [InputGitTreeElement("README.md", "100644", "blob", content="# both READMEs\n")],
        base_tree=repo.get_git_tree(side.commit.tree.sha),
    )
    resolved = repo.create_git_commit(
        "Merge target into side", tree, [side.commit, repo.get_git_commit(target_sha)]
    )
    repo.get_git_ref("heads/side").edit(resolved.sha)
    eventually(lambda: state(repo, number), lambda s: s == (True, "clean"), "clean after the resolution")
    assert repo.get_pull(number).merge().merged


def test_a_change_on_another_file_merges_and_one_on_the_same_lines_alike_too(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    two_branches(repo)
    edit(repo, "side", "# same\n")
    edit(repo, "target", "# same\n")  # the same change on both sides: nothing to resolve
    edit(repo, "target", "1.2.3\n", path="VERSION")
    number = repo.create_pull(base="target", head="side", title="Side").number
    assert state(repo, number)[0] is True


def test_pushing_the_head_into_the_base_by_hand_merges_the_pr(sandbox: SandboxHandle) -> None:
    repo = sandbox.github(seed.DEV_TOKEN).get_repo(seed.REPO)
    two_branches(repo)
    edit(repo, "side", "# the side's README\n")
    number = repo.create_pull(base="target", head="side", title="Side").number
    merge = repo.merge("target", "side", "merged by hand")
    assert merge is not None
    pull = repo.get_pull(number)
    assert pull.merged and pull.state == "closed" and pull.merged_by.login == seed.DEV
    assert pull.merge_commit_sha == merge.sha


def test_labels_are_made_once_and_added_once(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    two_branches(repo)
    edit(repo, "side", "# the side's README\n")
    pull = repo.create_pull(base="target", head="side", title="Side")
    made = repo.create_label("hotfix-conflict", "d73a4a", "conflicts to resolve")
    assert (made.name, made.color, made.description) == ("hotfix-conflict", "d73a4a", "conflicts to resolve")
    with pytest.raises(GithubException) as exists:
        repo.create_label("Hotfix-Conflict", "ffffff")  # names are case-insensitive
    assert exists.value.status == 422 and exists.value.data["errors"][0]["code"] == "already_exists"
    for _ in range(2):  # adding again changes nothing
        pull.add_to_labels("hotfix-conflict")
    # A label that does not exist yet is made, grey, by adding it.
    pull.add_to_labels("needs-human")
    assert [(label.name, label.color) for label in repo.get_pull(pull.number).labels] == [
        ("hotfix-conflict", "d73a4a"),
        ("needs-human", "ededed"),
    ]
    assert sorted(label.name for label in repo.get_labels()) == ["hotfix-conflict", "needs-human"]
