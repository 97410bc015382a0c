"""GitHubWaits: polling activities that loop with heartbeats until GitHub shows something new.

INTERFACE FILE: method names and models are the contract with workflows/hotfix.py.
"""

from __future__ import annotations

from temporalio import activity

from hotfix.models import (
    ChecksResult,
    ReviewObservation,
    RunObservation,
    WaitChecksInput,
    WaitReviewInput,
    WaitRunInput,
)


class GitHubWaits:
    def __init__(self, github: object) -> None:
        self._github = github

    @activity.defn
    async def wait_checks(self, input: WaitChecksInput) -> ChecksResult:
        raise NotImplementedError

    @activity.defn
    async def wait_review(self, input: WaitReviewInput) -> ReviewObservation:
        raise NotImplementedError

    @activity.defn
    async def wait_run(self, input: WaitRunInput) -> RunObservation:
        raise NotImplementedError
