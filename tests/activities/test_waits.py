"""The polling activities against the sandbox: each attempt is one look, which returns what changed or
asks Temporal to look again one poll interval later (a benign "not yet")."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from github import InputGitTreeElement
from temporalio.exceptions import ApplicationError

from activities.waits import NOT_YET, GitHubWaits
from hotfix.models import (
    CherryPickInput,
    CreateBranchInput,
    DispatchInput,
    FindBaseInput,
    OpenPullRequestInput,
    ReviewState,
    RunInput,
    RunRef,
    WaitChecksInput,
    WaitReviewInput,
    WaitRunInput,
)
from local.humans import Humans
from tests.activities.conftest import Activities
from tests.activities.helpers import (
    DEV_TOKEN,
    REPO,
    REVIEWER_1_TOKEN,
    client_for,
    environment,
    looked_until,
    run,
)

POLL = timedelta(seconds=0.05)
PROD = "prod/hotfix/2024-05-22_fix-login"
WORK = "hotfix/2024-05-22_fix-login"


@pytest.fixture
def acts(sandbox: Any) -> Activities:
    return Activities(client_for(sandbox), dispatch_lookup_attempts=40, dispatch_lookup_interval=0.05)


@pytest.fixture
def waits(sandbox: Any) -> GitHubWaits:
    return GitHubWaits(client_for(sandbox))


def _repo(sandbox: Any, token: str = DEV_TOKEN) -> Any:
    return sandbox.github(token=token).get_repo(REPO)


def _work_branch_with_a_pick(acts: Activities, sandbox: Any) -> str:
    base = _repo(sandbox).get_git_ref("heads/main").object.sha
    for branch in (WORK, PROD):
        run(acts.create_branch, CreateBranchInput(repository=REPO, branch=branch, sha=base))
    pick = next(
        c.sha for c in _repo(sandbox).get_commits(sha="develop") if c.commit.message == "Start feature X"
    )
    return run(acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=[pick])).head_sha


async def test_wait_checks_returns_when_ci_is_green(
    acts: Activities, waits: GitHubWaits, sandbox: Any
) -> None:
    head = _work_branch_with_a_pick(acts, sandbox)
    result = await looked_until(
        waits.wait_checks, WaitChecksInput(repository=REPO, ref=WORK, poll_interval=POLL)
    )
    assert (result.head_sha, result.conclusion, result.failed) == (head, "success", [])


async def test_wait_checks_waits_for_a_new_head(acts: Activities, waits: GitHubWaits, sandbox: Any) -> None:
    head = _work_branch_with_a_pick(acts, sandbox)
    with pytest.raises(ApplicationError) as caught:
        await environment().run(
            waits.wait_checks, WaitChecksInput(repository=REPO, ref=WORK, poll_interval=POLL, not_sha=head)
        )
    # One look, then Temporal's retry timer waits: nothing runs in the worker between looks.
    assert caught.value.type == NOT_YET and not caught.value.non_retryable
    assert caught.value.next_retry_delay == POLL


async def test_with_webhooks_the_next_look_waits_for_the_safety_net(acts: Activities, sandbox: Any) -> None:
    # HOTFIX_WEBHOOKS: a webhook nudges the hotfix, so the poll is only the safety net, however short
    # the hotfix's own interval; a longer one of its own stays.
    head = _work_branch_with_a_pick(acts, sandbox)
    waits = GitHubWaits(client_for(sandbox), safety_net=timedelta(minutes=5))
    for asked, expected in ((POLL, timedelta(minutes=5)), (timedelta(minutes=9), timedelta(minutes=9))):
        with pytest.raises(ApplicationError) as caught:
            await environment().run(
                waits.wait_checks,
                WaitChecksInput(repository=REPO, ref=WORK, poll_interval=asked, not_sha=head),
            )
        assert caught.value.type == NOT_YET and caught.value.next_retry_delay == expected


@pytest.mark.parametrize(
    ("fault", "delay"),
    [
        ({"status": 502}, timedelta(seconds=30)),
        ({"drop": True}, timedelta(seconds=30)),
        ({"status": 403, "headers": {"Retry-After": "7"}, "body": {"message": "secondary rate limit"}}, None),
    ],
    ids=["502", "dropped", "rate-limited"],
)
async def test_a_failed_look_is_retried_at_the_pace_of_the_poll_or_of_github(
    acts: Activities, waits: GitHubWaits, sandbox: Any, fault: dict[str, Any], delay: timedelta | None
) -> None:
    # The retry policy of a poll is paced for a dead worker (a second); a GitHub that is down must not
    # be asked every second by every waiting hotfix, nor a rate limit be retried before its time.
    head = _work_branch_with_a_pick(acts, sandbox)
    # Every try: PyGithub retries a 5xx itself a couple of times before the activity sees it.
    sandbox.add_fault("GET", rf"/repos/{REPO}/commits/{head}/check-runs", **fault, count=5)
    interval = timedelta(seconds=30)
    with pytest.raises(ApplicationError) as caught:
        await environment().run(
            waits.wait_checks, WaitChecksInput(repository=REPO, ref=WORK, poll_interval=interval)
        )
    assert caught.value.type != NOT_YET and not caught.value.non_retryable
    assert caught.value.next_retry_delay == (delay or timedelta(seconds=7))


async def test_a_look_refused_for_good_stays_refused(
    acts: Activities, waits: GitHubWaits, sandbox: Any
) -> None:
    head = _work_branch_with_a_pick(acts, sandbox)
    sandbox.add_fault(
        "GET", rf"/repos/{REPO}/commits/{head}/check-runs", status=401, body={"message": "Bad credentials"}
    )
    with pytest.raises(ApplicationError) as caught:
        await environment().run(
            waits.wait_checks, WaitChecksInput(repository=REPO, ref=WORK, poll_interval=POLL)
        )
    assert caught.value.non_retryable and caught.value.next_retry_delay is None


async def test_wait_checks_reports_a_failed_check(acts: Activities, waits: GitHubWaits, sandbox: Any) -> None:
    _work_branch_with_a_pick(acts, sandbox)
    repo = _repo(sandbox)
    main = repo.get_git_commit(repo.get_git_ref("heads/main").object.sha)
    tree = repo.create_git_tree(
        [InputGitTreeElement("app.py", "100644", "blob", content="broken = True\n")], base_tree=main.tree
    )
    breaking = repo.create_git_commit("Break the app [ci-fail]", tree, [main])
    head = run(acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=[breaking.sha])).head_sha
    result = await looked_until(
        waits.wait_checks, WaitChecksInput(repository=REPO, ref=WORK, poll_interval=POLL)
    )
    assert (result.head_sha, result.conclusion, result.failed) == (head, "failure", ["ci"])


async def test_wait_review_returns_on_change(acts: Activities, waits: GitHubWaits, sandbox: Any) -> None:
    _work_branch_with_a_pick(acts, sandbox)
    pr = run(
        acts.open_pull_request,
        OpenPullRequestInput(repository=REPO, head=WORK, base=PROD, title="Hotfix", body=""),
    )
    arg = WaitReviewInput(repository=REPO, number=pr.number, poll_interval=POLL)
    first = await environment().run(waits.wait_review, arg)
    assert first.state == ReviewState.PENDING and first.approved_by == []

    again = arg.model_copy(update={"last": first})
    with pytest.raises(ApplicationError) as caught:
        await environment().run(waits.wait_review, again)
    assert caught.value.type == NOT_YET
    await asyncio.to_thread(
        lambda: _repo(sandbox, REVIEWER_1_TOKEN).get_pull(pr.number).create_review(event="APPROVE")
    )
    approved = await environment(attempt=2).run(waits.wait_review, again)
    assert approved.state == ReviewState.APPROVED
    assert approved.approved_by == ["prod-reviewer-1"]
    assert approved.head_sha == first.head_sha


def _attempt(attempt: int, details: list[Any], beats: list[Any]) -> Any:
    env = environment(attempt)
    env.info = dataclasses.replace(env.info, heartbeat_details=details)
    env.on_heartbeat = lambda *given: beats.append(list(given))
    return env


def _answers(sandbox: Any, since: int) -> list[tuple[str, int]]:
    return [(r["path"], r["status"]) for r in sandbox.requests()[since:] if r["method"] == "GET"]


async def _looked_once(
    acts: Activities, waits: GitHubWaits, sandbox: Any
) -> tuple[Any, WaitReviewInput, list[Any]]:
    """A PR under review, reported once, then one attempt that found nothing new: its heartbeats
    (the last one carries the ETags the next attempt probes with)."""
    _work_branch_with_a_pick(acts, sandbox)
    pr = run(
        acts.open_pull_request,
        OpenPullRequestInput(repository=REPO, head=WORK, base=PROD, title="Hotfix", body=""),
    )
    arg = WaitReviewInput(repository=REPO, number=pr.number, poll_interval=POLL)
    first = await environment().run(waits.wait_review, arg)
    again = arg.model_copy(update={"last": first})
    beats: list[Any] = []
    with pytest.raises(ApplicationError):
        await _attempt(1, [], beats).run(waits.wait_review, again)
    return pr, again, beats


async def test_an_unchanged_look_is_only_free_304s_and_a_change_is_seen_at_once(
    acts: Activities, waits: GitHubWaits, sandbox: Any
) -> None:
    # Each retry of a poll looks with the ETags its previous attempt left in its heartbeat details
    # (Temporal hands them to the next attempt): nothing new is all 304, which costs no rate limit.
    pr, again, beats = await _looked_once(acts, waits, sandbox)
    details = beats[-1]
    assert not details[0].startswith("waiting for") and details[1]["etags"]  # no worker note in `status`
    for attempt in (2, 3):
        since = len(sandbox.requests())
        with pytest.raises(ApplicationError) as caught:
            await _attempt(attempt, details, beats).run(waits.wait_review, again)
        assert caught.value.type == NOT_YET and "(unchanged)" in caught.value.message
        answers = _answers(sandbox, since)
        assert answers and all(status == 304 for _, status in answers), answers
        # The PR's commits follow from its head, which its own 304 vouches for: not asked again.
        assert not any(path.endswith("/commits") for path, _ in answers), answers
        assert beats[-1] == details  # handed on to the next attempt
    await asyncio.to_thread(
        lambda: _repo(sandbox, REVIEWER_1_TOKEN).get_pull(pr.number).create_review(event="APPROVE")
    )
    since = len(sandbox.requests())
    approved = await _attempt(4, details, beats).run(waits.wait_review, again)
    assert approved.state == ReviewState.APPROVED and approved.approved_by == ["prod-reviewer-1"]
    # The probe's first 200 is the look's own answer: no GET twice.
    paths = [path for path, status in _answers(sandbox, since) if status == 200]
    assert len(paths) == len(set(paths)), paths


async def test_a_reviewer_who_pushes_to_the_pr_after_a_look_is_an_author_when_they_approve(
    acts: Activities, waits: GitHubWaits, sandbox: Any
) -> None:
    # The probe skips the PR's commits when the PR answers 304; a push moves the head, so the PR
    # answers 200 and the look reads the commits again: the reviewer's own commit is seen.
    pr, again, beats = await _looked_once(acts, waits, sandbox)
    details = beats[-1]
    humans = Humans(sandbox.api_url, REPO)
    await asyncio.to_thread(humans.push_change, WORK, token=REVIEWER_1_TOKEN)
    await asyncio.to_thread(
        lambda: _repo(sandbox, REVIEWER_1_TOKEN).get_pull(pr.number).create_review(event="APPROVE")
    )
    seen = await _attempt(2, details, beats).run(waits.wait_review, again)
    assert "prod-reviewer-1" in seen.authors
    assert seen.state != ReviewState.APPROVED and seen.approved_by == []


async def test_a_nudged_look_reads_what_the_worker_kept_for_a_free_304(
    acts: Activities, waits: GitHubWaits, sandbox: Any
) -> None:
    # A nudge restarts the poll (a new activity, no heartbeat details) and it must report what it
    # sees: the worker kept its last answers, so an unchanged PR costs 304s only, and is reported.
    _work_branch_with_a_pick(acts, sandbox)
    pr = run(
        acts.open_pull_request,
        OpenPullRequestInput(repository=REPO, head=WORK, base=PROD, title="Hotfix", body=""),
    )
    arg = WaitReviewInput(repository=REPO, number=pr.number, poll_interval=POLL)
    first = await environment().run(waits.wait_review, arg)
    since = len(sandbox.requests())
    nudged = await environment().run(waits.wait_review, arg)
    assert nudged == first
    answers = _answers(sandbox, since)
    assert answers and all(status == 304 for _, status in answers), answers
    await asyncio.to_thread(
        lambda: _repo(sandbox, REVIEWER_1_TOKEN).get_pull(pr.number).create_review(event="APPROVE")
    )
    since = len(sandbox.requests())
    approved = await environment().run(waits.wait_review, arg)
    assert approved.state == ReviewState.APPROVED and approved.approved_by == ["prod-reviewer-1"]
    assert any(status == 200 for _, status in _answers(sandbox, since))


async def test_a_look_that_missed_something_keeps_no_etags(
    acts: Activities, waits: GitHubWaits, sandbox: Any
) -> None:
    # A ref that is no branch: its 404 is part of the look, and a 404 has no ETag to ask again with.
    head = _work_branch_with_a_pick(acts, sandbox)
    beats: list[Any] = []
    arg = WaitChecksInput(repository=REPO, ref=head, poll_interval=POLL, not_sha=head)
    with pytest.raises(ApplicationError):
        await _attempt(1, [], beats).run(waits.wait_checks, arg)
    assert not any(len(beat) > 1 for beat in beats)


async def test_wait_review_is_cancellable(acts: Activities, waits: GitHubWaits, sandbox: Any) -> None:
    _work_branch_with_a_pick(acts, sandbox)
    pr = run(
        acts.open_pull_request,
        OpenPullRequestInput(repository=REPO, head=WORK, base=PROD, title="Hotfix", body=""),
    )
    arg = WaitReviewInput(repository=REPO, number=pr.number, poll_interval=POLL)
    first = await environment().run(waits.wait_review, arg)
    # A look GitHub is slow to answer: a nudge or an abort cancels it without waiting for GitHub.
    sandbox.add_fault("GET", rf"/repos/{REPO}/pulls/{pr.number}", delay=3.0)
    env = environment()
    waiting = asyncio.ensure_future(env.run(waits.wait_review, arg.model_copy(update={"last": first})))
    await asyncio.sleep(0.3)
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting


def _deploy_run(acts: Activities, sha: str) -> RunRef:
    """The prod branch at `sha`, and the deploy workflow dispatched on it."""
    run(acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=sha))
    return run(
        acts.dispatch_deploy,
        DispatchInput(repository=REPO, workflow="deploy.yml", ref=PROD, not_before=datetime.now(UTC)),
    )


def _review_run(sandbox: Any, run_id: int, state: str, comment: str) -> None:
    """prod-reviewer-1 approves or rejects the run's pending deployment, once the run waits for it."""
    requester = sandbox.github(token=REVIEWER_1_TOKEN).requester
    _, env = requester.requestJsonAndCheck("GET", f"/repos/{REPO}/environments/prod")
    pending = f"/repos/{REPO}/actions/runs/{run_id}/pending_deployments"
    for _ in range(100):
        if requester.requestJsonAndCheck("GET", pending)[1]:
            break
        time.sleep(0.05)
    requester.requestJsonAndCheck(
        "POST", pending, input={"environment_ids": [env["id"]], "state": state, "comment": comment}
    )


async def test_wait_run_reports_reviewers_then_completion(
    acts: Activities, waits: GitHubWaits, sandbox: Any
) -> None:
    base = _repo(sandbox).get_git_ref("heads/main").object.sha
    ref = _deploy_run(acts, base)
    arg = WaitRunInput(repository=REPO, run_id=ref.run_id, environment="prod", poll_interval=POLL)
    seen = await environment().run(waits.wait_run, arg)
    while seen.status != "waiting":
        seen = await looked_until(waits.wait_run, arg.model_copy(update={"last": seen}))
    assert seen.pending_reviewers == ["prod-reviewer-1", "prod-reviewer-2"]
    assert seen.head_sha == base

    await asyncio.to_thread(_review_run, sandbox, ref.run_id, "approved", "go")
    while seen.status != "completed":
        seen = await looked_until(waits.wait_run, arg.model_copy(update={"last": seen}))
        assert seen.pending_reviewers == []
    assert seen.conclusion == "success"
    # What is deployed now is the hotfix branch: the next hotfix starts from it.
    live = run(acts.find_base, FindBaseInput(repository=REPO, environment="prod", main_branch="main"))
    assert (live.source, live.ref, live.sha) == ("deployment", PROD, base)


@pytest.mark.parametrize("state", ["rejected", "approved"])
async def test_wait_run_tells_a_rejection_from_a_failed_deploy(
    acts: Activities, waits: GitHubWaits, sandbox: Any, state: str
) -> None:
    repo = _repo(sandbox)
    base = repo.get_git_ref("heads/main").object.sha
    if state == "approved":
        # The sandbox fails the deploy job of a head whose message says so, after approval.
        base = repo.create_git_commit(
            "[deploy-fail] breaks the deploy", repo.get_git_commit(base).tree, [repo.get_git_commit(base)]
        ).sha
    ref = _deploy_run(acts, base)
    arg = WaitRunInput(repository=REPO, run_id=ref.run_id, environment="prod", poll_interval=POLL)
    seen = await environment().run(waits.wait_run, arg)
    while seen.status != "waiting":
        seen = await looked_until(waits.wait_run, arg.model_copy(update={"last": seen}))

    await asyncio.to_thread(_review_run, sandbox, ref.run_id, state, state)
    while seen.status != "completed":
        seen = await looked_until(waits.wait_run, arg.model_copy(update={"last": seen}))
    assert seen.conclusion == "failure"
    assert seen.rejected is (state == "rejected")


@pytest.mark.parametrize("order", ["oldest first", "newest first"])
async def test_a_run_rejected_then_rerun_and_approved_reads_the_same_whatever_the_order_of_its_reviews(
    acts: Activities, waits: GitHubWaits, sandbox: Any, order: str
) -> None:
    # GitHub documents no order for a run's reviews and gives them no time: reading "the last one"
    # as the decision would call this deployed run rejected whenever GitHub lists newest first.
    base = _repo(sandbox).get_git_ref("heads/main").object.sha
    ref = _deploy_run(acts, base)
    await asyncio.to_thread(_review_run, sandbox, ref.run_id, "rejected", "rejected")
    run(acts.rerun_failed_jobs, RunInput(repository=REPO, run_id=ref.run_id))
    await asyncio.to_thread(_review_run, sandbox, ref.run_id, "approved", "approved")
    arg = WaitRunInput(repository=REPO, run_id=ref.run_id, environment="prod", poll_interval=POLL)
    seen = await looked_until(waits.wait_run, arg)
    while seen.status != "completed":
        seen = await looked_until(waits.wait_run, arg.model_copy(update={"last": seen}))
    requester = sandbox.github(token=REVIEWER_1_TOKEN).requester
    _, reviews = requester.requestJsonAndCheck("GET", f"/repos/{REPO}/actions/runs/{ref.run_id}/approvals")
    assert [r["state"] for r in reviews] == ["rejected", "approved"]
    if order == "newest first":
        sandbox.add_fault(
            "GET", rf"/repos/{REPO}/actions/runs/{ref.run_id}/approvals", status=200, body=reviews[::-1]
        )
    seen = await looked_until(waits.wait_run, arg)
    assert (seen.conclusion, seen.rejected, seen.approved_by) == ("success", False, ["prod-reviewer-1"])
