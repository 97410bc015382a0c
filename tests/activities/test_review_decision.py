"""Whose approval counts: the review decision the approval wait reports, as a reviewer would game it."""

from __future__ import annotations

from typing import Any

from activities.reviews import commit_people, review_state
from hotfix.models import ReviewState

HEAD = "b" * 40
OLDER = "a" * 40
OPEN = {"state": "open", "merged": False, "head": {"sha": HEAD}}


def review(user: str, state: str, commit: str = HEAD, kind: str = "User") -> dict[str, Any]:
    return {"user": {"login": user, "type": kind}, "state": state, "commit_id": commit}


def test_the_latest_decision_per_user_counts() -> None:
    reviews = [review("a", "CHANGES_REQUESTED"), review("b", "APPROVED"), review("a", "COMMENTED")]
    decided = review_state(OPEN, reviews)
    assert (decided.state, decided.approved_by, decided.changes_requested_by) == (
        ReviewState.CHANGES_REQUESTED,
        ["b"],
        ["a"],
    )
    reviews.append(review("a", "APPROVED"))
    decided = review_state(OPEN, reviews)
    assert (decided.state, decided.approved_by, decided.changes_requested_by) == (
        ReviewState.APPROVED,
        ["a", "b"],
        [],
    )
    reviews += [review("a", "DISMISSED"), review("b", "DISMISSED")]
    decided = review_state(OPEN, reviews)
    assert (decided.state, decided.approved_by, decided.changes_requested_by) == (ReviewState.PENDING, [], [])
    assert review_state({"state": "closed", "merged": True}, reviews).state == ReviewState.MERGED
    assert review_state({"state": "closed", "merged": False}, reviews).state == ReviewState.CLOSED


def test_an_approval_of_an_older_commit_does_not_approve_the_head() -> None:
    decided = review_state(OPEN, [review("prod-reviewer-1", "APPROVED", commit=OLDER)])
    assert decided.state == ReviewState.PENDING and decided.approved_by == []
    assert decided.ignored == [f"prod-reviewer-1: approved {OLDER[:12]}, not the head {HEAD[:12]}"]


def test_an_approval_without_a_commit_counts_for_nothing() -> None:
    unbound = {"user": {"login": "prod-reviewer-1"}, "state": "APPROVED"}
    assert review_state(OPEN, [unbound]).state == ReviewState.PENDING
    assert review_state({"state": "open", "head": {}}, [review("x", "APPROVED", commit="")]).approved_by == []


def test_the_fixs_author_cannot_approve_it_unless_independent_review_is_off() -> None:
    reviews = [review("dev-1", "APPROVED")]
    strict = review_state(OPEN, reviews, authors=frozenset({"dev-1"}))
    assert strict.state == ReviewState.PENDING
    assert strict.ignored == ["dev-1: wrote or committed a commit of this hotfix"]
    lax = review_state(OPEN, reviews, authors=frozenset({"dev-1"}), independent=False)
    assert lax.state == ReviewState.APPROVED and lax.approved_by == ["dev-1"]
    assert lax.flags == ["approved by dev-1, who wrote or committed a commit of this hotfix"]


def test_a_bot_never_approves() -> None:
    for bot in (review("github-actions[bot]", "APPROVED"), review("release-app", "APPROVED", kind="Bot")):
        decided = review_state(OPEN, [bot])
        assert decided.state == ReviewState.PENDING and decided.approved_by == []
        assert decided.ignored[0].endswith("a bot, not a person")


def test_the_required_number_of_approvals_must_be_reached() -> None:
    one = [review("prod-reviewer-1", "APPROVED")]
    assert review_state(OPEN, one, required=2).state == ReviewState.PENDING
    two = [*one, review("prod-reviewer-2", "APPROVED")]
    assert review_state(OPEN, two, required=2).state == ReviewState.APPROVED


def test_authors_and_committers_are_read_from_the_commits() -> None:
    commits: list[dict[str, Any]] = [
        {"author": {"login": "dev-1"}, "committer": {"login": "hotfix-bot"}},
        {"author": None, "committer": {"login": "web-flow"}},
    ]
    assert commit_people(commits) == {"dev-1", "hotfix-bot", "web-flow"}
