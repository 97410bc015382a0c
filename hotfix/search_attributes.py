"""Typed search attributes shown in the Temporal UI and used by `starter.py list`."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

REPOSITORY = SearchAttributeKey.for_keyword("HotfixRepository")
STEP = SearchAttributeKey.for_keyword("HotfixStep")

ALL = (REPOSITORY, STEP)
