"""The workflow and activities of the cancellation storm (test_cancel_storm.py), in a module of their
own: workflows must not live in a test's __main__, and the workflow sandbox imports this lightly."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.github import threads
    from activities.github.client import GitHubClient
    from activities.github.rest import RepoApi
    from activities.github.threads import in_github_thread

STORM_REPO = "acme/gaia-gateway"
log = logging.getLogger("storm")


@dataclass
class Tally:
    """What the worker saw: activities begun, and how many learned they were cancelled mid-work."""

    begun: int = 0
    cancelled_await: int = 0
    abandoned_thread: int = 0
    errors: list[str] = field(default_factory=list)


class StormActivities:
    """GitHub activities of both shapes, which log and call the sandbox while they are cancelled."""

    def __init__(self, github: GitHubClient, tally: Tally) -> None:
        self._github = github
        self.github_threads = github.threads
        self.tally = tally

    def look(self, i: int) -> None:
        api = RepoApi(self._github, STORM_REPO)
        log.info("storm look %s", i)  # the root handler's lock, as urllib3 and PyGithub take it
        api.json("GET", "/branches/main", what="get branch main")

    @activity.defn(name="storm_in_thread")
    @in_github_thread
    def in_thread(self, n: int) -> int:
        """A one-shot action: blocking calls in a GitHub thread, heartbeating as it goes."""
        self.tally.begun += 1
        try:
            for i in range(40):
                threads.heartbeat(f"look {i}")
                self.look(i)
        except threads.Abandoned:
            self.tally.abandoned_thread += 1
            raise
        return n

    @activity.defn(name="storm_async")
    async def polling(self, n: int) -> int:
        """A polling wait: looks in a GitHub thread, sleeps on the loop, heartbeats between."""
        self.tally.begun += 1
        try:
            for i in range(40):
                await self.github_threads.run(self.look, i)
                activity.heartbeat(i)
                await asyncio.sleep(0.005)
        except asyncio.CancelledError:
            self.tally.cancelled_await += 1
            raise
        return n


@workflow.defn
class CancelStorm:
    """Starts activities of both shapes and cancels each at a random moment, `rounds` times."""

    @workflow.run
    async def run(self, rounds: int) -> int:
        requested = 0
        for i in range(rounds):
            handles = [
                workflow.start_activity(
                    name,
                    i,
                    start_to_close_timeout=timedelta(seconds=60),
                    heartbeat_timeout=timedelta(seconds=30),
                    retry_policy=RetryPolicy(maximum_attempts=1),
                )
                for name in ("storm_in_thread", "storm_async", "storm_in_thread", "storm_async")
            ]
            await asyncio.sleep(workflow.random().uniform(0.01, 0.1))
            for handle in handles:
                handle.cancel()
                requested += 1
            for handle in handles:
                try:
                    await handle
                except BaseException:
                    pass
        return requested
