"""A burst: N hotfixes started at once on one worker (or several), to their waits, then all to the end.

Usage: .venv/bin/python bench/burst.py [--count 1000] [--workers 1] [--write-interval 0.02] [--no-write]

The successor of worker_memory.py at a platform team's scale (issue #16). The sandbox GitHub runs in
its own process on a generated seed (one copy of the default repository per hotfix); the workers run
as their own processes (`python worker.py`, HOTFIX_* environment, production settings except
HOTFIX_GITHUB_WRITE_INTERVAL: the one-write-at-a-time gate holds, but spaced `--write-interval`
apart, since 1 s apart a thousand hotfixes' writes would take hours; the spacing is the only thing
that changes). Even-numbered hotfixes are left at step 3 (waiting for `changes_ready`), odd-numbered
ones get a pushed change and reach step 6 (PR approval, a polling activity). Once all wait, the
humans act on every hotfix (local.humans.play_happy_path) until all are done.

Figures: seconds until all wait; worker RSS with all waiting; the slowest `status` read during the
burst, as `starter.py status` reads it (describe: the memo; then the pollers), for one random hotfix
every second and every look `drive` takes, and beside it the `status` query itself (one random
hotfix a second; a worker answers it); the bot's writes (count, spacing) from the sandbox log; activity
timeouts (ActivityTaskTimedOut events in every hotfix's history); the longest run of failing answers
of each worker's GET /healthz, sampled every second for the whole run; the sandbox's slowest answer
(answered - arrived, from its request log); and with several workers, how the work spread (activity
lines per worker log) and that nothing was done twice (creates per repository in the request log).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import itertools
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from common import ROOT, command_line, dev_server, machine_note, new_task_queue, quiet_logs, start_hotfix
from common import status_of as _status_of
from temporalio.client import Client
from temporalio.service import RPCError
from worker_memory import (
    Hotfix,
    count_warnings,
    drive,
    free_port,
    process,
    repo_name,
    sample_rss,
    terminate_all,
    wait_for_poller,
    wait_http,
    write_seed,
)

from cli.context import CliError
from cli.lookup import no_worker_note, read_status
from hotfix.models import ChangesReadySignal, HotfixStatus, Step
from local.humans import Humans
from sandbox.seed import BOT_TOKEN

# The benchmark's write spacing (production: 1 s); see the module's docstring.
DEFAULT_WRITE_INTERVAL = 0.02


@dataclass
class Probe:
    """Latencies of status queries and health answers, gathered while the run goes on."""

    query_seconds: list[float] = field(default_factory=list)  # `starter.py status`'s way (memo)
    query_failures: int = 0
    raw_seconds: list[float] = field(default_factory=list)  # the `status` query (a worker answers)
    raw_failures: int = 0
    health_streak: dict[int, int] = field(default_factory=dict)  # port -> longest failing streak (s)
    health_failures: dict[int, int] = field(default_factory=dict)
    health_said: list[str] = field(default_factory=list)  # what each failing sample was


def percentiles(values: list[float]) -> str:
    """Median, 95th and 99th percentile, in seconds."""
    if not values:
        return "-"
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return f"median {at(0.5):.2f}, p95 {at(0.95):.2f}, p99 {at(0.99):.2f}"


async def cli_status(client: Client, handle: Any) -> HotfixStatus:
    """What `starter.py status ID` does (cli/watching.py): describe the hotfix, read its status
    (cli/lookup.py: from the memo, so Temporal answers without a worker; older hotfixes fall back to
    the query), and ask whether a worker polls its task queue (for the note when none does)."""
    description = await handle.describe()
    status = await read_status(client, handle, description)
    await no_worker_note(client, description)
    return status


async def timed_status(probe: Probe, client: Client, handle: Any) -> HotfixStatus | None:
    asked = time.monotonic()
    try:
        status = await asyncio.wait_for(cli_status(client, handle), 30)
    except (RPCError, TimeoutError, CliError):
        probe.query_failures += 1
        return None
    probe.query_seconds.append(time.monotonic() - asked)
    return status


async def timed_query(probe: Probe, handle: Any) -> None:
    """The `status` query itself, answered by a worker: measured alongside, for comparison."""
    asked = time.monotonic()
    try:
        await asyncio.wait_for(_status_of(handle), 30)
    except (RPCError, TimeoutError):
        probe.raw_failures += 1
        return
    probe.raw_seconds.append(time.monotonic() - asked)


async def watch_health(probe: Probe, ports: list[int], stop: asyncio.Event) -> None:
    streak = dict.fromkeys(ports, 0)
    async with httpx.AsyncClient(timeout=2) as http:
        while not stop.is_set():
            for port in ports:
                try:
                    answer = await http.get(f"http://127.0.0.1:{port}/healthz")
                    ok = answer.status_code == 200
                    if not ok:
                        probe.health_said.append(str(answer.json().get("stuck")))
                except httpx.HTTPError as err:
                    ok = False
                    probe.health_said.append(f"no answer within 2 s ({type(err).__name__})")
                streak[port] = 0 if ok else streak[port] + 1
                probe.health_streak[port] = max(probe.health_streak.get(port, 0), streak[port])
                probe.health_failures[port] = probe.health_failures.get(port, 0) + (0 if ok else 1)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)


async def ask_random(probe: Probe, client: Client, hotfixes: list[Hotfix], stop: asyncio.Event) -> None:
    rng = random.Random(16)
    while not stop.is_set():
        if hotfixes:
            handle = rng.choice(hotfixes).handle
            await asyncio.gather(timed_status(probe, client, handle), timed_query(probe, handle))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def finish(client: Client, hotfixes: list[Hotfix], humans_for: Any, within: float) -> Counter[str]:
    """Every human act each hotfix still needs, from wherever it waits, until all are over."""
    gate = asyncio.Semaphore(64)
    ended: Counter[str] = Counter()

    async def act(h: Hotfix, status: HotfixStatus, done: set[str]) -> None:
        humans = humans_for(h.repository)
        if status.step == Step.CHANGES and "push" not in done:
            await asyncio.to_thread(humans.push_change, status.work_branch)
            await h.handle.signal("changes_ready", ChangesReadySignal(by="dev-1"))
            done.add("push")
        elif status.step == Step.APPROVAL and status.pull_request and "approve" not in done:
            await asyncio.to_thread(humans.approve_pull_request, status.pull_request.number)
            done.add("approve")
        elif status.step == Step.DEPLOY_APPROVAL and status.run_id and "deploy" not in done:
            await asyncio.to_thread(humans.approve_deployment, status.run_id)
            done.add("deploy")
        elif status.step == Step.BACK_MERGE and status.back_merge_pull_request and "merge" not in done:
            await asyncio.to_thread(humans.merge_pull_request, status.back_merge_pull_request.number)
            done.add("merge")

    async def one(h: Hotfix) -> None:
        done: set[str] = set()
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            async with gate:
                try:
                    status = await cli_status(client, h.handle)
                    if status.step.terminal:
                        ended[status.step.value] += 1
                        return
                    await act(h, status, done)
                except Exception as err:
                    ended[f"retried after {type(err).__name__}"] += 1
            await asyncio.sleep(3.0)
        ended["not over in time"] += 1

    await asyncio.gather(*(one(h) for h in hotfixes))
    return ended


async def timeouts(client: Client, hotfixes: list[Hotfix]) -> Counter[str]:
    """ActivityTaskTimedOut events per activity type, over every hotfix's history."""
    gate = asyncio.Semaphore(8)
    found: Counter[str] = Counter()

    async def one(h: Hotfix) -> None:
        async with gate:
            history = await client.get_workflow_handle(h.handle.id).fetch_history()
        scheduled: dict[int, str] = {}
        for event in history.events:
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_type.name:
                scheduled[event.event_id] = attrs.activity_type.name
            timed_out = event.activity_task_timed_out_event_attributes
            if timed_out.scheduled_event_id:
                found[scheduled.get(timed_out.scheduled_event_id, "?")] += 1

    await asyncio.gather(*(one(h) for h in hotfixes))
    return found


async def sandbox_log(api_url: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=api_url.removesuffix("/api/v3"), timeout=120) as http:
        log: list[dict[str, Any]] = (await http.get("/_sandbox/requests")).json()
    return log


def doubles(log: list[dict[str, Any]]) -> dict[str, int]:
    """Repositories where a create happened more often than one hotfix needs (nothing done twice)."""
    pulls: Counter[str] = Counter()
    dispatches: Counter[str] = Counter()
    for r in log:
        if r["method"] != "POST" or r.get("status") not in (200, 201, 204):
            continue
        repo = "/".join(r["path"].removeprefix("/api/v3").split("/")[2:4])
        if r["path"].endswith("/pulls"):
            pulls[repo] += 1
        elif r["path"].endswith("/dispatches"):
            dispatches[repo] += 1
    # A hotfix opens two PRs (the hotfix and the back-merge) and dispatches one deploy.
    return {
        "repositories with more than 2 PRs created": sum(1 for n in pulls.values() if n > 2),
        "repositories with more than 1 deploy dispatched": sum(1 for n in dispatches.values() if n > 1),
    }


def write_spacing(log: list[dict[str, Any]], settled_at: float) -> dict[str, Any]:
    """The bot's writes from the sandbox's request log: how many, and the gaps between one write's
    answer and the next write's arrival (the gate spaces them `interval` apart, one at a time)."""
    verbs = ("POST", "PATCH", "PUT", "DELETE")
    mine = (r for r in log if r.get("user") == "hotfix-bot" and r["method"] in verbs)
    writes = sorted(mine, key=lambda r: r["timestamp"])
    gaps = [b["timestamp"] - a.get("answered", a["timestamp"]) for a, b in itertools.pairwise(writes)]
    overlapping = sum(1 for g in gaps if g < 0)
    took = [r["answered"] - r["timestamp"] for r in writes if "answered" in r]
    return {
        "count": len(writes),
        "until_waiting": sum(1 for r in writes if r["timestamp"] <= settled_at),
        "min_gap": min(gaps, default=float("nan")),
        "overlapping": overlapping,
        "mean_seconds": sum(took) / len(took) if took else float("nan"),
    }


def spread(logs: list[Path]) -> list[int]:
    """Activity log lines (anything an activity logged) per worker."""
    counts = []
    for log in logs:
        n = 0
        for line in log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                if json.loads(line).get("activity"):
                    n += 1
        counts.append(n)
    return counts


def precompile() -> None:
    """Bytecode for the project's modules, as `pip install` leaves it in the worker's image.

    The workflow sandbox imports the workflow modules afresh for every new workflow; without cached
    bytecode (PYTHONDONTWRITEBYTECODE=1 and an editable install, as on this machine) each of the
    burst's 2,000 new workflows compiled them from source, about half the worker's CPU at the start.
    """
    for room in ("hotfix", "workflows", "activities", "service", "cli"):
        compileall.compile_dir(str(ROOT / room), quiet=1)


async def run(count: int, workers: int, write_interval: float, budget: float) -> dict[str, Any]:
    result: dict[str, Any] = {"count": count, "workers": workers, "write_interval": write_interval}
    probe = Probe()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        seed = tmp / "seed.json"
        write_seed(seed, count)
        port = free_port()
        api_url = f"http://127.0.0.1:{port}/api/v3"
        sandbox_cmd = [
            sys.executable, "-m", "sandbox", "serve", "--profile", "ghes-3.21",
            "--port", str(port), "--state-dir", str(tmp / "state"),
            "--seed", str(seed), "--ci-seconds", "0.5", "--deploy-seconds", "1",
        ]  # fmt: skip
        precompile()
        with process(sandbox_cmd, dict(os.environ), tmp / "sandbox.log", 10):
            await asyncio.to_thread(wait_http, f"{api_url}/meta", 600)
            async with dev_server() as env:
                task_queue = new_task_queue()
                health_ports = [free_port() for _ in range(workers)]
                logs = [tmp / f"worker-{i}.log" for i in range(workers)]
                async with contextlib.AsyncExitStack() as stack:
                    procs = []
                    for i in range(workers):
                        worker_env = {
                            **os.environ,
                            "HOTFIX_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
                            "HOTFIX_TASK_QUEUE": task_queue,
                            "HOTFIX_GITHUB_URL": api_url,
                            "HOTFIX_GITHUB_TOKEN": BOT_TOKEN,
                            "HOTFIX_LOG_FORMAT": "json",
                            "HOTFIX_GITHUB_WRITE_INTERVAL": str(write_interval),
                            "HOTFIX_HEALTH_PORT": str(health_ports[i]),
                        }
                        cmd = [sys.executable, str(ROOT / "worker.py")]
                        procs.append(stack.enter_context(process(cmd, worker_env, logs[i], 45)))
                    await wait_for_poller(env.client, task_queue)
                    stop = asyncio.Event()
                    hotfixes: list[Hotfix] = []
                    background = [
                        asyncio.ensure_future(watch_health(probe, health_ports, stop)),
                        asyncio.ensure_future(ask_random(probe, env.client, hotfixes, stop)),
                    ]
                    humans: dict[str, Humans] = {}

                    def humans_for(repository: str) -> Humans:
                        return humans.setdefault(repository, Humans(api_url, repository))

                    started = time.monotonic()
                    starts = asyncio.Semaphore(32)

                    async def begin(i: int) -> Hotfix:
                        async with starts:
                            handle = await start_hotfix(
                                env.client, task_queue, repo_name(i), label=f"b-{i:04d}"
                            )
                        return Hotfix(handle, repo_name(i), Step.APPROVAL if i % 2 else Step.CHANGES)

                    hotfixes.extend(await asyncio.gather(*(begin(i) for i in range(count))))
                    result["start_seconds"] = time.monotonic() - started
                    print(
                        f"{count} started in {result['start_seconds']:.0f} s; driving to their waits",
                        flush=True,
                    )
                    settled, _ = await drive(
                        hotfixes, humans_for, budget, partial(timed_status, probe, env.client)
                    )
                    result["settled"] = settled
                    result["settled_at"] = time.time()
                    result["wait_seconds"] = time.monotonic() - started
                    result["steps"] = Counter(h.step.value for h in hotfixes)
                    burst_queries = list(probe.query_seconds)
                    result["burst_raw_max"] = max(probe.raw_seconds, default=float("nan"))
                    result["burst_raw_pct"] = percentiles(probe.raw_seconds)
                    result["burst_raw_n"] = len(probe.raw_seconds)
                    result["burst_raw_failures"] = probe.raw_failures
                    result["burst_query_max"] = max(burst_queries, default=float("nan"))
                    result["burst_query_pct"] = percentiles(burst_queries)
                    result["burst_query_n"] = len(burst_queries)
                    result["burst_query_over_1s"] = sum(1 for q in burst_queries if q > 1.0)
                    result["burst_query_failures"] = probe.query_failures
                    await asyncio.sleep(5.0)
                    result["rss"] = [await sample_rss(p.pid) for p in procs]
                    print(
                        f"all waiting={settled} after {result['wait_seconds']:.0f} s {dict(result['steps'])}; "  # noqa: E501
                        f"RSS {[round(m['rss']) for m in result['rss']]} KiB; slowest query "
                        f"{result['burst_query_max']:.2f} s of {len(burst_queries)}",
                        flush=True,
                    )
                    finishing = time.monotonic()
                    result["ended"] = await finish(env.client, hotfixes, humans_for, budget)
                    result["finish_seconds"] = time.monotonic() - finishing
                    print(f"ended {dict(result['ended'])} in {result['finish_seconds']:.0f} s", flush=True)
                    stop.set()
                    await asyncio.gather(*background)
                    result["query_max"] = max(probe.query_seconds, default=float("nan"))
                    result["raw_max"] = max(probe.raw_seconds, default=float("nan"))
                    result["timeouts"] = await timeouts(env.client, hotfixes)
                    log = await sandbox_log(api_url)
                    answered = [r["answered"] - r["timestamp"] for r in log if "answered" in r]
                    result["sandbox_requests"] = len(log)
                    result["sandbox_max"] = max(answered, default=float("nan"))
                    result["sandbox_over_1s"] = sum(1 for a in answered if a > 1.0)
                    result["doubles"] = doubles(log)
                    result["writes"] = write_spacing(log, result["settled_at"])
                    await terminate_all(env.client, hotfixes)
                result["spread"] = spread(logs)
                result["warnings"] = [count_warnings(log_path) for log_path in logs]
    result["health_streak"] = probe.health_streak
    result["health_failures"] = probe.health_failures
    result["health_said"] = Counter(probe.health_said)
    return result


def report(data: dict[str, Any], write: bool) -> None:
    printable = {k: (dict(v) if isinstance(v, Counter) else v) for k, v in data.items()}
    print(json.dumps(printable, indent=1, default=str))
    if not write:
        return
    rss = " + ".join(f"{m['rss'] / 1024:.0f}" for m in data["rss"])
    warnings: Counter[str] = Counter()
    for w in data["warnings"]:
        for key, n in w.items():
            # One line per kind: drop the run and task IDs the SDK core puts in its messages.
            warnings[re.sub(r"\b[0-9a-f]{8}-[0-9a-f-]{27}\S*", "<id>", key)] += n
    w = data["writes"]
    rows = [
        ("hotfixes started together", f"{data['count']} on {data['workers']} worker(s)"),
        ("all waiting (half at changes, half at PR approval)", f"{data['settled']}: {dict(data['steps'])}"),
        ("seconds until all wait", f"{data['wait_seconds']:.0f}"),
        ("worker RSS with all waiting (MiB)", rss),
        ("slowest `starter.py status` read during the burst (s; describe, memo, pollers)", f"{data['burst_query_max']:.2f} of {data['burst_query_n']}"),  # noqa: E501
        ("`status` reads during the burst: percentiles (s); over 1 s",
         f"{data.get('burst_query_pct', '-')}; {data.get('burst_query_over_1s', '-')}"),
        ("status reads failed or over 30 s", str(data["burst_query_failures"])),
        ("the `status` query itself during the burst (a worker answers): slowest (s), percentiles",
         f"{data['burst_raw_max']:.2f} of {data['burst_raw_n']}; {data['burst_raw_pct']}; "
         f"{data['burst_raw_failures']} failed or over 30 s"),
        ("activity timeouts (whole run)", str(sum(data["timeouts"].values())) + f" {dict(data['timeouts'])}"),
        ("longest health-endpoint failure (s, sampled each second)", str(max(data["health_streak"].values()))),  # noqa: E501
        ("failing health samples", "; ".join(f"{k}: {v}" for k, v in data.get("health_said", {}).items()) or "none"),  # noqa: E501
        ("then all finished once the humans acted", f"{dict(data['ended'])} in {data['finish_seconds']:.0f} s"),  # noqa: E501
        ("slowest `status` read over the whole run (s); slowest query", f"{data['query_max']:.2f}; {data['raw_max']:.2f}"),  # noqa: E501
        ("sandbox: requests, slowest answer (s), answers over 1 s",
         f"{data['sandbox_requests']}, {data['sandbox_max']:.2f}, {data['sandbox_over_1s']}"),
        ("bot writes: whole run, until all waited; mean answer (s); shortest gap (s), overlapping",
         f"{w['count']}, {w['until_waiting']}; {w['mean_seconds']:.3f}; {w['min_gap']:.3f}, {w['overlapping']}"),  # noqa: E501
        ("the same writes at the default 1 s spacing (one worker): until all wait, whole run (min)",
         f"{w['until_waiting'] * (1 + w['mean_seconds']) / 60:.0f}, {w['count'] * (1 + w['mean_seconds']) / 60:.0f}"),  # noqa: E501
        ("activity log lines per worker", ", ".join(str(n) for n in data["spread"])),
        ("done twice", ", ".join(f"{k}: {v}" for k, v in data["doubles"].items())),
        ("worker log warnings/errors", f"{sum(warnings.values())} " + "; ".join(f"{k}: {v}" for k, v in warnings.most_common(4))),  # noqa: E501
    ]  # fmt: skip
    from common import table, write_section

    body = "\n".join(
        [
            f"Command: `{command_line()}` ({machine_note()}).",
            "",
            table(["figure", "value"], rows),
        ]
    )
    section = f"burst_{data['workers']}"
    title = f"A burst of {data['count']} hotfixes on {data['workers']} worker(s)"
    if (data["count"], data["write_interval"]) != (1000, DEFAULT_WRITE_INTERVAL):
        # Another size or spacing gets a section of its own beside the 1,000-hotfix ones.
        section = f"burst_{data['count']}_{data['workers']}_{data['write_interval']:g}"
        title += f", writes {data['write_interval']:g} s apart"
    write_section(section, title, body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--write-interval", type=float, default=DEFAULT_WRITE_INTERVAL)
    parser.add_argument("--budget", type=float, default=1500.0, help="seconds for each phase")
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args()
    quiet_logs()
    report(
        asyncio.run(run(args.count, args.workers, args.write_interval, args.budget)), write=not args.no_write
    )


if __name__ == "__main__":
    main()
