"""Backpressure: a worker takes no activity from Temporal while its GitHub threads are behind.

Every GitHub activity runs its blocking body in the worker's GitHub threads (activities/github/
threads.py), and every write waits there for its turn at the write gate: one write at a time per
token, a second apart (writes.py). A burst of a thousand hotfixes wants thousands of writes, over an
hour of them at GitHub's pace. Had the worker started every activity Temporal offered, each would
wait in the worker, and that wait counts against the activity's start-to-close timeout (and, while
writers hold every thread, against the polls' too).

So the activity slots are this supplier's: a slot is given (and the worker polls Temporal for one
more activity) only while fewer than `backlog` bodies wait for a GitHub thread. The rest of a burst
waits in Temporal's task queue, in the order it was scheduled, where no timeout counts it (the
activities set no schedule-to-start timeout), and where any other worker with room takes it. An
activity the worker did take waits for at most about `backlog` bodies plus its threads ahead of it.
A polling wait that sleeps between looks holds its slot but waits for no thread, so it is no backlog.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Protocol

from temporalio.worker import (
    CustomSlotSupplier,
    SlotMarkUsedContext,
    SlotPermit,
    SlotReleaseContext,
    SlotReserveContext,
)

# How often a reservation that must wait looks again at the backlog.
CHECK_EVERY = 0.05


class Backlog(Protocol):
    """What the supplier reads of the GitHub threads (GitHubThreads)."""

    @property
    def waiting(self) -> int: ...


class GitHubBackpressure(CustomSlotSupplier):
    """At most `slots` activities at once, and no new one while `backlog` bodies wait for a thread."""

    def __init__(self, slots: int, threads: Backlog, backlog: int) -> None:
        self.slots = slots
        self.backlog = backlog
        self._threads = threads
        self._used = 0
        self._lock = threading.Lock()
        self.held_back = 0  # reservations that had to wait (a figure for benchmarks and tests)

    @property
    def used(self) -> int:
        with self._lock:
            return self._used

    def _take(self) -> bool:
        with self._lock:
            if self._used >= self.slots or self._threads.waiting >= self.backlog:
                return False
            self._used += 1
            return True

    async def reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit:
        held = False
        # The backlog drains in GitHub threads, which would have to wake the loop: look again soon.
        while True:
            if self._take():
                return SlotPermit()
            if not held:
                held = True
                self.held_back += 1
            await asyncio.sleep(CHECK_EVERY)

    def try_reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit | None:
        # Eager activities (handed back with a workflow task's completion) follow the same rule.
        return SlotPermit() if self._take() else None

    def mark_slot_used(self, ctx: SlotMarkUsedContext) -> None:
        pass

    def release_slot(self, ctx: SlotReleaseContext) -> None:
        with self._lock:
            self._used -= 1
