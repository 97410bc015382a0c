"""Typed search attributes shown in the Temporal UI and used by `starter.py list`."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from hotfix.models import Step

REPOSITORY = SearchAttributeKey.for_keyword("HotfixRepository")
STEP = SearchAttributeKey.for_keyword("HotfixStep")
# Set by the starter from `--incident`: the UI lists every hotfix of one incident (HotfixIncident = "INC-1").
INCIDENT = SearchAttributeKey.for_keyword("HotfixIncident")

# "true" while a hotfix waits for a human to fix what GitHub refused (then "false"): the UI lists the
# blocked ones (HotfixBlocked = "true"), and the worker's `hotfix_blocked_now` gauge counts them.
BLOCKED = SearchAttributeKey.for_keyword("HotfixBlocked")

ALL = (REPOSITORY, STEP, INCIDENT, BLOCKED)


def at_start(repository: str, incident: str | None) -> TypedSearchAttributes:
    """What a hotfix or rollback is listed by from its start, before a worker ran its first task."""
    pairs = [SearchAttributePair(REPOSITORY, repository), SearchAttributePair(STEP, Step.PREFLIGHT.value)]
    if incident:
        pairs.append(SearchAttributePair(INCIDENT, incident))
    return TypedSearchAttributes(pairs)
