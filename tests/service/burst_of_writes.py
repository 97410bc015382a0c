"""The workflow and activity of the backpressure test (test_backpressure.py), in a module of their own:
workflows must not live in a test's __main__, and the workflow sandbox imports this lightly."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, TimeoutError

with workflow.unsafe.imports_passed_through():
    from activities.github.client import GitHubClient
    from activities.github.rest import RepoApi
    from activities.github.threads import GitHubThreads, in_github_thread

REPO = "acme/gaia-gateway"


class BranchWriter:
    """One write per activity (a new branch), through the worker's GitHub threads and write gate."""

    def __init__(self, github: GitHubClient) -> None:
        self._github = github

    @property
    def github_threads(self) -> GitHubThreads:
        return self._github.threads

    @activity.defn(name="burst_create_branch")
    @in_github_thread
    def create_branch(self, name: str) -> str:
        api = RepoApi(self._github, REPO)
        sha = api.json("GET", "/git/ref/heads/main", what="get main")["object"]["sha"]
        api.json("POST", "/git/refs", body={"ref": f"refs/heads/{name}", "sha": sha}, what=f"create {name}")
        return name


@workflow.defn
class BurstOfWrites:
    """Schedules `count` one-write activities at once, each with `seconds` to close and no
    retry; returns how many timed out."""

    @workflow.run
    async def run(self, prefix: str, count: int, seconds: float) -> int:
        async def one(i: int) -> bool:
            try:
                await workflow.execute_activity(
                    "burst_create_branch",
                    f"{prefix}-{i}",
                    start_to_close_timeout=timedelta(seconds=seconds),
                    retry_policy=RetryPolicy(maximum_attempts=1),
                )
            except ActivityError as err:
                if isinstance(err.cause, TimeoutError):
                    return True
                raise
            return False

        timed_out = await asyncio.gather(*(one(i) for i in range(count)))
        return sum(timed_out)
