"""GitHubActivities: one method per GitHub action of the runbook, each idempotent.

INTERFACE FILE: method names and models are the contract with workflows/hotfix.py.
"""

from __future__ import annotations

from temporalio import activity

from hotfix.models import (
    CherryPickInput,
    CherryPickResult,
    CleanupInput,
    CleanupResult,
    CommentInput,
    CommentResult,
    CompareInput,
    CompareResult,
    CreateBranchInput,
    CreateBranchResult,
    DispatchInput,
    FindBaseInput,
    FindBaseResult,
    MergeInput,
    MergeResult,
    OpenPullRequestInput,
    PreflightInput,
    PreflightResult,
    PullRequestRef,
    RerunResult,
    RunInput,
    RunRef,
)


class GitHubActivities:
    def __init__(self, github: object) -> None:
        self._github = github

    @activity.defn
    def preflight(self, input: PreflightInput) -> PreflightResult:
        raise NotImplementedError

    @activity.defn
    def find_base(self, input: FindBaseInput) -> FindBaseResult:
        raise NotImplementedError

    @activity.defn
    def create_branch(self, input: CreateBranchInput) -> CreateBranchResult:
        raise NotImplementedError

    @activity.defn
    def cherry_pick(self, input: CherryPickInput) -> CherryPickResult:
        raise NotImplementedError

    @activity.defn
    def compare(self, input: CompareInput) -> CompareResult:
        raise NotImplementedError

    @activity.defn
    def open_pull_request(self, input: OpenPullRequestInput) -> PullRequestRef:
        raise NotImplementedError

    @activity.defn
    def merge_pull_request(self, input: MergeInput) -> MergeResult:
        raise NotImplementedError

    @activity.defn
    def dispatch_deploy(self, input: DispatchInput) -> RunRef:
        raise NotImplementedError

    @activity.defn
    def rerun_failed_jobs(self, input: RunInput) -> RerunResult:
        raise NotImplementedError

    @activity.defn
    def comment(self, input: CommentInput) -> CommentResult:
        raise NotImplementedError

    @activity.defn
    def cleanup(self, input: CleanupInput) -> CleanupResult:
        raise NotImplementedError
