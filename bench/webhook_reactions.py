"""Webhooks and conditional polls: reaction time, rate-limit points per hotfix, requests while waiting.

Usage: .venv/bin/python bench/webhook_reactions.py [--samples 5] [--scale 3000] [--no-write]

The production shape, in one process: Temporal dev server, the sandbox GitHub (hosting the App,
delivering its webhooks), the receiver (receiver/, served by uvicorn on this event loop) and the real
worker authenticated as the App (`hotfix-app[bot]`), with `HOTFIX_WEBHOOKS` on.

1. Reaction time with webhooks and the default intervals (hotfix poll 30 s, safety net 5 min): each
   human act (PR approval, deployment approval, back-merge) is timed from the moment its POST returns
   to the moment the `status` query (every 20 ms) shows the next step. No `recheck` is sent by hand:
   only the sandbox's webhook, through the receiver, can explain a reaction within the poll interval.
2. Rate-limit points per happy-path hotfix: the requests made with the App's installation token that
   the sandbox counts against the limit (every one but a 304, as github.com does; the sandbox lowers
   `X-RateLimit-Remaining` by the same rule), from start to done. Requests made with the App's JWT
   (installation lookup, token creation) count against the App's own limit and are shown apart.
3. A long wait at approval, on a shortened clock: every duration of the hotfix and of the worker
   divided by `--scale` (safety net 5 min -> 0.1 s, reminders 4 h -> 4.8 s, poll 30 s -> 0.01 s,
   approval deadline 4 days), the reviewer approving after "3 days" (86.4 s at scale 3000), with
   and without reminders. Its points, and the GETs of its wait (all 304?), against a hotfix
   approved at once on the same clock.
   Requests per hour at approval with the real default are scaled from the looks measured here:
   requests per look x 12 looks an hour (one per 5 min).

Replaces the "Webhooks and conditional polls" section of bench/RESULTS.md. Reports, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import (
    REPO,
    command_line,
    dev_server,
    machine_note,
    median_max,
    new_task_queue,
    quiet_logs,
    start_hotfix,
    status_of,
    table,
    write_section,
)

from hotfix.models import ChangesReadySignal, Step
from hotfix.outcome import final_result
from local.humans import FIX_CONTENT, Humans, wait_for

SECRET = "bench-webhook-secret"
BOT = "hotfix-app[bot]"
ORDER = list(Step)
QUERY_EVERY = 0.02
DEFAULT_NET = 300.0
DAY = 86400.0


@dataclass
class Sample:
    label: str
    reactions: dict[str, float] = field(default_factory=dict)
    points: int = 0
    jwt_requests: int = 0
    requests: int = 0
    not_modified: int = 0
    wait_gets: int = 0
    wait_304: int = 0
    wait_pull_looks: int = 0
    wait_changed_looks: int = 0
    reminders: int = 0
    seconds: float = 0.0
    by_route: dict[str, int] = field(default_factory=dict)


def receiver(client: Any) -> Any:
    """webhooks.py's app on this event loop, as the demo serves it; its URL."""
    from local import app_mode

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return app_mode.receiver(client, port, SECRET)


@contextlib.asynccontextmanager
async def app_worker(env: Any, sandbox: Any, task_queue: str, net: float) -> AsyncIterator[None]:
    """The real worker as the sandbox's App, with webhooks on and a safety net of `net` seconds."""
    from activities.github.client import GitHubClient
    from activities.registry import github_activities
    from hotfix.settings import WorkerSettings
    from sandbox import apps, seed
    from worker import build_worker

    settings = WorkerSettings(
        shutdown_grace=1.0,
        temporal_address=env.client.service_client.config.target_host,
        task_queue=task_queue,
        github_url=sandbox.api_url,
        github_app_id=str(seed.APP_ID),
        github_app_private_key_file=apps.key_path(sandbox.sandbox.store.dir, seed.APP),
        webhooks=True,
        webhook_poll_interval=net,
    )
    github = GitHubClient.from_settings(settings.model_copy(update={"github_write_interval": 0.0}))
    activities = github_activities(github, safety_net=settings.poll_safety_net)
    try:
        async with build_worker(env.client, settings, github, task_queue, activities=activities):
            yield
    finally:
        github.close()


async def until_past(handle: Any, step: Step, within: float = 60.0) -> float:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        status = await status_of(handle)
        if ORDER.index(status.step) > ORDER.index(step):
            return time.monotonic()
        await asyncio.sleep(QUERY_EVERY)
    raise RuntimeError(f"the hotfix stayed at {step.value} for {within:.0f} s")


def count(sample: Sample, entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        if entry.get("status") is None:
            continue
        if entry["user"] == BOT:
            sample.requests += 1
            if entry["status"] == 304:
                sample.not_modified += 1
            else:
                sample.points += 1
                route = f"{entry['method']} {entry.get('route') or entry['path']}"
                sample.by_route[route] = sample.by_route.get(route, 0) + 1
        elif entry["user"] == "hotfix-app":
            sample.jwt_requests += 1


async def one_hotfix(
    env: Any,
    sandbox: Any,
    task_queue: str,
    humans: Humans,
    label: str,
    *,
    settings: dict[str, Any],
    wait_at_approval: float = 0.0,
) -> Sample:
    sample = Sample(label)
    since = len(sandbox.requests())
    started = time.monotonic()
    handle = await start_hotfix(env.client, task_queue, label=uuid.uuid4().hex[:8], **settings)
    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes", within=60)
    await asyncio.to_thread(humans.push_change, status.work_branch, content=FIX_CONTENT + f"# {label}\n")
    await handle.signal("changes_ready", ChangesReadySignal(by="dev-1"))
    status = await wait_for(
        handle, lambda s: s.step == Step.APPROVAL and s.pull_request is not None, "approval", within=120
    )
    assert status.pull_request is not None
    if wait_at_approval:
        waiting_from = len(sandbox.requests())
        await asyncio.sleep(wait_at_approval)
        during = [e for e in sandbox.requests()[waiting_from:] if e["user"] == BOT]
        gets = [e for e in during if e["method"] == "GET"]
        sample.wait_gets = len(gets)
        sample.wait_304 = sum(1 for e in gets if e["status"] == 304)
        looks = [e for e in gets if e.get("route", "").endswith("/pulls/{pull_number}")]
        sample.wait_pull_looks = len(looks)
        sample.wait_changed_looks = sum(1 for e in looks if e["status"] != 304)
        sample.reminders = sum(1 for e in during if e["method"] == "POST" and e["path"].endswith("/comments"))
    await asyncio.to_thread(humans.approve_pull_request, status.pull_request.number)
    acted = time.monotonic()
    sample.reactions["PR approval -> merged, deploy step"] = await until_past(handle, Step.APPROVAL) - acted
    status = await wait_for(
        handle,
        lambda s: s.step == Step.DEPLOY_APPROVAL and s.run_id is not None,
        "deploy approval",
        within=120,
    )
    assert status.run_id is not None
    await asyncio.to_thread(humans.approve_deployment, status.run_id)
    acted = time.monotonic()
    sample.reactions["deploy approval -> deploying"] = await until_past(handle, Step.DEPLOY_APPROVAL) - acted
    status = await wait_for(
        handle,
        lambda s: s.step == Step.BACK_MERGE and s.back_merge_pull_request is not None,
        "back-merge",
        within=120,
    )
    assert status.back_merge_pull_request is not None
    await asyncio.to_thread(humans.merge_pull_request, status.back_merge_pull_request.number)
    acted = time.monotonic()
    sample.reactions["back-merge merged -> done"] = await until_past(handle, Step.BACK_MERGE) - acted
    result = await final_result(handle)
    if result.status.step != Step.DONE:
        raise RuntimeError(f"the hotfix ended {result.status.step.value}: {result.status.reason}")
    sample.seconds = time.monotonic() - started
    count(sample, sandbox.requests()[since:])
    return sample


def scaled(scale: float) -> dict[str, Any]:
    def s(seconds: float) -> timedelta:
        return timedelta(seconds=seconds / scale)

    return {
        "poll_interval": s(30),
        "reminder_interval": s(4 * 3600),
        "approval_timeout": s(4 * DAY),
    }


async def run(samples: int, scale: float) -> tuple[list[Sample], list[Sample], float]:
    from sandbox import seed
    from sandbox.testing import running_sandbox

    started = time.monotonic()
    defaults: list[Sample] = []
    clocked: list[Sample] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_sandbox(Path(tmp) / "sandbox-state", ci_seconds=0.1, deploy_seconds=1.0) as sandbox,
    ):
        async with dev_server() as env:
            humans = Humans(sandbox.api_url, REPO)
            async with receiver(env.client) as url:
                sandbox.control("POST", f"apps/{seed.APP}/hook", {"url": url, "secret": SECRET})
                task_queue = new_task_queue()
                async with app_worker(env, sandbox, task_queue, DEFAULT_NET):
                    for i in range(samples):
                        defaults.append(
                            await one_hotfix(
                                env, sandbox, task_queue, humans, f"default {i + 1}", settings={}
                            )
                        )
                        print(f"  default intervals {i + 1}/{samples}: {defaults[-1]}", flush=True)
                # The same task queue: the repository's lane workflow lives on it.
                async with app_worker(env, sandbox, task_queue, DEFAULT_NET / scale):
                    quiet = {**scaled(scale), "reminder_interval": timedelta(seconds=10 * DAY / scale)}
                    for label, wait, settings in (
                        ("approved at once", 0.0, scaled(scale)),
                        ("approved after 3 days", 3 * DAY / scale, scaled(scale)),
                        ("approved after 3 days, no reminder", 3 * DAY / scale, quiet),
                    ):
                        clocked.append(
                            await one_hotfix(
                                env,
                                sandbox,
                                task_queue,
                                humans,
                                label,
                                settings=settings,
                                wait_at_approval=wait,
                            )
                        )
                        print(f"  shortened clock, {label}: {clocked[-1]}", flush=True)
    return defaults, clocked, time.monotonic() - started


def fmt(values: list[float]) -> tuple[str, str, str]:
    median, worst = median_max(values)
    return f"{median:.2f}", f"{statistics.fmean(values):.2f}", f"{worst:.2f}"


def report(defaults: list[Sample], clocked: list[Sample], scale: float, seconds: float, write: bool) -> None:
    acts = list(defaults[0].reactions)
    reaction_rows = [(act, len(defaults), *fmt([s.reactions[act] for s in defaults])) for act in acts]
    point_rows = [
        (s.label, s.points, s.not_modified, s.requests, s.jwt_requests, f"{s.seconds:.1f}") for s in defaults
    ]
    short, long, quiet = clocked
    clock_rows = [
        (
            s.label,
            s.points,
            s.not_modified,
            s.requests,
            s.wait_pull_looks or "-",
            f"{s.wait_304}/{s.wait_gets}" if s.wait_gets else "-",
            s.reminders if s.wait_gets else "-",
        )
        for s in clocked
    ]
    first = defaults[0]
    route_rows = sorted(((n, f"`{r}`") for r, n in first.by_route.items()), key=lambda row: (-row[0], row[1]))
    per_look = long.wait_gets / long.wait_pull_looks if long.wait_pull_looks else float("nan")
    per_hour = per_look * 3600 / DEFAULT_NET
    for row in reaction_rows + point_rows + clock_rows:
        print(row)
    print(
        f"requests per look at approval {per_look:.2f}, so {per_hour:.0f} per hour at 5 min; "
        f"total {seconds:.0f} s"
    )
    if not write:
        return
    body = "\n".join(
        [
            f"Command: `{command_line()}` ({machine_note()}); took {seconds:.0f} s.",
            "",
            "Temporal dev server + sandbox GitHub (`ci_seconds=0.1`, `deploy_seconds=1`, hosting the App and "
            "delivering its webhooks to the receiver) + the receiver (uvicorn, same process) + the real "
            "worker as the App (`hotfix-app[bot]`, `HOTFIX_WEBHOOKS=true`). No `recheck` is sent by hand.",
            "",
            f"**Reaction time, webhooks and the default intervals** (hotfix poll 30 s, safety net "
            f"{DEFAULT_NET:.0f} s): from the human's POST returning to the `status` query (every 20 ms) "
            "showing the next step.",
            "",
            table(["act -> next step shown", "samples", "median s", "mean s", "max s"], reaction_rows),
            "",
            "**Rate-limit points per happy-path hotfix** (same runs): requests with the installation token "
            "that count (all but 304s), the 304s, all installation-token requests, and the App's JWT "
            "requests (installation lookup and token creation: the App's own limit).",
            "",
            table(
                ["hotfix", "points", "304s (free)", "requests", "JWT requests", "start to done s"], point_rows
            ),
            "",
            f"Where the points of `{first.label}` go:",
            "",
            table(["points", "method and route"], route_rows),
            "",
            f"**A long wait at approval, on a clock {scale:.0f} times faster** (safety net "
            f"{DEFAULT_NET / scale:.2f} s, reminders every {4 * 3600 / scale:.1f} s, poll "
            f"{30 / scale:.3f} s, approval deadline {4 * DAY / scale:.0f} s); the reviewer approves after "
            f'{3 * DAY / scale:.1f} s ("3 days").',
            "",
            table(
                [
                    "hotfix",
                    "points",
                    "304s (free)",
                    "requests",
                    "looks during the wait",
                    "GETs of the wait answered 304",
                    "reminders posted",
                ],
                clock_rows,
            ),
            "",
            f"The wait made {long.wait_pull_looks} looks in {3 * DAY / scale:.1f} s (about one a second "
            f"here, not one every {DEFAULT_NET / scale:.2f} s); {long.wait_304} of its {long.wait_gets} GETs "
            f"answered 304. {long.wait_changed_looks} of the looks found the PR changed (its first GET "
            f"answered 200), against {long.reminders} reminders posted meanwhile (a reminder is a comment, "
            "which changes the PR). It cost "
            f"{long.points - short.points} points more than the hotfix approved at once; the same wait with "
            f"reminders off (every 10 days) {quiet.points - short.points:+d} points "
            f"({quiet.wait_304} of its {quiet.wait_gets} GETs answered 304, {quiet.wait_changed_looks} "
            "changed looks).",
            "",
            f"Requests per look at approval: {per_look:.2f} (the PR, its reviews, its commits), so with the "
            f"default safety net of 5 min a hotfix waiting at approval makes **{per_hour:.0f} GitHub "
            "requests an hour**, each unchanged look answered 304 (0 points), plus a reminder every 4 h "
            "(a comment and the look after it).",
            "",
            "Where the points of a happy-path hotfix go: the looks each webhook starts afresh (every check "
            "run, suite, run and deployment event of the hotfix's branches nudges it; a nudged look reports "
            "what it sees, answered from the worker's kept bodies where a 304 allows), the reads of the "
            "steps themselves (preflight, the base, compare, the run lookups of the dispatch) and the "
            "writes. Every GET goes out with `If-None-Match` when the worker kept its last answer, so "
            "`default 1`, the first hotfix of a fresh worker, pays for reading the repository's rules, "
            "protection, environment and workflow, and the later ones (one worker for all the samples) "
            "get 304s for what did not change since. The long waits run on a second worker: its first "
            "hotfix, approved at once, pays like `default 1`, and the two 3-day waits after it find what "
            "it read, which is why the wait without reminders can cost less than the hotfix approved at "
            "once.",
        ]
    )
    write_section("webhooks", "Webhooks and conditional polls", body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=5, help="hotfixes with the default intervals")
    parser.add_argument(
        "--scale", type=float, default=3000.0, help="how much faster the shortened clock runs"
    )
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args()
    quiet_logs()
    defaults, clocked, seconds = asyncio.run(run(args.samples, args.scale))
    report(defaults, clocked, args.scale, seconds, write=not args.no_write)


if __name__ == "__main__":
    main()
