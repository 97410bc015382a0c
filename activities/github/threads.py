"""GitHub calls in threads of their own, from async activities: the one way activities run PyGithub.

PyGithub and requests block, so their calls must run in threads. The Temporal SDK cancels a
*synchronous* activity by raising CancelledError asynchronously inside its thread; raised between a
library's `lock.acquire()` and its `try:` (logging's handler lock, urllib3's pool), the lock is never
released and every thread that needs it waits forever: the worker freezes (issue #16).

So every GitHub activity is `async def` (written with `@in_github_thread` over a plain method): the
blocking body runs in the worker's GitHub threads, and a cancellation only stops the *await*. The
thread is told through `stopping()` and leaves at its next request or pause by raising `Abandoned`
itself, at a point of our own code where it holds no lock. Its result, if any, is dropped.

While the body runs the async side heartbeats with what the thread is doing (e.g. "waiting for GitHub
write capacity, 3 ahead"), every BEAT_EVERY seconds when a heartbeat timeout watches the activity and
whenever it changes, so a queued write shows in the activity's heartbeat details (`temporal workflow
describe`, the UI's pending activities) and a heartbeat timeout does not count the queue as silence.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from temporalio import activity

I = TypeVar("I")  # noqa: E741 - an activity's input
R = TypeVar("R")
S = TypeVar("S", bound="HasGitHubThreads")

# How often the async side heartbeats while a GitHub thread works for the activity.
BEAT_EVERY = 2.0


class Abandoned(BaseException):
    """Raised by our own code in a GitHub thread whose activity was cancelled: leave, result unwanted.

    A BaseException so that no `except Exception` in an activity body mistakes it for a GitHub error.
    """


@dataclass
class Call:
    """One activity's body running in a GitHub thread, as the thread and the async side share it."""

    loop: asyncio.AbstractEventLoop
    stop: threading.Event = field(default_factory=threading.Event)
    doing: str = "waiting for a GitHub thread"
    started: bool = False  # a thread took it (under GitHubThreads._lock)
    dropped: bool = False  # cancelled before any thread took it: it never runs


_call: contextvars.ContextVar[Call | None] = contextvars.ContextVar("github_call", default=None)


def current() -> Call | None:
    """The activity call this thread works for, or None outside one (tests, scripts)."""
    return _call.get()


def stopping() -> bool:
    """Whether the activity this thread works for was cancelled (the thread should leave)."""
    call = _call.get()
    return call is not None and call.stop.is_set()


def checkpoint() -> None:
    """Leave (raise Abandoned) if the activity was cancelled; called before every GitHub request."""
    if stopping():
        raise Abandoned()


def pause(seconds: float) -> None:
    """Sleep in a GitHub thread, waking at once (Abandoned) if the activity is cancelled."""
    call = _call.get()
    if call is None:
        time.sleep(seconds)
        return
    if call.stop.wait(seconds):
        raise Abandoned()


def doing(what: str) -> None:
    """Say what the thread does now; the next heartbeat carries it (shown by status/describe)."""
    call = _call.get()
    if call is not None:
        call.doing = what


def heartbeat(*details: Any) -> None:
    """activity.heartbeat from a GitHub thread: the details are handed to the async side, which sends
    the newest at its next beat (the SDK's heartbeat must run on the loop; one call per heartbeat
    from many threads would flood it)."""
    call = _call.get()
    if call is None:
        if activity.in_activity():
            activity.heartbeat(*details)
        return
    call.doing = str(details[0]) if details else call.doing


class GitHubThreads:
    """The worker's threads for blocking GitHub calls: a fixed number, shared by all activities."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._executor = ThreadPoolExecutor(size, "github")
        self._busy = 0
        self._waiting = 0
        self._lock = threading.Lock()
        self.last_finished = time.monotonic()

    @property
    def busy(self) -> int:
        with self._lock:
            return self._busy

    @property
    def waiting(self) -> int:
        """Activity bodies handed to the threads that no thread has taken yet (the backlog)."""
        with self._lock:
            return self._waiting

    def _run(self, context: contextvars.Context, call: Call, fn: Callable[..., R], *args: Any) -> R:
        with self._lock:
            if call.dropped:
                raise Abandoned()
            call.started = True
            self._waiting -= 1
            self._busy += 1
        call.doing = "calling GitHub"
        try:
            return context.run(fn, *args)
        finally:
            with self._lock:
                self._busy -= 1
            self.last_finished = time.monotonic()

    async def run(self, fn: Callable[..., R], *args: Any) -> R:
        """`fn(*args)` in a GitHub thread; cancelling the caller abandons it without raising inside it."""
        loop = asyncio.get_running_loop()
        call = Call(loop)
        context = contextvars.copy_context()
        context.run(_call.set, call)
        with self._lock:
            self._waiting += 1
        future = loop.run_in_executor(self._executor, self._run, context, call, fn, *args)
        in_activity = activity.in_activity()
        # Beat regularly when a heartbeat timeout watches the activity; otherwise only to tell news.
        regular = in_activity and activity.info().heartbeat_timeout is not None
        told = call.doing
        try:
            while True:
                done, _ = await asyncio.wait({future}, timeout=BEAT_EVERY)
                if done:
                    return future.result()
                if in_activity and (regular or call.doing != told):
                    told = call.doing
                    activity.heartbeat(told)
        except BaseException:
            # Cancelled (or the loop is going away): the thread leaves at its next checkpoint.
            call.stop.set()
            with self._lock:
                if not call.started:
                    call.dropped = True
                    self._waiting -= 1
            future.cancel()
            raise

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class HasGitHubThreads(Protocol):
    @property
    def github_threads(self) -> GitHubThreads: ...


def in_github_thread(fn: Callable[[S, I], R]) -> Callable[[S, I], Coroutine[Any, Any, R]]:
    """An activity method whose blocking body runs in the GitHub threads of its class's client.

    Put it under `@activity.defn`: the activity's name, input and result stay the method's own.
    """

    @functools.wraps(fn)
    async def activity_method(self: S, input: I) -> R:
        return await self.github_threads.run(fn, self, input)

    return activity_method
