"""Polls and watches that hand themselves back when the worker stops, instead of holding up SIGTERM.

A poll (activities/waits.py) or a lane watch (activities/lane.py) is harmless to restart: on a
worker's graceful shutdown it ends at once and Temporal's retry runs it on another worker, so the
shutdown waits only for one-shot GitHub actions.
"""

from __future__ import annotations

import asyncio

from temporalio import activity


async def stopping_within(seconds: float) -> bool:
    """Sleep `seconds`, or less when the worker begins to shut down: True then."""
    if not activity.in_activity():
        await asyncio.sleep(seconds)
        return False
    if activity.is_worker_shutdown():
        return True
    try:
        await asyncio.wait_for(activity.wait_for_worker_shutdown(), timeout=seconds)
    except TimeoutError:
        return False
    return True
