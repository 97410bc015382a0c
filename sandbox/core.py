"""The sandbox: state, git, the clock that completes CI and deployments, faults and the request log."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox import profiles
from sandbox.state import Record, Store
from sandbox.views import Urls

log = logging.getLogger("sandbox")

DEFAULT_CI_SECONDS = 2.0
DEFAULT_CI_START_SECONDS = 0.1
DEFAULT_DEPLOY_SECONDS = 3.0
# Changes are written to state.json at most this long after they happen (see save_soon).
SAVE_DELAY = 0.5

TimerHandler = Callable[["Sandbox", Record, Record], None]
# Told of every answer the sandbox itself gives (not injected faults): method, path, status, raw body.
Observer = Callable[[str, str, int, bytes], None]
TIMERS: dict[str, TimerHandler] = {}


def timer(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    def register(fn: TimerHandler) -> TimerHandler:
        TIMERS[kind] = fn
        return fn

    return register


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float | None = None
    drop: bool = False
    # Apply the request first, then fail (drop or `status`): a write GitHub made whose answer was lost.
    applied: bool = False
    count: int = 1

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and self.path.fullmatch(path) is not None


class Sandbox:
    def __init__(
        self,
        state_dir: Path,
        seed: Path | dict[str, Any] | None = None,
        *,
        ci_seconds: float | None = None,
        deploy_seconds: float | None = None,
        record_bodies: bool = False,
        ci_start_seconds: float | None = None,
        profile: str | None = None,
    ) -> None:
        from sandbox import populate

        self.store = Store(state_dir)
        if self.store.exists:
            self.store.load()
        else:
            self.store.init_empty(
                {"ci_seconds": DEFAULT_CI_SECONDS, "deploy_seconds": DEFAULT_DEPLOY_SECONDS}
            )
            populate.apply(self.store, populate.load(seed))
        # Durations given on the command line win over the stored ones, so a restart can change them.
        if ci_seconds is not None:
            self.store.settings["ci_seconds"] = ci_seconds
        if deploy_seconds is not None:
            self.store.settings["deploy_seconds"] = deploy_seconds
        if ci_start_seconds is not None:
            self.store.settings["ci_start_seconds"] = ci_start_seconds
        if profile is not None:
            self.store.settings["profile"] = profiles.get(profile).name
        self.store.touch()
        self.store.save()
        self.record_bodies = record_bodies
        self.observer: Observer | None = None
        self.requests: list[Record] = []
        self.faults: list[Fault] = []
        self._wake: asyncio.Event | None = None
        self._timer_task: asyncio.Task[None] | None = None
        self._save_handle: asyncio.TimerHandle | None = None
        # The URLs of the last request (webhook payloads built by the clock's timers use them too).
        self.urls = Urls(api="http://localhost", web="http://localhost")
        # The webhook deliveries' thread and log (sandbox/webhooks.py makes it when first needed).
        self.deliverer: Any = None

    # -- settings
    @property
    def ci_seconds(self) -> float:
        return float(self.store.settings["ci_seconds"])

    @property
    def ci_start_seconds(self) -> float:
        """How long after a push CI's check runs appear (its suite is queued at once)."""
        return float(self.store.settings.get("ci_start_seconds", DEFAULT_CI_START_SECONDS))

    @property
    def deploy_seconds(self) -> float:
        return float(self.store.settings["deploy_seconds"])

    @property
    def mergeability_seconds(self) -> float:
        """How long GitHub "computes" a PR's mergeability after its head or base moved: its single-PR
        answers say `mergeable: null`, `mergeable_state: "unknown"` meanwhile; 0 by default."""
        return float(self.store.settings.get("mergeability_seconds", 0.0))

    @property
    def run_list_lag_seconds(self) -> float:
        """How long a new run is missing from the runs lists (GitHub lists runs after a lag); 0 by default."""
        return float(self.store.settings.get("run_list_lag_seconds", 0.0))

    @property
    def profile(self) -> profiles.Profile:
        """Which GitHub this is (sandbox/profiles.py); github.com unless set."""
        return profiles.get(self.store.settings.get("profile", profiles.DEFAULT))

    def update_settings(self, values: Record) -> Record:
        for key in (
            "ci_seconds",
            "deploy_seconds",
            "ci_start_seconds",
            "run_list_lag_seconds",
            "mergeability_seconds",
            "installation_token_seconds",
        ):
            if key in values and values[key] is not None:
                self.store.settings[key] = float(values[key])
        if values.get("profile") is not None:
            self.store.settings["profile"] = profiles.get(values["profile"]).name
        if "record_bodies" in values:
            self.record_bodies = bool(values["record_bodies"])
        self.store.touch()
        self.store.save()
        return {**self.store.settings, "record_bodies": self.record_bodies}

    # -- faults
    def add_fault(self, spec: Record) -> Fault:
        fault = Fault(
            method=str(spec.get("method", "*")).upper(),
            path=re.compile(spec["path"]),
            status=spec.get("status"),
            body=spec.get("body"),
            headers={str(k): str(v) for k, v in (spec.get("headers") or {}).items()},
            delay=spec.get("delay"),
            drop=bool(spec.get("drop", False)),
            applied=bool(spec.get("applied", False)),
            count=int(spec.get("count", 1)),
        )
        self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # -- clock
    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def start(self) -> None:
        self._wake = asyncio.Event()
        self._timer_task = asyncio.get_running_loop().create_task(self._run_timers())

    def save_soon(self) -> None:
        """Save the state within SAVE_DELAY, once for every change made meanwhile.

        Writing all of state.json after every request made each write cost a dump of every
        repository: with a thousand repositories the sandbox fell behind (issue #16). A crash loses
        at most the last SAVE_DELAY; stop() saves at once.
        """
        if not self.store.dirty or self._save_handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.store.save()
            return
        self._save_handle = loop.call_later(SAVE_DELAY, self._save_now)

    def _save_now(self) -> None:
        self._save_handle = None
        self.store.save()

    async def stop(self) -> None:
        if self.deliverer is not None:
            self.deliverer.stop()
        if self._save_handle is not None:
            self._save_handle.cancel()
            self._save_handle = None
        if self._timer_task is not None:
            self._timer_task.cancel()
            try:
                await self._timer_task
            except asyncio.CancelledError:
                pass
        self.store.save()

    def fire_due(self) -> None:
        for t in self.store.due_timers(time.time()):
            repo = self.store.data["repos"].get(t["repo"].lower())
            handler = TIMERS.get(t["kind"])
            if repo is None or handler is None:
                continue
            try:
                handler(self, repo, t)
            except Exception:
                log.exception("timer %s failed", t)
        self.save_soon()

    async def _run_timers(self) -> None:
        assert self._wake is not None
        while True:
            self.fire_due()
            due = self.store.next_due()
            self._wake.clear()
            timeout = None if due is None else max(0.0, due - time.time())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass

    def schedule(self, kind: str, repo: Record, target: int, delay: float, **extra: Any) -> None:
        self.store.add_timer(kind, repo, target, delay, **extra)
        self.wake()
