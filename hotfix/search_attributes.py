"""Typed search attributes shown in the Temporal UI and used by `starter.py list`."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

REPOSITORY = SearchAttributeKey.for_keyword("HotfixRepository")
STEP = SearchAttributeKey.for_keyword("HotfixStep")
# Set by the starter from `--incident`: the UI lists every hotfix of one incident (HotfixIncident = "INC-1").
INCIDENT = SearchAttributeKey.for_keyword("HotfixIncident")

ALL = (REPOSITORY, STEP, INCIDENT)
