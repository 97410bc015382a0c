"""One GitHub write at a time per token, a second apart, in arrival order: GitHub's advice, held for real.

GitHub's secondary rate limits ask integrations to make writes (POST, PATCH, PUT, DELETE) serially,
at least a second apart. PyGithub's own `seconds_between_writes` is kept per requester without a lock
(`Requester.__deferRequest`): threads that wait at the same moment wake and write together. So the
client turns it off and every write of the worker passes this gate instead.

The gate is FIFO: writers are served in the order they arrived, so in a burst every hotfix gets its
turn and none starves. While a thread queues, `threads.doing` says "waiting for GitHub write
capacity", which the activity's heartbeat carries (see threads.py); a cancelled activity leaves the
queue at once (Abandoned), without taking a turn.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from activities.github import threads

WAITING = "waiting for GitHub write capacity"


class WriteGate:
    """A process-wide FIFO gate: one holder at a time, `interval` seconds from one write's end to the next."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = max(0.0, interval)
        self._lock = threading.Lock()
        self._queue: deque[threading.Event] = deque()
        self._busy = False
        self._free_at = 0.0
        self.served = 0

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._queue)

    @contextmanager
    def turn(self, what: str = "write") -> Iterator[None]:
        """Hold the gate for one write (its in-process retries included)."""
        mine = threading.Event()
        with self._lock:
            if not self._busy and not self._queue:
                self._busy = True
                mine.set()
            else:
                self._queue.append(mine)
        self._wait(mine, what)
        try:
            delay = self._free_at - time.monotonic()
            if delay > 0:
                threads.doing(f"{WAITING}: {what} in {delay:.1f} s")
                threads.pause(delay)
            threads.doing(what)
            yield
        finally:
            self._release()

    def _wait(self, mine: threading.Event, what: str) -> None:
        while not mine.wait(0.25):
            with self._lock:
                if threads.stopping() and mine in self._queue:
                    self._queue.remove(mine)
                    raise threads.Abandoned()
                ahead = self._queue.index(mine) + 1 if mine in self._queue else 0
            threads.doing(f"{WAITING}: {what}, {ahead} ahead")

    def _release(self) -> None:
        with self._lock:
            self.served += 1
            self._free_at = time.monotonic() + self.interval
            if self._queue:
                self._queue.popleft().set()
            else:
                self._busy = False
