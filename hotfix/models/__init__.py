"""Pydantic models for every boundary: workflow input and status, signals, activity inputs and results.

These travel through Temporal with `pydantic_data_converter`, so they must stay free of secrets and
of anything that does I/O. Field names are part of workflow history: rename with care. One module per
room (process, status, signals, lane, preflight, branches, pulls, deploy); everything is importable
from here.
"""

from hotfix.models.branches import (
    CherryPickInput,
    CherryPickResult,
    CleanupInput,
    CleanupResult,
    CompareInput,
    CompareResult,
    CreateBranchInput,
    CreateBranchResult,
    FindBaseInput,
    FindBaseResult,
)
from hotfix.models.deploy import DispatchInput, RerunResult, RunInput, RunObservation, RunRef, WaitRunInput
from hotfix.models.dry_run import DryRunInput, DryRunResult
from hotfix.models.lane import (
    HotfixAliveInput,
    HotfixAliveResult,
    LaneInput,
    LaneResult,
    LaneState,
    WatchLaneInput,
    WatchLaneResult,
)
from hotfix.models.notify import NotifyInput, NotifyResult
from hotfix.models.preflight import PreflightCheck, PreflightInput, PreflightResult, RepoInput
from hotfix.models.process import HotfixRequest, ProcessSettings
from hotfix.models.pulls import (
    ChecksResult,
    CommentInput,
    CommentResult,
    ConflictInput,
    ConflictResult,
    MergeInput,
    MergeResult,
    OpenPullRequestInput,
    ReviewObservation,
    ReviewState,
    WaitChecksInput,
    WaitReviewInput,
)
from hotfix.models.record import ChangeRecord
from hotfix.models.recording import RecordInput, RecordResult
from hotfix.models.rollback import (
    FindRollbackInput,
    MidDeployInput,
    MidDeployResult,
    RollbackRequest,
    RollbackTarget,
)
from hotfix.models.rules import BranchRules, BranchRulesInput, RequiredCheck
from hotfix.models.signals import (
    AbortSignal,
    ChangesReadySignal,
    LaneEnqueueSignal,
    LaneGrantSignal,
    LaneReleaseSignal,
    RecheckSignal,
    RetryDeploySignal,
)
from hotfix.models.status import (
    NOT_YET,
    DecisionResult,
    HotfixResult,
    HotfixStatus,
    PullRequestRef,
    Step,
    StepEvent,
)

__all__ = [
    "NOT_YET",
    "AbortSignal",
    "BranchRules",
    "BranchRulesInput",
    "ChangeRecord",
    "ChangesReadySignal",
    "ChecksResult",
    "CherryPickInput",
    "CherryPickResult",
    "CleanupInput",
    "CleanupResult",
    "CommentInput",
    "CommentResult",
    "CompareInput",
    "CompareResult",
    "ConflictInput",
    "ConflictResult",
    "CreateBranchInput",
    "CreateBranchResult",
    "DecisionResult",
    "DispatchInput",
    "DryRunInput",
    "DryRunResult",
    "FindBaseInput",
    "FindBaseResult",
    "FindRollbackInput",
    "HotfixAliveInput",
    "HotfixAliveResult",
    "HotfixRequest",
    "HotfixResult",
    "HotfixStatus",
    "LaneEnqueueSignal",
    "LaneGrantSignal",
    "LaneInput",
    "LaneReleaseSignal",
    "LaneResult",
    "LaneState",
    "MergeInput",
    "MergeResult",
    "MidDeployInput",
    "MidDeployResult",
    "NotifyInput",
    "NotifyResult",
    "OpenPullRequestInput",
    "PreflightCheck",
    "PreflightInput",
    "PreflightResult",
    "ProcessSettings",
    "PullRequestRef",
    "RecheckSignal",
    "RecordInput",
    "RecordResult",
    "RepoInput",
    "RequiredCheck",
    "RerunResult",
    "RetryDeploySignal",
    "ReviewObservation",
    "ReviewState",
    "RollbackRequest",
    "RollbackTarget",
    "RunInput",
    "RunObservation",
    "RunRef",
    "Step",
    "StepEvent",
    "WaitChecksInput",
    "WaitReviewInput",
    "WaitRunInput",
    "WatchLaneInput",
    "WatchLaneResult",
]
