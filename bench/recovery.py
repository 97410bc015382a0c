"""Recovery after `kill -9` of the worker: how long until a fresh worker has finished the step (#9 item 2).

Usage: .venv/bin/python bench/recovery.py [--samples 3] [--points poll,merge,dispatch] [--no-write]

Temporal dev server + sandbox GitHub + worker.py as a process of its own, with production settings
(30 s poll interval, 1 s write spacing). One hotfix is driven to a point, the worker is killed with
SIGKILL there, and a fresh worker is started at once (an orchestrator would restart it, or another
replica would already be polling). Points:

- look: the PR-approval poll is looking at GitHub (the sandbox holds the answer to its `GET
  .../pulls/N` for 4 s); the reviewer had approved just before;
- between-looks: the PR-approval poll waits for its next look (nothing runs in any worker); the
  reviewer approves right after the kill, so the step completes at the poll's next look, up to one
  poll interval (30 s) later, as it would without the kill;
- merge: the merge request is in GitHub's hands (the sandbox holds its answer for 4 s, then applies
  it: the killed worker never hears that it merged);
- dispatch: the same for the deploy workflow's dispatch.

Timed from the kill, from the workflow history (server timestamps): until the step's activity has
completed on the fresh worker, and until the workflow has acted on that (its next workflow task
completed). The fresh worker's own start-up (process start to polling) is counted in; it is printed
apart. Replaces the "Recovery after a worker is killed" section of bench/RESULTS.md. Reports, asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import (
    REPO,
    command_line,
    dev_server,
    machine_note,
    new_task_queue,
    spawn_worker,
    start_hotfix,
    status_of,
    table,
    write_section,
)
from temporalio.api.enums.v1 import EventType

from hotfix.models import ChangesReadySignal, HotfixStatus, Step
from local.humans import Humans
from sandbox.seed import default_seed
from sandbox.testing import SandboxHandle, running_sandbox

# What each point's step runs, and the request that is in GitHub's hands at the kill.
ACTIVITY = {
    "look": "wait_review",
    "between-looks": "wait_review",
    "merge": "merge_pull_request",
    "dispatch": "dispatch_deploy",
}
HELD = {
    "look": ("GET", r"/repos/acme/gaia-gateway/pulls/\d+"),
    "merge": ("PUT", r"/repos/acme/gaia-gateway/pulls/\d+/merge"),
    "dispatch": ("POST", r"/repos/acme/gaia-gateway/actions/workflows/[^/]+/dispatches"),
}
HOLD_SECONDS = 4.0


async def until(handle: Any, ready: Callable[[HotfixStatus], bool], within: float = 120.0) -> HotfixStatus:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            status = await status_of(handle)
        except Exception:
            status = None
        if status is not None and ready(status):
            return status
        await asyncio.sleep(0.2)
    raise SystemExit(f"{handle.id} never got there")


async def ready_after(port: int, began: float) -> float:
    """Seconds from `began` until the worker's /readyz answers 200 (it polls Temporal then)."""
    import httpx

    async with httpx.AsyncClient(timeout=1.0) as http:
        while time.monotonic() - began < 60:
            try:
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return time.monotonic() - began
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    return float("nan")


async def held_request_seen(sb: SandboxHandle, method: str, pattern: str) -> None:
    import re

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(r["method"] == method and re.fullmatch(pattern, r["path"]) for r in sb.requests()):
            return
        await asyncio.sleep(0.05)
    raise SystemExit(f"no {method} {pattern} was sent")


async def step_done_after(handle: Any, activity: str, killed: datetime) -> tuple[float, float]:
    """(seconds from the kill until `activity` completed, until the workflow's next task completed)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        history = await handle.fetch_history()
        events = list(history.events)
        types: dict[int, str] = {}
        completed: datetime | None = None
        for event in events:
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                types[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
            when = event.event_time.ToDatetime(tzinfo=UTC)
            if (
                completed is None
                and event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
                and types.get(event.activity_task_completed_event_attributes.scheduled_event_id) == activity
                and when > killed
            ):
                completed = when
            elif (
                completed is not None
                and event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
                and when > completed
            ):
                return (completed - killed).total_seconds(), (when - killed).total_seconds()
        await asyncio.sleep(0.5)
    raise SystemExit(f"{activity} never completed after the kill")


async def sample(point: str, state: Path) -> dict[str, float]:
    async with dev_server() as env:
        with running_sandbox(state / "sandbox", default_seed(), ci_seconds=0.3, deploy_seconds=0.3) as sb:
            humans = Humans(sb.api_url, REPO)
            queue = new_task_queue()
            address = env.client.service_client.config.target_host
            log = state / "worker.log"
            worker = spawn_worker(address, queue, sb.api_url, log)
            fresh: subprocess.Popen[bytes] | None = None
            try:
                handle = await start_hotfix(env.client, queue, label=point)
                status = await until(handle, lambda s: s.step == Step.CHANGES)
                await asyncio.to_thread(humans.push_change, status.work_branch)
                await handle.signal("changes_ready", ChangesReadySignal(by="dev-1"))
                status = await until(handle, lambda s: s.step == Step.APPROVAL and s.pull_request is not None)
                assert status.pull_request is not None
                number = status.pull_request.number
                # The approval wait's first look is over; the next one is due in about 27 s.
                await asyncio.sleep(3.0)
                if point != "between-looks":
                    method, pattern = HELD[point]
                    sb.clear_requests()
                    sb.add_fault(method, pattern, delay=HOLD_SECONDS)
                    await asyncio.to_thread(humans.approve_pull_request, number)
                    await held_request_seen(sb, method, pattern)
                    await asyncio.sleep(0.3)
                worker.send_signal(signal.SIGKILL)
                killed = datetime.now(UTC)
                began = time.monotonic()
                worker.wait()
                if point == "between-looks":
                    await asyncio.to_thread(humans.approve_pull_request, number)
                health = 18000 + os.getpid() % 1000
                fresh = spawn_worker(address, queue, sb.api_url, log, health=health)
                startup = await ready_after(health, began)
                activity_done, moved_on = await step_done_after(handle, ACTIVITY[point], killed)
                await until(handle, lambda s: s.step not in (Step.APPROVAL, Step.DEPLOY), within=300)
                dispatches = sum(
                    1 for r in sb.requests() if r["method"] == "POST" and "dispatches" in r["path"]
                )
                merges = sum(
                    1
                    for r in sb.requests()
                    if r["method"] == "PUT" and r["path"].endswith("/merge") and r.get("status") == 200
                )
                return {
                    "startup": startup,
                    "activity": activity_done,
                    "moved_on": moved_on,
                    "dispatches": float(dispatches),
                    "merges": float(merges),
                }
            finally:
                for proc in (worker, fresh):
                    if proc is not None and proc.poll() is None:
                        proc.kill()
                        proc.wait()


async def main_async(points: list[str], samples: int, write: bool) -> None:
    results: dict[str, list[dict[str, float]]] = {p: [] for p in points}
    for point in points:
        for n in range(samples):
            with tempfile.TemporaryDirectory() as tmp:
                got = await sample(point, Path(tmp))
            results[point].append(got)
            print(f"{point} sample {n + 1}: {got}", flush=True)

    def cell(point: str, key: str) -> str:
        values = [r[key] for r in results[point]]
        return f"{statistics.median(values):.1f} (max {max(values):.1f})"

    def made(point: str, key: str) -> list[int]:
        return sorted({int(r[key]) for r in results[point]})

    rows = [
        [
            point,
            cell(point, "activity"),
            cell(point, "moved_on"),
            cell(point, "startup"),
            f"{made(point, 'merges')} / {made(point, 'dispatches')}",
        ]
        for point in points
    ]
    body = "\n".join(
        [
            f"Command: `{command_line()}` ({machine_note()}).",
            "",
            "One hotfix, production settings (30 s poll interval); `kill -9` of worker.py at the point, a"
            " fresh worker.py started at once. Seconds from the kill, from the workflow history; median"
            f" (max) of {samples} samples.",
            "",
            table(
                [
                    "killed during",
                    "step's activity completed on the fresh worker (s)",
                    "workflow acted on it (s)",
                    "fresh worker ready (s)",
                    "merges / dispatches made",
                ],
                rows,
            ),
        ]
    )
    print(body)
    if write:
        write_section("recovery", "Recovery after a worker is killed", body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--points", default=",".join(ACTIVITY))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    points = [p.strip() for p in args.points.split(",") if p.strip()]
    unknown = set(points) - set(ACTIVITY)
    if unknown:
        parser.error(f"unknown points {sorted(unknown)}; known: {', '.join(ACTIVITY)}")
    asyncio.run(main_async(points, args.samples, not args.no_write))


if __name__ == "__main__":
    main()
