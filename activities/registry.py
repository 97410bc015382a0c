"""Every GitHub activity the worker registers, listed by hand: one place to see what the worker runs.

Activity names are the method names and are part of running workflows' histories: never rename one
without keeping the old name registered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio.client import Client

from activities.branches import BranchActivities
from activities.cherry_pick import CherryPickActivities
from activities.deploy import DeployActivities
from activities.github.client import GitHubClient
from activities.github.comments import GITHUB_REQUEST_LIMIT
from activities.lane import LaneActivities
from activities.notify import NotifyActivities
from activities.preflight import PreflightActivities
from activities.pulls import PullRequestActivities
from activities.record import RecordActivities
from activities.rollback import RollbackActivities
from activities.rules import RulesActivities
from activities.waits import GitHubWaits


def github_activities(
    github: GitHubClient,
    *,
    dispatch_lookup_attempts: int = 10,
    dispatch_lookup_interval: float = 2.0,
    request_limit: timedelta = GITHUB_REQUEST_LIMIT,
    safety_net: timedelta | None = None,
    notify: bool = False,
) -> list[Callable[..., Any]]:
    """The bound activity methods over one GitHub client; the keyword options exist for tests
    (`request_limit`: sized to the sandbox's longest injected delay instead of GitHub's 10 s), but
    `safety_net`, the shortest poll interval when webhooks nudge the hotfixes (WorkerSettings), and
    `notify`, whether the worker has chat targets (preflight tells the hotfix)."""
    preflight = PreflightActivities(github, notify=notify)
    branches = BranchActivities(github, request_limit=request_limit)
    picks = CherryPickActivities(github)
    pulls = PullRequestActivities(github, request_limit=request_limit)
    deploy = DeployActivities(
        github,
        dispatch_lookup_attempts=dispatch_lookup_attempts,
        dispatch_lookup_interval=dispatch_lookup_interval,
        request_limit=request_limit,
    )
    rules = RulesActivities(github)
    waits = GitHubWaits(github, safety_net=safety_net)
    record = RecordActivities(github, request_limit=request_limit)
    rollback = RollbackActivities(github)
    return [
        preflight.preflight,
        branches.find_base,
        branches.create_branch,
        branches.compare,
        branches.cleanup,
        picks.cherry_pick,
        pulls.open_pull_request,
        pulls.merge_pull_request,
        pulls.comment,
        pulls.report_conflict,
        deploy.dispatch_deploy,
        deploy.rerun_failed_jobs,
        rules.branch_rules,
        waits.wait_checks,
        waits.wait_review,
        waits.wait_run,
        record.build_record,
        rollback.find_rollback_target,
    ]


def lane_activities(client: Client, task_queue: str) -> list[Callable[..., Any]]:
    """The lane's activities: they talk only to Temporal, so tests with fake GitHub use them too."""
    lane = LaneActivities(client, task_queue)
    return [lane.enqueue, lane.hotfix_alive, lane.watch_lane, lane.mid_deploy]


def notify_activities(notifier: NotifyActivities) -> list[Callable[..., Any]]:
    """The chat notification: registered on every worker, with targets or without (then a no-op),
    so a hotfix that notifies never finds a worker that lacks the activity."""
    return [notifier.notify]
