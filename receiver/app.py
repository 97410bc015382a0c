"""The webhook receiver's HTTP side (Starlette): verify, drop duplicates, map, nudge; /healthz, /metrics.

Every delivery is checked against `X-Hub-Signature-256` before anything of it is parsed; a bad or
missing signature is 401 and nothing else happens. A delivery id seen before is acknowledged (200)
and does nothing. Events that concern no running hotfix signal nothing. A nudge is a `recheck`
signal naming the event and the delivery: the workflow then reads the truth from GitHub, so a
forged or replayed delivery costs at most one extra look.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import structlog
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from receiver import events, verify

# GitHub caps a payload at 25 MB.
MAX_BODY = 25 * 1024 * 1024
REMEMBERED_DELIVERIES = 10_000

# repository -> its running hotfixes: workflow ID -> the hotfix's branches
Find = Callable[[str], Awaitable[dict[str, set[str]]]]
# workflow ID, event, delivery id
Nudge = Callable[[str, str, str], Awaitable[None]]

log = structlog.get_logger("receiver")


class Deliveries:
    """The last REMEMBERED_DELIVERIES delivery ids: GitHub redelivers, and so may an attacker."""

    def __init__(self, size: int = REMEMBERED_DELIVERIES) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def first_time(self, delivery: str) -> bool:
        if delivery in self._seen:
            return False
        self._seen[delivery] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True


async def _body(request: Request) -> bytes | None:
    """The raw body, or None once it passes MAX_BODY (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def make_app(secret: bytes, find: Find, nudge: Nudge) -> Starlette:
    registry = CollectorRegistry()
    received = Counter(
        "hotfix_webhook_deliveries", "Webhook deliveries by outcome", ["outcome"], registry=registry
    )
    signalled = Counter(
        "hotfix_webhook_signals", "recheck signals sent, by event", ["event"], registry=registry
    )
    deliveries = Deliveries()

    def answer(status: int, outcome: str, **body: object) -> JSONResponse:
        received.labels(outcome).inc()
        return JSONResponse({"outcome": outcome, **body}, status_code=status)

    async def webhook(request: Request) -> Response:
        body = await _body(request)
        if body is None:
            return answer(413, "too large")
        if not verify.valid(secret, body, request.headers.get("x-hub-signature-256")):
            log.warning("webhook refused: bad signature", delivery=request.headers.get("x-github-delivery"))
            return answer(401, "bad signature")
        event = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery", "")
        if delivery and not deliveries.first_time(delivery):
            return answer(200, "duplicate")
        if event == "ping":
            return answer(200, "pong")
        if event not in events.EVENTS:
            return answer(202, "ignored")
        try:
            payload = json.loads(body)
        except ValueError:
            return answer(400, "malformed")
        repository = events.repository(payload)
        names = events.branches(event, payload)
        if repository is None or not names:
            return answer(202, "concerns no hotfix", signalled=[])
        hotfixes = events.concerned(await find(repository), names)
        for workflow_id in hotfixes:
            try:
                await nudge(workflow_id, event, delivery)
                signalled.labels(event).inc()
            except Exception as err:  # one hotfix that cannot be signalled must not stop the others
                log.warning("recheck not sent", workflow_id=workflow_id, error=type(err).__name__)
        if hotfixes:
            log.info("nudged", webhook_event=event, delivery=delivery, hotfixes=hotfixes)
        return answer(
            200 if hotfixes else 202, "signalled" if hotfixes else "concerns no hotfix", signalled=hotfixes
        )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/github/webhook", webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ]
    )
