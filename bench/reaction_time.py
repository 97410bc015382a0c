"""Reaction time: from a human's act on GitHub to the workflow's status query showing the next step.

Usage: .venv/bin/python bench/reaction_time.py [--samples 5] [--budget 170] [--no-write]

Temporal dev server + sandbox GitHub + the real worker in this process. Hotfixes run one after the
other on the seeded repository. For each one, two acts are timed:

- PR approval: from the moment prod-reviewer-1's approving review POST returns to the moment the
  status query shows a step past `approval` (the PR is merged and the deploy step has begun);
- deployment approval: from the moment prod-reviewer-2's `pending_deployments` POST returns to the
  moment the status shows a step past `deploy_approval` (the run is seen deploying, or done).

Modes: no signal (the polling activity notices by itself), with poll intervals 1 s and 5 s, and the
same with a `recheck` signal sent right after the act. Without a signal the human acts a random time,
uniform in [0, poll interval), after the status shows the wait, so the act lands at a random phase of
the poll loop; with one the human acts at once (the signal restarts the poll). The status is queried
every 20 ms. After the deployment each hotfix is aborted at the back-merge step (nothing is cleaned
up once a deployment ran), which frees the lane for the next.

Replaces the "Reaction time after a human acts" section of bench/RESULTS.md. Reports, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import (
    REPO,
    command_line,
    dev_server,
    in_process_worker,
    machine_note,
    median_max,
    new_task_queue,
    quiet_logs,
    start_hotfix,
    status_of,
    table,
    write_section,
)

from hotfix.models import AbortSignal, ChangesReadySignal, RecheckSignal, Step
from hotfix.outcome import final_result
from local.humans import FIX_CONTENT, Humans, wait_for

ORDER = list(Step)
QUERY_EVERY = 0.02


@dataclass
class Mode:
    name: str
    interval: float
    signal: bool
    pr: list[float] = field(default_factory=list)
    deploy: list[float] = field(default_factory=list)


async def until_past(handle: Any, step: Step, within: float = 60.0) -> float:
    """Query the status until it shows a step after `step`; returns time.monotonic() at that moment."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        status = await status_of(handle)
        if ORDER.index(status.step) > ORDER.index(step):
            return time.monotonic()
        await asyncio.sleep(QUERY_EVERY)
    raise RuntimeError(f"the hotfix stayed at {step.value} for {within:.0f} s")


async def think(mode: Mode, rng: random.Random) -> None:
    """Without a signal, act at a random phase of the poll loop; with one the phase does not matter
    (the signal restarts the poll), so act at once and save the time."""
    if not mode.signal:
        await asyncio.sleep(rng.uniform(0, mode.interval))


async def hurry(handle: Any, ready: Any, within: float = 60.0) -> Any:
    """Wait for `ready(status)`, sending `recheck` every second: for the waits that are not measured
    (checks, the deploy run finishing), so the samples are not spent sleeping out poll intervals."""
    deadline = time.monotonic() + within
    last_nudge = time.monotonic()
    while time.monotonic() < deadline:
        status = await status_of(handle)
        if ready(status):
            return status
        if status.step.terminal:
            raise RuntimeError(f"the hotfix ended {status.step.value}: {status.reason}")
        if time.monotonic() - last_nudge > 1.0:
            await handle.signal("recheck", RecheckSignal(by="bench"))
            last_nudge = time.monotonic()
        await asyncio.sleep(0.05)
    raise RuntimeError("the hotfix did not get there in time")


async def one_hotfix(env: Any, task_queue: str, humans: Humans, mode: Mode, rng: random.Random) -> None:
    label = uuid.uuid4().hex[:8]
    handle = await start_hotfix(
        env.client, task_queue, label=label, poll_interval=timedelta(seconds=mode.interval)
    )
    try:
        status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes", within=60)
        content = FIX_CONTENT + f"# hotfix {label}\n"
        await asyncio.to_thread(humans.push_change, status.work_branch, content=content)
        await handle.signal("changes_ready", ChangesReadySignal(by="dev-1"))
        status = await hurry(handle, lambda s: s.step == Step.APPROVAL and s.pull_request is not None)
        assert status.pull_request is not None
        await think(mode, rng)
        await asyncio.to_thread(humans.approve_pull_request, status.pull_request.number)
        acted = time.monotonic()
        if mode.signal:
            await handle.signal("recheck", RecheckSignal(by="prod-reviewer-1"))
        mode.pr.append(await until_past(handle, Step.APPROVAL) - acted)

        status = await wait_for(
            handle, lambda s: s.step == Step.DEPLOY_APPROVAL and s.run_id is not None, "deploy approval"
        )
        assert status.run_id is not None
        await think(mode, rng)
        await asyncio.to_thread(humans.approve_deployment, status.run_id)
        acted = time.monotonic()
        if mode.signal:
            await handle.signal("recheck", RecheckSignal(by="prod-reviewer-2"))
        mode.deploy.append(await until_past(handle, Step.DEPLOY_APPROVAL) - acted)
        # Deployed: free the lane for the next sample (nothing is deleted once a deployment ran).
        await hurry(handle, lambda s: s.step == Step.BACK_MERGE)
    finally:
        await handle.signal("abort", AbortSignal(reason="benchmark sample over"))
        await final_result(handle)


async def run(samples: int, budget: float) -> tuple[list[Mode], float]:
    from sandbox.testing import running_sandbox

    modes = [
        Mode("poll 1 s, no signal", 1.0, False),
        Mode("poll 5 s, no signal", 5.0, False),
        Mode("poll 1 s + recheck signal", 1.0, True),
        Mode("poll 5 s + recheck signal", 5.0, True),
    ]
    rng = random.Random(20261123)
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_sandbox(Path(tmp) / "sandbox-state", ci_seconds=0.1, deploy_seconds=1.0) as sandbox,
    ):
        async with dev_server() as env:
            task_queue = new_task_queue()
            humans = Humans(sandbox.api_url, REPO)
            async with in_process_worker(env, sandbox.api_url, task_queue):
                # Round-robin, so a budget cut leaves every mode with about as many samples.
                for i in range(samples):
                    for mode in modes:
                        if time.monotonic() - started > budget:
                            print(f"budget of {budget:.0f} s reached after {i} rounds", flush=True)
                            return modes, time.monotonic() - started
                        await one_hotfix(env, task_queue, humans, mode, rng)
                    print(f"  round {i + 1}/{samples} done ({time.monotonic() - started:.0f} s)", flush=True)
    return modes, time.monotonic() - started


def fmt(values: list[float]) -> tuple[str, str, str]:
    if not values:
        return "-", "-", "-"
    median, worst = median_max(values)
    return f"{median:.2f}", f"{statistics.fmean(values):.2f}", f"{worst:.2f}"


def report(modes: list[Mode], seconds: float, samples: int, write: bool) -> None:
    rows = []
    for mode in modes:
        for act, values in (
            ("PR approval -> merged, deploy step", mode.pr),
            ("deploy approval -> deploying", mode.deploy),
        ):
            median, mean, worst = fmt(values)
            expect = "~0 + overhead" if mode.signal else f"~{mode.interval / 2:.1f} + overhead"
            rows.append((mode.name, act, len(values), median, mean, worst, expect))
            print(f"{mode.name:28s} {act:36s} n={len(values)} median {median} mean {mean} max {worst} s")
    print(f"total {seconds:.0f} s")
    if not write:
        return
    body = "\n".join(
        [
            f"Command: `{command_line()}` ({machine_note()}); took {seconds:.0f} s.",
            "",
            "Temporal dev server + sandbox GitHub (`ci_seconds=0.1`, `deploy_seconds=1`) + the real worker "
            "in the same process; hotfixes one after the other on the seeded repository. The clock starts "
            "when the human's POST returns (approving review by prod-reviewer-1; `pending_deployments` "
            "approval by prod-reviewer-2) and stops when the `status` query (every 20 ms) shows the next "
            "step. Without a signal each human acts a random time, uniform in [0, poll interval), after the "
            "status shows the wait (a random phase of the poll loop). With a signal, `recheck` is sent right "
            "after the POST returns. "
            f"Up to {samples} samples per mode, round-robin.",
            "",
            table(
                ["mode", "act -> next step shown", "samples", "median s", "mean s", "max s", "expected"], rows
            ),
            "",
            "Without a signal the wait is the rest of the current poll interval (uniform, so interval/2 on "
            "average) plus the work after it: for the PR, the poll's look (2 GETs), the merge activity "
            "(PUT) and two workflow tasks; for the deployment, the poll's look (2 GETs) and a workflow task. "
            "The `recheck` signal cancels the sleeping poll and starts a fresh one that looks at once, "
            "so the reaction no longer depends on the interval.",
        ]
    )
    write_section("reaction_time", "Reaction time after a human acts", body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=5, help="samples per mode")
    parser.add_argument("--budget", type=float, default=170.0, help="stop starting samples after this many s")
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args()
    quiet_logs()
    modes, seconds = asyncio.run(run(args.samples, args.budget))
    report(modes, seconds, args.samples, write=not args.no_write)


if __name__ == "__main__":
    main()
