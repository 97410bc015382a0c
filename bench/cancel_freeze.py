"""Does cancelling activities that log while they work freeze the worker? (issue #16)

Usage: .venv/bin/python bench/cancel_freeze.py sync|threads [--seconds 25]

40 workflows each start 40 activities one after another and cancel each at a random moment (or it
times out); the activity logs non-stop through the root StreamHandler, as urllib3 and PyGithub do
under load, and heartbeats. A monitor process queries a workflow each
second; three failed queries in a row count as frozen, and then `py-spy dump` (PyPI `py-spy`, on
PATH or PY_SPY) writes the stacks to .data/cancel_freeze-MODE.stacks.

- sync: a synchronous activity, as the worker ran PyGithub before #16: the SDK cancels it by raising
  CancelledError inside its thread.
- threads: the same body behind activities/github/threads.py's `in_github_thread`, as now.

The frozen process is killed (-9) after the dump. Not part of run_all.py: it is a reproduction, not a figure.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]

from cancel_freeze_wf import Cancels  # noqa: E402
from temporalio import activity  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from activities.github import threads  # noqa: E402
from activities.github.threads import GitHubThreads, in_github_thread  # noqa: E402
from local.environments import dev_server  # noqa: E402

log = logging.getLogger("cancel_freeze")
MODE = "sync"


def body(x: int) -> int:
    end = time.monotonic() + 2
    while time.monotonic() < end:
        log.info("working %s", x)
        if MODE == "sync":
            activity.heartbeat()
        else:
            threads.heartbeat("working")
    return x


class Acts:
    def __init__(self) -> None:
        self.github_threads = GitHubThreads(64)

    @activity.defn(name="busy")
    @in_github_thread
    def busy(self, x: int) -> int:
        return body(x)


sync_busy = activity.defn(name="busy")(body)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, not ")".
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


async def monitor(target: str, workflow_id: str, pid: int, stacks: Path) -> None:
    """Runs as a process of its own (the worker's threads may all be stuck on one lock)."""
    client = await Client.connect(target)
    started = time.monotonic()
    failures = 0
    while True:
        await asyncio.sleep(1)
        try:
            await asyncio.wait_for(client.get_workflow_handle(workflow_id).query(Cancels.ping), 3)
            failures = 0
            print(f"{time.monotonic() - started:.0f}s query ok", flush=True)
        except Exception as err:
            if time.monotonic() - started < 5 and not failures:
                continue  # the workflow may not be started yet
            failures += 1
            print(f"{time.monotonic() - started:.0f}s query FAILED {type(err).__name__}", flush=True)
            if failures == 3:
                print(f"FROZEN pid={pid}; stacks in {stacks}", flush=True)
                spy = os.environ.get("PY_SPY") or shutil.which("py-spy")
                if spy:
                    with stacks.open("w") as out:
                        subprocess.run([spy, "dump", "--pid", str(pid)], stdout=out, stderr=out, check=False)  # noqa: ASYNC221
                children = children_of(pid)
                os.kill(pid, signal.SIGKILL)
                for child in children:  # the dev server, which would outlive a killed parent
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child, signal.SIGTERM)
                return


async def main(seconds: float) -> None:
    data = ROOT / ".data"
    async with dev_server() as env:
        task_queue = f"freeze-{uuid.uuid4().hex[:8]}"
        acts = [sync_busy] if MODE == "sync" else [Acts().busy]
        pool = concurrent.futures.ThreadPoolExecutor(64) if MODE == "sync" else None
        throttle = timedelta(seconds=0.1)
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=[Cancels],
            activities=acts,
            activity_executor=pool,
            max_concurrent_activities=64,
            max_heartbeat_throttle_interval=throttle,
            default_heartbeat_throttle_interval=throttle,
        ):
            ids = [f"freeze-{i}-{uuid.uuid4().hex[:8]}" for i in range(40)]
            target = env.client.service_client.config.target_host
            stacks = data / f"cancel_freeze-{MODE}.stacks"
            # Started first: the worker can freeze while the workflows are still being started.
            watcher = subprocess.Popen(  # noqa: ASYNC220
                [
                    sys.executable,
                    __file__,
                    "monitor",
                    "--target",
                    target,
                    "--workflow",
                    ids[0],
                    "--pid",
                    str(os.getpid()),
                    "--stacks",
                    str(stacks),
                ]
            )
            handles = [
                await env.client.start_workflow(Cancels.run, 40, id=workflow_id, task_queue=task_queue)
                for workflow_id in ids
            ]
            await asyncio.sleep(seconds)
            for handle in handles:
                await asyncio.wait_for(handle.result(), 120)
            total: dict[str, int] = {}
            for handle in handles:
                for name, n in (await handle.query(Cancels.seen)).items():
                    total[name] = total.get(name, 0) + n
            watcher.kill()
            print(f"NOT FROZEN; outcomes of {sum(total.values())} activities: {total}", flush=True)
        # A clean exit (the dev server stops with its context); a frozen run never gets here.


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["sync", "threads", "monitor"])
    parser.add_argument("--seconds", type=float, default=25)
    parser.add_argument("--target", "--workflow", "--pid", "--stacks", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.mode == "monitor":
        values = dict(zip(sys.argv[2::2], sys.argv[3::2], strict=False))
        asyncio.run(
            monitor(values["--target"], values["--workflow"], int(values["--pid"]), Path(values["--stacks"]))
        )
        sys.exit(0)
    MODE = args.mode
    (ROOT / ".data").mkdir(exist_ok=True)
    logging.basicConfig(level=logging.INFO, stream=open(ROOT / ".data" / f"cancel_freeze-{MODE}.log", "w"))
    asyncio.run(main(args.seconds))
