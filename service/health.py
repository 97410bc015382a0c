"""Liveness: a watchdog thread that notices a stuck worker, the health endpoint that reports it, and a
SIGTERM that always ends the process.

The watchdog runs in a thread of its own and never needs the event loop, the logging module or any
lock the worker's code may hold, so it still works when those are what froze (issue #16: every thread
waiting for a logging lock nobody held). Once a second it asks the loop to note the time; the worker
is stuck when

- the event loop has not turned for `stuck_after` seconds (it runs every workflow, query and poll), or
- every GitHub thread has been busy and none has finished a call for `threads_stuck_after` seconds
  (longer than a GitHub call's timeout times its retries).

Then `GET /healthz` answers 503 with what is stuck, and one line goes to stderr (written with
os.write: the logging module may be the thing that is stuck). It answers 200 again once the worker
turns. Point an orchestrator's liveness check at it (docker-compose.yml does).

SIGTERM and SIGINT reach the watchdog through a wakeup pipe written by the C signal handler, whichever
thread gets the signal and whether or not the loop turns: it asks the worker to stop (`on_stop`) and,
if the process is still there `exit_after` seconds later, ends it with os._exit(EXIT_FORCED). Where
nothing watches the health endpoint (plain `docker compose`, whose healthcheck only marks a container
unhealthy), `exit_when_stuck` ends a worker stuck that long, and `restart:` brings it back.
"""

from __future__ import annotations

import json
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

# The exit code of a worker that did not stop within its grace period and was ended by the watchdog.
EXIT_FORCED = 3


class Threads(Protocol):
    """What the watchdog reads of a thread pool (activities/github/threads.py's GitHubThreads)."""

    size: int
    last_finished: float

    @property
    def busy(self) -> int: ...


def say(event: str, level: str = "warning", **fields: Any) -> None:
    """One JSON line on stderr without the logging module (whose locks may be what is stuck), with the
    keys every other line has (service/logs.py)."""
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    line = json.dumps(
        {"event": event, "level": level, "logger": "watchdog", "timestamp": stamp, **fields}, default=str
    )
    line += "\n"
    try:
        os.write(2, line.encode())
    except OSError:
        pass


class Watchdog:
    def __init__(
        self,
        loop: Any,
        *,
        stuck_after: float = 20.0,
        threads: Threads | None = None,
        threads_stuck_after: float | None = None,
        on_stop: Callable[[], None] | None = None,
        exit_after: float | None = None,
        exit_when_stuck: float | None = None,
        tick: float = 1.0,
    ) -> None:
        self._loop = loop
        self.stuck_after = stuck_after
        self._threads = threads
        # A GitHub call may rightly take its timeout times its retries; the threads count as stuck
        # only after longer than that.
        self.threads_stuck_after = threads_stuck_after or stuck_after
        self._on_stop = on_stop
        self._exit_after = exit_after
        self._exit_when_stuck = exit_when_stuck
        self._stuck_since: float | None = None
        self._tick = tick
        self._last_turn = time.monotonic()
        self._problem: str | None = None
        # Ready once the worker polls Temporal (GET /readyz); live (GET /healthz) while it waits to.
        self.waiting_for: str | None = "the worker to start"
        self._exit_at: float | None = None
        self._done = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
        self._server: ThreadingHTTPServer | None = None
        self._old_handlers: dict[int, Any] = {}

    # ---- what is stuck --------------------------------------------------------------------------

    def _turned(self) -> None:
        self._last_turn = time.monotonic()

    def check(self) -> str | None:
        """What is stuck now, in one line, or None."""
        now = time.monotonic()
        idle = now - self._last_turn
        if idle > self.stuck_after:
            return f"the event loop has not turned for {idle:.0f} s (workflows, queries and polls wait on it)"
        pool = self._threads
        if (
            pool is not None
            and pool.busy >= pool.size
            and now - pool.last_finished > self.threads_stuck_after
        ):
            return (
                f"all {pool.size} GitHub threads busy, none finished a call for "
                f"{now - pool.last_finished:.0f} s"
            )
        return None

    @property
    def problem(self) -> str | None:
        return self._problem

    def _run(self) -> None:
        while not self._done.is_set():
            try:
                self._loop.call_soon_threadsafe(self._turned)
            except RuntimeError:  # the loop is closed: the worker is ending
                pass
            readable, _, _ = select.select([self._wake_r], [], [], self._tick)
            if readable:
                self._signalled(os.read(self._wake_r, 64))
            problem = self.check()
            if problem != self._problem:
                if problem is not None and self._problem is None:
                    say("worker stuck", problem=problem)
                    self._stuck_since = time.monotonic()
                elif problem is None:
                    say("worker recovered", level="info", was=self._problem)
                    self._stuck_since = None
                self._problem = problem
            if (
                self._exit_when_stuck is not None
                and self._stuck_since is not None
                and time.monotonic() - self._stuck_since >= self._exit_when_stuck
            ):
                say("worker stuck for too long: exiting so it is restarted", stuck=self._problem)
                os._exit(EXIT_FORCED)
            if self._exit_at is not None and time.monotonic() >= self._exit_at:
                say("worker did not stop within its grace period: exiting", stuck=self._problem)
                os._exit(EXIT_FORCED)

    def _signalled(self, data: bytes) -> None:
        # The pipe carries every signal that has a Python handler; only these two mean "stop".
        wanted = [n for n in data if n in (signal.SIGTERM, signal.SIGINT)]
        if not wanted or self._on_stop is None:
            return
        say(
            "stop requested",
            level="info",
            signal=signal.Signals(wanted[0]).name,
            grace_seconds=self._exit_after,
        )
        if self._exit_after is not None and self._exit_at is None:
            self._exit_at = time.monotonic() + self._exit_after
        try:
            self._loop.call_soon_threadsafe(self._on_stop)
        except RuntimeError:
            pass

    # ---- start and stop -------------------------------------------------------------------------

    def start(self, *, port: int | None = None, host: str = "0.0.0.0", signals: bool = False) -> None:
        """Start watching; with `port`, serve GET /healthz; with `signals` (main thread only), take
        SIGTERM and SIGINT through the wakeup pipe."""
        if signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._old_handlers[signum] = signal.signal(signum, _ignore)
            self._old_wakeup = signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        if port is not None:
            self._server = _server(self, host, port)
            threading.Thread(target=self._server.serve_forever, name="healthz", daemon=True).start()
        self._thread.start()

    @property
    def port(self) -> int | None:
        return self._server.server_address[1] if self._server else None

    def stop(self) -> None:
        self._done.set()
        if self._old_handlers:
            signal.set_wakeup_fd(self._old_wakeup)
            for signum, handler in self._old_handlers.items():
                signal.signal(signum, handler)
            self._old_handlers.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._thread.join(timeout=5)


def _ignore(signum: int, frame: Any) -> None:
    """The Python-level handler does nothing: the C handler has already written the wakeup pipe."""


def _server(watchdog: Watchdog, host: str, port: int) -> ThreadingHTTPServer:
    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            problem = watchdog.problem
            if path == "/healthz":
                ok, payload = problem is None, {"ok": problem is None, "stuck": problem}
            elif path == "/readyz":
                waiting = watchdog.waiting_for
                ok = problem is None and waiting is None
                payload = {"ok": ok, "waiting_for": waiting, "stuck": problem}
            else:
                self.send_error(404)
                return
            body = json.dumps(payload).encode()
            self.send_response(200 if ok else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: a probe every few seconds is not news."""

    server = ThreadingHTTPServer((host, port), Health)
    server.daemon_threads = True
    return server
