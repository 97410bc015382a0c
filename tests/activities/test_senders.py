"""The record left on the hotfix PR names who sent each decision only as GitHub knows them (#13 item 1):
a `by` that is no GitHub user (a typo on the CLI, anything typed in the UI) is marked, looked up once."""

from __future__ import annotations

from typing import Any

from hotfix.models import HotfixStatus, RecordInput
from tests.activities.conftest import Activities
from tests.activities.helpers import REPO, count, run

SIGNALS = [
    "09:14:03 changes_ready, by dev-1",
    "09:15:10 recheck, by no-such-user-1",
    "09:16:00 recheck, by no-such-user-1 (no payload it could read: acted on with the defaults)",
    "09:17:00 abort, by Alice <script>",
    "09:18:00 recheck, by not given",
    "09:19:00 recheck, by webhook pull_request_review 72d3162e-cc78-11e3-81ab-4c9367dc0958",
]


def test_senders_that_are_no_github_user_are_marked_in_the_record(acts: Activities, sandbox: Any) -> None:
    status = HotfixStatus(
        repository=REPO, description="fix login", requested_by="dev-1", work_branch="w", prod_branch="p"
    )
    status.signals = list(SIGNALS)
    result = run(acts.build_record, RecordInput(status=status))
    assert result.record.signals == [
        "09:14:03 changes_ready, by dev-1",
        "09:15:10 recheck, by no-such-user-1 (no GitHub user)",
        "09:16:00 recheck, by no-such-user-1 (no GitHub user) (no payload it could read: acted on with "
        "the defaults)",
        "09:17:00 abort, by Alice <script> (no GitHub user)",
        "09:18:00 recheck, by not given",
        "09:19:00 recheck, by webhook pull_request_review 72d3162e-cc78-11e3-81ab-4c9367dc0958 (a webhook's "
        "nudge, no person)",
    ]
    # One look per login; a name that cannot be a login, or a webhook's, is not asked for.
    assert count(sandbox, "GET", r"(/api/v3)?/users/[^/]+") == 2


def test_the_webhook_nudges_are_one_line_of_the_record(acts: Activities, sandbox: Any) -> None:
    status = HotfixStatus(
        repository=REPO, description="fix login", requested_by="dev-1", work_branch="w", prod_branch="p"
    )
    status.signals = ["09:14:03 changes_ready, by dev-1"]
    status.webhook_nudges = 12
    status.last_webhook_nudge = "09:19:00 recheck, by webhook check_run 72d3162e"
    result = run(acts.build_record, RecordInput(status=status))
    assert result.record.signals == [
        "09:14:03 changes_ready, by dev-1",
        "09:19:00 recheck, by webhook check_run 72d3162e (a webhook's nudge, no person) (and 11 earlier "
        "webhook nudges)",
    ]
