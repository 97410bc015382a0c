"""Worker memory with many hotfixes waiting for people.

Usage: .venv/bin/python bench/worker_memory.py [--counts 50,200] [--budget 240] [--no-write]

Hotfixes of the same repository queue behind each other in its lane, so N waiting hotfixes need N
repositories: the sandbox GitHub runs as its own process on a generated seed with one copy of the
default seed's repository per hotfix. The worker runs as its own process too (`python worker.py`,
configured by HOTFIX_* variables, as in production), against the Temporal dev server.

Half of the hotfixes are left at step 3 (waiting for `changes_ready`: a signal wait, no activity);
the other half get their change pushed and are driven to step 6 (waiting for PR approval: a
`wait_review` polling activity that lives in the worker, default 30 s poll interval). The worker's
RSS (/proc/PID/status VmRSS) is read idle and with N = each of `--counts` hotfixes waiting; the
report gives KiB per waiting hotfix. Each hotfix also keeps its repository's LaneWorkflow open, and
the worker caches both (max_cached_workflows defaults to 2500).

If a batch does not settle within the budget, it is measured as it is and the report says so.
Replaces the "Worker memory with many hotfixes waiting" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from common import (
    ROOT,
    command_line,
    dev_server,
    machine_note,
    new_task_queue,
    quiet_logs,
    start_hotfix,
    status_of,
    table,
    write_section,
)
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from hotfix.models import ChangesReadySignal, HotfixStatus, Step
from hotfix.settings import WorkerSettings
from local.humans import Humans
from sandbox.seed import BOT_TOKEN, DEFAULT_SEED

OWNER = "acme"
MAX_ACTIVITIES = WorkerSettings.model_fields["max_concurrent_activities"].default


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def repo_name(i: int) -> str:
    return f"{OWNER}/mem-{i:03d}"


def write_seed(path: Path, count: int) -> None:
    """The default seed with its one repository copied `count` times (mem-000, mem-001, ...)."""
    seed = copy.deepcopy(DEFAULT_SEED)
    template = seed["repos"][0]
    for i in range(count):
        repo = copy.deepcopy(template)
        repo["name"] = repo_name(i).split("/")[1]
        seed["repos"].append(repo)
    path.write_text(json.dumps(seed))


@contextlib.contextmanager
def process(
    cmd: list[str], env: dict[str, str], log: Path, stop_within: float
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(stop_within)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def wait_http(url: str, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {within:.0f} s")


def memory(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (KiB) and Threads of a process, from /proc."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM", "Threads"):
            values[key] = int(rest.split()[0])
    return values


async def sample_rss(pid: int, samples: int = 5, every: float = 2.0) -> dict[str, float]:
    rss, threads = [], []
    hwm = 0
    for _ in range(samples):
        m = memory(pid)
        rss.append(m["VmRSS"])
        threads.append(m["Threads"])
        hwm = max(hwm, m["VmHWM"])
        await asyncio.sleep(every)
    return {
        "rss": statistics.median(rss),
        "rss_min": min(rss),
        "rss_max": max(rss),
        "hwm": hwm,
        "threads": statistics.median(threads),
    }


@dataclass
class Hotfix:
    handle: WorkflowHandle[Any, Any]
    repository: str
    target: Step
    pushed: bool = False
    step: Step = Step.PREFLIGHT


@dataclass
class Batch:
    total: int
    settled: bool
    seconds: float
    steps: Counter[str]
    mem: dict[str, float] = field(default_factory=dict)


async def status_or_none(handle: WorkflowHandle[Any, Any]) -> HotfixStatus | None:
    """The hotfix's status, or None when the query fails (a busy worker): the next look asks again."""
    try:
        return await status_of(handle)
    except RPCError:
        return None


async def drive(
    hotfixes: list[Hotfix],
    humans_for: Any,
    within: float,
    status_for: Callable[[WorkflowHandle[Any, Any]], Awaitable[HotfixStatus | None]] = status_or_none,
) -> tuple[bool, float]:
    """Bring each hotfix to its target step: push + changes_ready for those meant to wait at approval.

    `status_for` reads a status (None: not this time); bench/burst.py passes one that times it.
    """
    started = time.monotonic()
    queries = asyncio.Semaphore(16)
    pushes = asyncio.Semaphore(4)

    async def look(h: Hotfix) -> None:
        async with queries:
            status = await status_for(h.handle)
        if status is None:
            return
        h.step = status.step
        if h.target == Step.APPROVAL and status.step == Step.CHANGES and not h.pushed:
            async with pushes:
                await asyncio.to_thread(humans_for(h.repository).push_change, status.work_branch)
            await h.handle.signal("changes_ready", ChangesReadySignal(by="dev-1"))
            h.pushed = True

    while time.monotonic() - started < within:
        await asyncio.gather(*(look(h) for h in hotfixes if h.step != h.target))
        if all(h.step == h.target for h in hotfixes):
            return True, time.monotonic() - started
        await asyncio.sleep(2.0)
    return False, time.monotonic() - started


async def run(counts: list[int], budget: float) -> dict[str, Any]:
    biggest = max(counts)
    result: dict[str, Any] = {"batches": [], "counts": counts}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        seed = tmp / "seed.json"
        write_seed(seed, biggest)
        port = free_port()
        api_url = f"http://127.0.0.1:{port}/api/v3"
        sandbox_cmd = [
            sys.executable, "-m", "sandbox", "serve", "--profile", "ghes-3.21",
            "--port", str(port), "--state-dir", str(tmp / "state"),
            "--seed", str(seed), "--ci-seconds", "0.5", "--deploy-seconds", "1",
        ]  # fmt: skip
        t0 = time.monotonic()
        with process(sandbox_cmd, dict(os.environ), tmp / "sandbox.log", 10) as sandbox:
            await asyncio.to_thread(wait_http, f"{api_url}/meta", 300)
            result["seed_seconds"] = time.monotonic() - t0
            print(f"sandbox up with {biggest + 1} repositories in {result['seed_seconds']:.1f} s", flush=True)
            async with dev_server() as env:
                task_queue = new_task_queue()
                worker_env = {
                    **os.environ,
                    "HOTFIX_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
                    "HOTFIX_TASK_QUEUE": task_queue,
                    "HOTFIX_GITHUB_URL": api_url,
                    "HOTFIX_GITHUB_TOKEN": BOT_TOKEN,
                    "HOTFIX_LOG_FORMAT": "json",
                }
                worker_cmd = [sys.executable, str(ROOT / "worker.py")]
                with process(worker_cmd, worker_env, tmp / "worker.log", 45) as worker:
                    await wait_for_poller(env.client, task_queue)
                    await asyncio.sleep(3.0)
                    idle = await sample_rss(worker.pid)
                    result["idle"] = idle
                    print(
                        f"idle worker: RSS {idle['rss']:.0f} KiB, {idle['threads']:.0f} threads", flush=True
                    )
                    hotfixes: list[Hotfix] = []
                    humans: dict[str, Humans] = {}

                    def humans_for(repository: str) -> Humans:
                        return humans.setdefault(repository, Humans(api_url, repository))

                    started = time.monotonic()
                    for count in sorted(counts):
                        left = budget - (time.monotonic() - started)
                        if left <= 0:
                            print(f"budget spent: no batch of {count}", flush=True)
                            break
                        for i in range(len(hotfixes), count):
                            repository = repo_name(i)
                            handle = await start_hotfix(
                                env.client, task_queue, repository, label=f"mem-{i:03d}"
                            )
                            target = Step.APPROVAL if i % 2 else Step.CHANGES
                            hotfixes.append(Hotfix(handle, repository, target))
                        print(f"started {count} hotfixes; driving them to their waits ...", flush=True)
                        settled, seconds = await drive(hotfixes, humans_for, left)
                        await asyncio.sleep(5.0)  # let the polls of the last ones settle into their loops
                        steps = Counter(h.step.value for h in hotfixes)
                        batch = Batch(count, settled, seconds, steps, await sample_rss(worker.pid))
                        result["batches"].append(batch)
                        print(
                            f"{count} waiting ({dict(steps)}; settled={settled} in {seconds:.0f} s): "
                            f"RSS {batch.mem['rss']:.0f} KiB, {batch.mem['threads']:.0f} threads",
                            flush=True,
                        )
                    # A minute more with everything waiting: RSS stability and the polling traffic.
                    since = time.time()
                    result["last_minute"] = await sample_rss(worker.pid, samples=7, every=10.0)
                    result["requests"] = await request_rate(api_url, since, time.time())
                    await terminate_all(env.client, hotfixes)
                result["worker_log_warnings"] = count_warnings(tmp / "worker.log")
            del sandbox
    return result


async def wait_for_poller(client: Client, task_queue: str) -> None:
    from service.temporal import has_pollers

    deadline = time.monotonic() + 60
    while not await has_pollers(client, task_queue):
        if time.monotonic() > deadline:
            raise RuntimeError("the worker never polled its task queue")
        await asyncio.sleep(0.2)


async def request_rate(api_url: str, since: float, until: float) -> dict[str, Any]:
    """The bot's GitHub requests per minute between `since` and `until`, from the sandbox's log."""
    base = api_url.removesuffix("/api/v3")
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        log = (await http.get("/_sandbox/requests")).json()
    recent = [r for r in log if r.get("user") == "hotfix-bot" and since <= r["timestamp"] < until]
    routes = Counter(f"{r['method']} {r.get('route') or r['path']}" for r in recent)
    minutes = (until - since) / 60
    return {"per_minute": len(recent) / minutes, "seconds": until - since, "routes": routes}


async def terminate_all(client: Client, hotfixes: list[Hotfix]) -> None:
    from hotfix import naming

    ids = [h.handle.id for h in hotfixes] + [naming.lane_workflow_id(h.repository) for h in hotfixes]
    sem = asyncio.Semaphore(32)

    async def stop(workflow_id: str) -> None:
        async with sem:
            with contextlib.suppress(RPCError):
                await client.get_workflow_handle(workflow_id).terminate("benchmark over")

    await asyncio.gather(*(stop(i) for i in ids))


def count_warnings(log: Path) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            # The SDK core's own lines: "<time> WARN temporalio_sdk_core::...: message ...".
            plain = re.sub(r"\x1b\[[0-9;]*m", "", line)
            found = re.search(r"\b(WARN|ERROR)\s+(\S+?):?\s+(.*)", plain)
            if found:
                counts[f"{found.group(2)}: {found.group(3)}"[:100]] += 1
            continue
        if entry.get("level") in ("warning", "error", "critical"):
            counts[str(entry.get("event"))[:80]] += 1
    return dict(counts)


def report(data: dict[str, Any], write: bool) -> None:
    idle = data["idle"]
    rows = [
        (
            "idle (worker polling, nothing running)",
            "-",
            f"{idle['rss']:.0f}",
            f"{idle['hwm']:.0f}",
            f"{idle['threads']:.0f}",
            "-",
            "-",
        )
    ]
    per = []
    for batch in data["batches"]:
        delta = batch.mem["rss"] - idle["rss"]
        per.append((batch.total, delta / batch.total))
        at_changes = batch.steps.get(Step.CHANGES.value, 0)
        at_approval = batch.steps.get(Step.APPROVAL.value, 0)
        other = batch.total - at_changes - at_approval
        mix = f"{at_changes} at changes, {at_approval} at approval" + (
            f", {other} elsewhere" if other else ""
        )
        rows.append(
            (
                f"{batch.total} hotfixes waiting ({mix})"
                + ("" if batch.settled else f"; not all settled in {batch.seconds:.0f} s"),
                f"{batch.seconds:.0f}",
                f"{batch.mem['rss']:.0f} ({batch.mem['rss_min']:.0f}-{batch.mem['rss_max']:.0f})",
                f"{batch.mem['hwm']:.0f}",
                f"{batch.mem['threads']:.0f}",
                f"{delta:.0f}",
                f"{delta / batch.total:.0f}",
            )
        )
    marginal = ""
    if len(data["batches"]) >= 2:
        a, b = data["batches"][0], data["batches"][-1]
        marginal_kib = (b.mem["rss"] - a.mem["rss"]) / (b.total - a.total)
        marginal = (
            f" Marginal cost between {a.total} and {b.total} waiting: **{marginal_kib:.0f} KiB per hotfix** "
            f"(~{marginal_kib * 1000 / 1024:.0f} MiB per 1,000)."
        )
    for row in rows:
        print(" | ".join(str(c) for c in row))
    print(f"bot requests per minute with all waiting: {data['requests']['per_minute']:.0f}")
    for route, n in data["requests"]["routes"].most_common():
        print(f"  {n:5d} {route}")
    print("worker log warnings/errors:", data["worker_log_warnings"])
    if not write:
        return
    warnings = data["worker_log_warnings"]
    last_total = data["batches"][-1].total if data["batches"] else 0
    last_approval = data["batches"][-1].steps.get(Step.APPROVAL.value, 0) if data["batches"] else 0
    body = "\n".join(
        [
            f"Command: `{command_line()}` ({machine_note()}).",
            "",
            f"Sandbox GitHub in its own process on a generated seed ({max(data['counts']) + 1} repositories: "
            f"the default one copied; seeding took {data['seed_seconds']:.0f} s), Temporal dev server, and "
            "the worker as its own process (`python worker.py`, HOTFIX_* environment, production settings: "
            f"`max_concurrent_activities={MAX_ACTIVITIES}`, 1 s between writes). One hotfix per "
            "repository (hotfixes of one repository queue in its lane). Even-numbered hotfixes wait at "
            "step 3 for `changes_ready` (a signal wait: no activity); odd-numbered ones get a pushed change "
            "and wait at step 6 for PR approval (a `wait_review` activity polling every 30 s, the "
            "default). Each hotfix also keeps its repository's LaneWorkflow open. RSS is the median of 5 "
            'reads of /proc/PID/status 2 s apart, in KiB; "s to settle" is how long the batch took to '
            "reach its waits.",
            "",
            table(
                [
                    "state",
                    "s to settle",
                    "VmRSS KiB (min-max)",
                    "VmHWM KiB",
                    "threads",
                    "over idle KiB",
                    "KiB per hotfix",
                ],
                rows,
            ),
            "",
            "KiB per hotfix = (RSS - idle RSS) / hotfixes waiting; it includes the hotfix's LaneWorkflow, "
            "both cached in the worker, and, for those at approval, one running polling activity." + marginal,
            "",
            f"Then, with all {last_total} waiting, for {data['requests']['seconds']:.0f} s more: RSS "
            f"{data['last_minute']['rss_min']:.0f}-{data['last_minute']['rss_max']:.0f} KiB, and the bot "
            "made "
            f"**{data['requests']['per_minute']:.0f} GitHub requests per minute** ("
            + ", ".join(f"`{r}` {n}" for r, n in data["requests"]["routes"].most_common(4))
            + f"), i.e. {data['requests']['per_minute'] / max(1, last_approval):.1f} per minute per hotfix "
            "waiting at approval. "
            f"Worker log warnings/errors: {sum(warnings.values())}"
            + (" (" + "; ".join(f"{k}: {v}" for k, v in warnings.items()) + ")" if warnings else "")
            + '. ("Activity not found on completion" comes at the end: polls of the hotfixes terminated '
            "there learn of it only when they next report.)",
        ]
    )
    write_section("worker_memory", "Worker memory with many hotfixes waiting", body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="50,200", help="comma-separated numbers of waiting hotfixes")
    parser.add_argument("--budget", type=float, default=240.0, help="seconds for driving all batches")
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args()
    quiet_logs()
    counts = sorted({int(c) for c in args.counts.split(",") if c.strip()})
    report(asyncio.run(run(counts, args.budget)), write=not args.no_write)


if __name__ == "__main__":
    main()
