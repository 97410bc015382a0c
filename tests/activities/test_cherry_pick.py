"""Cherry-picks through the Git Data API against the sandbox: clean, empty, conflicting, retried."""

from __future__ import annotations

from typing import Any

from github import InputGitTreeElement

from activities.cherry_pick import TEMP_BRANCH_PREFIX
from hotfix.models import (
    CherryPickInput,
)
from tests.activities.conftest import (
    WORK,
    Activities,
    branches,
    dev_repo,
    develop_commits,
    file_text,
    head,
)
from tests.activities.helpers import (
    REPO,
    count,
    run,
)


def test_cherry_pick_clean_then_idempotent(acts: Activities, sandbox: Any) -> None:
    branches(acts, sandbox, WORK)
    picks = develop_commits(sandbox)
    wanted = [picks["Start feature X"]]
    first = run(acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=wanted))
    assert first.applied == wanted and first.conflict_sha is None
    assert first.head_sha == head(sandbox, WORK)
    assert file_text(sandbox, "feature_x.py", WORK) == "X = 1\n"
    commits_made = count(sandbox, "POST", r"/repos/acme/gaia-gateway/git/commits")

    again = run(acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=wanted))
    assert again.applied == wanted
    assert again.head_sha == first.head_sha
    assert count(sandbox, "POST", r"/repos/acme/gaia-gateway/git/commits") == commits_made
    assert not [b.name for b in dev_repo(sandbox).get_branches() if b.name.startswith(TEMP_BRANCH_PREFIX)]


def test_cherry_pick_of_a_change_already_there_is_skipped_as_empty(acts: Activities, sandbox: Any) -> None:
    branches(acts, sandbox, WORK)
    picks = develop_commits(sandbox)
    # Release 1.0 is in main's history already; Start feature X twice in one list is empty the second time.
    main_commit = dev_repo(sandbox).get_commits(sha="main")[0].sha
    result = run(
        acts.cherry_pick,
        CherryPickInput(repository=REPO, branch=WORK, shas=[main_commit, picks["Start feature X"]]),
    )
    assert result.skipped_empty == [main_commit]
    assert result.applied == [picks["Start feature X"]]
    # A commit making the same change as one already picked: the merge changes nothing.
    repo = dev_repo(sandbox)
    base = repo.get_git_commit(head(sandbox, "main"))
    tree = repo.create_git_tree(
        [InputGitTreeElement("feature_x.py", "100644", "blob", content="X = 1\n")], base_tree=base.tree
    )
    same = repo.create_git_commit("Same change as feature X", tree, [base])
    result = run(acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=[same.sha]))
    assert result.skipped_empty == [same.sha] and result.applied == []


def test_cherry_pick_conflict_is_reported_not_raised(acts: Activities, sandbox: Any) -> None:
    branches(acts, sandbox, WORK)
    before = head(sandbox, WORK)
    picks = develop_commits(sandbox)
    # "Work in progress on X" changes feature_x.py, which main does not have: a modify/delete conflict.
    wip = picks["Work in progress on X"]
    result = run(
        acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=[wip, picks["Bump version"]])
    )
    assert result.conflict_sha == wip
    assert result.conflict_files == ["feature_x.py"]
    assert result.applied == []
    assert result.head_sha == before == head(sandbox, WORK)
    assert not [b.name for b in dev_repo(sandbox).get_branches() if b.name.startswith(TEMP_BRANCH_PREFIX)]
