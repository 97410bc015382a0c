"""Reaching Temporal from the starter, the worker, the demo and `make up`, with errors a human can act on.

Everything here talks to the Temporal service, never to GitHub, so the CLI needs no GitHub token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from temporalio.api.enums.v1 import IndexedValueType, TaskQueueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from hotfix import search_attributes
from hotfix.render import workflow_url
from service.security import Security, explain

__all__ = ["workflow_url"]

START_HINT = "start one with `make up`, or point HOTFIX_TEMPORAL_ADDRESS (or --address) at yours"
CONNECT_TIMEOUT = timedelta(seconds=5)


# A worker waits for Temporal (a cluster restart, a rolling upgrade, a stack coming up in any order):
# first retry after 1 s, doubling up to this.
MAX_CONNECT_BACKOFF = 30.0


class TemporalUnavailable(RuntimeError):
    """Temporal cannot be reached or refuses us; the message is one line meant for a human."""


async def connect(
    address: str,
    namespace: str,
    *,
    runtime: Runtime | None = None,
    identity: str | None = None,
    security: Security | None = None,
) -> Client:
    """Connect with the pydantic converter, turning transport errors into one actionable line.

    `security`: TLS, mTLS and the API key (service/security.py); None is plaintext."""
    security = security or Security()
    try:
        client = await Client.connect(
            address,
            namespace=namespace,
            data_converter=pydantic_data_converter,
            connect_timeout=CONNECT_TIMEOUT,
            runtime=runtime,
            identity=identity,
            tls=security.tls,
            api_key=security.api_key,
        )
    except RuntimeError as err:
        hint = explain(str(err), security)
        why = f"{hint})" if hint else f"{_short(err)}); {START_HINT}"
        raise TemporalUnavailable(
            f"cannot reach the Temporal server at {address} over {security.describe()} ({why}"
        ) from err
    # Connecting does not check the namespace; a typo there would otherwise surface later, obscurely.
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace), timeout=CONNECT_TIMEOUT
        )
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise TemporalUnavailable(
                f"namespace {namespace!r} does not exist on the Temporal server at {address}; create it with "
                f"`temporal operator namespace create {namespace}` or set HOTFIX_TEMPORAL_NAMESPACE"
            ) from err
        if err.status in (RPCStatusCode.UNAUTHENTICATED, RPCStatusCode.PERMISSION_DENIED):
            raise TemporalUnavailable(
                f"the Temporal server at {address} refuses us ({_short(err)}): check "
                "HOTFIX_TEMPORAL_API_KEY or the client certificate (HOTFIX_TEMPORAL_TLS_CERT) and that "
                f"it may use namespace {namespace!r}"
            ) from err
        raise TemporalUnavailable(f"the Temporal server at {address} does not answer: {err.message}") from err
    return client


def _short(err: BaseException) -> str:
    text = str(err)
    for marker in ("Connection refused", "dns error", "timed out", "Name or service not known"):
        if marker in text:
            return marker.lower()
    return text.splitlines()[0][:200] if text else type(err).__name__


async def add_search_attributes(client: Client, names: list[str], namespace: str | None = None) -> None:
    """Register `names` as Keyword search attributes. The time-skipping test server has this call but
    not the listing one, so tests call it directly."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=namespace or client.namespace,
            search_attributes={name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for name in names},
        )
    )


async def ensure_search_attributes(client: Client, namespace: str | None = None) -> list[str]:
    """Register HotfixRepository/HotfixStep if the namespace lacks them; returns the names it added.

    The dev server gets them from `--search-attribute`, a cluster from docker-compose's one-shot; this
    covers a namespace created by hand. Several workers may race here, so "already exists" is fine.
    """
    ns = namespace or client.namespace
    existing = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=ns))
    known = set(existing.custom_attributes) | set(existing.system_attributes)
    missing = [key.name for key in search_attributes.ALL if key.name not in known]
    if not missing:
        return []
    try:
        await add_search_attributes(client, missing, ns)
    except RPCError as err:
        if err.status != RPCStatusCode.ALREADY_EXISTS and "already exists" not in err.message:
            raise
    return missing


async def has_pollers(client: Client, task_queue: str) -> bool:
    """Whether any worker polls `task_queue` for workflow tasks (queries and doctor need one)."""
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        ),
        timeout=CONNECT_TIMEOUT,
    )
    return bool(response.pollers)


async def connect_patiently(
    address: str,
    namespace: str,
    *,
    stop: asyncio.Event,
    on_retry: Callable[[int, float, str], None],
    runtime: Runtime | None = None,
    identity: str | None = None,
    security: Security | None = None,
) -> Client | None:
    """`connect`, again and again with backoff until it works; None when `stop` is set first.

    `on_retry(attempt, seconds, why)` is told of every failed attempt (one line each for a human).
    """
    attempt, backoff = 0, 1.0
    while not stop.is_set():
        attempt += 1
        try:
            return await connect(address, namespace, runtime=runtime, identity=identity, security=security)
        except TemporalUnavailable as err:
            on_retry(attempt, backoff, str(err))
        try:
            await asyncio.wait_for(stop.wait(), timeout=backoff)
        except TimeoutError:
            pass
        backoff = min(backoff * 2, MAX_CONNECT_BACKOFF)
    return None
