"""Git Data API, merges, compare, pagination: the real git behind the API."""

from __future__ import annotations

import pytest
from github import GithubException, InputGitTreeElement

from sandbox import seed
from sandbox.testing import SandboxHandle


def test_cherry_pick_recipe_with_git_data_api(sandbox: SandboxHandle) -> None:
    """The known recipe: temp commit on the picked commit's parent, merge, commit the tree on the head."""
    repo = sandbox.github().get_repo(seed.REPO)
    develop = repo.get_branch("develop").commit.sha
    main = repo.get_branch("main").commit.sha
    picked = repo.get_commit(develop)  # "Bump version" touches VERSION only
    parent = picked.parents[0].sha
    target = repo.get_git_commit(main)
    repo.create_git_ref("refs/heads/pick", main)
    temp = repo.create_git_commit("temp", target.tree, [repo.get_git_commit(parent)])
    repo.create_git_ref("refs/heads/pick-temp", temp.sha)
    merged = repo.merge("pick-temp", picked.sha, "merge pick")
    assert merged is not None and len(merged.parents) == 2
    tree = repo.get_git_tree(merged.commit.tree.sha)
    final = repo.create_git_commit(picked.commit.message, tree, [target])
    repo.get_git_ref("heads/pick").edit(final.sha)
    content = repo.get_contents("VERSION", ref="pick")
    assert content.decoded_content == b"1.1.0-dev\n"  # type: ignore[union-attr]
    assert repo.get_contents("README.md", ref="pick") is not None
    assert repo.merge("pick-temp", parent) is None  # already contained: 204
    repo.get_git_ref("heads/pick-temp").delete()
    with pytest.raises(GithubException):
        repo.get_git_ref("heads/pick-temp")


def test_blobs_and_trees(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    blob = repo.create_git_blob("hello", "utf-8")
    base = repo.get_git_tree(repo.get_branch("main").commit.commit.tree.sha)
    tree = repo.create_git_tree(
        [
            InputGitTreeElement("deep/dir/file.txt", "100644", "blob", sha=blob.sha),
            InputGitTreeElement("README.md", "100644", "blob", sha=None),
        ],
        base,
    )
    paths = {e.path for e in repo.get_git_tree(tree.sha, recursive=True).tree}
    assert "deep/dir/file.txt" in paths and "README.md" not in paths and "app.py" in paths


def test_compare_uses_the_real_merge_base(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    ahead = repo.compare("main", "develop")
    assert (ahead.status, ahead.ahead_by, ahead.behind_by) == ("ahead", 3, 0)
    assert ahead.commits[0].commit.message == "Start feature X"
    behind = repo.compare("develop", "main")
    assert (behind.status, behind.behind_by) == ("behind", 3)
    assert repo.compare("main", "main").status == "identical"
    main = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/side", main)
    repo.create_file("side.txt", "side", "s", branch="side")
    diverged = repo.compare("develop", "side")
    assert (diverged.status, diverged.ahead_by, diverged.behind_by) == ("diverged", 1, 3)
    assert diverged.merge_base_commit.sha == main
    assert [f.filename for f in diverged.files] == ["side.txt"]
    slashed = repo.compare("main", "side")
    assert slashed.ahead_by == 1


def test_pagination_with_link_header(sandbox: SandboxHandle) -> None:
    gh = sandbox.github(per_page=2)
    repo = gh.get_repo(seed.REPO)
    main = repo.get_branch("main").commit.sha
    for i in range(5):
        repo.create_git_ref(f"refs/heads/page/{i}", main)
    names = [b.name for b in repo.get_branches()]
    # The seed's main, develop and an earlier hotfix's prod branch, and the five made here.
    assert names == sorted(names) and len(names) == 8
    pages = [r for r in sandbox.requests() if r["path"].endswith("/branches")]
    assert len(pages) == 4  # 8 branches, 2 per page


def test_lazy_completion_follows_urls_back_to_the_sandbox(sandbox: SandboxHandle) -> None:
    repo = sandbox.github(lazy=True).get_repo(seed.REPO)
    pull = repo.create_pull(base="main", head="develop", title="Release")
    lazy = repo.get_pull(pull.number)
    assert lazy.user.login == seed.BOT
    assert lazy.base.repo.full_name == seed.REPO
    assert lazy.user.url.startswith(sandbox.api_url)
    comment = lazy.create_issue_comment("Please review")
    assert [c.body for c in lazy.get_issue_comments()] == ["Please review"]
    assert comment.user.login == seed.BOT
    lazy.edit(state="closed")
    assert repo.get_pull(pull.number).state == "closed"
    assert [p.number for p in repo.get_pulls(state="closed")] == [pull.number]
    assert list(repo.get_pulls(state="open")) == []
