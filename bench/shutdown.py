"""SIGTERM with hotfixes waiting: how long worker.py takes to stop (#9 item 10).

Usage: .venv/bin/python bench/shutdown.py [--hotfixes 6] [--samples 3] [--no-write]

Temporal dev server + sandbox GitHub + worker.py as a process of its own. One hotfix waits at PR
approval (a poll of GitHub running in the worker), the others queue behind it (each watching its
lane: a running activity too). Then SIGTERM, timed until the process has exited. Polls and watches
hand themselves back at once on shutdown (activities/stopping.py); only one-shot actions are waited
for, up to HOTFIX_SHUTDOWN_GRACE (30 s). Replaces the "Shutdown with hotfixes waiting" section of
bench/RESULTS.md. Reports, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import (
    command_line,
    dev_server,
    machine_note,
    new_task_queue,
    spawn_worker,
    start_hotfix,
    status_of,
    write_section,
)

from hotfix.models import ChangesReadySignal, HotfixStatus, Step
from local.humans import Humans
from sandbox.seed import default_seed
from sandbox.testing import running_sandbox

REPO = "acme/gaia-gateway"


async def until(handle: Any, ready: Callable[[HotfixStatus], bool], within: float = 60.0) -> HotfixStatus:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        status = await status_of(handle)
        if ready(status):
            return status
        await asyncio.sleep(0.2)
    raise SystemExit(f"{handle.id} never got there")


async def sample(hotfixes: int, state: Path) -> tuple[float, int, int]:
    """(seconds from SIGTERM to exit, exit code, activities handed back)."""
    async with dev_server() as env:
        with running_sandbox(state / "sandbox", default_seed(), ci_seconds=0.2, deploy_seconds=0.3) as sb:
            queue = new_task_queue()
            log = state / "worker.log"
            worker = spawn_worker(env.client.service_client.config.target_host, queue, sb.api_url, log)
            try:
                overrides: dict[str, Any] = {
                    "poll_interval": timedelta(seconds=5),
                    "lane_watch_interval": timedelta(seconds=5),
                }
                first = await start_hotfix(env.client, queue, label="ahead", **overrides)
                status = await until(first, lambda s: s.step == Step.CHANGES)
                await asyncio.to_thread(Humans(sb.api_url, REPO).push_change, status.work_branch)
                await first.signal("changes_ready", ChangesReadySignal(by="dev-1"))
                await until(first, lambda s: s.step == Step.APPROVAL and s.pull_request is not None)
                behind = [
                    await start_hotfix(env.client, queue, label=f"behind-{i}", **overrides)
                    for i in range(hotfixes - 1)
                ]
                for handle in behind:
                    await until(handle, lambda s: s.queued_behind is not None)
                await asyncio.sleep(2.0)  # the poll and the watches are running now
                began = time.monotonic()
                worker.send_signal(signal.SIGTERM)
                code = await asyncio.to_thread(worker.wait, 120)
                seconds = time.monotonic() - began
            finally:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
            text = log.read_text()
            handed = text.count("handed back")
            return seconds, code, handed


async def main_async(hotfixes: int, samples: int, write: bool) -> None:
    results = []
    for n in range(samples):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(await sample(hotfixes, Path(tmp)))
        print(f"sample {n + 1}: {results[-1][0]:.1f} s to exit, exit code {results[-1][1]}", flush=True)
    times = [r[0] for r in results]
    body = "\n".join(
        [
            f"Command: `{command_line()}` ({machine_note()}).",
            "",
            f"{hotfixes} hotfixes on one repository: one waits at PR approval (a running poll of GitHub),"
            f" {hotfixes - 1} queue behind it (each a running lane watch). SIGTERM to worker.py, timed until"
            " the process has exited; the grace for running activities is 30 s.",
            "",
            f"- seconds from SIGTERM to exit: median **{statistics.median(times):.1f}**, max {max(times):.1f}"
            f" ({', '.join(f'{t:.1f}' for t in times)})",
            f"- exit codes: {sorted({r[1] for r in results})}",
        ]
    )
    print(body)
    if write:
        write_section("shutdown", "Shutdown with hotfixes waiting", body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hotfixes", type=int, default=6)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    asyncio.run(main_async(args.hotfixes, args.samples, not args.no_write))


if __name__ == "__main__":
    main()
