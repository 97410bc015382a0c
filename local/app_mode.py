"""The production shape for the demo and `make up`: the worker as the sandbox's GitHub App, the
webhook receiver, and the sandbox delivering the App's webhooks to it (#11 item 5).

Polls become the safety net (`SAFETY_NET` apart); each human act reaches the hotfix as a webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from temporalio.client import Client

from hotfix.models import HotfixStatus, Step
from receiver.app import make_app
from receiver.temporal import Hotfixes
from sandbox import apps, seed

SECRET = "demo-webhook-secret"
# With webhooks the poll is only the safety net: still short here, so a lost delivery costs seconds.
SAFETY_NET = 10.0
APP_BOT = seed.APP_BOT


def worker_fields(sandbox_state: Path) -> dict[str, Any]:
    """WorkerSettings fields for the worker as the App (its key from the sandbox's state directory)."""
    return {
        "github_token": None,
        "github_app_id": str(seed.APP_ID),
        "github_app_private_key_file": apps.key_path(sandbox_state, seed.APP),
        "webhooks": True,
        "webhook_poll_interval": SAFETY_NET,
    }


def worker_env(sandbox_state: Path) -> dict[str, str]:
    """The same as environment variables, for a worker process (`make up`)."""
    return {
        "HOTFIX_GITHUB_TOKEN": "",  # blank is unset: a token in the caller's environment does not count
        "HOTFIX_GITHUB_APP_ID": str(seed.APP_ID),
        "HOTFIX_GITHUB_APP_PRIVATE_KEY_FILE": str(apps.key_path(sandbox_state, seed.APP)),
        "HOTFIX_WEBHOOKS": "true",
        "HOTFIX_WEBHOOK_POLL_INTERVAL": str(SAFETY_NET),
    }


def receiver_env(temporal_address: str, port: int) -> dict[str, str]:
    """webhooks.py as a process of its own (`make up`), on this host only."""
    return {
        "HOTFIX_TEMPORAL_ADDRESS": temporal_address,
        "HOTFIX_TEMPORAL_NAMESPACE": "default",
        "HOTFIX_WEBHOOK_HOST": "127.0.0.1",
        "HOTFIX_WEBHOOK_PORT": str(port),
        "HOTFIX_WEBHOOK_SECRET": SECRET,
    }


def deliver_to(sandbox_url: str, receiver_url: str) -> None:
    """Configure the App's webhook on the sandbox, as an App's owner does on GitHub."""
    reply = httpx.post(
        f"{sandbox_url}/_sandbox/apps/{seed.APP}/hook",
        json={"url": receiver_url, "secret": SECRET},
        timeout=10,
    )
    reply.raise_for_status()


@contextlib.asynccontextmanager
async def receiver(client: Client, port: int, secret: str = SECRET) -> AsyncIterator[str]:
    """webhooks.py's app on this event loop (it shares the caller's Temporal client); its URL."""
    hotfixes = Hotfixes(client)
    config = uvicorn.Config(
        make_app(secret.encode(), hotfixes.running, hotfixes.nudge),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(1000):  # uvicorn says it started by a flag only
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if not server.started:
        raise RuntimeError(f"the webhook receiver did not start on port {port}")
    try:
        yield f"http://127.0.0.1:{port}/github/webhook"
    finally:
        server.should_exit = True
        await task


# What each human act waits to see: the step the hotfix starts once it has moved on.
MOVED_TO = {
    "sent changes_ready": Step.TESTS,
    "approved PR": Step.DEPLOY,
    "approved deploy run": Step.DEPLOYING,
    "merged back-merge": Step.DONE,
}


def reactions(acts: list[tuple[datetime, str]], status: HotfixStatus) -> list[tuple[str, float]]:
    """Per human act, the seconds until the hotfix started its next step (from its own timeline)."""
    started = {event.step: event.started_at for event in status.timeline}
    if status.timeline and Step.DONE not in started:
        # The last step's end is when the hotfix saw the back-merge and was done.
        last = status.timeline[-1]
        started[Step.DONE] = last.ended_at or last.started_at
    out = []
    for at, what in acts:
        step = next((s for key, s in MOVED_TO.items() if key in what), None)
        if step is not None and step in started:
            out.append((what, max(0.0, (started[step] - at).total_seconds())))
    return out


def webhook_nudges(events: Any) -> list[str]:
    """The `by` of every recheck signal a webhook sent (`webhook EVENT DELIVERY`), from a history's events."""
    out = []
    for e in events:
        if e.HasField("workflow_execution_signaled_event_attributes"):
            attrs = e.workflow_execution_signaled_event_attributes
            if attrs.signal_name == "recheck" and attrs.input.payloads:
                by = json.loads(attrs.input.payloads[0].data).get("by") or ""
                if by.startswith("webhook "):
                    out.append(by)
    return out


def points(entries: list[dict[str, Any]]) -> tuple[int, int]:
    """The App's requests and the rate-limit points they cost (GitHub counts no 304)."""
    mine = [e for e in entries if e.get("user") == APP_BOT]
    return len(mine), sum(1 for e in mine if e.get("status") != 304)
