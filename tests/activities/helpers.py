"""Helpers for running the real GitHub activities against the sandbox GitHub."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar, cast

from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.github.client import GitHubClient, build_github

REPO = "acme/gaia-gateway"
BOT_TOKEN = "sandbox-bot-token"
DEV_TOKEN = "sandbox-dev-token"
REVIEWER_1_TOKEN = "sandbox-reviewer-1-token"

T = TypeVar("T")


def client_for(sandbox: Any, token: str = BOT_TOKEN, *, timeout: float = 5.0) -> GitHubClient:
    # No write spacing in tests: the one second GitHub asks for would make the suite slow.
    return GitHubClient(
        build_github(
            base_url=sandbox.api_url,
            token=token,
            timeout=timeout,
            max_rate_limit_wait=1.0,
            seconds_between_writes=None,
        )
    )


def environment(
    attempt: int = 1, start_to_close: timedelta = timedelta(seconds=30), activity_type: str = "test"
) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, attempt=attempt, start_to_close_timeout=start_to_close, activity_type=activity_type
    )
    return env


def run(fn: Callable[..., T], arg: Any, *, attempt: int = 1) -> T:
    """Run an activity to its end, from sync or async tests alike (GitHub activities are async)."""
    result: Any = environment(attempt, activity_type=getattr(fn, "__name__", "test")).run(fn, arg)
    if not inspect.isawaitable(result):
        return cast(T, result)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return cast(T, asyncio.run(_awaited(result)))
    # Called from an async test: finish it on a loop of its own, as the worker would.
    with ThreadPoolExecutor(1) as pool:
        return cast(T, pool.submit(asyncio.run, _awaited(result)).result())


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


async def looked_until(fn: Callable[..., Awaitable[T]], arg: Any, *, within: float = 20.0) -> T:
    """A polling activity retried as Temporal retries it: after each benign "not yet", again once the
    delay it asked for has passed, until a look returns."""
    attempt = 1
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            return await environment(attempt).run(fn, arg)
        except ApplicationError as err:
            if err.type != "NotYet" or asyncio.get_running_loop().time() > deadline:
                raise
            assert err.next_retry_delay is not None, "a poll that is not done says when to look again"
            await asyncio.sleep(err.next_retry_delay.total_seconds())
            attempt += 1


def count(sandbox: Any, method: str, path_regex: str) -> int:
    pattern = re.compile(path_regex)
    return sum(
        1
        for r in sandbox.requests()
        if r["method"] == method and pattern.fullmatch(r["path"]) and r.get("status") is not None
    )
