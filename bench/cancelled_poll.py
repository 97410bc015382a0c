"""How long a poll cancelled by a nudge keeps calling GitHub: `.venv/bin/python bench/cancelled_poll.py`.

A hotfix waits at PR approval with a 1 s poll interval; the bot's PR reads are counted over 10 s
before a `recheck` signal, the 10 s after it, and the 10 s after that. A cancelled poll that kept
running would show as extra reads in the middle window.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import (
    command_line,
    dev_server,
    in_process_worker,
    machine_note,
    new_task_queue,
    quiet_logs,
    start_hotfix,
    status_of,
    table,
    write_section,
)

from hotfix.models import ChangesReadySignal, RecheckSignal, Step
from local.humans import Humans
from sandbox.testing import running_sandbox
from workflows.hotfix import HotfixWorkflow

WINDOW = 10.0


async def until(handle: object, step: Step) -> object:
    for _ in range(600):
        status = await status_of(handle)  # type: ignore[arg-type]
        if status.step == step:
            return status
        await asyncio.sleep(0.1)
    raise RuntimeError(f"never reached {step}")


async def measure() -> list[tuple[str, int]]:
    with running_sandbox(Path(tempfile.mkdtemp()), ci_seconds=0.1, deploy_seconds=1) as sandbox:
        async with dev_server() as env:
            task_queue = new_task_queue()
            async with in_process_worker(env, sandbox.api_url, task_queue):
                handle = await start_hotfix(env.client, task_queue, poll_interval=timedelta(seconds=1))
                status = await until(handle, Step.CHANGES)
                await asyncio.to_thread(Humans(sandbox.api_url).push_change, status.work_branch)  # type: ignore[attr-defined]
                await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal())
                await until(handle, Step.APPROVAL)
                await asyncio.sleep(3)

                def reads(start: float) -> int:
                    return sum(
                        1
                        for r in sandbox.requests()
                        if r["user"] == "hotfix-bot"
                        and "/pulls/" in r["path"]
                        and start <= r["timestamp"] < start + WINDOW
                    )

                before = time.time()
                await asyncio.sleep(WINDOW)
                await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
                after = time.time()
                await asyncio.sleep(2 * WINDOW)
                await handle.terminate("benchmark over")
                return [
                    ("10 s before the recheck", reads(before)),
                    ("10 s after the recheck", reads(after)),
                    ("the 10 s after that", reads(after + WINDOW)),
                ]


def main() -> None:
    quiet_logs()
    rows = asyncio.run(measure())
    for label, count in rows:
        print(f"{label}: {count} bot PR reads")
    body = (
        f"Command: `{command_line()}` ({machine_note()}).\n\n"
        "A hotfix waits at PR approval, poll interval 1 s (2 reads per look); a `recheck` cancels the "
        "running poll and starts a fresh one. With the worker's heartbeat throttle at 2 s "
        "(`worker.py`, `HEARTBEAT_THROTTLE`) the cancelled poll stops within about 2 s; with the SDK's "
        "default (up to 60 s) both polls ran for about 45 s.\n\n" + table(["window", "bot PR reads"], rows)
    )
    write_section("cancelled_poll", "A cancelled poll stops calling GitHub", body)


if __name__ == "__main__":
    main()
