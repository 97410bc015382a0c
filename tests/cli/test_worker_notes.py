"""`status` shows what the worker says a running activity waits for (its last heartbeat), e.g. its
turn at the GitHub write gate during a burst, and how long an activity no worker took yet has queued
in Temporal (#16)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from rich.console import Console
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.workflow.v1 import PendingActivityInfo

from cli import views
from cli.watching import worker_notes
from hotfix.models import HotfixStatus


def pending(activity: str, said: object) -> PendingActivityInfo:
    info = PendingActivityInfo(activity_id="1")
    info.activity_type.name = activity
    info.heartbeat_details.CopyFrom(
        Payloads(payloads=[Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(said).encode())])
    )
    return info


def test_status_names_activities_waiting_for_github_write_capacity() -> None:
    queued = "waiting for GitHub write capacity: create branch hotfix/x, 12 ahead"
    description: Any = SimpleNamespace(
        raw_description=SimpleNamespace(
            pending_activities=[
                pending("create_branch", queued),
                pending("wait_review", "pending 1234abcd"),  # a poll's news, not a queue
                PendingActivityInfo(activity_id="3"),  # no heartbeat yet
            ]
        )
    )
    notes = worker_notes(description)
    assert notes == [f"create_branch: {queued}"]
    status = HotfixStatus(
        workflow_id="hotfix/acme/x/1",
        repository="acme/x",
        description="fix",
        requested_by="dev-1",
        work_branch="hotfix/x",
        prod_branch="prod/hotfix/x",
    )
    console = Console(width=200, record=True)
    console.print(views.status_view(status, worker=notes))
    assert f"worker: create_branch: {queued}" in console.export_text()


def scheduled(activity: str, at: datetime, next_attempt: datetime | None = None) -> PendingActivityInfo:
    info = PendingActivityInfo(activity_id="1", state=PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED)
    info.activity_type.name = activity
    info.scheduled_time.FromDatetime(at)
    if next_attempt is not None:
        info.next_attempt_schedule_time.FromDatetime(next_attempt)
    return info


def test_status_names_activities_queued_in_temporal_for_a_worker_with_room() -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    description: Any = SimpleNamespace(
        raw_description=SimpleNamespace(
            pending_activities=[
                scheduled("open_pull_request", now - timedelta(seconds=42)),
                scheduled("create_branch", now - timedelta(seconds=1)),  # just scheduled
                # A poll between two looks: its next attempt is due later, it is not queued.
                scheduled(
                    "wait_review", now - timedelta(minutes=10), next_attempt=now + timedelta(seconds=20)
                ),
            ]
        )
    )
    notes = worker_notes(description, now)
    assert notes == [
        "open_pull_request: waiting for GitHub write capacity: queued in Temporal for 42 s until a worker "
        "has room (its GitHub threads and write gate are behind)"
    ]
