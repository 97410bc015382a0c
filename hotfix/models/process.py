"""The team's process settings and the workflow's input."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field


class ProcessSettings(BaseModel):
    """The team's process, as the runbook describes it. Defaults come from `HOTFIX_*` settings."""

    model_config = ConfigDict(frozen=True)

    environment: str = "prod"
    deploy_workflow: str = "deploy.yml"
    main_branch: str = "main"
    prod_branch_prefix: str = "prod/hotfix/"
    work_branch_prefix: str = "hotfix/"
    # None: the repository's default branch, as GitHub reports it in preflight.
    back_merge_branch: str | None = None
    poll_interval: timedelta = timedelta(seconds=30)
    changes_timeout: timedelta = timedelta(days=7)
    tests_timeout: timedelta = timedelta(days=7)
    approval_timeout: timedelta = timedelta(days=3)
    deploy_approval_timeout: timedelta = timedelta(days=1)
    back_merge_timeout: timedelta = timedelta(days=14)
    # Waits nobody planned for: behind an earlier hotfix, for a human to fix drift or a blocked step.
    queued_timeout: timedelta = timedelta(days=7)
    # How often a queued hotfix makes sure its lane still runs (one terminated from outside is
    # re-joined); 0 turns the watch off, and such a hotfix then waits until queued_timeout.
    lane_watch_interval: timedelta = timedelta(seconds=30)
    drift_timeout: timedelta = timedelta(days=1)
    blocked_timeout: timedelta = timedelta(days=3)
    reminder_interval: timedelta = timedelta(hours=4)
    # Start-to-close of one GitHub action (plus the time it may queue for GitHub's write capacity).
    activity_timeout: timedelta = timedelta(minutes=2)
    # A worker that dies during a GitHub call or a poll's look is noticed after this long without a
    # heartbeat (the worker beats every 2 s), and the call is retried on another worker a second later.
    heartbeat_timeout: timedelta = timedelta(seconds=10)
    # Where people watch the workflow; used for links in PR bodies and comments.
    ui_base_url: str | None = None
    namespace: str = "default"
    # Separation of duties: an approval by an author or committer of a commit in the hotfix does not
    # count (HOTFIX_REQUIRE_INDEPENDENT_REVIEW). Off, such an approval counts and is flagged.
    require_independent_review: bool = True
    # HOTFIX_APPROVERS: logins and `org/team` slugs who may approve a hotfix (among those with write
    # access); empty: anyone with write access.
    approvers: list[str] = Field(default_factory=list)
    # HOTFIX_PR_REVIEWERS: logins and `org/team` slugs asked to review each hotfix PR (GitHub asks the
    # CODEOWNERS owners by itself).
    pr_reviewers: list[str] = Field(default_factory=list)
    # Where a withdrawn hotfix keeps a branch that holds people's commits, instead of deleting it.
    kept_branch_prefix: str = "hotfix-kept/"


class HotfixRequest(BaseModel):
    """Input of HotfixWorkflow. `day` is fixed by the starter so names never depend on replay time."""

    repository: str
    description: str
    requested_by: str
    day: date
    # Names the branches and the workflow ID (hotfix.naming.slugify, fixed by the starter); requests
    # without one are named by hotfix.naming.ascii_slug of the description, as before.
    slug: str | None = None
    base_ref: str | None = None
    cherry_picks: list[str] = Field(default_factory=list)
    settings: ProcessSettings = Field(default_factory=ProcessSettings)
    # The incident this hotfix answers (a URL or a ticket key like INC-1234; `start --incident`).
    incident: str | None = None
