"""How a hotfix ends in Temporal, and its result read back whichever way it ended.

Done is Completed. Aborted and expired are Failed with a failure type of their own (not a green
success in the UI's list; Temporal's Canceled is reached only through a cancel request, which a
signal or a deadline is not), the result carried in the failure's details, so nothing of it is lost.
A hotfix that failed for real (a step it could not do) fails with its plain message and no result.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError

from hotfix.models import HotfixResult, Step

# Failure types of the early ends (workflows/hotfix.py, EARLY_END_FAILS).
EARLY_END = {Step.ABORTED: "HotfixAborted", Step.EXPIRED: "HotfixExpired"}


def early_end(err: BaseException) -> HotfixResult | None:
    """The result an aborted or expired hotfix carried in its failure; None for any other error."""
    cause = err.cause if isinstance(err, WorkflowFailureError) else err
    if not isinstance(cause, ApplicationError) or cause.type not in EARLY_END.values():
        return None
    details = cause.details
    if not details:
        return None
    first = details[0]
    return first if isinstance(first, HotfixResult) else HotfixResult.model_validate(first)


async def final_result(handle: Any) -> HotfixResult:
    """The result of a hotfix's workflow handle once it ends done, aborted or expired; a failure
    (and anything else) is raised as it came."""
    try:
        result = await handle.result()
    except WorkflowFailureError as err:
        ended = early_end(err)
        if ended is None:
            raise
        return ended
    # An untyped handle (one found by ID alone) decodes the result as plain JSON.
    return result if isinstance(result, HotfixResult) else HotfixResult.model_validate(result)
