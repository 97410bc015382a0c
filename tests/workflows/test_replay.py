"""Recorded histories must replay on today's workflow code; an incompatible change must not."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from hotfix.models import HotfixRequest, HotfixResult
from workflows import versions
from workflows.hotfix import HotfixWorkflow
from workflows.lane import LaneWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
# The patch markers each recorded history carries: the ones recorded before a patch replay its old
# branch, the later ones its new branch (see workflows/versions.py).
# The histories recorded before `change-record` carry every patch but that one and those they list.
# (and before `notify-at-waits`, whose marker only a hotfix with chat targets records).
# A happy path never reaches `early-end-fails` (only an abort or an expiry does) nor `blocked-listed`.
ENDS = set(versions.FOLDED) - {versions.EARLY_END_FAILS, versions.BLOCKED_LISTED}
BEFORE_RECORD = ENDS - {
    versions.CHANGE_RECORD,
    versions.NOTIFY_AT_WAITS,
    versions.BACK_MERGE_CONFLICTS,
}
# What an abort at `changes` (or soon after) passes through, recorded after `early-end-fails`.
ABORTED = {
    versions.ABORT_INTERRUPTS_ACTIONS,
    versions.EVERY_WAIT_NAMED,
    versions.REVIEWED_COMMIT_ONLY,
    versions.HEARTBEATS_NOTICE_A_DEAD_WORKER,
    versions.STATUS_IN_MEMO,
    versions.CHANGE_RECORD,
    versions.EARLY_END_FAILS,
}
PATCHES: dict[str, set[str]] = {
    "happy_path": set(),
    "abort": set(),
    "abort_during_action": {versions.ABORT_INTERRUPTS_ACTIONS},
    "deploy_failed": {
        versions.ABORT_INTERRUPTS_ACTIONS,
        versions.FAILED_RUN_MAY_HAVE_DEPLOYED,
        versions.REVIEWED_COMMIT_ONLY,
    },
    "reviewed_head": {versions.ABORT_INTERRUPTS_ACTIONS, versions.REVIEWED_COMMIT_ONLY},
    "required_checks": {
        versions.ABORT_INTERRUPTS_ACTIONS,
        versions.REVIEWED_COMMIT_ONLY,
        versions.REQUIRED_CHECKS_FROM_RULES,
    },
    "every_wait": BEFORE_RECORD
    - {
        versions.FAILED_RUN_MAY_HAVE_DEPLOYED,
        versions.QUEUED_REJOINS_VANISHED_LANE,
        versions.HEARTBEATS_NOTICE_A_DEAD_WORKER,
        versions.CHECKS_OF_THE_PR_BEFORE_MERGE,
        versions.STATUS_IN_MEMO,
    },
    "lane_watch": {
        versions.ABORT_INTERRUPTS_ACTIONS,
        versions.EVERY_WAIT_NAMED,
        versions.QUEUED_REJOINS_VANISHED_LANE,
        versions.REVIEWED_COMMIT_ONLY,
    },
    "dead_worker": BEFORE_RECORD
    - {
        versions.FAILED_RUN_MAY_HAVE_DEPLOYED,
        versions.QUEUED_REJOINS_VANISHED_LANE,
        versions.CHECKS_OF_THE_PR_BEFORE_MERGE,
        versions.STATUS_IN_MEMO,
    },
    "pr_checks": BEFORE_RECORD
    - {versions.FAILED_RUN_MAY_HAVE_DEPLOYED, versions.QUEUED_REJOINS_VANISHED_LANE, versions.STATUS_IN_MEMO},
    "status_in_memo": BEFORE_RECORD
    - {
        versions.FAILED_RUN_MAY_HAVE_DEPLOYED,
        versions.QUEUED_REJOINS_VANISHED_LANE,
        versions.HEARTBEATS_NOTICE_A_DEAD_WORKER,
        versions.CHECKS_OF_THE_PR_BEFORE_MERGE,
    },
    "change_record": ENDS
    - {
        versions.FAILED_RUN_MAY_HAVE_DEPLOYED,
        versions.QUEUED_REJOINS_VANISHED_LANE,
        versions.NOTIFY_AT_WAITS,
        versions.BACK_MERGE_CONFLICTS,
    },
    # Recorded before `change-record`, by a worker with chat targets.
    "notify": ENDS
    - {
        versions.FAILED_RUN_MAY_HAVE_DEPLOYED,
        versions.QUEUED_REJOINS_VANISHED_LANE,
        versions.CHANGE_RECORD,
        versions.BACK_MERGE_CONFLICTS,
    },
    # Recorded before `change-record` and `notify-at-waits`: a back-merge conflict, resolved by hand.
    "back_merge_conflict": ENDS
    - {
        versions.FAILED_RUN_MAY_HAVE_DEPLOYED,
        versions.QUEUED_REJOINS_VANISHED_LANE,
        versions.CHANGE_RECORD,
        versions.NOTIFY_AT_WAITS,
    },
    # Recorded after `early-end-fails`: an abort at `changes`, ending Failed (HotfixAborted).
    "early_end": ABORTED,
    # Recorded before `blocked-listed`, the same story: no HotfixBlocked upserts.
    "blocked_unlisted": ABORTED,
    # Recorded after `blocked-listed`: blocked at `branches`, a recheck, then an abort.
    "blocked": ABORTED | {versions.BLOCKED_LISTED},
    # Recorded after `lean-history`: its one marker stands for all the patches before it.
    "lean": {versions.LEAN_HISTORY},
    "lean_blocked": {versions.LEAN_HISTORY},
    "lean_aborted_while_blocked": {versions.LEAN_HISTORY},
}


def runner_of(name: str) -> dict[str, Any]:
    """The Replayer's workflow runner: the SDK's default sandbox, or the one worker.py runs with
    (workflows/ passed through, for memory). Imported here: this module is itself re-imported in
    the sandbox (ReorderedHotfixWorkflow), where worker.py's imports do not belong."""
    if name == "default":
        return {}
    from worker import WORKFLOW_RUNNER

    return {"workflow_runner": WORKFLOW_RUNNER}


def load(path: Path) -> WorkflowHistory:
    recorded = json.loads(path.read_text())
    return WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])


def test_the_recorded_histories_are_there() -> None:
    assert {p.stem for p in HISTORIES} == set(PATCHES)


def test_old_histories_predate_the_patch_and_new_ones_carry_it() -> None:
    # The old branch of `workflow.patched` is only exercised while histories without the marker exist.
    for path in HISTORIES:
        patches = {
            json.loads(base64.b64decode(payload["data"]))["id"]
            for event in json.loads(path.read_text())["history"]["events"]
            if event.get("markerRecordedEventAttributes", {}).get("markerName") == "core_patch"
            for payload in event["markerRecordedEventAttributes"]["details"]["patch-data"]["payloads"]
        }
        assert patches == PATCHES[path.stem], path.stem


def test_every_patch_has_a_history_that_carries_it() -> None:
    carried = set().union(*PATCHES.values())
    assert carried == set(versions.ALL)


@pytest.mark.parametrize("runner", ["default", "worker"])
@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays_cleanly(path: Path, runner: str) -> None:
    replayer = Replayer(
        workflows=[HotfixWorkflow, LaneWorkflow],
        data_converter=pydantic_data_converter,
        **runner_of(runner),
    )
    result = await replayer.replay_workflow(load(path), raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


@workflow.defn(name="HotfixWorkflow")
class ReorderedHotfixWorkflow(HotfixWorkflow):
    """A deliberate bug: branches cut before preflight, the kind of change replay must catch."""

    @workflow.run
    async def run(self, request: HotfixRequest) -> HotfixResult:
        await self._cut_branches()
        await self._preflight_checks()
        return HotfixResult(status=self._status)


@pytest.mark.parametrize("runner", ["default", "worker"])
@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_a_reordered_workflow_fails_replay(path: Path, runner: str) -> None:
    replayer = Replayer(
        workflows=[ReorderedHotfixWorkflow],
        data_converter=pydantic_data_converter,
        **runner_of(runner),
    )
    result = await replayer.replay_workflow(load(path), raise_on_replay_failure=False)
    assert isinstance(result.replay_failure, NondeterminismError), result.replay_failure


def test_lean_history_folds_the_fourteen_patches_before_it_and_no_later_one() -> None:
    # A hotfix started on LEAN_HISTORY took the old branch of any patch added after it: such a patch
    # joining FOLDED would make its replays take the new one.
    assert versions.FOLDED == set(versions.ALL[: versions.ALL.index(versions.LEAN_HISTORY)])
    assert len(versions.FOLDED) == 14 and versions.LEAN_HISTORY not in versions.FOLDED
