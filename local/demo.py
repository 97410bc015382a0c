"""`make demo`: one whole hotfix on the embedded default, start to finish, then everything stops.

Starts the Temporal dev server (SQLite under .data/demo/), the sandbox GitHub and a worker; starts a
hotfix on acme/gaia-gateway through starter.py's own code; plays the humans through the GitHub API
as the seeded users (local/humans.py); shows the steps live; ends with a summary.

Each run starts from fresh state under .data/demo/, so it can be repeated. `--keep` leaves the
stack (and the UI) up after the summary until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console, Group
from rich.live import Live
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

from cli import views
from hotfix import record_view
from hotfix.models import HotfixResult, HotfixStatus, Step
from hotfix.settings import WorkerSettings
from local import app_mode
from local.humans import Humans, HumanTimeout, play_happy_path
from local.stack import DATA, Ports, Stack, StackError, free_port, terminate_as_interrupt
from sandbox import seed
from service.temporal import TemporalUnavailable, connect

REPOSITORY = "acme/gaia-gateway"
DESCRIPTION = "Fix login redirect"
REQUESTED_BY = "dev-1"
DEMO_DIR = DATA / "demo"
MARKER = ".hotfix-demo"
# The sandbox's simulated CI and deployment take this long; real ones take minutes.
CI_SECONDS = 1.0
DEPLOY_SECONDS = 1.5
# How often the hotfix looks at GitHub in the demo; production uses HOTFIX_POLL_INTERVAL (30 s).
POLL_INTERVAL = "PT0.5S"
HUMAN_WAIT = 45.0


class DemoFailed(RuntimeError):
    pass


def _quiet_logs(path: Path) -> None:
    """Worker and SDK logs go to a file: the terminal shows the live view."""
    from service import logs as hotfix_logging

    hotfix_logging.configure("json", stream=path.open("a"))


def _view(status: HotfixStatus | None, acts: list[str], url: str) -> Group:
    parts: list[Any] = []
    if status is not None:
        parts.append(views.status_view(status, url=url))
    if acts:
        parts.append(Panel("\n".join(acts), title="the humans (via the GitHub API)", title_align="left"))
    return Group(*parts)


def _requests(sandbox_url: str) -> list[dict[str, Any]]:
    try:
        entries: list[dict[str, Any]] = httpx.get(f"{sandbox_url}/_sandbox/requests", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return []
    return entries


def _summary(
    status: HotfixStatus,
    calls: Counter[str],
    elapsed: float,
    moved: list[tuple[str, float]],
    cost: tuple[int, int],
    nudges: int,
) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("hotfix", f"{status.repository}: {status.description} ({status.step.value})")
    table.add_row("base", f"{status.base_ref} @ {(status.base_sha or '')[:12]} (from {status.base_source})")
    table.add_row("branches", f"{status.work_branch} -> {status.prod_branch}")
    if status.pull_request:
        table.add_row("pull request", status.pull_request.url)
    if status.run_url:
        table.add_row("deploy run", status.run_url)
    if status.back_merge_pull_request:
        table.add_row("back-merge", f"{status.back_merge_pull_request.url} into {status.default_branch}")
    spent = views.step_durations(status.timeline)
    table.add_row(
        "durations", "  ".join(f"{step.value} {views.fmt_duration(took)}" for step, took in spent.items())
    )
    if status.timeline:
        ended = status.timeline[-1].ended_at or status.timeline[-1].started_at
        table.add_row("hotfix took", views.fmt_duration(ended - status.timeline[0].started_at))
    for what, seconds in moved:
        table.add_row("moved on after", escape(f"{seconds:.1f}s: {what}"))
    net = f"{app_mode.SAFETY_NET:.0f}s"
    table.add_row("webhooks", f"{nudges} deliveries nudged the hotfix (its own polls: {net} apart)")
    bot = calls.pop(app_mode.APP_BOT, 0)
    jwt = calls.pop(seed.APP, 0)
    humans = ", ".join(f"{user} {count}" for user, count in sorted(calls.items()))
    table.add_row(
        "GitHub API calls",
        escape(
            f"{bot} by the worker ({app_mode.APP_BOT}), {jwt} as the App (tokens); humans: {humans or 'none'}"
        ),
    )
    requests, points = cost
    table.add_row("rate-limit points", f"{points} of the App's {requests} requests (GitHub counts no 304)")
    table.add_row("demo took", f"{elapsed:.1f}s (stack start-up included)")
    return table


async def _run(ports: Ports, console: Console, started_at: float, keep: bool, sandbox_state: Path) -> int:
    # Imported here: starter imports the workflows, which the demo needs only once the stack is up.
    import starter
    from activities.github.client import GitHubClient
    from worker import build_worker

    os.environ["HOTFIX_POLL_INTERVAL"] = POLL_INTERVAL
    settings = WorkerSettings(
        temporal_address=ports.temporal_address,
        temporal_namespace="default",
        task_queue="hotfix",
        ui_url=ports.ui_url,
        github_url=ports.github_url,
        # The production shape: the worker as the GitHub App, nudged by the App's webhooks.
        **app_mode.worker_fields(sandbox_state),
    )
    # The SDK core logs to the terminal; the live view owns it, so only errors get through.
    runtime = Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        )
    )
    client = await connect(settings.temporal_address, settings.temporal_namespace, runtime=runtime)
    # No pause between writes: the sandbox has no secondary rate limit unless a test injects one.
    github = GitHubClient.from_settings(settings.model_copy(update={"github_write_interval": 0.0}))
    async with (
        app_mode.receiver(client, free_port()) as hook_url,
        build_worker(client, settings, github_client=github),
    ):
        app_mode.deliver_to(ports.sandbox_url, hook_url)
        console.print(f"  webhook receiver {hook_url}: the sandbox delivers the App's webhooks to it")
        request = starter.build_request(
            REPOSITORY,
            DESCRIPTION,
            requested_by=REQUESTED_BY,
            base=None,
            cherry_picks=[],
            ui_url=settings.ui_url,
            namespace=settings.temporal_namespace,
        )
        started = await starter.start_hotfix(client, settings, request)
        console.print(f"[bold green]started[/] {started.workflow_id}")
        console.print(f"  working branch {started.work_branch}, prod branch {started.prod_branch}")
        handle = client.get_workflow_handle(started.workflow_id, result_type=HotfixResult)
        acts: list[str] = []
        stamped: list[tuple[datetime, str]] = []

        def acted(what: str) -> None:
            acts.append(what)
            stamped.append((datetime.now(UTC), what))

        latest: HotfixStatus | None = None
        humans = Humans(ports.github_url, REPOSITORY)

        async def refresh(live: Live) -> None:
            nonlocal latest
            while True:
                try:
                    latest = await handle.query("status", result_type=HotfixStatus)
                except Exception:  # the view is best effort; the humans' waits decide
                    pass
                live.update(_view(latest, acts, started.ui_url))
                await asyncio.sleep(0.25)

        with Live(_view(None, acts, started.ui_url), console=console, refresh_per_second=8) as live:
            painter = asyncio.create_task(refresh(live))
            try:
                final = await play_happy_path(
                    client, started.workflow_id, humans, on_act=acted, within=HUMAN_WAIT
                )
                result = await asyncio.wait_for(handle.result(), timeout=HUMAN_WAIT)
            finally:
                painter.cancel()
            live.update(_view(final, acts, started.ui_url))

        entries = _requests(ports.sandbox_url)
        calls = Counter(entry.get("user") or "anonymous" for entry in entries)
        elapsed = time.monotonic() - started_at
        moved = app_mode.reactions(stamped, final)
        nudges = len(app_mode.webhook_nudges((await handle.fetch_history()).events))
        summary = _summary(final, calls, elapsed, moved, app_mode.points(entries), nudges)
        console.print()
        console.print(Panel(summary, title="summary", title_align="left"))
        if result.record is not None:
            # What the hotfix left on its PR for the incident review (`starter.py record ID` prints it too).
            text = record_view.record_markdown(result.record).replace(f"{record_view.MARKER}\n", "", 1)
            where = f"left on PR #{result.record.pull_request}" if result.record.pull_request else "result"
            console.print(Panel(Markdown(text), title=f"change record ({where})", title_align="left"))
        # On a line of its own, unwrapped, so it can be clicked or copied whole.
        console.print(f"Temporal UI: {started.ui_url}", soft_wrap=True, highlight=False)
        if final.step != Step.DONE:
            raise DemoFailed(f"the hotfix ended {final.step.value}: {final.reason}")
        if keep:
            console.print("the stack stays up (--keep): open the Temporal UI link above; Ctrl-C stops it")
            await asyncio.Event().wait()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the stack up after the summary")
    parser.add_argument(
        "--state-dir", type=Path, default=DEMO_DIR, help="wiped and reused on every run (default .data/demo)"
    )
    parser.add_argument(
        "--free-ports",
        action="store_true",
        help="always use free ports (tests; never collide with `make up`)",
    )
    args = parser.parse_args(argv)
    state: Path = args.state_dir.resolve()
    started_at = time.monotonic()
    console = Console()
    if args.free_ports:
        ports, moved = Ports(free_port(), free_port(), free_port()), list[str]()
    else:
        ports, moved = Ports.defaults_or_free()
    for note in moved:
        console.print(f"[yellow]{note}[/]")
    # Fresh state every run: a half-finished earlier demo must not hold this one in the lane.
    # Only a directory the demo made itself (it leaves a marker) is wiped.
    if state != DEMO_DIR and state.exists() and any(state.iterdir()) and not (state / MARKER).exists():
        console.print(f"[bold red]error:[/] {state} is not empty and not a demo directory; pick another")
        return 2
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    (state / MARKER).write_text("made by `make demo`; wiped on every run\n")
    stack = Stack(ports, state / "logs")
    (state / "logs").mkdir()
    _quiet_logs(state / "logs" / "worker.log")
    with terminate_as_interrupt():
        try:
            with console.status("starting the Temporal dev server and the sandbox GitHub ..."):
                stack.start_temporal(state / "temporal.db")
                stack.start_sandbox(
                    state / "sandbox",
                    ["--ci-seconds", str(CI_SECONDS), "--deploy-seconds", str(DEPLOY_SECONDS)],
                )
            console.print(
                f"Temporal {ports.temporal_address} (UI {ports.ui_url}), sandbox GitHub {ports.github_url}; "
                f"logs in {state / 'logs'}"
            )
            return asyncio.run(_run(ports, console, started_at, args.keep, state / "sandbox"))
        except (StackError, DemoFailed, HumanTimeout, TemporalUnavailable) as err:
            console.print(f"[bold red]error:[/] {err}")
            return 1
        except KeyboardInterrupt:
            console.print("interrupted; stopping")
            return 130
        finally:
            with console.status("stopping ..."):
                stack.stop()


if __name__ == "__main__":
    exit_code = main()
    # Skip finalization, which can race the SDK's native threads and abort after a good run.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
