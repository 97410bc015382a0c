"""One timer per wait: the next reminder or the deadline, kept while the wait's polls come and go.

A poll is an activity raced against this timer (workflows/waiting.py). Before LEAN_HISTORY every
round of that race started a timer and cancelled it when the poll reported, two events a poll; a
hotfix at approval ran four. The alarm is started once for a wake-up time and reused by every round
that wakes at the same time; it is cancelled only when a wait wakes at another time (a new step, a
reminder posted). Deterministic like any workflow code.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow

# The shortest alarm: a wake-up time already past fires a second later, as the timeout of the
# wait before LEAN_HISTORY did, never at once (that would spin in a loop of workflow tasks).
SHORTEST = timedelta(seconds=1)


class Alarm:
    def __init__(self) -> None:
        self._when: datetime | None = None
        self._timer: asyncio.Task[None] | None = None

    def at(self, when: datetime) -> asyncio.Task[None]:
        """The timer that fires at `when`: the running one if it is for that time, else a new one."""
        if self._timer is not None and not self._timer.done():
            if self._when == when:
                return self._timer
            self._timer.cancel()
        self._when = when
        delay = max(when - workflow.now(), SHORTEST)
        self._timer = asyncio.create_task(workflow.sleep(delay, summary="next reminder or deadline"))
        return self._timer
