"""The workflow of bench/cancel_freeze.py (a workflow must live in a module, not in __main__)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy


@workflow.defn
class Cancels:
    def __init__(self) -> None:
        self.outcomes: dict[str, int] = {}

    @workflow.run
    async def run(self, n: int) -> int:
        for i in range(n):
            # Cancelled at a random moment (as a nudge or an abort does), or timed out after 0.5 s;
            # the worker learns of a cancel at the activity's next heartbeat.
            handle = workflow.start_activity(
                "busy",
                i,
                start_to_close_timeout=timedelta(seconds=0.5),
                heartbeat_timeout=timedelta(seconds=1),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
            await asyncio.sleep(workflow.random().uniform(0.05, 0.3))
            handle.cancel()
            try:
                await handle
                name = "completed"
            except BaseException as err:
                name = f"{type(err).__name__}:{type(getattr(err, 'cause', None)).__name__}"
            self.outcomes[name] = self.outcomes.get(name, 0) + 1
        return n

    @workflow.query
    def ping(self) -> str:
        return "pong"

    @workflow.query
    def seen(self) -> dict[str, int]:
        return self.outcomes
